// End to end with a real node exporter (issue #7): Prometheus 2.42 scrapes
// `prometheus-node-exporter` and itself every second and remote-writes
// into `strata serve` for about a minute. Prometheus is then stopped with
// SIGTERM, which flushes its remote-write queue, and restarted on the same
// data directory without scrape targets or remote write, so both hold the
// same samples and neither changes any more. The node exporter is stopped
// two thirds in, so its series end with Prometheus' stale markers and `up`
// drops to 0. Then:
//   - the raw samples of every series agree over the compared interval;
//   - every query of tests/query/testdata/dashboard_queries.txt (windows
//     shortened to fit a minute) and node_exporter_queries.txt gives the
//     same answer from both, as instant queries at a few times and as range
//     queries, with identical explicit evaluation times;
//   - /api/v1/series, /api/v1/labels and /api/v1/label/job/values agree;
//   - `promtool query instant|range` work against Strata.
#include <sys/wait.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_util.h"
#include "tests/testing/promql_compare.h"

namespace strata::server::testing {
namespace {

using strata::testing::ChildProcess;
using strata::testing::CompareOptions;
using strata::testing::ComparePromResults;
using strata::testing::FreePort;
using strata::testing::HaveProgram;
using strata::testing::HttpGet;
using strata::testing::PromResult;
using strata::testing::PromTimeParam;
using strata::testing::RunCommand;
using strata::testing::TempDir;
using strata::testing::UrlEncode;

// How long Prometheus scrapes.
constexpr absl::Duration kScrapeFor = absl::Seconds(55);

// Queries whose Strata answer is known to differ from Prometheus 2.42's,
// with the reason. Their differences are printed but do not fail the test.
const std::map<std::string, std::string>& KnownDifferences() {
  static const auto* known = new std::map<std::string, std::string>{};
  return *known;
}

// Rewrites the windows of dashboard_queries.txt, written for hours of 15 s
// data, to fit a minute of 1 s scrapes.
std::string ShortenWindows(std::string q) {
  const std::pair<std::string, std::string> rewrites[] = {
      {"[1h:1m]", "[20s:2s]"}, {"[5m]", "[20s]"}, {"[10m]", "[15s]"}, {"[15m]", "[15s]"},
      {"[30m]", "[30s]"},      {"[1h]", "[30s]"}, {"[24h]", "[40s]"}, {"offset 1h", "offset 10s"}};
  for (const auto& [from, to] : rewrites) {
    for (size_t pos = q.find(from); pos != std::string::npos; pos = q.find(from, pos)) {
      q.replace(pos, from.size(), to);
      pos += to.size();
    }
  }
  return q;
}

std::string Tail(const std::string& path) { return RunCommand("tail -30 " + path).output; }

void WriteConfig(const std::string& path, const std::string& body) { std::ofstream(path) << body; }

// Prometheus on `port` over `data_dir` with `config`; null (and a test
// failure) if it does not become ready.
std::unique_ptr<ChildProcess> StartPrometheus(const std::string& config,
                                              const std::string& data_dir, int port,
                                              const std::string& log) {
  auto prom =
      ChildProcess::Start({"prometheus", "--config.file=" + config,
                           "--storage.tsdb.path=" + data_dir, "--storage.tsdb.retention.time=100y",
                           "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                          log);
  if (!prom.ok()) {
    ADD_FAILURE() << prom.status();
    return nullptr;
  }
  if (!strata::testing::WaitForHttp(port, "/-/ready", absl::Seconds(60))) {
    ADD_FAILURE() << "prometheus did not become ready:\n" << Tail(log);
    return nullptr;
  }
  return *std::move(prom);
}

class Comparer {
 public:
  Comparer(int prom_port, int strata_port) : prom_port_(prom_port), strata_port_(strata_port) {}

  // Sends `path` to both and compares the query answers. Returns false and
  // appends to report() on a difference.
  bool Query(const std::string& query, const std::string& path, const std::string& what) {
    ++evaluations_;
    last_series_ = 0;
    last_points_ = 0;
    const StatusOr<PromResult> want = Ask(prom_port_, path);
    const StatusOr<PromResult> got = Ask(strata_port_, path);
    if (!want.ok() || !got.ok()) {
      if (!want.ok() && !got.ok()) return true;
      StrAppend(&report_, query, " ", what, ": Prometheus ",
                want.ok() ? "answered" : want.status().ToString(), ", Strata ",
                got.ok() ? "answered" : got.status().ToString(), "\n");
      return false;
    }
    if (!want->series.empty()) ++non_empty_;
    last_series_ = want->series.size();
    last_points_ = 0;
    for (const auto& s : want->series) last_points_ += static_cast<int64_t>(s.points.size());
    points_ += last_points_;
    CompareOptions options;
    options.ordered = query.starts_with("sort");
    const std::vector<std::string> diffs = ComparePromResults(*want, *got, options);
    if (diffs.empty()) return true;
    StrAppend(&report_, query, " ", what, ":\n");
    for (const std::string& d : diffs) StrAppend(&report_, "    ", d, "\n");
    return false;
  }

  std::string TakeReport() { return std::exchange(report_, ""); }
  int evaluations() const { return evaluations_; }
  int non_empty() const { return non_empty_; }
  int64_t points() const { return points_; }
  // Of the last successful Prometheus answer.
  size_t last_series() const { return last_series_; }
  int64_t last_points() const { return last_points_; }

 private:
  static StatusOr<PromResult> Ask(int port, const std::string& path) {
    StatusOr<strata::testing::HttpResponse> r = HttpGet(port, path, absl::Seconds(60));
    if (!r.ok()) return r.status();
    return strata::testing::ParsePromQueryResponse(r->body);
  }

  const int prom_port_;
  const int strata_port_;
  std::string report_;
  int evaluations_ = 0;
  int non_empty_ = 0;
  int64_t points_ = 0;
  size_t last_series_ = 0;
  int64_t last_points_ = 0;
};

TEST(NodeExporterE2eTest, StrataAnswersLikePrometheus) {
  if (!HaveProgram("prometheus") || !HaveProgram("prometheus-node-exporter")) {
    GTEST_SKIP() << "prometheus or prometheus-node-exporter is not installed";
  }
  TempDir dir("strata_e2e_node");
  auto strata =
      StrataServer::Start(dir.path() + "/strata", {"--query.compat=2", "--self-scrape.interval=0"});
  ASSERT_NE(strata, nullptr);

  // node exporter, restricted to the collectors the dashboards use (the
  // others are slow or empty in containers).
  const int node_port = FreePort();
  auto node = ChildProcess::Start(
      {"prometheus-node-exporter", "--web.listen-address=127.0.0.1:" + std::to_string(node_port),
       "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
       "--collector.filesystem", "--collector.netdev", "--collector.loadavg", "--collector.stat",
       "--collector.uname", "--collector.time", "--collector.diskstats"},
      dir.path() + "/node_exporter.log");
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE(strata::testing::WaitForHttp(node_port, "/metrics", absl::Seconds(20)))
      << Tail(dir.path() + "/node_exporter.log");

  // Prometheus scrapes and remote-writes for a minute.
  const int prom_port = FreePort();
  const std::string prom_data = dir.path() + "/prom";
  const std::string prom_log = dir.path() + "/prometheus.log";
  const std::string scrape_config = dir.path() + "/scrape.yml";
  WriteConfig(scrape_config,
              StrCat("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n",
                     "scrape_configs:\n", "  - job_name: prometheus\n    static_configs:\n",
                     "      - targets: ['127.0.0.1:", prom_port, "']\n",
                     "  - job_name: node\n    static_configs:\n", "      - targets: ['127.0.0.1:",
                     node_port, "']\n", "remote_write:\n  - url: http://127.0.0.1:", strata->port(),
                     "/api/v1/write\n", "    queue_config:\n      batch_send_deadline: 1s\n",
                     "      min_backoff: 100ms\n      max_backoff: 1s\n",
                     "    metadata_config:\n      send_interval: 1s\n"));
  const absl::Time scrape_start = absl::Now();
  auto prom = StartPrometheus(scrape_config, prom_data, prom_port, prom_log);
  ASSERT_NE(prom, nullptr);
  // The node exporter goes away two thirds in: its scrapes fail (up 0) and
  // Prometheus writes stale markers for its series, which both must honour.
  absl::SleepFor(kScrapeFor * 2 / 3);
  (*node)->Stop(SIGTERM);
  const int64_t node_stop_ms = absl::ToUnixMillis(absl::Now());
  absl::SleepFor(kScrapeFor / 3);
  const absl::Time scrape_stop = absl::Now();
  // Metadata lives in Prometheus' scrape targets, so it is compared while
  // they exist: what Prometheus scraped and what it remote-wrote to Strata.
  for (const char* metric : {"node_load1", "prometheus_http_requests_total"}) {
    const std::string path = StrCat("/api/v1/metadata?metric=", metric);
    auto want = HttpGet(prom_port, path);
    auto got = HttpGet(strata->port(), path);
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_NE(want->body.find("\"type\":"), std::string::npos) << want->body;
    EXPECT_EQ(got->body, want->body) << path;
  }
  // SIGTERM: scraping stops, then the remote-write queues flush (for up to
  // a minute, Prometheus' --storage.remote.flush-deadline) before exit.
  const int status = prom->Stop(SIGTERM, absl::Seconds(90));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status << "\n"
                                                             << Tail(prom_log);
  const std::string shutdown_log = RunCommand("cat " + prom_log).output;
  ASSERT_EQ(shutdown_log.find("Failed to flush all samples on shutdown"), std::string::npos)
      << shutdown_log;
  prom.reset();

  // Prometheus again on the same data, reading only.
  const std::string read_config = dir.path() + "/read.yml";
  WriteConfig(read_config, "global:\n  scrape_interval: 1s\n");
  const int read_port = FreePort();
  prom = StartPrometheus(read_config, prom_data, read_port, dir.path() + "/prometheus2.log");
  ASSERT_NE(prom, nullptr);

  // The interval both surely hold: from a few seconds after the first
  // scrape to a little before the last one, on whole seconds.
  const int64_t start_ms = absl::ToUnixSeconds(scrape_start + absl::Seconds(8)) * 1000;
  const int64_t end_ms = absl::ToUnixSeconds(scrape_stop - absl::Seconds(3)) * 1000;
  ASSERT_GT(end_ms - start_ms, 30'000);
  Comparer compare(read_port, strata->port());

  // Raw samples of every series (stale markers show as the end of a
  // series): over the compared interval, and over everything, which shows
  // that Prometheus flushed its remote-write queue on shutdown.
  const int64_t restart_ms = absl::ToUnixMillis(absl::Now());
  const std::pair<int64_t, int64_t> raw_windows[] = {{start_ms, end_ms},
                                                     {restart_ms - 600'000, restart_ms}};
  for (const auto& [from_ms, to_ms] : raw_windows) {
    const std::string q = StrCat("{__name__=~\".+\"}[", (to_ms - from_ms) / 1000, "s]");
    compare.Query(q, "/api/v1/query?query=" + UrlEncode(q) + "&time=" + PromTimeParam(to_ms),
                  "raw at " + PromTimeParam(to_ms));
    std::printf("raw %s at %s: %zu series, %lld samples\n", q.c_str(), PromTimeParam(to_ms).c_str(),
                compare.last_series(), static_cast<long long>(compare.last_points()));
    ASSERT_GT(compare.last_series(), 100u);
  }
  {
    const std::string report = compare.TakeReport();
    ASSERT_EQ(report, "") << "the stored samples differ; prometheus log:\n" << Tail(prom_log);
  }

  // The node exporter's series did end with stale markers (within the 5 m
  // lookback only a marker hides them) and Strata agrees.
  for (const auto& [t, want_series] : {std::pair<int64_t, size_t>{node_stop_ms - 3'000, 1},
                                       std::pair<int64_t, size_t>{end_ms, 0}}) {
    const std::string q = "node_load1";
    ASSERT_TRUE(compare.Query(q, "/api/v1/query?query=" + q + "&time=" + PromTimeParam(t),
                              "at " + PromTimeParam(t)))
        << compare.TakeReport();
    EXPECT_EQ(compare.last_series(), want_series) << "node_load1 at " << PromTimeParam(t);
  }

  // The query lists.
  std::vector<std::string> queries;
  for (const char* file : {"dashboard_queries.txt", "node_exporter_queries.txt"}) {
    auto list =
        strata::testing::ReadQueryFile(StrCat(STRATA_SOURCE_DIR, "/tests/query/testdata/", file));
    ASSERT_TRUE(list.ok()) << list.status();
    for (const std::string& q : *list) queries.push_back(ShortenWindows(q));
  }
  const int64_t span = end_ms - start_ms;
  const int64_t instants[] = {start_ms + span / 4 + 500, node_stop_ms / 1000 * 1000 - 2'000,
                              node_stop_ms / 1000 * 1000 + 4'000, end_ms};
  struct RangeSpec {
    int64_t start, end, step;
  };
  const RangeSpec ranges[] = {{start_ms, end_ms, 1000}, {start_ms + 250, end_ms, 3700}};
  const absl::Time begin = absl::Now();
  std::string report, known_report;
  int failed_queries = 0;
  for (const std::string& q : queries) {
    for (int64_t t : instants) {
      compare.Query(q, "/api/v1/query?query=" + UrlEncode(q) + "&time=" + PromTimeParam(t),
                    "instant at " + PromTimeParam(t));
    }
    for (const RangeSpec& r : ranges) {
      compare.Query(q,
                    "/api/v1/query_range?query=" + UrlEncode(q) +
                        "&start=" + PromTimeParam(r.start) + "&end=" + PromTimeParam(r.end) +
                        "&step=" + PromTimeParam(r.step),
                    StrCat("range step ", r.step, "ms"));
    }
    std::string query_report = compare.TakeReport();
    if (query_report.empty()) continue;
    auto known = KnownDifferences().find(q);
    if (known != KnownDifferences().end()) {
      StrAppend(&known_report, "[known: ", known->second, "] ", query_report);
    } else {
      ++failed_queries;
      report += query_report;
    }
  }
  std::printf("%zu queries, %d evaluations (%d non-empty), %lld points compared in %s\n",
              queries.size(), compare.evaluations(), compare.non_empty(),
              static_cast<long long>(compare.points()),
              absl::FormatDuration(absl::Now() - begin).c_str());
  if (!known_report.empty()) std::printf("known differences:\n%s", known_report.c_str());
  EXPECT_EQ(failed_queries, 0) << report;

  // Metadata endpoints, as sets.
  const std::string range = "&start=" + PromTimeParam(start_ms) + "&end=" + PromTimeParam(end_ms);
  {
    const std::string path = "/api/v1/series?match[]=" + UrlEncode("up") + range;
    auto want = HttpGet(read_port, path);
    auto got = HttpGet(strata->port(), path);
    ASSERT_TRUE(want.ok() && got.ok());
    auto want_series = strata::testing::ParsePromSeriesResponse(want->body);
    auto got_series = strata::testing::ParsePromSeriesResponse(got->body);
    ASSERT_TRUE(want_series.ok()) << want_series.status();
    ASSERT_TRUE(got_series.ok()) << got_series.status() << got->body;
    EXPECT_EQ(want_series->size(), 2u);
    EXPECT_EQ(*want_series, *got_series) << want->body << "\n" << got->body;
  }
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/labels?" + range.substr(1), "/api/v1/label/job/values?" + range.substr(1),
           "/api/v1/label/__name__/values?" + range.substr(1)}) {
    auto want = HttpGet(read_port, path);
    auto got = HttpGet(strata->port(), path);
    ASSERT_TRUE(want.ok() && got.ok());
    auto want_list = strata::testing::ParsePromStringListResponse(want->body);
    auto got_list = strata::testing::ParsePromStringListResponse(got->body);
    ASSERT_TRUE(want_list.ok()) << want_list.status();
    ASSERT_TRUE(got_list.ok()) << got_list.status() << got->body;
    EXPECT_FALSE(want_list->empty()) << path;
    EXPECT_EQ(*want_list, *got_list) << path << "\n" << want->body << "\n" << got->body;
  }

  // Endpoints Grafana calls that answer empty on a server without rules or
  // exemplars: the same JSON, byte for byte.
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/rules", "/api/v1/alerts", "/api/v1/query_exemplars?query=up" + range}) {
    auto want = HttpGet(read_port, path);
    auto got = HttpGet(strata->port(), path);
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(got->status_code, want->status_code) << path;
    EXPECT_EQ(got->body, want->body) << path;
  }

  // Status endpoints. buildinfo and runtimeinfo describe the server, so
  // only their fields are compared (Strata has every field Prometheus has);
  // status/tsdb describes the same head and must agree, its top lists as
  // multisets (Prometheus orders them by count only).
  auto data_of = [](int port, const std::string& path) -> JsonValue {
    auto r = HttpGet(port, path);
    EXPECT_TRUE(r.ok()) << path;
    if (!r.ok()) return JsonValue();
    StatusOr<JsonValue> v = ParseJson(r->body);
    EXPECT_TRUE(v.ok()) << path << ": " << r->body;
    const JsonValue* data = v.ok() ? v->Find("data") : nullptr;
    EXPECT_NE(data, nullptr) << path << ": " << r->body;
    return data != nullptr ? *data : JsonValue();
  };
  for (const char* path : {"/api/v1/status/buildinfo", "/api/v1/status/runtimeinfo"}) {
    const JsonValue want = data_of(read_port, path);
    const JsonValue got = data_of(strata->port(), path);
    std::set<std::string> got_keys;
    for (const auto& [k, v] : got.object()) got_keys.insert(k);
    for (const auto& [k, v] : want.object()) {
      EXPECT_TRUE(got_keys.contains(k)) << path << " lacks " << k;
      if (got_keys.contains(k)) {
        EXPECT_EQ(got.Find(k)->type(), v.type()) << path << " " << k;
      }
    }
  }
  {
    const JsonValue want = data_of(read_port, "/api/v1/status/tsdb");
    const JsonValue got = data_of(strata->port(), "/api/v1/status/tsdb");
    for (const char* stat : {"numSeries", "numLabelPairs", "chunkCount", "minTime", "maxTime"}) {
      const JsonValue* w = want.Find("headStats") ? want.Find("headStats")->Find(stat) : nullptr;
      const JsonValue* g = got.Find("headStats") ? got.Find("headStats")->Find(stat) : nullptr;
      ASSERT_TRUE(w != nullptr && g != nullptr) << stat;
      EXPECT_EQ(g->string_value(), w->string_value()) << "headStats." << stat;
    }
    for (const char* list : {"seriesCountByMetricName", "labelValueCountByLabelName",
                             "memoryInBytesByLabelName", "seriesCountByLabelValuePair"}) {
      auto entries = [&](const JsonValue& d) {
        std::multiset<std::pair<std::string, std::string>> out;
        if (const JsonValue* l = d.Find(list)) {
          for (const JsonValue& e : l->array()) {
            out.emplace(e.Find("name")->string_value(), e.Find("value")->string_value());
          }
        }
        return out;
      };
      auto w = entries(want), g = entries(got);
      EXPECT_FALSE(w.empty()) << list;
      // At most ten entries each, and which of several tied entries make
      // the cut is Prometheus' heap's doing: compare the counts, and the
      // names of the entries whose count is above the smallest listed.
      std::multiset<std::string> wc, gc;
      for (const auto& [n, v] : w) wc.insert(v);
      for (const auto& [n, v] : g) gc.insert(v);
      EXPECT_EQ(gc, wc) << list;
      if (w.empty()) continue;
      std::set<std::pair<std::string, std::string>> wa, ga;
      int64_t cut = INT64_MAX;
      for (const auto& [n, v] : w) cut = std::min<int64_t>(cut, std::stoll(v));
      for (const auto& e : w) {
        if (std::stoll(e.second) > cut) wa.insert(e);
      }
      for (const auto& e : g) {
        if (std::stoll(e.second) > cut) ga.insert(e);
      }
      EXPECT_EQ(ga, wa) << list;
    }
  }

  // promtool against Strata.
  if (HaveProgram("promtool")) {
    const std::string url = StrCat("http://127.0.0.1:", strata->port());
    const auto instant =
        RunCommand(StrCat("promtool query instant --time=", end_ms / 1000, " ", url, " 'up' 2>&1"));
    EXPECT_EQ(instant.exit_code, 0) << instant.output;
    EXPECT_NE(instant.output.find("up{"), std::string::npos) << instant.output;
    EXPECT_NE(instant.output.find("job=\"node\""), std::string::npos) << instant.output;
    const auto ranged = RunCommand(StrCat("promtool query range --start=", start_ms / 1000,
                                          " --end=", end_ms / 1000, " --step=5s ", url,
                                          " 'rate(node_cpu_seconds_total[20s])' 2>&1"));
    EXPECT_EQ(ranged.exit_code, 0) << ranged.output;
    EXPECT_NE(ranged.output.find("mode=\"idle\""), std::string::npos) << ranged.output;
  }
}

}  // namespace
}  // namespace strata::server::testing
