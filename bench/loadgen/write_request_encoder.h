// Encodes Prometheus remote-write 1.0 requests: a protobuf
// `prometheus.WriteRequest` (prompb) built by hand, then snappy-compressed
// as a block. The inverse of server/write_request.h.
//
// Thread-safety: stateless functions.
#ifndef STRATA_BENCH_LOADGEN_WRITE_REQUEST_ENCODER_H_
#define STRATA_BENCH_LOADGEN_WRITE_REQUEST_ENCODER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::loadgen {

struct EncodeSample {
  int64_t timestamp_ms;
  double value;
};

// One TimeSeries: labels (sorted by name) and its samples.
struct EncodeSeries {
  std::span<const std::pair<std::string, std::string>> labels;
  std::span<const EncodeSample> samples;
};

// Appends the protobuf WriteRequest holding `series` to `out`.
void AppendWriteRequest(std::span<const EncodeSeries> series, std::string* out);

// Snappy block compression of `data` into `out` (replaced).
void SnappyCompress(std::string_view data, std::string* out);

}  // namespace strata::loadgen

#endif  // STRATA_BENCH_LOADGEN_WRITE_REQUEST_ENCODER_H_
