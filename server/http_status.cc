#include "server/http_status.h"

#include "base/strings.h"
#include "server/internal/api_util.h"

namespace strata::server {
namespace {

using Code = absl::StatusCode;

// The query API's error type for a code (Prometheus' errorType values).
std::string_view QueryErrorType(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kOutOfRange:
      return "bad_data";
    case Code::kFailedPrecondition:
    case Code::kResourceExhausted:
    case Code::kUnimplemented:
      return "execution";
    case Code::kDeadlineExceeded:
      return "timeout";
    case Code::kCancelled:
      return "canceled";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kNotFound:
      return "not_found";
    default:
      return "internal";
  }
}

int QueryHttpStatus(std::string_view type) {
  if (type == "bad_data") return 400;
  if (type == "execution") return 422;
  if (type == "timeout" || type == "canceled" || type == "unavailable") return 503;
  if (type == "not_found") return 404;
  return 500;
}

// What remote write and remote read answer for each code; a code not
// listed is the server's trouble: 503 for remote write (a retry may get
// past it), 500 for remote read.
struct PlainTextRow {
  Code code;
  int remote_write;
  int remote_read;
};
constexpr PlainTextRow kPlainText[] = {
    {Code::kInvalidArgument, 400, 400},  // bad data
    {Code::kOutOfRange, 400, 400},         {Code::kAlreadyExists, 400, 500},
    {Code::kResourceExhausted, 413, 400},   // over a request limit; remote read's sample limit
    {Code::kFailedPrecondition, 503, 422},  // a closing DB; remote read's series cap
    {Code::kUnimplemented, 415, 415},       // an encoding or version Strata does not speak
    {Code::kPermissionDenied, 403, 403},   {Code::kUnauthenticated, 401, 401},
    {Code::kUnavailable, 503, 503},        {Code::kDeadlineExceeded, 503, 503},
    {Code::kCancelled, 503, 503},
};

int PlainTextHttpStatus(EndpointFamily family, Code code) {
  const bool write = family == EndpointFamily::kRemoteWrite;
  for (const PlainTextRow& row : kPlainText) {
    if (row.code == code) return write ? row.remote_write : row.remote_read;
  }
  return write ? 503 : 500;
}

}  // namespace

HttpError MapStatus(EndpointFamily family, const Status& status) {
  const Code code = status.code();
  switch (family) {
    case EndpointFamily::kRemoteWrite:
    case EndpointFamily::kRemoteRead:
      return {PlainTextHttpStatus(family, code), ""};
    case EndpointFamily::kQueryApi:
    case EndpointFamily::kAdmin: {
      const std::string_view type = QueryErrorType(code);
      return {QueryHttpStatus(type), type};
    }
    case EndpointFamily::kProbe:
      break;
  }
  return {code == Code::kUnavailable ? 503 : 500, ""};
}

void RespondText(HttpResponse* res, int status, std::string_view body) {
  res->status = status;
  res->content_type = "text/plain; charset=utf-8";
  res->body = StrCat(body, "\n");
}

void RespondStatus(EndpointFamily family, const Status& status, HttpResponse* res) {
  const HttpError e = MapStatus(family, status);
  if (!e.error_type.empty()) {
    internal::RespondError(res, e.error_type, FromAbsl(status.message()));
  } else {
    RespondText(res, e.status, FromAbsl(status.message()));
  }
  if (res->status == 503) res->headers.emplace_back("Retry-After", "1");
}

void RespondOverloaded(EndpointFamily family, std::string_view why, HttpResponse* res) {
  RespondStatus(family, absl::UnavailableError(ToAbsl(why)), res);
}

}  // namespace strata::server
