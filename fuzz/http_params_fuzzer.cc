// Parses arbitrary bytes as a query string / urlencoded form, then as API
// time and duration parameters: errors are fine, crashes are not.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/api_format.h"
#include "server/http_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  strata::server::HttpParams params;
  if (params.AddUrlEncoded(bytes).ok()) {
    for (const auto& [name, value] : params.pairs()) {
      if (params.GetAll(name).empty()) std::abort();
      (void)strata::server::ParseApiTime(value);
      (void)strata::server::ParseApiDuration(value);
    }
  }
  (void)strata::server::ParseApiTime(bytes);
  (void)strata::server::ParseApiDuration(bytes);
  return 0;
}
