// Interop with the Debian Prometheus 2.42 (LABELS interop):
//   - Strata replays the WAL Prometheus wrote in tests/fixtures/prometheus-2.42
//     and finds every sample listed in its samples.tsv, bit for bit;
//   - Prometheus, started on a data directory whose WAL Strata wrote
//     (plain and snappy), serves Strata's samples through /api/v1/query.
#include <signal.h>

#include <bit>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/process.h"
#include "tests/testing/prometheus_fixture.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/records.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

// Labels as samples.tsv spells them: name="value", comma-separated, in order.
std::string Format(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    if (!out.empty()) out += ",";
    out += name + "=\"" + value + "\"";
  }
  return out;
}

TEST(PrometheusWalTest, StrataReplaysEverySampleOfAPrometheusWal) {
  ASSERT_TRUE(Env::Default()->IsDirectory(testing::PrometheusFixtureDataDir() + "/wal"));
  std::map<uint64_t, std::string> series;
  std::set<std::tuple<std::string, int64_t, uint64_t>> got;
  std::vector<RefSample> samples;
  std::vector<std::pair<uint64_t, RefSample>> pending;  // samples seen before their series
  ReplayStats stats;
  Status s = Replay(
      *Env::Default(), testing::PrometheusFixtureDataDir() + "/wal",
      ReplayOptions{.cut_torn_tail = false},
      [&](std::string_view r) -> Status {
        if (GetRecordType(r) == RecordType::kSeries) {
          std::vector<RefSeries> decoded;
          Status d = DecodeSeries(r, &decoded);
          for (const auto& rs : decoded) series[rs.ref] = Format(rs.labels);
          return d;
        }
        if (GetRecordType(r) != RecordType::kSamples) return absl::OkStatus();
        samples.clear();
        Status d = DecodeSamples(r, &samples);
        for (const auto& smp : samples) {
          auto it = series.find(smp.ref);
          if (it == series.end()) return absl::DataLossError("sample of an unknown series");
          got.emplace(it->second, smp.t, std::bit_cast<uint64_t>(smp.v));
        }
        return d;
      },
      &stats);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(stats.torn_tail_bytes, 0u);
  EXPECT_EQ(stats.unknown_records, 0u);

  size_t want = 0, missing = 0;
  for (const auto& x : testing::PrometheusFixtureSamples()) {
    ++want;
    if (!got.count({x.labels, x.timestamp_ms, x.value_bits})) {
      if (++missing <= 5) {
        ADD_FAILURE() << "missing from the WAL replay: " << x.labels << " " << x.timestamp_ms;
      }
    }
  }
  EXPECT_GT(want, 10000u);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(got.size(), want);
}

// Prometheus on a data directory whose WAL Strata wrote; the parameter
// turns snappy on.
class PrometheusReadsStrataWalTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!testing::HaveProgram("prometheus")) GTEST_SKIP() << "prometheus not on PATH";
    ASSERT_FALSE(tmp_.path().empty());
    root_ = tmp_.path();
    port_ = testing::FreePort();
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (child_ != nullptr) child_->Stop(SIGKILL);
  }

  void StartPrometheus() {
    const std::string config = root_ + "/prometheus.yml";
    std::ofstream(config) << "global:\n  scrape_interval: 1h\n";
    const std::string log = root_ + "/prometheus.log";
    auto child = testing::ChildProcess::Start(
        {"prometheus", "--storage.tsdb.path=" + root_ + "/data", "--config.file=" + config,
         absl::StrFormat("--web.listen-address=127.0.0.1:%d", port_)},
        log);
    ASSERT_TRUE(child.ok()) << child.status();
    child_ = *std::move(child);
    // Wait for readiness (WAL replay done); no deadline is asserted beyond
    // giving up after a minute.
    ASSERT_TRUE(testing::WaitForHttp(port_, "/-/ready", absl::Seconds(60)))
        << "prometheus did not become ready: " << testing::RunCommand("tail -n 30 " + log).output;
  }

  // Checks that Prometheus serves the samples the tests log: series job="a"
  // and "b", 80 samples from t0 every 15 s.
  void ExpectServes(int64_t t0) {
    for (int i : {0, 17, 79}) {
      const int64_t t = t0 + i * 15000;
      const std::string body = Get(absl::StrFormat(
          "/api/v1/query?query=strata_interop%%7Bjob%%3D%%22a%%22%%7D&time=%.3f", t / 1000.0));
      const std::string want =
          absl::StrFormat("\"value\":[%.3f,\"%s\"]", t / 1000.0, absl::StrFormat("%g", i * 0.5));
      // Prometheus prints the time without trailing zeros.
      std::string want_trimmed = want;
      while (want_trimmed.find(".000,") != std::string::npos) {
        want_trimmed.replace(want_trimmed.find(".000,"), 5, ",");
      }
      EXPECT_TRUE(body.find(want) != std::string::npos ||
                  body.find(want_trimmed) != std::string::npos)
          << "query at " << t << " ms returned " << body << "; wanted " << want_trimmed;
    }
    const std::string count = Get(
        absl::StrFormat("/api/v1/query?query=count_over_time(strata_interop%%5B30m%%5D)&time=%.3f",
                        (t0 + 79 * 15000) / 1000.0));
    EXPECT_NE(count.find("\"80\""), std::string::npos) << count;
  }

  // The body of GET `path`, or "" on a transport error.
  std::string Get(const std::string& path) const {
    StatusOr<testing::HttpResponse> r = testing::HttpGet(port_, path);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->body : "";
  }

  testing::TempDir tmp_{"strata_wal_interop"};
  std::string root_;
  int port_ = -1;
  std::unique_ptr<testing::ChildProcess> child_;
};

