// A zero-copy decoder for Prometheus remote-write 1.0 bodies: the snappy
// block and the protobuf `prometheus.WriteRequest` of prompb/remote.proto
// and prompb/types.proto, decoded straight into views of the
// decompressed bytes without libprotobuf or a per-request arena.
//
//   WriteRequest   { repeated TimeSeries timeseries = 1;
//                    repeated MetricMetadata metadata = 3; }
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
//                    repeated Exemplar exemplars = 3;
//                    repeated Histogram histograms = 4; }
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }
//   Exemplar       { repeated Label labels = 1; double value = 2;
//                    int64 timestamp = 3; }
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2;
//                    string help = 4; string unit = 5; }
//
// Unknown fields are skipped, as protobuf requires. Native histograms
// (field 4) are counted but not decoded yet. Damage is InvalidArgument
// naming the byte offset and what was expected.
//
// Thread-safety: a WriteRequestDecoder is used by one request at a time;
// its buffers are reused across requests.
#ifndef STRATA_SERVER_WRITE_REQUEST_H_
#define STRATA_SERVER_WRITE_REQUEST_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata::server {

struct WireLabel {
  std::string_view name;
  std::string_view value;
};

struct WireSample {
  double value;
  int64_t timestamp_ms;
};

struct WireExemplar {
  std::span<const WireLabel> labels;
  double value;
  int64_t timestamp_ms;
};

struct WireSeries {
  std::span<const WireLabel> labels;  // as sent: not validated or sorted
  std::span<const WireSample> samples;
  std::span<const WireExemplar> exemplars;
  uint32_t num_histograms = 0;  // native histograms, not decoded yet
};

struct WireMetadata {
  int32_t type = 0;  // prompb MetricMetadata.MetricType: 0 unknown .. 7 stateset
  std::string_view metric_family_name;
  std::string_view help;
  std::string_view unit;
};

// The decoded request. Views point into the decoder's buffer and stay
// valid until its next Decode.
struct WriteRequestView {
  std::vector<WireSeries> series;
  std::vector<WireMetadata> metadata;
};

class WriteRequestDecoder {
 public:
  WriteRequestDecoder() = default;
  WriteRequestDecoder(const WriteRequestDecoder&) = delete;
  WriteRequestDecoder& operator=(const WriteRequestDecoder&) = delete;

  // Decompresses the snappy block `body` (at most `max_uncompressed_bytes`
  // once decompressed, else ResourceExhausted) and decodes the protobuf.
  [[nodiscard]] StatusOr<const WriteRequestView*> DecodeSnappy(std::string_view body,
                                                               size_t max_uncompressed_bytes);

  // Decodes an uncompressed protobuf `WriteRequest`, which must stay alive
  // and unchanged while the result is used.
  [[nodiscard]] StatusOr<const WriteRequestView*> Decode(std::string_view proto);

 private:
  std::string uncompressed_;
  std::vector<WireLabel> labels_;
  std::vector<WireSample> samples_;
  std::vector<WireExemplar> exemplars_;
  std::vector<WireLabel> exemplars_labels_;
  WriteRequestView view_;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_WRITE_REQUEST_H_
