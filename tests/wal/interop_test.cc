// Interop with the Debian Prometheus 2.42 (LABELS interop):
//   - Strata replays the WAL Prometheus wrote in tests/fixtures/prometheus-2.42
//     and finds every sample listed in its samples.tsv, bit for bit;
//   - Prometheus, started on a data directory whose WAL Strata wrote
//     (plain and snappy), serves Strata's samples through /api/v1/query.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/prometheus_fixture.h"
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

// Runs `cmd` and returns its standard output.
std::string Capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Prometheus on a data directory whose WAL Strata wrote; the parameter
// turns snappy on.
class PrometheusReadsStrataWalTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_wal_interop_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    port_ = FreePort();
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    ASSERT_TRUE(Env::Default()->RemoveAll(root_).ok());
  }

  void StartPrometheus() {
    const std::string config = root_ + "/prometheus.yml";
    std::ofstream(config) << "global:\n  scrape_interval: 1h\n";
    const std::string path = "--storage.tsdb.path=" + root_ + "/data";
    const std::string cfg = "--config.file=" + config;
    const std::string listen = absl::StrFormat("--web.listen-address=127.0.0.1:%d", port_);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      std::freopen((root_ + "/prometheus.log").c_str(), "w", stderr);
      ::execl("/usr/bin/prometheus", "prometheus", path.c_str(), cfg.c_str(), listen.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait for readiness (WAL replay done); no deadline is asserted beyond
    // giving up after a minute.
    for (int i = 0; i < 600; ++i) {
      if (Capture(Url("/-/ready") + " -o /dev/null -w '%{http_code}'") == "200") return;
      ::usleep(100 * 1000);
    }
    FAIL() << "prometheus did not become ready; see " << root_ << "/prometheus.log";
  }

  std::string Url(const std::string& path) const {
    return absl::StrFormat("curl -s 'http://127.0.0.1:%d%s'", port_, path);
  }

  std::string root_;
  int port_ = -1;
  pid_t child_ = -1;
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
  for (int i : {0, 17, 79}) {
    const int64_t t = t0 + i * 15000;
    const std::string body = Capture(Url(absl::StrFormat(
        "/api/v1/query?query=strata_interop%%7Bjob%%3D%%22a%%22%%7D&time=%.3f", t / 1000.0)));
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
  const std::string count = Capture(Url(
      absl::StrFormat("/api/v1/query?query=count_over_time(strata_interop%%5B30m%%5D)&time=%.3f",
                      (t0 + 79 * 15000) / 1000.0)));
  EXPECT_NE(count.find("\"80\""), std::string::npos) << count;
}

INSTANTIATE_TEST_SUITE_P(Compression, PrometheusReadsStrataWalTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Snappy" : "Plain"; });

}  // namespace
}  // namespace strata::wal
