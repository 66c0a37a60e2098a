#include "server/response_stream.h"

#include <algorithm>

#include "base/strings.h"

namespace strata::server {

Status StringResponseStream::Begin(
    int status, std::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  if (began_) return absl::FailedPreconditionError("response stream: Begin called twice");
  began_ = true;
  status_ = status;
  content_type_ = std::string(content_type);
  headers_ = headers;
  return absl::OkStatus();
}

Status StringResponseStream::Write(std::string_view data) {
  if (!began_) return absl::FailedPreconditionError("response stream: Write before Begin");
  if (aborted_) return absl::CancelledError("response stream: Write after Abort");
  if (on_write) {
    Status st = on_write(writes_);
    if (!st.ok()) return st;
  }
  ++writes_;
  largest_write_ = std::max(largest_write_, data.size());
  body_.append(data);
  return absl::OkStatus();
}

void StringResponseStream::Abort(std::string_view reason) {
  if (!began_) return;
  aborted_ = true;
  abort_reason_ = std::string(reason);
}

}  // namespace strata::server
