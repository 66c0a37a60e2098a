// Prometheus 2.42 on a data directory strata::DB wrote (LABELS interop):
// ~5 h of scrapes appended through the public API, compacted once so the
// directory holds blocks AND a head (WAL, head chunks), then closed.
//   - `promtool tsdb analyze` accepts it and `promtool tsdb dump` (which
//     replays the WAL too) prints exactly the samples appended;
//   - a Prometheus server started on a copy serves the same samples, also
//     those of series that exist only in the WAL.
// Tests skip when promtool or prometheus is not on PATH.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "strata/db.h"
#include "tests/testing/process.h"

namespace strata {
namespace {

using ::strata::testing::ChildProcess;
using ::strata::testing::CommandResult;
using ::strata::testing::RunCommand;
using ::strata::testing::TempDir;

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kStepMs = 15'000;
constexpr uint64_t kPlainNaN = 0x7ff8000000000001ull;

struct Sample {
  int64_t t;
  uint64_t bits;
};

struct Series {
  std::string metric;
  std::string instance;
  std::string job;
  std::vector<Sample> samples;

  // promtool's and PromQL's spelling: {a="b", c="d"} sorted by name.
  std::string Text() const {
    return StrCat("{__name__=\"", metric, "\", instance=\"", instance, "\", job=\"", job, "\"}");
  }
  std::string Selector() const {
    return StrCat(metric, "{instance=\"", instance, "\",job=\"", job, "\"}");
  }
};

bool SameValue(uint64_t want_bits, double got) {
  const double want = std::bit_cast<double>(want_bits);
  if (std::isnan(want)) return std::isnan(got);  // every NaN prints as "NaN"
  return want_bits == std::bit_cast<uint64_t>(got);
}

// 3 metrics x 8 instances over [start, start + 5 h) every 15 s (some with
// staleness markers, plain NaNs and gaps), plus 4 series that start in the
// last 30 min and so live only in the head and the WAL after compaction.
std::vector<Series> MakeSeries(int64_t start_ms) {
  std::mt19937_64 rng(7);
  std::vector<Series> out;
  const char* metrics[] = {"strata_dbi_requests_total", "strata_dbi_temperature",
                           "strata_dbi_random_bits"};
  int n = 0;
  for (const char* metric : metrics) {
    for (int i = 0; i < 8; ++i, ++n) {
      Series s{metric, StrCat("host-", i, ":9100"), i % 2 ? "api" : "db", {}};
      double counter = 0;
      for (int64_t t = start_ms + (rng() % 3) * 1000; t < start_ms + 5 * kHourMs; t += kStepMs) {
        if (rng() % 300 == 0) t += 5 * 60 * 1000;  // a scrape gap
        double v;
        if (n % 3 == 0) {
          counter += static_cast<double>(rng() % 100);
          v = counter;
        } else if (n % 3 == 1) {
          v = std::round((20 + 5 * std::sin(static_cast<double>(t) / 3e6)) * 100) / 100;
        } else {
          v = std::bit_cast<double>(rng() & 0x7fefffffffffffffull);
        }
        uint64_t bits = std::bit_cast<uint64_t>(v);
        if (rng() % 400 == 0) bits = kStaleNaNBits;
        if (n % 5 == 0 && rng() % 500 == 0) bits = kPlainNaN;
        s.samples.push_back({t, bits});
      }
      out.push_back(std::move(s));
    }
  }
  for (int i = 0; i < 4; ++i) {
    Series s{"strata_dbi_head_only", StrCat("head-", i), "head", {}};
    for (int64_t t = start_ms + 4 * kHourMs + kHourMs / 2 + i * 1000; t < start_ms + 5 * kHourMs;
         t += kStepMs) {
      s.samples.push_back({t, std::bit_cast<uint64_t>(i * 1000.0 + static_cast<double>(t % 977))});
    }
    if (i == 3) s.samples.back().bits = kStaleNaNBits;
    out.push_back(std::move(s));
  }
  return out;
}

class DBPrometheusInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveProgram("promtool")) GTEST_SKIP() << "promtool not on PATH";
    ASSERT_FALSE(tmp_.path().empty());
    // A few days back (so Prometheus' retention keeps everything), aligned
    // to the block range so the first 2 h become one block.
    const int64_t now = Env::Default()->NowMillis();
    start_ms_ = (now - 3 * 24 * kHourMs) / (2 * kHourMs) * (2 * kHourMs);
    end_ms_ = start_ms_ + 5 * kHourMs;
    series_ = MakeSeries(start_ms_);
    data_dir_ = tmp_.path() + "/data";

