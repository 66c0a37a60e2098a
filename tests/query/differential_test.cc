// Differential test of the PromQL engine against the real Prometheus 2.42
// (issue #6). Six hours of deterministic monitoring data at a 15 s scrape
// interval (node exporter CPU, memory, filesystem, network and load; an
// HTTP service's request counters with a restart, a latency histogram, `up`
// with failed scrapes, info metrics, series that stop mid-range, a few ms
// of timestamp jitter) go into both:
//   - Prometheus: as OpenMetrics text through `promtool tsdb
//     create-blocks-from openmetrics`, then `prometheus` serves the blocks
//     and answers over its HTTP API;
//   - Strata: through strata::DB appenders, evaluated by query::Engine in
//     the Prometheus 2 dialect.
// Every query of tests/query/testdata/dashboard_queries.txt and
// edge_queries.txt is then compared as an instant query at several times
// and as range queries over the whole span, against two Strata DBs (all
// data in the head; compacted into blocks): same series, same timestamps,
// values within a relative 1e-9 (NaN equals NaN).
//
// Not covered: staleness markers (OpenMetrics text cannot carry them; the
// end-to-end test tests/server/e2e_node_exporter_test.cc has real ones).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "query/engine.h"
#include "strata/db.h"
#include "tests/testing/process.h"
#include "tests/testing/promql_compare.h"

namespace strata::query {
namespace {

using strata::testing::ChildProcess;
using strata::testing::CompareOptions;
using strata::testing::ComparePromResults;
using strata::testing::FreePort;
using strata::testing::HaveProgram;
using strata::testing::HttpGet;
using strata::testing::PromLabels;
using strata::testing::PromResult;
using strata::testing::PromTimeParam;
using strata::testing::RunCommand;
using strata::testing::TempDir;
using strata::testing::UrlEncode;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kStartMs = 1672531200000;  // 2023-01-01T00:00:00Z
constexpr int64_t kIntervalMs = 15'000;
constexpr int kSteps = 6 * 240 + 1;  // six hours
constexpr int64_t kEndMs = kStartMs + (kSteps - 1) * kIntervalMs;
constexpr double kPi = 3.14159265358979323846;

// Queries whose Strata answer is known to differ from Prometheus 2.42's,
// with the reason. Their differences are printed but do not fail the test.
const std::map<std::string, std::string>& KnownDifferences() {
  static const auto* known = new std::map<std::string, std::string>{};
  return *known;
}

// Deterministic uniform [0, 1) from a few integers (splitmix64).
double Rand(uint64_t a, uint64_t b, uint64_t c = 0) {
  uint64_t z = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e5ull) * 0xbf58476d1ce4e5b9ull ^
               (c + 17) * 0x94d049bb133111ebull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0;
}

double Round(double v, double unit) { return std::round(v / unit) * unit; }

// The generated data: every series with its samples in time order.
class DataSet {
 public:
  struct Series {
    PromLabels labels;  // __name__ first, then as given
    std::vector<std::pair<int64_t, double>> samples;
    double state = 0;  // a counter's running value
  };

  // Adds a sample at `t_ms` to the series `name{labels}` and returns it.
  Series& At(const std::string& name, const PromLabels& labels) {
    std::string key = name;
    for (const auto& [n, v] : labels) StrAppend(&key, "|", n, "=", v);
    auto [it, inserted] = index_.emplace(key, series_.size());
    if (inserted) {
      Series& s = series_.emplace_back();
      s.labels.emplace_back("__name__", name);
      s.labels.insert(s.labels.end(), labels.begin(), labels.end());
    }
    return series_[it->second];
  }
  void Gauge(int64_t t_ms, const std::string& name, const PromLabels& labels, double v) {
    At(name, labels).samples.emplace_back(t_ms, v);
  }
  // Adds `increment` to the counter (after a reset to 0 if `reset`).
  void Counter(int64_t t_ms, const std::string& name, const PromLabels& labels, double increment,
               bool reset = false, double unit = 0) {
    Series& s = At(name, labels);
    if (reset) s.state = 0;
    s.state += increment;
    if (unit > 0) s.state = Round(s.state, unit);
    s.samples.emplace_back(t_ms, s.state);
  }
  std::vector<Series>& series() { return series_; }

