// Encoding and decoding of WAL record payloads, byte-compatible with
// Prometheus 2.42's tsdb/record/record.go.
//
// A record's first byte is its RecordType; the rest depends on the type:
//   series     (1): per series: ref BE64, label count uvarint, then per label
//                   name and value as uvarint length + bytes.
//   samples    (2): if any: first ref BE64, first time BE64; then per sample
//                   varint(ref - first ref), varint(t - first t), value bits BE64.
//   tombstones (3): per interval: ref BE64, varint mint, varint maxt.
//   exemplars  (4): as samples, each followed by its labels (as in series).
//   metadata   (6): per series: ref uvarint, metric type byte, field count
//                   uvarint, then (name, value) uvarint-length strings; the
//                   encoder writes UNIT and HELP.
// Types 5 (mmap markers, out-of-order WBL only) and 7/8 (native histograms)
// are recognised but not decoded here; any other first byte is kUnknown,
// which replay skips and counts (DESIGN.md: never a silent drop).
//
// The WAL module must not depend on index/, so labels are plain
// (name, value) string pairs in the order given.
//
// Thread-safety: stateless functions over caller-owned buffers.
#ifndef STRATA_WAL_RECORDS_H_
#define STRATA_WAL_RECORDS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::wal {

// record.go Type.
enum class RecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kTombstones = 3,
  kExemplars = 4,
  kMmapMarkers = 5,
  kMetadata = 6,
  kHistogramSamples = 7,
  kFloatHistogramSamples = 8,
  kUnknown = 255,
};

// Returns the type of `record`: kUnknown for an empty record or a first
// byte Prometheus 2.42 does not define.
RecordType GetRecordType(std::string_view record);

// A label pair; intentionally copyable.
using Label = std::pair<std::string, std::string>;
using Labels = std::vector<Label>;

// Value types below are intentionally copyable. Values are kept as doubles
// and round-trip bit-exactly (staleness-marker NaN included).
struct RefSeries {
  uint64_t ref = 0;
  Labels labels;
  friend bool operator==(const RefSeries&, const RefSeries&) = default;
};

struct RefSample {
  uint64_t ref = 0;
  int64_t t = 0;  // milliseconds since the Unix epoch
  double v = 0;
};

// One deleted interval [mint, maxt] of series `ref`.
struct Tombstone {
  uint64_t ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
  friend bool operator==(const Tombstone&, const Tombstone&) = default;
};

struct RefExemplar {
  uint64_t ref = 0;
  int64_t t = 0;
  double v = 0;
  Labels labels;
};

struct RefMetadata {
  uint64_t ref = 0;
  uint8_t type = 0;  // record.go MetricType: 0 unknown, 1 counter, 2 gauge, ...
  std::string unit;
  std::string help;
  friend bool operator==(const RefMetadata&, const RefMetadata&) = default;
};

// Encoders append one whole record (type byte included) to `*dst`.
void EncodeSeries(std::span<const RefSeries> series, std::string* dst);
void EncodeSamples(std::span<const RefSample> samples, std::string* dst);
void EncodeTombstones(std::span<const Tombstone> tombstones, std::string* dst);
void EncodeExemplars(std::span<const RefExemplar> exemplars, std::string* dst);
void EncodeMetadata(std::span<const RefMetadata> metadata, std::string* dst);

// Decoders append the entries of `record` to `*out`. On failure they return
// InvalidArgument if the record is of another type and DataLoss if its bytes
// are malformed (truncated, varint overflow, trailing bytes); `*out` may
// then hold a partial result. Callers add the record's location.
[[nodiscard]] Status DecodeSeries(std::string_view record, std::vector<RefSeries>* out);
[[nodiscard]] Status DecodeSamples(std::string_view record, std::vector<RefSample>* out);
[[nodiscard]] Status DecodeTombstones(std::string_view record, std::vector<Tombstone>* out);
[[nodiscard]] Status DecodeExemplars(std::string_view record, std::vector<RefExemplar>* out);
[[nodiscard]] Status DecodeMetadata(std::string_view record, std::vector<RefMetadata>* out);

}  // namespace strata::wal

#endif  // STRATA_WAL_RECORDS_H_