    Options options;
    options.background_compaction = false;
    options.retention_ms = 0;
    StatusOr<std::unique_ptr<DB>> db = DB::Open(options, data_dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    std::unique_ptr<Appender> app = (*db)->NewAppender();
    // Scrape by scrape: each commit holds every series' sample due by then.
    std::vector<size_t> next(series_.size(), 0);
    // (A gap may push a series' last sample past end_ms_.)
    for (int64_t t = start_ms_; t < end_ms_ + kHourMs; t += kStepMs) {
      bool any = false;
      for (size_t i = 0; i < series_.size(); ++i) {
        const Series& s = series_[i];
        while (next[i] < s.samples.size() && s.samples[next[i]].t < t) {
          const Sample& x = s.samples[next[i]++];
          StatusOr<SeriesRef> ref =
              app->Append({{"__name__", s.metric}, {"instance", s.instance}, {"job", s.job}}, x.t,
                          std::bit_cast<double>(x.bits));
          ASSERT_TRUE(ref.ok()) << ref.status();
          any = true;
        }
      }
      if (any) {
        const Status committed = app->Commit();
        ASSERT_TRUE(committed.ok()) << committed;
      }
    }
    app.reset();
    const Status compacted = (*db)->Compact();
    ASSERT_TRUE(compacted.ok()) << compacted;
    const DBStats stats = (*db)->Stats();
    ASSERT_GE(stats.blocks, 1u);
    ASSERT_GT(stats.head_series, 0u);
    // The head-only series are only in the head.
    ASSERT_LE(stats.head_min_time_ms, start_ms_ + 4 * kHourMs + kHourMs / 2);
    const Status closed = (*db)->Close();
    ASSERT_TRUE(closed.ok()) << closed;
    size_t stale = 0, nan = 0;
    for (const Series& s : series_) {
      want_samples_ += s.samples.size();
      for (const Sample& x : s.samples) {
        stale += x.bits == kStaleNaNBits;
        nan += x.bits == kPlainNaN;
      }
    }
    ASSERT_GT(stale, 0u);
    ASSERT_GT(nan, 0u);
  }

  TempDir tmp_{"strata_db_prometheus_interop"};
  int64_t start_ms_ = 0, end_ms_ = 0;
  std::vector<Series> series_;
  std::string data_dir_;
  size_t want_samples_ = 0;
};

