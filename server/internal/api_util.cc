#include "server/internal/api_util.h"

#include "base/json.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "query/parser.h"
#include "server/api_format.h"
#include "server/http_status.h"

namespace strata::server::internal {

void RespondSuccess(HttpResponse* res, std::string_view data_json,
                    const std::vector<std::string>& warnings) {
  res->status = 200;
  res->content_type = "application/json";
  res->body.clear();
  res->body.reserve(data_json.size() + 40);
  res->body.append("{\"status\":\"success\",\"data\":");
  res->body.append(data_json);
  if (!warnings.empty()) {
    res->body.append(",\"warnings\":[");
    for (size_t i = 0; i < warnings.size(); ++i) {
      if (i > 0) res->body.push_back(',');
      AppendJsonString(&res->body, warnings[i]);
    }
    res->body.push_back(']');
  }
  res->body.push_back('}');
}

void RespondError(HttpResponse* res, std::string_view type, std::string_view message) {
  int code = 500;
  if (type == "bad_data") {
    code = 400;
  } else if (type == "execution") {
    code = 422;
  } else if (type == "timeout" || type == "canceled" || type == "unavailable") {
    code = 503;
  } else if (type == "not_found") {
    code = 404;
  }
  res->status = code;
  res->content_type = "application/json";
  res->body = "{\"status\":\"error\",\"errorType\":";
  AppendJsonString(&res->body, type);
  res->body.append(",\"error\":");
  AppendJsonString(&res->body, message);
  res->body.push_back('}');
}

void RespondStatus(HttpResponse* res, const Status& status) {
  server::RespondStatus(EndpointFamily::kQueryApi, status, res);
}

StatusOr<TimeRange> StartEnd(const HttpParams& params) {
  TimeRange r;
  STRATA_ASSIGN_OR_RETURN(r.start_ms, TimeParam(params, "start", kApiMinTimeMs));
  STRATA_ASSIGN_OR_RETURN(r.end_ms, TimeParam(params, "end", kApiMaxTimeMs));
  if (r.end_ms < r.start_ms) {
    return absl::InvalidArgumentError("end timestamp must not be before start time");
  }
  return r;
}

StatusOr<std::vector<std::vector<LabelMatcher>>> MatchParams(const HttpParams& params) {
  std::vector<std::vector<LabelMatcher>> out;
  for (std::string_view m : params.GetAll("match[]")) {
    StatusOr<std::vector<LabelMatcher>> ms = query::ParseSeriesSelector(m);
    if (!ms.ok()) return ms.status();
    out.push_back(*std::move(ms));
  }
  return out;
}

StatusOr<int64_t> TimeParam(const HttpParams& params, std::string_view name, int64_t default_ms) {
  const std::string_view v = params.Get(name);
  if (v.empty()) return default_ms;
  StatusOr<int64_t> t = ParseApiTime(v);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        StrCat("invalid parameter \"", name, "\": ", FromAbsl(t.status().message())));
  }
  return *t;
}

void AppendLabelsJson(std::string* dst, const Labels& labels) {
  dst->push_back('{');
  bool first = true;
  for (const Label& l : labels) {
    if (!first) dst->push_back(',');
    first = false;
    AppendJsonString(dst, l.name);
    dst->push_back(':');
    AppendJsonString(dst, l.value);
  }
  dst->push_back('}');
}

void AppendLabelsJson(std::string* dst, const index::Labels& labels) {
  dst->push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) dst->push_back(',');
    first = false;
    AppendJsonString(dst, l.name);
    dst->push_back(':');
    AppendJsonString(dst, l.value);
  }
  dst->push_back('}');
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (digit && i > 0))) return false;
  }
  return true;
}

}  // namespace strata::server::internal
