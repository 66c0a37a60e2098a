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
  (void)d.DecodeSnappy(bytes, 1 << 20);
  auto req = d.Decode(bytes);
  if (!req.ok()) return 0;
  for (const auto& s : (*req)->series) {
    for (const auto& l : s.labels) {
      CheckInside(l.name, bytes);
      CheckInside(l.value, bytes);
    }
    for (const auto& e : s.exemplars) {
      for (const auto& l : e.labels) CheckInside(l.value, bytes);
    }
  }
  for (const auto& m : (*req)->metadata) CheckInside(m.help, bytes);
  return 0;
}
