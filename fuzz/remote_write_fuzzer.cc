// Decodes arbitrary bytes as a remote-write body, both as a snappy block
// and as raw protobuf: errors are fine, crashes and out-of-bounds views
// are not (every view must lie inside the input).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/write_request.h"

namespace {

void CheckInside(std::string_view v, const std::string& buf) {
  if (v.empty()) return;
  if (v.data() < buf.data() || v.data() + v.size() > buf.data() + buf.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  strata::server::WriteRequestDecoder d;
  strata::server::WriteLimits limits;
  limits.max_labels_per_series = 64;
  limits.max_samples_per_request = 1000;
  (void)d.DecodeSnappy(bytes, 1 << 20, limits);
  auto req = d.Decode(bytes, limits);
  if (!req.ok()) return 0;
  // Iterating a decoded request visits exactly the counted items.
  auto count = [](const auto& range) {
    size_t n = 0;
    for (auto it = range.begin(); it != range.end(); ++it) ++n;
    if (n != range.size()) std::abort();
  };
  uint64_t samples = 0;
  for (const auto& s : (*req)->series()) {
    count(s.labels());
    count(s.samples());
    count(s.exemplars());
    if (s.labels().size() > limits.max_labels_per_series) std::abort();
    samples += s.samples().size() + s.num_histograms();
    for (const auto& l : s.labels()) {
      CheckInside(l.name, bytes);
      CheckInside(l.value, bytes);
    }
    for (const auto& e : s.exemplars()) {
      count(e.labels);
      for (const auto& l : e.labels) CheckInside(l.value, bytes);
    }
  }
  if (samples != (*req)->num_samples() || samples > limits.max_samples_per_request) std::abort();
  count((*req)->series());
  count((*req)->metadata());
  for (const auto& m : (*req)->metadata()) CheckInside(m.help, bytes);
  return 0;
}
