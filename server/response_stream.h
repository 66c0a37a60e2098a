// ResponseStream: a response body written while it is produced (remote
// read's STREAMED_XOR_CHUNKS), so that memory stays bounded by one frame
// instead of the whole answer. The HTTP server implements it on the
// connection (chunked transfer encoding); tests use StringResponseStream.
//
// Thread-safety: one writer thread (the handler's).
#ifndef STRATA_SERVER_RESPONSE_STREAM_H_
#define STRATA_SERVER_RESPONSE_STREAM_H_

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::server {

class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Sends the status line and headers. REQUIRES: called once, before Write.
  [[nodiscard]] virtual Status Begin(
      int status, std::string_view content_type,
      const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  // Sends `data` as the next part of the body; returns once the bytes were
  // handed to the socket (so the caller may reuse its buffer). Errors:
  // Unavailable if the client went away or stopped reading (a write
  // timeout); the handler then stops.
  [[nodiscard]] virtual Status Write(std::string_view data) = 0;
};

// Records what a handler streamed. For tests and in-process callers.
class StringResponseStream final : public ResponseStream {
 public:
  Status Begin(int status, std::string_view content_type,
               const std::vector<std::pair<std::string, std::string>>& headers) override {
    status_ = status;
    content_type_ = std::string(content_type);
    headers_ = headers;
    begun_ = true;
    return absl::OkStatus();
  }
  Status Write(std::string_view data) override {
    body_.append(data);
    largest_write_ = std::max(largest_write_, data.size());
    ++writes_;
    return absl::OkStatus();
  }

  bool begun() const { return begun_; }
  int status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  const std::string& body() const { return body_; }
  size_t largest_write() const { return largest_write_; }
  size_t writes() const { return writes_; }

 private:
  bool begun_ = false;
  int status_ = 0;
  std::string content_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
  size_t largest_write_ = 0;
  size_t writes_ = 0;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_RESPONSE_STREAM_H_
