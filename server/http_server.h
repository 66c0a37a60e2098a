// HttpServer: a small HTTP/1.1 server on Boost.Beast and Asio for the
// Prometheus APIs (DESIGN.md §6). Connections are asynchronous sessions on
// one io_context run by a few threads, so hundreds of keep-alive clients
// cost no thread each. A request is read whole (headers and body, with a
// size and a time limit) and handed to one HttpHandler, which runs on an
// io thread and may block briefly (a DB append, a query).
//
// Limits: a body over `max_body_bytes` is answered 413 and the connection
// closed; a request not read within `read_timeout` is dropped; an idle
// keep-alive connection is closed after `idle_timeout`.
//
// Shutdown() stops accepting, closes idle connections, lets requests in
// flight finish (up to a grace period) and joins the threads.
//
// Nothing here throws: Asio is called with error_code overloads and every
// remaining throw (allocation, a throwing handler) is caught at the session
// boundary and turned into a 500 or a closed connection.
//
// Thread-safety: Start and Shutdown from one controlling thread; the
// handler is called concurrently from the io threads.
#ifndef STRATA_SERVER_HTTP_SERVER_H_
#define STRATA_SERVER_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "strata/status.h"

namespace strata::server {

// One request, read whole. Intentionally copyable.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, not percent-decoded
  std::string query;   // after '?', raw
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote;  // "ip:port" of the client

  // The first header named `name` (lower-case), or "".
  std::string_view Header(std::string_view name) const;
};

// The answer. Intentionally copyable.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse*)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 9201;  // 0 picks a free port; see HttpServer::port()
  int threads = 2;
  uint64_t max_body_bytes = 32 << 20;
  // Load shedding: a request whose declared body would take the bodies
  // being read and handled past this many bytes is answered 503 with
  // Retry-After (Prometheus' remote write retries 503) unless it is the
  // only one; this bounds the memory that many senders can pin at once.
  uint64_t max_inflight_body_bytes = 256 << 20;
  uint32_t max_header_bytes = 64 << 10;
  absl::Duration read_timeout = absl::Seconds(60);
  absl::Duration idle_timeout = absl::Minutes(5);
};

class HttpServer {
 public:
  HttpServer(const HttpServerOptions& options, HttpHandler handler);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Shuts down with no grace if Shutdown() was not called.
  ~HttpServer();

  // Binds, listens and starts the io threads. Errors: InvalidArgument for
  // a bad address, Unavailable if the port cannot be bound.
  [[nodiscard]] Status Start();
  // The bound port (useful after binding port 0). REQUIRES: Start() OK.
  int port() const;
  // Stops accepting, closes idle connections, waits up to `grace` for
  // requests in flight, then stops the threads. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_HTTP_SERVER_H_
