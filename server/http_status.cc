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

int RemoteWriteHttpStatus(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kOutOfRange:
    case Code::kAlreadyExists:
      return 400;
    case Code::kResourceExhausted:
      return 413;
    case Code::kUnimplemented:
      return 415;
    case Code::kPermissionDenied:
      return 403;
    case Code::kUnauthenticated:
      return 401;
    default:
      // Unavailable, FailedPrecondition (closing), DeadlineExceeded,
      // Cancelled, Aborted, Internal, DataLoss: the server's trouble,
      // which a retry may get past.
      return 503;
  }
}

int RemoteReadHttpStatus(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kOutOfRange:
    case Code::kResourceExhausted:
      return 400;
    case Code::kFailedPrecondition:
      return 422;
    case Code::kUnimplemented:
      return 415;
    case Code::kPermissionDenied:
      return 403;
    case Code::kUnauthenticated:
      return 401;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kCancelled:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

HttpError MapStatus(EndpointFamily family, const Status& status) {
  const Code code = status.code();
  switch (family) {
    case EndpointFamily::kRemoteWrite:
      return {RemoteWriteHttpStatus(code), ""};
    case EndpointFamily::kRemoteRead:
      return {RemoteReadHttpStatus(code), ""};
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
