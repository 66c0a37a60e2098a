// Interop with the real Prometheus 2.42 (Debian package `prometheus`):
// Prometheus scrapes itself every second and remote-writes into Strata,
// then reads Strata's own metrics back through remote read, and promtool
// queries Strata over the HTTP API.
#include <fstream>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_util.h"

namespace strata::server::testing {
namespace {

using strata::testing::ChildProcess;
using strata::testing::FreePort;
using strata::testing::HaveProgram;
using strata::testing::HttpGet;
using strata::testing::RunCommand;
using strata::testing::TempDir;
using strata::testing::UrlEncode;

TEST(PrometheusInteropTest, PrometheusRemoteWritesAndReadsStrata) {
  if (!HaveProgram("prometheus")) GTEST_SKIP() << "prometheus is not installed";
  TempDir dir("strata_prom_interop");
  auto strata = StrataServer::Start(dir.path() + "/strata");
  ASSERT_NE(strata, nullptr);
  const int prom_port = FreePort();
  const std::string config = dir.path() + "/prometheus.yml";
  {
    std::ofstream f(config);
    f << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << prom_port << "']\n"
      << "remote_write:\n  - url: http://127.0.0.1:" << strata->port() << "/api/v1/write\n"
      << "    queue_config:\n      batch_send_deadline: 1s\n      min_backoff: 100ms\n"
      << "      max_backoff: 1s\n"
      << "    metadata_config:\n      send_interval: 1s\n"
      << "remote_read:\n  - url: http://127.0.0.1:" << strata->port() << "/api/v1/read\n"
      << "    read_recent: true\n";
  }
  auto prom = ChildProcess::Start(
      {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/prom",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      dir.path() + "/prometheus.log");
  ASSERT_TRUE(prom.ok()) << prom.status();

  // Prometheus' `up` arrives through remote write within a few seconds.
  const std::string series = "/api/v1/series?match[]=" + UrlEncode("up{job=\"prometheus\"}");
  bool found = false;
  for (absl::Time deadline = absl::Now() + absl::Seconds(40); absl::Now() < deadline;) {
    auto r = strata->Get(series);
    if (r.body.find("\"job\":\"prometheus\"") != std::string::npos) {
      found = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_TRUE(found) << "Prometheus' up never reached Strata; prometheus log:\n"
                     << RunCommand("tail -20 " + dir.path() + "/prometheus.log").output
                     << "\nstrata log:\n"
                     << RunCommand("tail -20 " + strata->log_path()).output;

  // Metadata arrives with remote write and is served by /api/v1/metadata.
  bool metadata = false;
  for (absl::Time deadline = absl::Now() + absl::Seconds(20); absl::Now() < deadline;) {
    auto r = strata->Get("/api/v1/metadata?metric=prometheus_build_info");
    if (r.body.find("\"type\":\"gauge\"") != std::string::npos) {
      metadata = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_TRUE(metadata) << strata->Get("/api/v1/metadata?limit=3").body;

  // Prometheus reads Strata's self-monitoring (which it never scraped)
  // through remote read.
  StatusOr<strata::testing::HttpResponse> r =
      HttpGet(prom_port, "/api/v1/query?query=" + UrlEncode("strata_build_info"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status_code, 200) << r->body;
  EXPECT_NE(r->body.find("\"job\":\"strata\""), std::string::npos) << r->body;

  // promtool against Strata, when the evaluator answers.
  if (HaveProgram("promtool")) {
    auto probe = strata->Get("/api/v1/query?query=up");
    if (probe.status == 200) {
      const auto out =
          RunCommand("promtool query instant http://127.0.0.1:" + std::to_string(strata->port()) +
                     " 'up{job=\"prometheus\"}' 2>&1");
      EXPECT_EQ(out.exit_code, 0) << out.output;
      EXPECT_NE(out.output.find("up{"), std::string::npos) << out.output;
    }
  }
}

// Prometheus 2.42's remote-read client asks for SAMPLES: below
// --storage.remote.read-sample-limit it gets the data as written, above it
// a clear error naming the limit (issue #16).
TEST(PrometheusInteropTest, RemoteReadSampleLimitAsPrometheusSeesIt) {
  if (!HaveProgram("prometheus")) GTEST_SKIP() << "prometheus is not installed";
  TempDir dir("strata_prom_read_limit");
  auto strata =
      StrataServer::Start(dir.path() + "/strata",
                          {"--self-scrape.interval=0", "--storage.remote.read-sample-limit=50"});
  ASSERT_NE(strata, nullptr);
  // Data of the last hour: 10 samples of `small`, 100 of `big`.
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  const int64_t t0 = (now_s - 3000) * 1000;
  TestSeries small{{{"__name__", "small"}, {"job", "x"}}, {}};
  TestSeries big{{{"__name__", "big"}, {"job", "x"}}, {}};
  for (int i = 0; i < 100; ++i) {
    if (i < 10) small.samples.push_back({t0 + i * 15'000, 0.5 * i});
    big.samples.push_back({t0 + i * 15'000, 1.0 * i});
  }
  ASSERT_EQ(strata->Write({small, big}).status, 204);

  const int prom_port = FreePort();
  const std::string config = dir.path() + "/prometheus.yml";
  {
    std::ofstream f(config);
    f << "global:\n  scrape_interval: 1h\n"
      << "remote_read:\n  - url: http://127.0.0.1:" << strata->port() << "/api/v1/read\n"
      << "    read_recent: true\n";
  }
  auto prom = ChildProcess::Start(
      {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/prom",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      dir.path() + "/prometheus.log");
  ASSERT_TRUE(prom.ok()) << prom.status();
  ASSERT_TRUE(strata::testing::WaitForHttp(prom_port, "/-/ready", absl::Seconds(30)));

  const std::string at = "&time=" + std::to_string(now_s);
  StatusOr<strata::testing::HttpResponse> r =
      HttpGet(prom_port, "/api/v1/query?query=" + UrlEncode("sum_over_time(small[1h])") + at);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status_code, 200) << r->body;
  EXPECT_NE(r->body.find("\"22.5\""), std::string::npos) << r->body;  // 0.5 * (0 + ... + 9)
  r = HttpGet(prom_port, "/api/v1/query?query=" + UrlEncode("count_over_time(big[1h])") + at);
  ASSERT_TRUE(r.ok()) << r.status();
  // Prometheus reports a failed remote read as an error or a warning; either
  // way it carries Strata's message, and no partial data.
  EXPECT_NE(r->body.find("exceeded sample limit (50)"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("\"100\""), std::string::npos) << r->body;
}

}  // namespace
}  // namespace strata::server::testing
