// Drives the real Prometheus 2.42 and VictoriaMetrics 1.79 (Debian
// packages) with strata-loadgen and checks every series and sample arrived:
// the load generator speaks remote write the way real receivers expect.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "bench/loadgen/http_client.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"

namespace strata::loadgen {
namespace {

using strata::testing::ChildProcess;
using strata::testing::FreePort;

// A peer server started for one test and killed at its end.
class Peer {
 public:
  Peer(std::vector<std::string> argv, int port, std::string ready_path)
      : port_(port), ready_path_(std::move(ready_path)) {
    auto child = ChildProcess::Start(argv, "");
    if (child.ok())
      process_ = *std::move(child);
    else
      ADD_FAILURE() << child.status();
  }
  bool WaitReady() {
    return process_ != nullptr &&
           strata::testing::WaitForHttp(port_, ready_path_, absl::Seconds(60));
  }
  // The single value of an instant query's vector result, or -1.
  double Query(const std::string& query_escaped) {
    HttpClient c("127.0.0.1", port_);
    auto r = c.Request("GET", "/api/v1/query?query=" + query_escaped);
    if (!r.ok() || r->status != 200) return -1;
    auto json = ParseJson(r->body);
    if (!json.ok()) return -1;
    const JsonValue* result = json->Find("data") ? json->Find("data")->Find("result") : nullptr;
    if (result == nullptr || result->array().size() != 1) return -1;
    const JsonValue* value = result->array()[0].Find("value");
    if (value == nullptr || value->array().size() != 2) return -1;
    return std::stod(value->array()[1].string_value());
  }
  // Samples of all series within the last `range` before `time_s`, via a
  // range-vector instant query (no function: names stay distinct).
  int64_t CountSamples(const std::string& range, int64_t time_s) {
    HttpClient c("127.0.0.1", port_);
    auto r = c.Request("GET", "/api/v1/query?query=%7B__name__%3D~%22.%2B%22%7D%5B" + range +
                                  "%5D&time=" + std::to_string(time_s));
    if (!r.ok() || r->status != 200) return -1;
    auto json = ParseJson(r->body);
    if (!json.ok() || json->Find("data") == nullptr) return -1;
    const JsonValue* result = json->Find("data")->Find("result");
    if (result == nullptr) return -1;
    int64_t n = 0;
    for (const JsonValue& series : result->array()) {
      const JsonValue* values = series.Find("values");
      if (values != nullptr) n += static_cast<int64_t>(values->array().size());
    }
    return n;
  }
  int port() const { return port_; }

 private:
  std::unique_ptr<ChildProcess> process_;  // killed by its destructor
  int port_;
  std::string ready_path_;
};

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LoadgenInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_loadgen_interop_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  // Sends 2 hosts x 40 series for 30 min at 15 s (120 samples each).
  int RunLoadgen(int port) {
    const std::string cmd = std::string(STRATA_LOADGEN) +
                            " --target 127.0.0.1:" + std::to_string(port) +
                            " --hosts 2 --series-per-host 40 --span-s 1800 --connections 3"
                            " --samples-per-request 100 > " +
                            dir_ + "/loadgen.log 2>&1";
    return std::system(cmd.c_str());
  }

  std::string dir_;
};

TEST_F(LoadgenInteropTest, PrometheusReceivesEverySample) {
  const std::string config = dir_ + "/prometheus.yml";
  ASSERT_EQ(std::system(("printf 'global:\\n  scrape_interval: 1h\\n' > " + config).c_str()), 0);
  const int port = FreePort();
  Peer prom({"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir_ + "/data",
             "--web.listen-address=127.0.0.1:" + std::to_string(port),
             "--web.enable-remote-write-receiver"},
            port, "/-/ready");
  ASSERT_TRUE(prom.WaitReady());
  ASSERT_EQ(RunLoadgen(port), 0);
  // count by series of samples over the whole span.
  EXPECT_EQ(prom.Query("count(%7B__name__%3D~%22.%2B%22%7D)"), 80);
  EXPECT_EQ(prom.CountSamples("2h", Now()), 80 * 120);
}

TEST_F(LoadgenInteropTest, VictoriaMetricsReceivesEverySample) {
  const int port = FreePort();
  Peer vm({"victoria-metrics", "-httpListenAddr=127.0.0.1:" + std::to_string(port),
           "-storageDataPath=" + dir_ + "/vm", "-search.latencyOffset=0s"},
          port, "/health");
  ASSERT_TRUE(vm.WaitReady());
  ASSERT_EQ(RunLoadgen(port), 0);
  // VictoriaMetrics makes new data searchable after a short delay.
  double series = -1, samples = -1;
  for (int i = 0; i < 50 && (series != 80 || samples != 80 * 120); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    HttpClient c("127.0.0.1", port);
    (void)c.Request("GET", "/internal/force_flush");
    series = vm.Query("count(%7B__name__%3D~%22.%2B%22%7D)");
    samples = static_cast<double>(vm.CountSamples("2h", Now()));
  }
  EXPECT_EQ(series, 80);
  EXPECT_EQ(samples, 80 * 120);
}

}  // namespace
}  // namespace strata::loadgen