TEST_F(DBPrometheusInteropTest, PromtoolAnalyzeAndDumpReadBlocksAndWal) {
  const CommandResult analyze = RunCommand("promtool tsdb analyze " + data_dir_ + " 2>&1");
  ASSERT_EQ(analyze.exit_code, 0) << analyze.output;
  EXPECT_NE(analyze.output.find("Block ID: "), std::string::npos) << analyze.output;

  const CommandResult dump = RunCommand("promtool tsdb dump " + data_dir_);
  ASSERT_EQ(dump.exit_code, 0) << dump.output.substr(0, 2000);
  // Lines are `{a="b", c="d"} <value> <timestamp ms>`.
  std::map<std::string, std::vector<std::pair<int64_t, double>>> got;
  size_t lines = 0;
  for (size_t pos = 0; pos < dump.output.size();) {
    size_t eol = dump.output.find('\n', pos);
    if (eol == std::string::npos) eol = dump.output.size();
    const std::string_view line(dump.output.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    const size_t ts_space = line.rfind(' ');
    ASSERT_NE(ts_space, std::string_view::npos) << line;
    const size_t value_space = line.rfind(' ', ts_space - 1);
    ASSERT_NE(value_space, std::string_view::npos) << line;
    const std::string value(line.substr(value_space + 1, ts_space - value_space - 1));
    const std::string ts(line.substr(ts_space + 1));
    got[std::string(line.substr(0, value_space))].emplace_back(
        std::strtoll(ts.c_str(), nullptr, 10), std::strtod(value.c_str(), nullptr));
    ++lines;
  }
  EXPECT_EQ(lines, want_samples_);
  EXPECT_EQ(got.size(), series_.size());
  for (const Series& s : series_) {
    const auto it = got.find(s.Text());
    ASSERT_NE(it, got.end()) << s.Text() << " not dumped";
    for (size_t i = 0; i < std::min(s.samples.size(), it->second.size()); ++i) {
      ASSERT_EQ(it->second[i].first, s.samples[i].t) << s.Text() << " sample " << i;
      ASSERT_TRUE(SameValue(s.samples[i].bits, it->second[i].second))
          << s.Text() << " sample " << i << ": want bits " << std::hex << s.samples[i].bits
          << ", got " << it->second[i].second;
    }
    ASSERT_EQ(it->second.size(), s.samples.size()) << s.Text();
  }
}

TEST_F(DBPrometheusInteropTest, PrometheusServesBlocksAndReplaysTheWal) {
  if (!testing::HaveProgram("prometheus")) GTEST_SKIP() << "prometheus not on PATH";
  // Prometheus may compact or rewrite what it opens: give it a copy.
  const std::string copy = tmp_.path() + "/prometheus-data";
  ASSERT_EQ(RunCommand("cp -a " + data_dir_ + " " + copy).exit_code, 0);
  const std::string config = tmp_.path() + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1h\n";
  const int port = testing::FreePort();
  ASSERT_GT(port, 0);
  const std::string log = tmp_.path() + "/prometheus.log";
  auto server =
      ChildProcess::Start({"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + copy,
                           "--storage.tsdb.retention.time=100y",
                           "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                          log);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(testing::WaitForHttp(port, "/-/ready", absl::Seconds(60)))
      << RunCommand("tail -n 30 " + log).output;

  // Prometheus' head holds what it replayed from our WAL: the head-only
  // series must be among its head series.
  auto status = testing::HttpGet(port, "/api/v1/status/tsdb");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_NE(status->body.find("strata_dbi_head_only"), std::string::npos)
      << "head-only series not in Prometheus' head: " << status->body.substr(0, 1000);

  // A range selector covering everything returns each series' raw samples
  // (PromQL drops staleness markers).
  const std::string eval = std::to_string(end_ms_ / 1000 + 3600);
  size_t head_only = 0;
  for (const Series& s : series_) {
    const std::string query = s.Selector() + "[10d]";
    auto r = testing::HttpGet(port,
                              "/api/v1/query?query=" + testing::UrlEncode(query) + "&time=" + eval);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status_code, 200) << r->body;
    const auto results = testing::ParseMatrixValues(r->body);
    ASSERT_EQ(results.size(), 1u) << query << ": " << r->body.substr(0, 500);
    std::vector<Sample> want;
    for (const Sample& x : s.samples) {
      if (x.bits != kStaleNaNBits) want.push_back(x);
    }
    for (size_t i = 0; i < std::min(want.size(), results[0].size()); ++i) {
      ASSERT_EQ(results[0][i].first, want[i].t) << query << " sample " << i;
      ASSERT_TRUE(SameValue(want[i].bits, results[0][i].second))
          << query << " sample " << i << ": want bits " << std::hex << want[i].bits << ", got "
          << results[0][i].second;
    }
    ASSERT_EQ(results[0].size(), want.size()) << query;
    if (s.job == "head") ++head_only;
  }
  EXPECT_EQ(head_only, 4u);
}

}  // namespace
}  // namespace strata
