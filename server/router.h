// The route table of `strata serve`: each endpoint is one Route entry —
// method(s), path pattern, handler, the worker pool it runs on, the role it
// will need once authentication exists (#27), its family for the Status →
// HTTP mapping (server/http_status.h), and whether it streams its answer.
// A new endpoint is one entry; nothing else dispatches requests.
//
// Patterns are literal paths whose segments may be `:name` (one segment,
// not percent-decoded), as Prometheus' router (httprouter) writes them:
// "/api/v1/label/:name/values". Matching follows httprouter: a path no
// pattern matches is 404, a path some pattern matches under other methods
// only is 405 with an Allow header.
//
// Thread-safety: immutable after construction.
#ifndef STRATA_SERVER_ROUTER_H_
#define STRATA_SERVER_ROUTER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_status.h"

namespace strata::server {

// What a caller must be allowed to do (DESIGN.md §6; enforced by #27).
enum class Role { kPublic, kRead, kWrite, kAdmin };

enum Method : uint32_t {
  kGet = 1 << 0,
  kHead = 1 << 1,
  kPost = 1 << 2,
  kPut = 1 << 3,
  kDelete = 1 << 4,
  kOptions = 1 << 5,
};

// The Method bit of an HTTP method name; 0 for one Strata never serves.
uint32_t MethodBit(std::string_view method);

template <typename Handler>
struct Route {
  uint32_t methods;
  std::string_view pattern;
  Handler handler;
  Pool pool;  // server/http_server.h; probes and /metrics run inline, never queued
  Role role;
  EndpointFamily family;
  bool streams = false;
};

template <typename Handler>
struct RouteMatch {
  const Route<Handler>* route = nullptr;  // null: see status
  int status = 404;                       // 404 or 405 when route is null
  std::string allow;                      // for 405: "GET, POST"
  std::string_view param;                 // the `:name` segment, if any
};

namespace internal {
// Whether `path` matches `pattern`; sets `*param` to the `:name` segment.
bool MatchPattern(std::string_view pattern, std::string_view path, std::string_view* param);
std::string AllowHeader(uint32_t methods);
}  // namespace internal

template <typename Handler>
class Router {
 public:
  explicit Router(std::span<const Route<Handler>> routes) : routes_(routes) {}

  // The route for `method` and `path` (without the query string).
  RouteMatch<Handler> Match(std::string_view method, std::string_view path) const {
    RouteMatch<Handler> m;
    const uint32_t bit = MethodBit(method);
    uint32_t allowed = 0;
    for (const Route<Handler>& r : routes_) {
      std::string_view param;
      if (!internal::MatchPattern(r.pattern, path, &param)) continue;
      if ((r.methods & bit) != 0) {
        m.route = &r;
        m.status = 200;
        m.param = param;
        return m;
      }
      allowed |= r.methods;
    }
    if (allowed != 0) {
      m.status = 405;
      m.allow = internal::AllowHeader(allowed);
    }
    return m;
  }

  std::span<const Route<Handler>> routes() const { return routes_; }

 private:
  std::span<const Route<Handler>> routes_;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_ROUTER_H_