 private:
  std::map<std::string, size_t> index_;
  std::vector<Series> series_;
};

// The scrape time of target `target` at step `i`: the nominal time plus a
// few ms of jitter, as Prometheus will store it after parsing the
// OpenMetrics seconds (Go's int64(seconds * 1000), which truncates).
int64_t ScrapeTime(int target, int i) {
  const int64_t jitter = static_cast<int64_t>(Rand(target, i, 99) * 9) - 4;
  const int64_t ms = kStartMs + i * kIntervalMs + jitter;
  const double seconds = std::strtod(PromTimeParam(ms).c_str(), nullptr);
  return static_cast<int64_t>(seconds * 1000);
}

void GenerateNode(DataSet& d, int n, int i) {
  const std::string instance = StrCat("node-", n + 1, ":9100");
  const int64_t t = ScrapeTime(n, i);
  const PromLabels target = {{"instance", instance}, {"job", "node"}};
  auto with = [&](PromLabels extra) {
    PromLabels l = target;
    l.insert(l.end(), extra.begin(), extra.end());
    return l;
  };
  const bool down = n == 3 && i >= 480 && i < 600;  // 2h to 2h30m
  d.Gauge(t, "up", target, down ? 0 : 1);
  if (down) return;
  const double hours = i * 15.0 / 3600;

  // CPU: busy fraction varies over the hours; node_exporter's 2 decimals.
  const int cpus = n == 0 ? 4 : 2;
  for (int c = 0; c < cpus; ++c) {
    const double busy = 0.25 + 0.15 * std::sin(2 * kPi * hours + n) + 0.1 * Rand(n, i, c);
    const double user = 15 * busy * 0.6, system = 15 * busy * 0.3;
    const double iowait = 0.3 * Rand(n, i, c + 10), irq = 0.01 * Rand(n, i, c + 20);
    const double softirq = 0.05 * Rand(n, i, c + 30), nice = 0.003 * Rand(n, i, c + 40);
    const double idle = 15 - user - system - iowait - irq - softirq - nice;
    const std::pair<const char*, double> modes[] = {
        {"idle", idle}, {"user", user},       {"system", system}, {"iowait", iowait},
        {"irq", irq},   {"softirq", softirq}, {"nice", nice},     {"steal", 0}};
    for (const auto& [mode, inc] : modes) {
      DataSet::Series& s =
          d.At("node_cpu_seconds_total", with({{"cpu", std::to_string(c)}, {"mode", mode}}));
      if (s.samples.empty()) s.state = 123456.78 * (c + 1) * Rand(n, c, 7);
      d.Counter(t, "node_cpu_seconds_total", with({{"cpu", std::to_string(c)}, {"mode", mode}}),
                inc, false, 0.01);
    }
  }

  // Memory.
  const double total = (n == 0 ? 32.0 : 16.0) * 1024 * 1024 * 1024;
  const double avail =
      Round(total * (0.55 + 0.2 * std::sin(hours * 1.3 + n) + 0.02 * Rand(n, i, 50)), 4096);
  d.Gauge(t, "node_memory_MemTotal_bytes", target, total);
  d.Gauge(t, "node_memory_MemAvailable_bytes", target, avail);
  d.Gauge(t, "node_memory_MemFree_bytes", target, Round(avail * 0.4, 4096));
  d.Gauge(t, "node_memory_Cached_bytes", target, Round(avail * 0.5, 4096));
  d.Gauge(t, "node_memory_Buffers_bytes", target, Round(2.1e8 + 1e7 * Rand(n, i, 51), 4096));

  // Filesystems: node-3's /data fills up; node-2's tmpfs is unmounted
  // after 2h20m (its series stop: stale by absence).
  struct Fs {
    const char* device;
    const char* mountpoint;
    const char* fstype;
    double size;
    double avail;
  };
  std::vector<Fs> fss = {{"/dev/sda1", "/", "ext4", 100e9,
                          (61.5 + 3.3 * n - 0.1 * hours) * 1e9 + 1e6 * Rand(n, i, 60)},
                         {"/dev/sdb1", "/data", "xfs", 500e9,
                          n == 2 ? std::max(0.0, 30e9 - hours * 5e9) : 350e9 - hours * 1e9 * n}};
  if (n == 1 && i < 560) fss.push_back({"tmpfs", "/run", "tmpfs", 1.6e9, 1.58e9});
  for (const Fs& fs : fss) {
    const PromLabels l =
        with({{"device", fs.device}, {"fstype", fs.fstype}, {"mountpoint", fs.mountpoint}});
    const double avail_bytes = Round(fs.avail, 4096);
    d.Gauge(t, "node_filesystem_size_bytes", l, fs.size);
    d.Gauge(t, "node_filesystem_avail_bytes", l, avail_bytes);
    d.Gauge(t, "node_filesystem_free_bytes", l, avail_bytes + fs.size * 0.05);
  }

  // Network.
  const std::pair<const char*, double> devices[] = {{"eth0", 1.2e6}, {"lo", 5e4}};
  for (const auto& [device, rate] : devices) {
    const double wave = 1 + 0.3 * std::sin(hours * 2 + n);
    d.Counter(t, "node_network_receive_bytes_total", with({{"device", device}}),
              std::round(rate * 15 * wave * (0.9 + 0.2 * Rand(n, i, 70))));
    d.Counter(t, "node_network_transmit_bytes_total", with({{"device", device}}),
              std::round(rate * 3 * wave * (0.9 + 0.2 * Rand(n, i, 71))));
  }

  // Load and static information.
  const double load = cpus * (0.3 + 0.25 * std::sin(2 * kPi * hours + n));
  d.Gauge(t, "node_load1", target, Round(load + 0.8 * Rand(n, i, 80), 0.01));
  d.Gauge(t, "node_load5", target, Round(load + 0.3 * Rand(n, i, 81), 0.01));
  d.Gauge(t, "node_load15", target, Round(load + 0.1 * Rand(n, i, 82), 0.01));
  d.Gauge(t, "node_boot_time_seconds", target, 1672400000 + n * 1234.56);
  d.Gauge(t, "node_uname_info",
          with({{"machine", "x86_64"},
                {"nodename", StrCat("node-", n + 1)},
                {"release", "6.1.0-13-amd64"}}),
          1);
}

void GenerateApp(DataSet& d, int a, int i) {
  const std::string instance = StrCat("app-", a + 1, ":8080");
  const int64_t t = ScrapeTime(10 + a, i);
  const PromLabels target = {{"instance", instance}, {"job", "api"}};
  auto with = [&](PromLabels extra) {
    PromLabels l = target;
    l.insert(l.end(), extra.begin(), extra.end());
    return l;
  };
  const bool down = a == 2 && i >= 480 && i < 600;
  d.Gauge(t, "up", target, down ? 0 : 1);
  if (down) return;
  const bool restart = a == 1 && i == 720;  // app-2 restarts at 3h
  const double hours = i * 15.0 / 3600;
  d.Gauge(t, "process_start_time_seconds", target,
          a == 1 && i >= 720 ? (kStartMs + 720 * kIntervalMs) / 1000.0 - 2.37
                             : 1672520000.12 + a * 100);
  d.Gauge(t, "process_resident_memory_bytes", target,
          Round(3e8 + 5e7 * std::sin(hours + a) + 1e6 * Rand(a, i, 90), 4096));
  d.Gauge(t, "app_build_info", with({{"version", "1.4.2"}}), 1);

  const std::pair<const char*, double> handlers[] = {{"/api/users", 0.08}, {"/api/orders", 0.3}};
  const std::pair<const char*, double> methods[] = {{"GET", 10}, {"POST", 2.5}};
  const std::pair<const char*, double> statuses[] = {{"200", 0.95}, {"404", 0.04}, {"500", 0.01}};
  for (const auto& [handler, median] : handlers) {
    double handled = 0;
    int combination = median < 0.1 ? 0 : 50;  // distinct noise per handler: no ties
    for (const auto& [method, rate] : methods) {
      for (const auto& [status, share] : statuses) {
        double r = rate * share * (1 + 0.3 * std::sin(2 * kPi * hours / 3 + a));
        // An error burst on app-1 between 1h and 1h20m.
        if (a == 0 && status == std::string("500") && i >= 240 && i < 320) r += 3;
        const double inc = std::round(r * 15 * (0.8 + 0.4 * Rand(a, i, 100 + combination++)));
        handled += inc;
        d.Counter(t, "http_requests_total",
                  with({{"handler", handler}, {"method", method}, {"status", status}}), inc,
                  restart);
      }
    }
    // The latency histogram of the handler's requests.
    const double les[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    for (double le : les) {
      const double frac = 1 / (1 + std::pow(median / le, 2.2));
      char le_text[16];
      std::snprintf(le_text, sizeof(le_text), "%g", le);
      d.Counter(t, "http_request_duration_seconds_bucket",
                with({{"handler", handler}, {"le", le_text}}), std::round(handled * frac), restart);
    }
    d.Counter(t, "http_request_duration_seconds_bucket",
              with({{"handler", handler}, {"le", "+Inf"}}), handled, restart);
    d.Counter(t, "http_request_duration_seconds_count", with({{"handler", handler}}), handled,
              restart);
    d.Counter(t, "http_request_duration_seconds_sum", with({{"handler", handler}}),
              handled * median * (1.2 + 0.2 * Rand(a, i, 110)), restart);
  }
  // A handler removed in a deploy: its series stops at 1h40m.
  if (a == 0 && i < 400) {
    d.Counter(t, "http_requests_total",
              with({{"handler", "/legacy"}, {"method", "GET"}, {"status", "200"}}),
              std::round(15 * 0.7 * Rand(a, i, 120)));
  }
  d.Counter(t, "x_total", target, 3.7 * 15 * (1 + 0.1 * Rand(a, i, 130)), restart);
}

DataSet Generate() {
  DataSet d;
  for (int i = 0; i < kSteps; ++i) {
    for (int n = 0; n < 4; ++n) GenerateNode(d, n, i);
    for (int a = 0; a < 3; ++a) GenerateApp(d, a, i);
  }
  return d;
}

std::string FormatValue(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// Writes the samples as OpenMetrics text, time-major (each series' samples
// in order), without TYPE lines: promtool imports every family as unknown.
void WriteOpenMetrics(DataSet& d, const std::string& path) {
  struct Line {
    int64_t t;
    size_t series;
    size_t sample;
  };
  std::vector<Line> lines;
  for (size_t s = 0; s < d.series().size(); ++s) {
    for (size_t k = 0; k < d.series()[s].samples.size(); ++k) {
      lines.push_back({d.series()[s].samples[k].first, s, k});
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.t < b.t; });
  std::ofstream out(path);
  std::string buf;
  for (const Line& line : lines) {
    const DataSet::Series& s = d.series()[line.series];
    buf.clear();
    buf += s.labels[0].second;
    for (size_t l = 1; l < s.labels.size(); ++l) {
      StrAppend(&buf, l == 1 ? "{" : ",", s.labels[l].first, "=\"", s.labels[l].second, "\"");
    }
    if (s.labels.size() > 1) buf += "}";
    StrAppend(&buf, " ", FormatValue(s.samples[line.sample].second), " ",
              PromTimeParam(s.samples[line.sample].first), "\n");
    out << buf;
  }
  out << "# EOF\n";
}

PromResult ToPromResult(const Result& r) {
  PromResult out;
  auto labels = [](const index::Labels& ls) {
    PromLabels l;
    for (const index::Label& label : ls) l.emplace_back(label.name, label.value);
    return l;
  };
  switch (r.type) {
    case Result::Type::kScalar:
      out.type = "scalar";
      out.series.push_back({{}, {{r.scalar.t, r.scalar.v}}});
      break;
    case Result::Type::kString:
      out.type = "string";
      out.string_value = r.string_value;
      out.series.push_back({{}, {{r.scalar.t, 0}}});
      break;
    case Result::Type::kVector:
      out.type = "vector";
      for (const VectorElement& e : r.vector)
        out.series.push_back({labels(e.labels), {{e.t, e.v}}});
      break;
    case Result::Type::kMatrix:
      out.type = "matrix";
      for (const SeriesResult& s : r.matrix) {
        auto& series = out.series.emplace_back();
        series.labels = labels(s.labels);
        for (const Point& p : s.points) series.points.emplace_back(p.t, p.v);
      }
      break;
  }
  return out;
}

class DifferentialTest : public ::testing::Test {
 protected:
  // A DB in `path` holding `data`; `compact` moves all but the newest
  // samples from the head into blocks.
  static StatusOr<std::unique_ptr<DB>> LoadStrata(DataSet& data, const std::string& path,
                                                  bool compact) {
    Options o;
    o.background_compaction = false;
    o.retention_ms = 0;
    o.wal_sync = WalSyncPolicy::kNever;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(o, path));
    for (const DataSet::Series& s : data.series()) {
      std::vector<LabelView> views;
      for (const auto& [n, v] : s.labels) views.push_back({n, v});
      auto app = db->NewAppender();
      StatusOr<SeriesRef> ref = app->Append(views, s.samples[0].first, s.samples[0].second);
      for (size_t k = 1; ref.ok() && k < s.samples.size(); ++k) {
        Status st = app->Append(*ref, s.samples[k].first, s.samples[k].second);
        if (!st.ok()) ref = st;
      }
      Status st = ref.ok() ? app->Commit() : ref.status();
      if (!st.ok()) {
        return Annotate(st, StrCat("append ", strata::testing::FormatPromLabels(s.labels)));
      }
    }
    if (compact) STRATA_RETURN_IF_ERROR(db->Compact());
    return db;
  }

  static void SetUpTestSuite() {
    if (!HaveProgram("prometheus") || !HaveProgram("promtool")) return;
    dir_ = new TempDir("strata_differential");
    const absl::Time begin = absl::Now();
    DataSet data = Generate();
    size_t samples = 0;
    for (const auto& s : data.series()) samples += s.samples.size();
    std::printf("generated %zu series, %zu samples\n", data.series().size(), samples);

    // Prometheus.
    const std::string om = dir_->path() + "/data.om";
    WriteOpenMetrics(data, om);
    const auto created = RunCommand("promtool tsdb create-blocks-from openmetrics " + om + " " +
                                    dir_->path() + "/prom 2>&1");
    if (created.exit_code != 0) {
      setup_error_ = "promtool create-blocks-from failed:\n" + created.output;
      return;
    }
    const std::string config = dir_->path() + "/prometheus.yml";
    std::ofstream(config) << "global:\n  scrape_interval: 15s\n";
    prom_port_ = FreePort();
    auto prom = ChildProcess::Start(
        {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir_->path() + "/prom",
         "--storage.tsdb.retention.time=100y",
         "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_)},
        dir_->path() + "/prometheus.log");
    if (!prom.ok()) {
      setup_error_ = prom.status().ToString();
      return;
    }
    prom_ = prom->release();

    // Strata, while Prometheus starts: once with everything in the head,
    // once compacted into 2 h blocks as Prometheus' data is.
    for (const bool compact : {false, true}) {
      const char* name = compact ? "blocks" : "head";
      auto db = LoadStrata(data, dir_->path() + "/strata-" + name, compact);
      if (!db.ok()) {
        setup_error_ = StrCat(name, ": ", db.status().ToString());
        return;
      }
      const DBStats stats = (*db)->Stats();
      std::printf("strata %s: %llu blocks, %llu head series\n", name,
                  static_cast<unsigned long long>(stats.blocks),
                  static_cast<unsigned long long>(stats.head_series));
      dbs_->emplace_back(name, std::move(*db));
    }
    if (!strata::testing::WaitForHttp(prom_port_, "/-/ready", absl::Seconds(60))) {
      setup_error_ = "prometheus did not become ready:\n" +
                     RunCommand("tail -20 " + dir_->path() + "/prometheus.log").output;
      return;
    }
    std::printf("setup took %s\n", absl::FormatDuration(absl::Now() - begin).c_str());
  }

  static void TearDownTestSuite() {
    delete prom_;  // SIGTERM
    prom_ = nullptr;
    for (auto& [name, db] : *dbs_) db->Close().IgnoreError();  // the directory is deleted next
    dbs_->clear();
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (!HaveProgram("prometheus") || !HaveProgram("promtool")) {
      GTEST_SKIP() << "prometheus or promtool is not installed";
    }
    ASSERT_EQ(setup_error_, "");
  }

  // Prometheus' answer to an API path ("/api/v1/query?...").
  static StatusOr<PromResult> AskPrometheus(const std::string& path) {
    StatusOr<strata::testing::HttpResponse> r = HttpGet(prom_port_, path, absl::Seconds(60));
    if (!r.ok()) return r.status();
    return strata::testing::ParsePromQueryResponse(r->body);
  }

  // Compares one evaluation; returns whether it matched (or both failed).
  // `what` says which evaluation, for the messages.
  static bool CompareOne(const std::string& query, const std::string& what,
                         const StatusOr<PromResult>& want, const StatusOr<Result>& got,
                         std::string* report) {
    if (!want.ok() || !got.ok()) {
      if (!want.ok() && !got.ok()) return true;
      StrAppend(report, query, " ", what, ": Prometheus ",
                want.ok() ? "answered" : want.status().ToString(), ", Strata ",
                got.ok() ? "answered" : got.status().ToString(), "\n");
      return false;
    }
    CompareOptions options;
    options.ordered = query.starts_with("sort");
    const std::vector<std::string> diffs = ComparePromResults(*want, ToPromResult(*got), options);
    if (diffs.empty()) return true;
    StrAppend(report, query, " ", what, ":\n");
    for (const std::string& d : diffs) StrAppend(report, "    ", d, "\n");
    return false;
  }

  static TempDir* dir_;
  static ChildProcess* prom_;
  // The Strata DBs compared, by name.
  static std::vector<std::pair<std::string, std::unique_ptr<DB>>>* dbs_;
  static int prom_port_;
  static std::string setup_error_;
};

TempDir* DifferentialTest::dir_ = nullptr;
ChildProcess* DifferentialTest::prom_ = nullptr;
std::vector<std::pair<std::string, std::unique_ptr<DB>>>* DifferentialTest::dbs_ =
    new std::vector<std::pair<std::string, std::unique_ptr<DB>>>();
int DifferentialTest::prom_port_ = 0;
std::string DifferentialTest::setup_error_;

Engine& Prom2Engine() {
  static Engine* engine = [] {
    EngineOptions o;
    o.compat = Compat::kPrometheus2;
    return new Engine(o);
  }();
  return *engine;
}

// The raw data agree before any PromQL does: every sample of every series.
TEST_F(DifferentialTest, ImportedDataIsIdentical) {
  const std::vector<std::string> queries = {"{__name__=~\".+\"}[7h]"};
  std::string report;
  for (const std::string& q : queries) {
    const auto want =
        AskPrometheus("/api/v1/query?query=" + UrlEncode(q) + "&time=" + PromTimeParam(kEndMs));
    ASSERT_TRUE(want.ok()) << q << ": " << want.status();
    ASSERT_FALSE(want->series.empty()) << q;
    for (auto& [name, db] : *dbs_) {
      CompareOne(q, "at end in the " + name, want, Prom2Engine().Instant(*db, q, kEndMs), &report);
    }
  }
  EXPECT_EQ(report, "");
}

// The comparison is not vacuous: a different window is caught.
TEST_F(DifferentialTest, ComparisonDetectsADifferentAnswer) {
  const std::string q = "rate(x_total[5m])";
  const auto want =
      AskPrometheus("/api/v1/query?query=" + UrlEncode(q) + "&time=" + PromTimeParam(kEndMs));
  ASSERT_TRUE(want.ok()) << want.status();
  std::string report;
  EXPECT_FALSE(CompareOne(q, "at end", want,
                          Prom2Engine().Instant(*dbs_->front().second, "rate(x_total[4m])", kEndMs),
                          &report));
  EXPECT_NE(report.find("want "), std::string::npos) << report;
}

TEST_F(DifferentialTest, DashboardQueriesMatchPrometheus) {
  std::vector<std::string> all;
  for (const char* file : {"dashboard_queries.txt", "edge_queries.txt"}) {
    auto list =
        strata::testing::ReadQueryFile(StrCat(STRATA_SOURCE_DIR, "/tests/query/testdata/", file));
    ASSERT_TRUE(list.ok()) << list.status();
    all.insert(all.end(), list->begin(), list->end());
  }
  ASSERT_GE(all.size(), 50u);

  const int64_t instants[] = {kStartMs + 10 * kMinuteMs + 3'000,
                              kStartMs + 42 * kMinuteMs + 1,
                              kStartMs + kHourMs + 7'500,
                              kStartMs + kHourMs + 10 * kMinuteMs,  // app-1's error burst
                              kStartMs + 2 * kHourMs + 2 * kMinuteMs,
                              kStartMs + 2 * kHourMs + 10 * kMinuteMs,  // node-4, app-3 down
                              kStartMs + 2 * kHourMs + 22 * kMinuteMs,  // /run just gone
                              kStartMs + 3 * kHourMs + 2 * kMinuteMs,   // after app-2's restart
                              kStartMs + 4 * kHourMs,
                              kStartMs + 4 * kHourMs + 42 * kMinuteMs + 33'300,
                              kEndMs,
                              kEndMs + 4 * kMinuteMs};
  struct RangeSpec {
    int64_t start, end, step;
  };
  const RangeSpec ranges[] = {{kStartMs, kEndMs, 60'000},
                              {kStartMs + 1'234, kEndMs + 120'000, 137'000}};

  const absl::Time begin = absl::Now();
  std::string report, known_report;
  std::map<std::string, std::string> errors;  // query -> Prometheus' error
  int evaluations = 0, failed_queries = 0, non_empty = 0;
  int64_t points = 0;
  for (const std::string& q : all) {
    std::string query_report;
    for (int64_t t : instants) {
      const auto want =
          AskPrometheus("/api/v1/query?query=" + UrlEncode(q) + "&time=" + PromTimeParam(t));
      for (auto& [name, db] : *dbs_) {
        CompareOne(q, StrCat("instant at ", PromTimeParam(t), " (", name, ")"), want,
                   Prom2Engine().Instant(*db, q, t), &query_report);
      }
      ++evaluations;
      if (want.ok() && !want->series.empty()) ++non_empty;
      if (!want.ok()) errors.emplace(q, want.status().ToString());
      if (want.ok()) points += static_cast<int64_t>(want->series.size());
    }
    for (const RangeSpec& r : ranges) {
      const auto want = AskPrometheus(
          "/api/v1/query_range?query=" + UrlEncode(q) + "&start=" + PromTimeParam(r.start) +
          "&end=" + PromTimeParam(r.end) + "&step=" + PromTimeParam(r.step));
      for (auto& [name, db] : *dbs_) {
        CompareOne(q, StrCat("range step ", r.step / 1000, "s (", name, ")"), want,
                   Prom2Engine().Range(*db, q, r.start, r.end, r.step), &query_report);
      }
      ++evaluations;
      if (want.ok() && !want->series.empty()) ++non_empty;
      if (!want.ok()) errors.emplace(q, want.status().ToString());
      if (want.ok()) {
        for (const auto& s : want->series) points += static_cast<int64_t>(s.points.size());
      }
    }
    if (query_report.empty()) continue;
    auto known = KnownDifferences().find(q);
    if (known != KnownDifferences().end()) {
      StrAppend(&known_report, "[known: ", known->second, "] ", query_report);
    } else {
      ++failed_queries;
      report += query_report;
    }
  }
  std::printf(
      "%zu queries, %d evaluations (%d non-empty), %lld points, each compared with %zu Strata "
      "DBs in %s\n",
      all.size(), evaluations, non_empty, static_cast<long long>(points), dbs_->size(),
      absl::FormatDuration(absl::Now() - begin).c_str());
  if (!known_report.empty()) std::printf("known differences:\n%s", known_report.c_str());
  for (const auto& [q, error] : errors) {
    std::printf("Prometheus (and Strata) failed: %s: %s\n", q.c_str(), error.c_str());
  }
  EXPECT_EQ(failed_queries, 0) << report;
}

}  // namespace
}  // namespace strata::query
