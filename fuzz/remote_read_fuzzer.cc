// Decodes arbitrary bytes as a remote-read ReadRequest: errors are fine,
// crashes are not; what decodes must re-encode and decode to the same.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/remote_read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto req = strata::server::DecodeReadRequest(bytes);
  if (!req.ok()) return 0;
  auto again = strata::server::DecodeReadRequest(strata::server::EncodeReadRequest(*req));
  if (!again.ok() || again->queries.size() != req->queries.size()) std::abort();
  for (size_t i = 0; i < req->queries.size(); ++i) {
    if (again->queries[i].matchers.size() != req->queries[i].matchers.size() ||
        again->queries[i].start_ms != req->queries[i].start_ms) {
      std::abort();
    }
  }
  (void)strata::server::NegotiateReadResponseType(*req, true);
  return 0;
}
