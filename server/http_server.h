// HttpServer: the HTTP/1.1 server of `strata serve` on Boost.Beast and
// Asio (DESIGN.md §6). Connections are asynchronous sessions on one
// io_context run by a few I/O threads, so hundreds of keep-alive clients
// cost no thread each. The I/O threads only read and write: a request,
// once read whole, runs on the worker pool its HttpService names (ingest
// or query, server/work_pool.h), and only the cheap ones (probes,
// /metrics) run inline, so that nothing slow can hold back the probes or
// stop writes behind queries (DESIGN.md §4).
//
// What no client can do (issue #16):
//   - hold memory it has not sent: a body counts against the shared
//     InflightBudget as its bytes arrive (chunked bodies too), never by its
//     declared length; past the budget the request is answered 503;
//   - stall: a body that sends less than `min_body_bytes_per_window` in any
//     `body_window` loses its connection and its reservation; headers must
//     arrive within `read_timeout`; an idle keep-alive connection is closed
//     after `idle_timeout`;
//   - take every connection: at `max_connections` the server stops
//     accepting until one closes (as Prometheus' LimitListener), so the
//     kernel's backlog holds the rest;
//   - queue without bound: a pool's queue waits at most its max wait, then
//     the request gets the service's overload answer (503, Retry-After).
// A body over `max_body_bytes` is answered 413 and the connection closed.
//
// Shutdown() stops accepting, closes idle connections, lets requests in
// flight finish (up to a grace period), stops the pools and joins the
// threads.
//
// Nothing here throws: Asio is called with error_code overloads and every
// remaining throw (allocation, a throwing handler) is caught at the session
// or pool boundary and turned into a 500 or a closed connection.
//
// Thread-safety: Start and Shutdown from one controlling thread; the
// service is called concurrently from the I/O and pool threads.
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
#include "server/inflight_budget.h"
#include "server/response_stream.h"
#include "server/work_pool.h"
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

// Where a request's handler runs.
enum class Pool { kInline, kIngest, kQuery };

// What the server serves. Thread-safe: called from many threads at once.
class HttpService {
 public:
  virtual ~HttpService() = default;
  // The pool that answers `req` (read whole). Called on an I/O thread:
  // must be cheap.
  virtual Pool PoolFor(const HttpRequest& req) = 0;
  // Answers `req` into `res`, or through `stream` (once it called
  // stream->Begin, `res` is ignored; response_stream.h). `stream` is never
  // null and stays usable until Handle returns.
  virtual void Handle(const HttpRequest& req, ResponseStream* stream, HttpResponse* res) = 0;
  // The answer when the server sheds `req` (a pool's queue wait ran out,
  // the in-flight budget is spent): a 503 with Retry-After in the shape
  // the endpoint's clients expect. `why` says which limit.
  virtual void Overloaded(const HttpRequest& req, std::string_view why, HttpResponse* res) = 0;
};

struct HttpPoolOptions {
  int threads = 2;
  absl::Duration max_queue_wait = absl::Seconds(10);
};

// What the server did, for /metrics. Counters since Start.
struct HttpServerStats {
  uint64_t connections_open = 0;
  uint64_t connections_accepted = 0;
  uint64_t connection_limit_waits = 0;  // accepting paused at max_connections
  uint64_t closed_stalled_body = 0;     // the body-rate rule
  uint64_t closed_read_timeout = 0;     // headers not read in time, idle keep-alive
  uint64_t refused_body_too_large = 0;  // 413
  uint64_t refused_inflight_bytes = 0;  // 503, budget spent
  uint64_t inflight_bytes = 0;
  struct PoolStats {
    std::string name;
    int threads = 0;
    WorkPoolStats work;
  };
  std::vector<PoolStats> pools;
};

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 9201;  // 0 picks a free port; see HttpServer::port()
  int threads = 2;  // I/O threads
  uint64_t max_body_bytes = 32 << 20;
  // Load shedding (see InflightBudget): the bytes of bodies being read and
  // handled, plus what handlers reserve for decoding. Used when `budget`
  // is null; otherwise the shared budget's own limit applies.
  uint64_t max_inflight_body_bytes = 256 << 20;
  InflightBudget* budget = nullptr;  // shared with the handlers; must outlive the server
  uint32_t max_header_bytes = 64 << 10;
  int max_connections = 512;  // as Prometheus' --web.max-connections
  absl::Duration read_timeout = absl::Seconds(60);
  absl::Duration idle_timeout = absl::Minutes(5);
  // A body must bring at least this many bytes in every window.
  uint64_t min_body_bytes_per_window = 64 << 10;
  absl::Duration body_window = absl::Seconds(10);
  // How long a streamed write may wait for the client to read.
  absl::Duration write_timeout = absl::Seconds(60);
  HttpPoolOptions ingest_pool;
  HttpPoolOptions query_pool{.threads = 20, .max_queue_wait = absl::Seconds(30)};
};

// Parses `bytes` as one request the way a connection reads it (the same
// parser, limits and conversion), for the fuzzer and tests. Errors:
// InvalidArgument for a malformed or incomplete request, ResourceExhausted
// past the header or body limit.
[[nodiscard]] StatusOr<HttpRequest> ParseHttpRequest(std::string_view bytes,
                                                     const HttpServerOptions& options);

class HttpServer {
 public:
  // `service` must outlive the server.
  HttpServer(const HttpServerOptions& options, HttpService& service);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Shuts down with no grace if Shutdown() was not called.
  ~HttpServer();

  // Binds, listens and starts the io threads. Errors: InvalidArgument for
  // a bad address, Unavailable if the port cannot be bound.
  [[nodiscard]] Status Start();
  // The bound port (useful after binding port 0). REQUIRES: Start() OK.
  int port() const;
  HttpServerStats Stats() const;
  // Stops accepting, closes idle connections, waits up to `grace` for
  // requests in flight, then stops the pools (waiting for the handlers
  // that run) and the threads. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_HTTP_SERVER_H_
