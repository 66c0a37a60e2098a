// On-disk constants of the Prometheus write-ahead log, in one place.
//
// Spec: tsdb/docs/format/wal.md and tsdb/wlog/wlog.go in prometheus/prometheus
// (v2.42). A WAL directory holds segment files named by an 8-digit
// zero-padded decimal index (00000000, 00000001, ...) and at most a few
// checkpoint.NNNNNNNN directories, each itself a WAL of segments. A segment
// is a sequence of 32 KiB pages; a record is written as one or more
// fragments, each with a 7-byte header:
//
//   type (1 byte) | length (2 bytes, big endian) | CRC32C of data (4 bytes, BE) | data
//
// A fragment never crosses a page; a page whose free space is smaller than
// a header is padded with zero bytes (type 0, "page terminator"). Records
// may span pages but never segments. The record data itself is encoded by
// wal/records.h.
//
// Thread-safety: constants and pure functions only.
#ifndef STRATA_WAL_FORMAT_H_
#define STRATA_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::wal {

// wlog.go: pageSize = 32 * 1024.
inline constexpr size_t kPageSize = 32 * 1024;
// wlog.go: DefaultSegmentSize = 128 * 1024 * 1024.
inline constexpr uint64_t kDefaultSegmentSize = 128ull * 1024 * 1024;
// wlog.go: recordHeaderSize = 7.
inline constexpr size_t kFragmentHeaderSize = 7;
// The largest fragment payload: a whole page minus its header.
inline constexpr size_t kMaxFragmentData = kPageSize - kFragmentHeaderSize;

// Fragment types, the low three bits of the header's first byte (wlog.go
// recType).
enum class FragmentType : uint8_t {
  kPageTerm = 0,  // rest of the page is zero padding
  kFull = 1,      // a whole record
  kFirst = 2,     // first fragment of a record
  kMiddle = 3,    // middle fragment(s)
  kLast = 4,      // final fragment
};
inline constexpr uint8_t kFragmentTypeMask = 0x07;
// The record (all its fragments together) is snappy block-compressed.
inline constexpr uint8_t kSnappyFlag = 0x08;
// The record is zstd-compressed (Prometheus >= 2.49 writes it; Strata
// reads it and never writes it, so 2.42 can read what Strata writes).
inline constexpr uint8_t kZstdFlag = 0x10;

// Name of segment `index` inside a WAL directory: "%08d".
std::string SegmentName(uint32_t index);
// Parses a segment file name; nullopt for anything else (e.g. "00000001.tmp").
std::optional<uint32_t> ParseSegmentName(std::string_view name);

// Name of the checkpoint directory that covers segments up to `index`:
// "checkpoint.%08d" (tsdb/wlog/checkpoint.go).
std::string CheckpointName(uint32_t index);
// Parses "checkpoint.NNNNNNNN" (not the ".tmp" form); nullopt otherwise.
std::optional<uint32_t> ParseCheckpointName(std::string_view name);
// Suffix of a checkpoint directory still being written.
inline constexpr std::string_view kTmpSuffix = ".tmp";

}  // namespace strata::wal

#endif  // STRATA_WAL_FORMAT_H_
