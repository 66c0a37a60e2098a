// SegmentReader: the records of one WAL segment held in memory.
//
// Parses the page and fragment framing of wal/format.h, checks every
// fragment's CRC32C, reassembles multi-fragment records and decompresses
// snappy records. It is the one decoder of outside bytes in wal/; Replay
// (wal/reader.h) runs it over each segment of a directory, and the fuzz
// target fuzz/wal_reader_fuzzer.cc runs it over arbitrary bytes.
//
// Damage is never skipped. The reader stops at the first problem with a
// DataLoss status whose message names the segment and the byte offset of
// the bad fragment ("wal/00000003 offset 98304: fragment checksum
// mismatch"). If the bytes simply end inside a record, torn() is true:
// in the last segment that is what a crash leaves behind. end_offset() is
// always the end of the last complete record, where a repair may cut.
//
// Thread-safety: not thread-safe; one owner.
#ifndef STRATA_WAL_SEGMENT_READER_H_
#define STRATA_WAL_SEGMENT_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "strata/status.h"

typedef struct ZSTD_DCtx_s ZSTD_DCtx;  // as zstd.h declares it

namespace strata::wal {

class SegmentReader {
 public:
  // `data` is the whole segment and must outlive the reader; `name` labels
  // messages (e.g. "data/wal/00000003").
  SegmentReader(std::string_view data, std::string name);
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  // Moves to the next record. Returns false at the end of the segment or at
  // the first damage; status() says which.
  bool Next();

  // The current record, decompressed. Valid until the next call to Next().
  std::string_view record() const { return record_; }
  // Offset of the current record's first fragment header.
  uint64_t record_offset() const { return record_offset_; }
  // Offset just past the last complete record read so far.
  uint64_t end_offset() const { return end_offset_; }

  // OK while reading and at a clean end; DataLoss after damage.
  const Status& status() const { return status_; }
  // True if the segment ended in the middle of a record (a torn write);
  // status() is then DataLoss as well.
  bool torn() const { return torn_; }

 private:
  bool Fail(uint64_t offset, std::string_view what, bool torn);
  bool SkipPadding();
  bool Finish(uint8_t flags);
  bool DecompressZstd();

  struct ZstdFree {
    void operator()(ZSTD_DCtx* ctx) const;
  };

  const std::string_view data_;
  const std::string name_;
  uint64_t pos_ = 0;
  uint64_t record_offset_ = 0;
  uint64_t end_offset_ = 0;
  std::string fragments_;  // reassembled (possibly compressed) record
  std::string decompressed_;
  std::string_view record_;
  std::unique_ptr<ZSTD_DCtx, ZstdFree> zstd_;  // created at the first zstd record
  Status status_;
  bool torn_ = false;
};

}  // namespace strata::wal

#endif  // STRATA_WAL_SEGMENT_READER_H_
