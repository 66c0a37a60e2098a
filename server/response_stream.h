// ResponseStream: an HTTP response body written while it is produced, for
// answers too large to hold in memory whole (remote read's
// STREAMED_XOR_CHUNKS, DESIGN.md §6), so that memory stays bounded by one
// frame however much data a request selects. The HTTP server implements it
// on the connection (chunked transfer encoding); StringResponseStream keeps
// everything in memory for tests.
//
// Contract with the HTTP server: a handler given a stream either answers
// through HttpResponse as usual (it never called Begin: errors found
// before the first byte, small answers) or calls Begin and then writes the
// whole body through the stream, and the HttpResponse is ignored. A body
// that fails half-way (the deadline passed after some frames went out) is
// ended with Abort, so the client cannot take a truncated answer for a
// complete one: on a socket that means closing the connection without the
// final zero-length chunk.
//
// Thread-safety: one writer thread (the handler's).
#ifndef STRATA_SERVER_RESPONSE_STREAM_H_
#define STRATA_SERVER_RESPONSE_STREAM_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::server {

class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Sends the status line and headers (besides Content-Type). REQUIRES:
  // called once, before Write. Errors: as Write.
  [[nodiscard]] virtual Status Begin(
      int status, std::string_view content_type,
      const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  // Sends `data` as the next part of the body; returns once the bytes were
  // handed to the socket (so the caller may reuse its buffer). Errors:
  // Unavailable or Cancelled if the client went away or stopped reading (a
  // write timeout); the handler then stops. REQUIRES: Begin returned OK.
  [[nodiscard]] virtual Status Write(std::string_view data) = 0;
  // Ends a begun body as failed: the client must see an error (a reset
  // connection), not a short body. `reason` is for the server's log. Later
  // Writes fail. No-op before Begin.
  virtual void Abort(std::string_view reason) = 0;
};

// A ResponseStream into memory, for tests: records the status, headers and
// body, how the body was cut into Writes, and an Abort. Hooks let a test
// block a Write (to hold a request in flight) or fail Writes (a client
// that went away). Thread-safety: one writer; read after the handler
// returned.
class StringResponseStream final : public ResponseStream {
 public:
  [[nodiscard]] Status Begin(
      int status, std::string_view content_type,
      const std::vector<std::pair<std::string, std::string>>& headers) override;
  [[nodiscard]] Status Write(std::string_view data) override;
  void Abort(std::string_view reason) override;

  // Called at the start of every Write with the number of earlier Writes.
  // A non-OK result fails that Write with it (nothing is recorded).
  std::function<Status(size_t writes_before)> on_write;

  bool began() const { return began_; }
  int status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  const std::string& body() const { return body_; }
  size_t writes() const { return writes_; }
  size_t largest_write() const { return largest_write_; }
  bool aborted() const { return aborted_; }
  const std::string& abort_reason() const { return abort_reason_; }

 private:
  bool began_ = false;
  int status_ = 0;
  std::string content_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
  size_t writes_ = 0;
  size_t largest_write_ = 0;
  bool aborted_ = false;
  std::string abort_reason_;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_RESPONSE_STREAM_H_
