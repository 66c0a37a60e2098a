#include "server/api.h"

#include <chrono>
#include <ctime>
#include <thread>

#include "base/json.h"
#include "base/strings.h"
#include "query/literals.h"
#include "server/api_format.h"
#include "server/internal/api_util.h"

namespace strata::server {

using internal::RespondError;
using internal::RespondSuccess;

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc3339(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return StrCat(buf, ".", ms % 1000 / 100, (ms % 100) / 10, ms % 10, "Z");
}

void PlainText(HttpResponse* res, int status, std::string_view body) {
  res->status = status;
  res->content_type = "text/plain; charset=utf-8";
  res->body = std::string(body);
}

}  // namespace

std::span<const Route<Api::Handler>> Api::Routes() {
  using F = EndpointFamily;
  // clang-format off
  static constexpr Route<Handler> kRoutes[] = {
    // Probes and self-monitoring: on the I/O threads, never queued.
    {kGet | kHead, "/-/healthy", &Api::Healthy, Pool::kInline, Role::kPublic, F::kProbe},
    {kGet | kHead, "/-/ready", &Api::Ready, Pool::kInline, Role::kPublic, F::kProbe},
    {kGet, "/metrics", &Api::MetricsPage, Pool::kInline, Role::kPublic, F::kProbe},
    {kGet, "/", &Api::Index, Pool::kInline, Role::kPublic, F::kProbe},
    // Ingest.
    {kPost | kPut, "/api/v1/write", &Api::RemoteWrite, Pool::kIngest, Role::kWrite, F::kRemoteWrite},
    // Reads: the query pool.
    {kPost, "/api/v1/read", &Api::RemoteRead, Pool::kQuery, Role::kRead, F::kRemoteRead, true},
    {kGet | kPost, "/api/v1/query", &Api::Query, Pool::kQuery, Role::kRead, F::kQueryApi},
    {kGet | kPost, "/api/v1/query_range", &Api::QueryRange, Pool::kQuery, Role::kRead, F::kQueryApi},
    {kGet | kPost, "/api/v1/query_exemplars", &Api::QueryExemplars, Pool::kQuery, Role::kRead, F::kQueryApi},
    {kGet | kPost, "/api/v1/series", &Api::Series, Pool::kQuery, Role::kRead, F::kQueryApi},
    {kGet | kPost, "/api/v1/labels", &Api::Labels, Pool::kQuery, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/label/:name/values", &Api::LabelValues, Pool::kQuery, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/status/tsdb", &Api::TsdbStatus, Pool::kQuery, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/metadata", &Api::Metadata, Pool::kQuery, Role::kRead, F::kQueryApi},
    // Small answers from memory: inline.
    {kGet, "/api/v1/status/buildinfo", &Api::BuildInfo, Pool::kInline, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/status/flags", &Api::Flags, Pool::kInline, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/status/runtimeinfo", &Api::RuntimeInfo, Pool::kInline, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/status/config", &Api::StatusConfig, Pool::kInline, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/rules", &Api::Rules, Pool::kInline, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/alerts", &Api::Alerts, Pool::kInline, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/targets", &Api::Targets, Pool::kInline, Role::kRead, F::kQueryApi},
    {kGet, "/api/v1/alertmanagers", &Api::Alertmanagers, Pool::kInline, Role::kRead, F::kQueryApi},
    // Administration (--web.enable-admin-api): long-running, on the query pool.
    {kPost | kPut, "/api/v1/admin/tsdb/delete_series", &Api::DeleteSeries, Pool::kQuery, Role::kAdmin, F::kAdmin},
    {kPost | kPut, "/api/v1/admin/tsdb/snapshot", &Api::Snapshot, Pool::kQuery, Role::kAdmin, F::kAdmin},
    {kPost | kPut, "/api/v1/admin/tsdb/clean_tombstones", &Api::CleanTombstones, Pool::kQuery, Role::kAdmin, F::kAdmin},
  };
  // clang-format on
  return kRoutes;
}

Api::Api(const ApiOptions& options, std::unique_ptr<QueryEvaluator> evaluator,
         ServerMetrics& metrics)
    : options_(options),
      evaluator_(std::move(evaluator)),
      metrics_(metrics),
      start_time_ms_(options.now_ms != nullptr ? options.now_ms() : SystemNowMs()),
      router_(Routes()) {}

int64_t Api::NowMs() const {
  return options_.now_ms != nullptr ? options_.now_ms() : SystemNowMs();
}

Pool Api::PoolFor(const HttpRequest& req) {
  const RouteMatch<Handler> m = router_.Match(req.method, req.path);
  return m.route != nullptr ? m.route->pool : Pool::kInline;
}

void Api::Overloaded(const HttpRequest& req, std::string_view why, HttpResponse* res) {
  const RouteMatch<Handler> m = router_.Match(req.method, req.path);
  const EndpointFamily family = m.route != nullptr ? m.route->family : EndpointFamily::kProbe;
  RespondOverloaded(family, why, res);
  metrics_.ObserveRequest(m.route != nullptr ? m.route->pattern : "other", res->status, 0);
  metrics_.AddShed(m.route != nullptr ? m.route->pattern : "other");
}

void Api::Handle(const HttpRequest& req, ResponseStream* stream, HttpResponse* res) {
  const auto start = std::chrono::steady_clock::now();
  const RouteMatch<Handler> m = router_.Match(req.method, req.path);
  const std::string_view handler = m.route != nullptr ? m.route->pattern : "other";
  if (m.route == nullptr) {
    if (m.status == 405) {
      RespondText(res, 405, "Method Not Allowed");
      res->headers.emplace_back("Allow", m.allow);
    } else {
      RespondText(res, 404, "404 page not found");
    }
  } else {
    const Route<Handler>& r = *m.route;
    Call c{req, HttpParams(), db_.load(std::memory_order_acquire), res, stream, m.param};
    Status st;
    if (r.family != EndpointFamily::kProbe) {
      // Go's ParseForm puts a POST form's values before the URL's.
      if (req.method == "POST" &&
          req.Header("content-type").starts_with("application/x-www-form-urlencoded")) {
        st = c.params.AddUrlEncoded(req.body);
      }
      if (st.ok()) st = c.params.AddUrlEncoded(req.query);
      if (!st.ok()) {
        st = absl::InvalidArgumentError(StrCat("invalid form: ", FromAbsl(st.message())));
      } else if (c.db == nullptr) {
        st = absl::UnavailableError("Strata is starting: the database is not open yet");
      } else if (r.role == Role::kAdmin && !options_.enable_admin_api) {
        st = absl::UnavailableError("admin APIs disabled");
      }
    }
    if (st.ok()) {
      (this->*r.handler)(c);
    } else {
      RespondStatus(r.family, st, res);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.ObserveRequest(handler, res->status, seconds);
}

void Api::Healthy(Call& c) { PlainText(c.res, 200, "Strata is Healthy.\n"); }

void Api::Ready(Call& c) {
  if (c.db == nullptr) return PlainText(c.res, 503, "Service Unavailable\n");
  PlainText(c.res, 200, "Strata is Ready.\n");
}

void Api::MetricsPage(Call& c) {
  DBStats stats;
  if (c.db != nullptr) stats = c.db->Stats();
  c.res->status = 200;
  c.res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  c.res->body = ServerMetrics::RenderText(metrics_.Collect(c.db != nullptr ? &stats : nullptr));
}

void Api::Index(Call& c) {
  PlainText(c.res, 200,
            "Strata: a Prometheus-compatible time-series database.\n"
            "Remote write: /api/v1/write   Remote read: /api/v1/read\n"
            "Query API: /api/v1/query, /api/v1/query_range, /api/v1/series, /api/v1/labels\n"
            "Self-monitoring: /metrics   Probes: /-/healthy, /-/ready\n");
}

void Api::StatusConfig(Call& c) { RespondSuccess(c.res, "{\"yaml\":\"\"}"); }
void Api::Rules(Call& c) { RespondSuccess(c.res, "{\"groups\":[]}"); }
void Api::Alerts(Call& c) { RespondSuccess(c.res, "{\"alerts\":[]}"); }
void Api::Targets(Call& c) {
  RespondSuccess(c.res, "{\"activeTargets\":[],\"droppedTargets\":[]}");
}
void Api::Alertmanagers(Call& c) {
  RespondSuccess(c.res, "{\"activeAlertmanagers\":[],\"droppedAlertmanagers\":[]}");
}

void Api::BuildInfo(Call& c) {
  // Grafana reads `version` to pick its API paths (label values with
  // match[] from 2.24 on), so Strata reports the Prometheus release whose
  // API it implements and its own version apart.
  std::string data = "{\"version\":\"2.42.0\",\"revision\":\"strata-" STRATA_SERVER_VERSION
                     "\",\"branch\":\"strata\",\"buildUser\":\"strata\",\"buildDate\":\"\","
                     "\"goVersion\":\"\",\"strataVersion\":\"" STRATA_SERVER_VERSION "\"}";
  RespondSuccess(c.res, data);
}

void Api::Flags(Call& c) {
  std::string data = "{";
  bool first = true;
  for (const auto& [k, v] : options_.flags) {
    if (!first) data.push_back(',');
    first = false;
    AppendJsonString(&data, k);
    data.push_back(':');
    AppendJsonString(&data, v);
  }
  data.push_back('}');
  RespondSuccess(c.res, data);
}

void Api::RuntimeInfo(Call& c) {
  std::string retention;
  if (options_.retention_ms > 0) retention = query::FormatDuration(options_.retention_ms);
  if (options_.retention_bytes > 0) {
    StrAppend(&retention, retention.empty() ? "" : " or ", options_.retention_bytes, "B");
  }
  char cwd[4096];
  const char* dir = getcwd(cwd, sizeof(cwd));
  std::string data = "{\"startTime\":";
  AppendJsonString(&data, FormatRfc3339(start_time_ms_));
  data.append(",\"CWD\":");
  AppendJsonString(&data, dir != nullptr ? dir : "");
  data.append(
      ",\"reloadConfigSuccess\":true,\"lastConfigTime\":\"0001-01-01T00:00:00Z\","
      "\"corruptionCount\":0,\"goroutineCount\":0,\"GOMAXPROCS\":");
  StrAppend(&data, std::thread::hardware_concurrency(),
            ",\"GOGC\":\"\",\"GODEBUG\":\"\",\"storageRetention\":");
  AppendJsonString(&data, retention.empty() ? "forever" : retention);
  data.push_back('}');
  RespondSuccess(c.res, data);
}

void Api::StoreMetadata(const WriteRequestView& view) { metadata_.Store(view); }

void Api::Metadata(Call& c) {
  int64_t limit = -1, limit_per_metric = -1;
  for (auto [name, target] :
       {std::pair{"limit", &limit}, {"limit_per_metric", &limit_per_metric}}) {
    const std::string_view v = c.params.Get(name);
    if (v.empty()) continue;
    if (!absl::SimpleAtoi(ToAbsl(v), target)) {
      RespondError(c.res, "bad_data", StrCat("invalid parameter \"", name, "\": not a number"));
      return;
    }
  }
  std::string data;
  metadata_.AppendJson(c.params.Get("metric"), limit, limit_per_metric, &data);
  RespondSuccess(c.res, data);
}

}  // namespace strata::server
