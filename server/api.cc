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
using internal::RespondStatus;
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

Api::Api(const ApiOptions& options, std::unique_ptr<QueryEvaluator> evaluator,
         ServerMetrics& metrics)
    : options_(options),
      evaluator_(std::move(evaluator)),
      metrics_(metrics),
      start_time_ms_(options.now_ms != nullptr ? options.now_ms() : SystemNowMs()) {}

int64_t Api::NowMs() const {
  return options_.now_ms != nullptr ? options_.now_ms() : SystemNowMs();
}

void Api::Handle(const HttpRequest& req, HttpResponse* res) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view handler = Route(req, res);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.ObserveRequest(handler, res->status, seconds);
}

std::string_view Api::Route(const HttpRequest& req, HttpResponse* res) {
  const std::string_view path = req.path;
  DB* db = db_.load(std::memory_order_acquire);
  if (path == "/-/healthy") {
    PlainText(res, 200, "Strata is Healthy.\n");
    return "/-/healthy";
  }
  if (path == "/-/ready") {
    if (db == nullptr) {
      PlainText(res, 503, "Service Unavailable\n");
    } else {
      PlainText(res, 200, "Strata is Ready.\n");
    }
    return "/-/ready";
  }
  if (path == "/metrics") {
    DBStats stats;
    if (db != nullptr) stats = db->Stats();
    res->status = 200;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    res->body = ServerMetrics::RenderText(metrics_.Collect(db != nullptr ? &stats : nullptr));
    return "/metrics";
  }
  if (path == "/") {
    PlainText(res, 200,
              "Strata: a Prometheus-compatible time-series database.\n"
              "Remote write: /api/v1/write   Remote read: /api/v1/read\n"
              "Query API: /api/v1/query, /api/v1/query_range, /api/v1/series, /api/v1/labels\n"
              "Self-monitoring: /metrics   Probes: /-/healthy, /-/ready\n");
    return "/";
  }
  if (path.substr(0, 8) != "/api/v1/") {
    PlainText(res, 404, "404 page not found\n");
    return "other";
  }
  Call c{req, HttpParams(), db, res};
  Status st;
  // Go's ParseForm puts a POST form's values before the URL's.
  if (req.method == "POST" &&
      req.Header("content-type").starts_with("application/x-www-form-urlencoded")) {
    st = c.params.AddUrlEncoded(req.body);
  }
  if (st.ok()) st = c.params.AddUrlEncoded(req.query);
  if (!st.ok()) {
    RespondError(res, "bad_data", StrCat("invalid form: ", FromAbsl(st.message())));
    return "/api/v1/other";
  }
  if (db == nullptr) {
    RespondError(res, "unavailable", "Strata is starting: the database is not open yet");
    return "/api/v1/other";
  }
  return RouteApi(path.substr(7), c);
}

std::string_view Api::RouteApi(std::string_view path, Call& c) {
  const std::string& m = c.req.method;
  const bool get_or_post = m == "GET" || m == "POST";
  auto wrong_method = [&]() -> std::string_view {
    PlainText(c.res, 405, "Method Not Allowed\n");
    return "/api/v1/other";
  };
  auto empty_ok = [&](std::string_view data) { RespondSuccess(c.res, data); };
  if (path == "/write") {
    if (m != "POST" && m != "PUT") return wrong_method();
    RemoteWrite(c);
    return "/api/v1/write";
  }
  if (path == "/read") {
    if (m != "POST") return wrong_method();
    RemoteRead(c);
    return "/api/v1/read";
  }
  if (path == "/query") {
    if (!get_or_post) return wrong_method();
    Query(c);
    return "/api/v1/query";
  }
  if (path == "/query_range") {
    if (!get_or_post) return wrong_method();
    QueryRange(c);
    return "/api/v1/query_range";
  }
  if (path == "/series") {
    if (!get_or_post) return wrong_method();
    Series(c);
    return "/api/v1/series";
  }
  if (path == "/labels") {
    if (!get_or_post) return wrong_method();
    Labels(c);
    return "/api/v1/labels";
  }
  if (path.starts_with("/label/") && path.ends_with("/values") && path.size() > 14) {
    if (m != "GET") return wrong_method();
    std::string name;
    if (!UrlDecode(path.substr(7, path.size() - 14), &name).ok()) name.clear();
    LabelValues(c, name);
    return "/api/v1/label/:name/values";
  }
  if (path == "/metadata") {
    if (m != "GET") return wrong_method();
    Metadata(c);
    return "/api/v1/metadata";
  }
  if (path == "/status/buildinfo") {
    BuildInfo(c);
    return "/api/v1/status/buildinfo";
  }
  if (path == "/status/tsdb") {
    TsdbStatus(c);
    return "/api/v1/status/tsdb";
  }
  if (path == "/status/flags") {
    Flags(c);
    return "/api/v1/status/flags";
  }
  if (path == "/status/runtimeinfo") {
    RuntimeInfo(c);
    return "/api/v1/status/runtimeinfo";
  }
  if (path == "/status/config") {
    empty_ok("{\"yaml\":\"\"}");
    return "/api/v1/status/config";
  }
  if (path == "/query_exemplars") {
    if (!get_or_post) return wrong_method();
    empty_ok("[]");
    return "/api/v1/query_exemplars";
  }
  if (path == "/rules") {
    empty_ok("{\"groups\":[]}");
    return "/api/v1/rules";
  }
  if (path == "/alerts") {
    empty_ok("{\"alerts\":[]}");
    return "/api/v1/alerts";
  }
  if (path == "/targets") {
    empty_ok("{\"activeTargets\":[],\"droppedTargets\":[]}");
    return "/api/v1/targets";
  }
  if (path == "/alertmanagers") {
    empty_ok("{\"activeAlertmanagers\":[],\"droppedAlertmanagers\":[]}");
    return "/api/v1/alertmanagers";
  }
  if (path.starts_with("/admin/tsdb/")) {
    if (m != "POST" && m != "PUT") return wrong_method();
    if (!options_.enable_admin_api) {
      RespondError(c.res, "unavailable", "admin APIs disabled");
      return "/api/v1/admin";
    }
    if (path == "/admin/tsdb/delete_series") {
      DeleteSeries(c);
      return "/api/v1/admin/tsdb/delete_series";
    }
    if (path == "/admin/tsdb/snapshot") {
      Snapshot(c);
      return "/api/v1/admin/tsdb/snapshot";
    }
    if (path == "/admin/tsdb/clean_tombstones") {
      Status st = c.db->Compact();
      if (!st.ok()) {
        RespondStatus(c.res, st);
      } else {
        c.res->status = 204;
        c.res->body.clear();
      }
      return "/api/v1/admin/tsdb/clean_tombstones";
    }
  }
  PlainText(c.res, 404, "404 page not found\n");
  return "/api/v1/other";
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
