// Request parameters of the Prometheus HTTP API: the URL query string and,
// for POST with `Content-Type: application/x-www-form-urlencoded`, the
// form body, merged the way Go's http.Request.ParseForm does (body values
// first, then the URL's). Values are percent-decoded ('+' is a space).
//
// Thread-safety: HttpParams is a value type (intentionally copyable).
#ifndef STRATA_SERVER_HTTP_PARAMS_H_
#define STRATA_SERVER_HTTP_PARAMS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::server {

class HttpParams {
 public:
  // Adds the pairs of the urlencoded `text` ("a=1&b=x%20y&c").
  // Errors: InvalidArgument for a bad percent escape, naming it.
  [[nodiscard]] Status AddUrlEncoded(std::string_view text);

  // The first value of `name`, or "" if absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  // Every value of `name` in order (e.g. `match[]`).
  std::vector<std::string_view> GetAll(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Percent-decodes `in` into `*out` ('+' becomes a space). Errors:
// InvalidArgument `invalid URL escape "%zz"`.
[[nodiscard]] Status UrlDecode(std::string_view in, std::string* out);

}  // namespace strata::server

#endif  // STRATA_SERVER_HTTP_PARAMS_H_
