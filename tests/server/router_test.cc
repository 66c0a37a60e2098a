// The route table and the Status -> HTTP mapping (issue #17).
#include "server/router.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "server/api.h"
#include "server/http_status.h"

namespace strata::server {
namespace {

using Code = absl::StatusCode;

struct TestHandler {
  int id;
};

constexpr Route<TestHandler> kTestRoutes[] = {
    {kGet | kHead, "/-/healthy", {1}, Pool::kInline, Role::kPublic, EndpointFamily::kProbe},
    {kGet | kPost, "/api/v1/query", {2}, Pool::kQuery, Role::kRead, EndpointFamily::kQueryApi},
    {kGet, "/api/v1/label/:name/values", {3}, Pool::kQuery, Role::kRead, EndpointFamily::kQueryApi},
    {kPost, "/api/v1/write", {4}, Pool::kIngest, Role::kWrite, EndpointFamily::kRemoteWrite},
};

TEST(RouterTest, MatchesMethodAndPath) {
  const Router<TestHandler> router(kTestRoutes);
  auto m = router.Match("POST", "/api/v1/query");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler.id, 2);
  m = router.Match("HEAD", "/-/healthy");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler.id, 1);
}

TEST(RouterTest, AParameterTakesOneNonEmptySegment) {
  const Router<TestHandler> router(kTestRoutes);
  auto m = router.Match("GET", "/api/v1/label/job/values");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.param, "job");
  EXPECT_EQ(router.Match("GET", "/api/v1/label//values").status, 404);
  EXPECT_EQ(router.Match("GET", "/api/v1/label/a/b/values").status, 404);
  EXPECT_EQ(router.Match("GET", "/api/v1/label/job/values/").status, 404);
}

TEST(RouterTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  const Router<TestHandler> router(kTestRoutes);
  EXPECT_EQ(router.Match("GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(router.Match("GET", "/api/v1/query/").status, 404);
  EXPECT_EQ(router.Match("BREW", "/api/v1/nothing").status, 404);
  auto m = router.Match("GET", "/api/v1/write");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "POST");
  m = router.Match("DELETE", "/api/v1/query");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, POST");
}

// Every route of the server is reachable, names a pool, and keeps the
// probes off the queues; paths are unique.
TEST(RouterTest, EveryServerRouteDeclaresItsPoolRoleAndFamily) {
  std::set<std::string_view> patterns;
  for (const auto& r : Api::Routes()) {
    EXPECT_TRUE(patterns.insert(r.pattern).second) << r.pattern;
    EXPECT_NE(r.methods, 0u) << r.pattern;
    EXPECT_NE(r.handler, nullptr) << r.pattern;
    if (r.family == EndpointFamily::kProbe) {
      EXPECT_EQ(r.pool, Pool::kInline) << r.pattern;
    }
    if (r.family == EndpointFamily::kRemoteWrite) {
      EXPECT_EQ(r.pool, Pool::kIngest) << r.pattern;
      EXPECT_EQ(r.role, Role::kWrite) << r.pattern;
    }
    if (r.family == EndpointFamily::kAdmin) {
      EXPECT_EQ(r.role, Role::kAdmin) << r.pattern;
    }
  }
  for (std::string_view p : {"/-/healthy", "/-/ready", "/metrics", "/api/v1/write", "/api/v1/read",
                             "/api/v1/query", "/api/v1/query_range", "/api/v1/series"}) {
    EXPECT_TRUE(patterns.contains(p)) << p;
  }
}

struct MappingCase {
  Code code;
  int remote_write, remote_read, query;
  std::string_view query_type;
};

// One row per code: what each family answers (server/http_status.h).
constexpr MappingCase kMapping[] = {
    {Code::kInvalidArgument, 400, 400, 400, "bad_data"},
    {Code::kOutOfRange, 400, 400, 400, "bad_data"},
    {Code::kResourceExhausted, 413, 400, 422, "execution"},
    {Code::kFailedPrecondition, 503, 422, 422, "execution"},
    {Code::kUnimplemented, 415, 415, 422, "execution"},
    {Code::kUnavailable, 503, 503, 503, "unavailable"},
    {Code::kDeadlineExceeded, 503, 503, 503, "timeout"},
    {Code::kCancelled, 503, 503, 503, "canceled"},
    {Code::kNotFound, 503, 500, 404, "not_found"},
    {Code::kDataLoss, 503, 500, 500, "internal"},
    {Code::kInternal, 503, 500, 500, "internal"},
    {Code::kPermissionDenied, 403, 403, 500, "internal"},
};

TEST(HttpStatusTest, EachFamilyMapsEachCode) {
  for (const MappingCase& c : kMapping) {
    const Status st(c.code, "x");
    SCOPED_TRACE(absl::StatusCodeToString(c.code));
    EXPECT_EQ(MapStatus(EndpointFamily::kRemoteWrite, st).status, c.remote_write);
    EXPECT_EQ(MapStatus(EndpointFamily::kRemoteRead, st).status, c.remote_read);
    const HttpError q = MapStatus(EndpointFamily::kQueryApi, st);
    EXPECT_EQ(q.status, c.query);
    EXPECT_EQ(q.error_type, c.query_type);
    const HttpError a = MapStatus(EndpointFamily::kAdmin, st);
    EXPECT_EQ(a.status, c.query);
  }
}

TEST(HttpStatusTest, ResponsesHaveTheFamilysShapeAnd503sRetryAfter) {
  HttpResponse res;
  RespondStatus(EndpointFamily::kQueryApi, absl::DeadlineExceededError("too slow"), &res);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_EQ(res.body, R"({"status":"error","errorType":"timeout","error":"too slow"})");
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].first, "Retry-After");

  res = HttpResponse();
  RespondStatus(EndpointFamily::kRemoteWrite, absl::InvalidArgumentError("bad sample"), &res);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(res.body, "bad sample\n");
  EXPECT_TRUE(res.headers.empty());

  res = HttpResponse();
  RespondOverloaded(EndpointFamily::kRemoteWrite, "busy; retry later", &res);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.body, "busy; retry later\n");
}

}  // namespace
}  // namespace strata::server
