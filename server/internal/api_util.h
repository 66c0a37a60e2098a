// Shared pieces of the API handlers: the Prometheus response envelope,
// the mapping from Status codes to API error types and HTTP statuses (the
// one place that knows both, STYLE.md §2), series-selector parsing for
// match[], and time parameters.
//
// Thread-safety: stateless.
#ifndef STRATA_SERVER_INTERNAL_API_UTIL_H_
#define STRATA_SERVER_INTERNAL_API_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/engine.h"
#include "server/http_params.h"
#include "server/http_server.h"
#include "strata/db.h"

namespace strata::server::internal {

// {"status":"success","data":<data_json>[,"warnings":[...]]}, 200.
void RespondSuccess(HttpResponse* res, std::string_view data_json,
                    const std::vector<std::string>& warnings = {});
// {"status":"error","errorType":<type>,"error":<message>} with the HTTP
// status Prometheus uses for `type`.
void RespondError(HttpResponse* res, std::string_view type, std::string_view message);
// The query API's error answer for `status` (server/http_status.h).
void RespondStatus(HttpResponse* res, const Status& status);

// The time parameter `name`, or `default_ms` if absent or empty. Errors:
// InvalidArgument `invalid parameter "start": cannot parse ...`.
[[nodiscard]] StatusOr<int64_t> TimeParam(const HttpParams& params, std::string_view name,
                                          int64_t default_ms);

struct TimeRange {
  int64_t start_ms;
  int64_t end_ms;
};

// The `start` and `end` parameters (defaults: the API's minimum and
// maximum time). Errors: InvalidArgument for a bad time or end < start.
[[nodiscard]] StatusOr<TimeRange> StartEnd(const HttpParams& params);

// Every `match[]` parameter as a series selector. Errors: InvalidArgument
// naming the selector's parse error.
[[nodiscard]] StatusOr<std::vector<std::vector<LabelMatcher>>> MatchParams(
    const HttpParams& params);

// Appends {"name":"value",...} for a label set.
void AppendLabelsJson(std::string* dst, const Labels& labels);
void AppendLabelsJson(std::string* dst, const index::Labels& labels);

// Whether `name` is a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*).
bool IsValidLabelName(std::string_view name);

}  // namespace strata::server::internal

#endif  // STRATA_SERVER_INTERNAL_API_UTIL_H_