TEST_P(PrometheusReadsStrataWalTest, ServesTheSamplesStrataLogged) {
  // Two series with a sample every 15 s over the last 20 minutes.
  const int64_t now_ms = Env::Default()->NowMillis();
  const int64_t t0 = (now_ms - 20 * 60 * 1000) / 15000 * 15000;
  std::vector<RefSeries> series = {{1, {{"__name__", "strata_interop"}, {"job", "a"}}},
                                   {2, {{"__name__", "strata_interop"}, {"job", "b"}}}};
  std::vector<std::string> records(1);
  EncodeSeries(series, &records[0]);
  for (int i = 0; i < 80; ++i) {
    std::vector<RefSample> batch = {{1, t0 + i * 15000, i * 0.5}, {2, t0 + i * 15000, 1000.0 + i}};
    records.emplace_back();
    EncodeSamples(batch, &records.back());
  }
  WriterOptions options;
  options.compress = GetParam();
  auto w = Writer::Open(*Env::Default(), root_ + "/data/wal", options);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<std::string_view> views(records.begin(), records.end());
  ASSERT_TRUE((*w)->Log(views).ok());
  ASSERT_TRUE((*w)->Close().ok());

  StartPrometheus();
  ExpectServes(t0);
}

// After a failed fsync the writer cuts the damaged segment back to its last
// good sync (mid-page: a short segment) and rewrites the rest into the
// next one (wal/writer.h); Prometheus reads that WAL whole.
TEST_P(PrometheusReadsStrataWalTest, ReadsTheWalRewrittenAfterAFailedFsync) {
  const int64_t now_ms = Env::Default()->NowMillis();
  const int64_t t0 = (now_ms - 20 * 60 * 1000) / 15000 * 15000;
  std::vector<RefSeries> series = {{1, {{"__name__", "strata_interop"}, {"job", "a"}}},
                                   {2, {{"__name__", "strata_interop"}, {"job", "b"}}}};
  std::string rec;
  EncodeSeries(series, &rec);
  testing::FaultEnv env(*Env::Default());
  WriterOptions options;
  options.compress = GetParam();
  options.sync_policy = SyncPolicy::kNever;
  auto w = Writer::Open(env, root_ + "/data/wal", options);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Log(rec).ok());
  for (int i = 0; i < 80; ++i) {
    std::vector<RefSample> batch = {{1, t0 + i * 15000, i * 0.5}, {2, t0 + i * 15000, 1000.0 + i}};
    rec.clear();
    EncodeSamples(batch, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    if (i == 30) {
      ASSERT_TRUE((*w)->Sync().ok());
    }
    if (i == 60) {
      env.FailNextSyncs(1);
      ASSERT_FALSE((*w)->Sync().ok());
      ASSERT_TRUE((*w)->Recover().ok());
    }
  }
  ASSERT_TRUE((*w)->Close().ok());
  env.SetActive(false);
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  StatusOr<uint64_t> cut = Env::Default()->GetFileSize(root_ + "/data/wal/00000000");
  ASSERT_TRUE(cut.ok()) << cut.status();
  EXPECT_NE(*cut % kPageSize, 0u) << "segment 0 should end mid-page, where it was cut";

  StartPrometheus();
  ExpectServes(t0);
}

INSTANTIATE_TEST_SUITE_P(Compression, PrometheusReadsStrataWalTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Snappy" : "Plain"; });

}  // namespace
}  // namespace strata::wal
