// The one mapping from a Status to an HTTP answer (STYLE.md §2: only
// server/ knows HTTP, in one place). Endpoints fall into families that
// speak to different clients, and the same code means a different thing
// to each:
//
//   remote write  Prometheus retries 5xx and drops a batch answered 4xx
//                 (storage/remote/client.go): bad samples are 400, a body
//                 over a limit 413 (retrying cannot help), an unsupported
//                 encoding 415, and whatever the server may get over —
//                 load, a full disk, a closing database — 503.
//   remote read   plain-text errors as Prometheus' read handler: bad
//                 request and the sample limit 400, the series cap 422 (as
//                 the query API's execution errors), overload and timeout
//                 503, the rest 500.
//   query API     Prometheus' web/api/v1 envelope {"status":"error",
//                 "errorType":…,"error":…}: bad_data 400, execution 422,
//                 timeout/canceled/unavailable 503, not_found 404,
//                 internal 500. The admin API answers the same way.
//   probes        plain text.
//
// Thread-safety: stateless.
#ifndef STRATA_SERVER_HTTP_STATUS_H_
#define STRATA_SERVER_HTTP_STATUS_H_

#include <string_view>

#include "server/http_server.h"
#include "strata/status.h"

namespace strata::server {

enum class EndpointFamily { kProbe, kRemoteWrite, kRemoteRead, kQueryApi, kAdmin };

struct HttpError {
  int status = 500;
  // The query API's errorType ("bad_data", ...); "" for plain-text families.
  std::string_view error_type;
};

// The HTTP status (and error type) for a failed `status` at an endpoint of
// `family`. REQUIRES: !status.ok().
HttpError MapStatus(EndpointFamily family, const Status& status);

// Fills `res` with the error answer for `status` at `family`: the JSON
// envelope for the query and admin APIs, plain text otherwise. A 503 gets
// Retry-After.
void RespondStatus(EndpointFamily family, const Status& status, HttpResponse* res);

// A plain-text answer ("text/plain; charset=utf-8"), `body` plus a newline.
void RespondText(HttpResponse* res, int status, std::string_view body);

// The answer when a request waited too long for a worker or the server
// sheds load: 503 with Retry-After, in the family's shape.
void RespondOverloaded(EndpointFamily family, std::string_view why, HttpResponse* res);

}  // namespace strata::server

#endif  // STRATA_SERVER_HTTP_STATUS_H_
