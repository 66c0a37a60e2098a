// Starts the real `strata serve` on 127.0.0.1 and talks to it as
// Prometheus, Grafana and promtool do (STYLE.md §2 "Whole system").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <set>
#include <string>
#include <thread>

#include "base/json.h"
#include "base/strings.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "gtest/gtest.h"
#include "server/remote_read.h"
#include "snappy.h"
#include "tests/server/server_test_util.h"

namespace strata::server::testing {
namespace {

using strata::testing::RawConnection;
using strata::testing::TempDir;
using strata::testing::UrlEncode;

constexpr int64_t kT0 = 1700000000000;  // 2023-11-14, a fixed test time

TestSeries Series(std::string name, std::string job, int64_t t0, int n, double v0 = 1) {
  TestSeries s;
  s.labels = {{"__name__", std::move(name)}, {"instance", "host:9100"}, {"job", std::move(job)}};
  for (int i = 0; i < n; ++i) s.samples.push_back({t0 + i * 15000, v0 + i});
  return s;
}

JsonValue Json(const loadgen::HttpResponse& r) {
  StatusOr<JsonValue> v = ParseJson(r.body);
  EXPECT_TRUE(v.ok()) << v.status() << "\n" << r.body;
  return v.ok() ? *v : JsonValue();
}

std::string Q(const std::string& s) { return UrlEncode(s); }

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StrataServer::Start(dir_.path() + "/data", {"--self-scrape.interval=0"});
    ASSERT_NE(server_, nullptr);
  }
  TempDir dir_{"strata_server_test"};
  std::unique_ptr<StrataServer> server_;
};

TEST_F(ServerTest, RemoteWriteThenSeriesLabelsValuesAndQuery) {
  auto r = server_->Write({Series("http_requests_total", "api", kT0, 10),
                           Series("http_requests_total", "web", kT0, 10, 100),
                           Series("node_load1", "node", kT0, 3)});
  ASSERT_EQ(r.status, 204) << r.body;

  const std::string range =
      "&start=" + std::to_string(kT0 / 1000 - 60) + "&end=" + std::to_string(kT0 / 1000 + 3600);
  r = server_->Get("/api/v1/series?match[]=" + Q("http_requests_total") + range);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            "{\"status\":\"success\",\"data\":["
            "{\"__name__\":\"http_requests_total\",\"instance\":\"host:9100\",\"job\":\"api\"},"
            "{\"__name__\":\"http_requests_total\",\"instance\":\"host:9100\",\"job\":\"web\"}]}");

  r = server_->Get("/api/v1/labels");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"__name__\",\"instance\",\"job\"]}");
  r = server_->Get("/api/v1/label/job/values");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"api\",\"node\",\"web\"]}");
  r = server_->Get("/api/v1/label/job/values?match[]=" + Q("{__name__=~\"http.*\"}"));
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"api\",\"web\"]}");
  r = server_->Get("/api/v1/label/__name__/values?limit=1");
  EXPECT_EQ(r.body,
            "{\"status\":\"success\",\"data\":[\"http_requests_total\"],"
            "\"warnings\":[\"results truncated due to limit\"]}");
  // POST with a form body, as Grafana sends it.
  r = server_->Post("/api/v1/labels", "match[]=node_load1",
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"__name__\",\"instance\",\"job\"]}");

  // The query API: whatever the evaluator can do, the shape must be right.
  const std::string at = std::to_string(kT0 / 1000 + 30) + ".5";
  r = server_->Get("/api/v1/query?query=" + Q("node_load1") + "&time=" + at);
  if (r.status == 200) {
    EXPECT_EQ(r.body,
              "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
              "{\"metric\":{\"__name__\":\"node_load1\",\"instance\":\"host:9100\",\"job\":"
              "\"node\"},\"value\":[" +
                  at + "00,\"3\"]}]}}");
  } else {
    EXPECT_EQ(r.status, 422) << r.body;
  }
  r = server_->Get("/api/v1/query_range?query=" + Q("node_load1") +
                   "&start=" + std::to_string(kT0 / 1000) +
                   "&end=" + std::to_string(kT0 / 1000 + 30) + "&step=15s");
  if (r.status == 200) {
    EXPECT_NE(r.body.find("\"resultType\":\"matrix\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"values\":[[1700000000,\"1\"],[1700000015,\"2\"],"
                          "[1700000030,\"3\"]]"),
              std::string::npos)
        << r.body;
  } else {
    EXPECT_EQ(r.status, 422) << r.body;
  }
}

TEST_F(ServerTest, RemoteWriteAnswersWithPrometheusStatusCodes) {
  // Remote write 2.0 and other encodings: 415.
  auto r = server_->Write(
      {Series("a", "x", kT0, 1)},
      {{"Content-Encoding", "snappy"},
       {"Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request"}});
  EXPECT_EQ(r.status, 415) << r.body;
  r = server_->Write({Series("a", "x", kT0, 1)},
                     {{"Content-Encoding", "gzip"}, {"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 415) << r.body;
  // Not snappy: 400 with a message.
  r = server_->Post("/api/v1/write", "definitely not snappy",
                    {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.body.empty());
  // Out of order: 400 naming the series, and the good samples are kept.
  ASSERT_EQ(server_->Write({Series("ooo", "x", kT0 + 60000, 1)}).status, 204);
  r = server_->Write({Series("ooo", "x", kT0, 1), Series("good", "x", kT0, 2)});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("ooo"), std::string::npos) << r.body;
  r = server_->Get("/api/v1/series?match[]=good");
  EXPECT_NE(r.body.find("\"__name__\":\"good\""), std::string::npos) << r.body;
  // A series without labels is bad data too.
  TestSeries empty;
  empty.samples.push_back({kT0, 1});
  r = server_->Write({empty, Series("good2", "x", kT0, 1)});
  EXPECT_EQ(r.status, 400) << r.body;
  r = server_->Get("/api/v1/series?match[]=good2");
  EXPECT_NE(r.body.find("good2"), std::string::npos) << r.body;
  // GET is not a write.
  EXPECT_EQ(server_->Get("/api/v1/write").status, 405);
}

// Each kind of bad remote-write input gets a 4xx with a message, the
// server stays up, and what was acknowledged before is all still there.
TEST_F(ServerTest, BadRemoteWriteInputIsRefusedWithAMessageAndLosesNothing) {
  ASSERT_EQ(server_->Write({Series("kept", "x", kT0, 100)}).status, 204);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}};
  auto body = [](const std::vector<TestSeries>& series) {
    std::vector<loadgen::EncodeSeries> enc;
    for (const TestSeries& s : series) enc.push_back({s.labels, s.samples});
    std::string proto, out;
    loadgen::AppendWriteRequest(enc, &proto);
    loadgen::SnappyCompress(proto, &out);
    return out;
  };
  auto expect_400 = [&](const std::string& what, const loadgen::HttpResponse& r,
                        const std::string& message) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_NE(r.body.find(message), std::string::npos) << what << ": " << r.body;
    EXPECT_LT(r.body.size(), 2000u) << what << ": the message quotes too much";
  };
  const std::string good = body({Series("other", "x", kT0, 10)});
  expect_400("truncated snappy",
             server_->Post("/api/v1/write", good.substr(0, good.size() / 2), headers), "snappy");
  std::string garbage;
  loadgen::SnappyCompress(std::string("\x0a\xff\xff\xff\xff\x0f garbage protobuf"), &garbage);
  expect_400("garbage protobuf", server_->Post("/api/v1/write", garbage, headers), "offset");

  TestSeries dup = Series("dup", "x", kT0, 1);
  dup.labels.push_back({"job", "y"});
  expect_400("duplicated label", server_->Write({dup}), "appears twice");
  TestSeries empty_name = Series("empty_name", "x", kT0, 1);
  empty_name.labels.insert(empty_name.labels.begin(), {"", "v"});
  expect_400("empty label name", server_->Write({empty_name}), "empty name");
  TestSeries nameless = Series("nameless", "x", kT0, 1);
  nameless.labels.erase(nameless.labels.begin());
  expect_400("missing __name__", server_->Write({nameless}), "no metric name");
  TestSeries huge = Series("huge", "x", kT0, 1);
  huge.labels.push_back({"zz", std::string(100000, 'v')});
  expect_400("huge label value", server_->Write({huge}), "over the limit");
  // Unsorted labels are sorted, as Prometheus' own TSDB would store them.
  TestSeries unsorted = Series("unsorted", "x", kT0, 1);
  std::reverse(unsorted.labels.begin(), unsorted.labels.end());
  EXPECT_EQ(server_->Write({unsorted}).status, 204);
  // A bad sample in the middle of a series refuses that sample only.
  TestSeries late = Series("partly", "x", kT0, 3);
  late.samples.insert(late.samples.begin() + 2, {kT0 - 60000, 9});
  expect_400("out-of-order sample inside a series", server_->Write({late}), "out of order");

  EXPECT_TRUE(server_->process().Running());
  const std::string at = std::to_string(kT0 / 1000 + 1500);
  auto r = server_->Get("/api/v1/query?query=" + Q("count_over_time(kept[30m])") + "&time=" + at);
  EXPECT_NE(r.body.find("\"100\""), std::string::npos) << r.body;
  r = server_->Get("/api/v1/query?query=" + Q("count_over_time(partly[30m])") + "&time=" + at);
  EXPECT_NE(r.body.find("\"3\""), std::string::npos) << r.body;
  for (const char* refused : {"dup", "empty_name", "huge"}) {
    r = server_->Get("/api/v1/series?match[]=" + std::string(refused));
    EXPECT_EQ(r.body.find(refused), std::string::npos) << r.body;
  }
  r = server_->Get("/api/v1/series?match[]=unsorted");
  EXPECT_NE(r.body.find("\"__name__\":\"unsorted\""), std::string::npos) << r.body;
}

// SIGKILL in the middle of ingest: after a restart every sample that got a
// 2xx is there.
TEST(ServerCrashTest, SigkillMidIngestKeepsEveryAcknowledgedSample) {
  TempDir dir("strata_server_crash");
  const std::string data = dir.path() + "/data";
  std::vector<int> acknowledged;
  {
    auto server = StrataServer::Start(data, {"--self-scrape.interval=0", "--wal.fsync=never"});
    ASSERT_NE(server, nullptr);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int i = 0; !stop.load(); ++i) {
        loadgen::HttpClient client("127.0.0.1", server->port());
        std::vector<loadgen::EncodeSeries> enc;
        TestSeries s = Series("crash", "j" + std::to_string(i), kT0, 100);
        enc.push_back({s.labels, s.samples});
        std::string proto, out;
        loadgen::AppendWriteRequest(enc, &proto);
        loadgen::SnappyCompress(proto, &out);
        auto r = client.Request(
            "POST", "/api/v1/write", out,
            {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}});
        if (!r.ok()) break;  // the server is gone
        if (r->status / 100 == 2) acknowledged.push_back(i);
      }
    });
    absl::SleepFor(absl::Milliseconds(1500));
    const int status = server->process().Stop(SIGKILL, absl::Seconds(5));
    EXPECT_TRUE(WIFSIGNALED(status)) << status;
    stop = true;
    writer.join();
  }
  ASSERT_GT(acknowledged.size(), 10u);
  auto server = StrataServer::Start(data, {"--self-scrape.interval=0"});
  ASSERT_NE(server, nullptr);
  const std::string at = std::to_string(kT0 / 1000 + 1500);
  auto r = server->Get("/api/v1/query?query=" + Q("count_over_time(crash[30m])") + "&time=" + at);
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> complete;
  const JsonValue v = Json(r);
  for (const JsonValue& s : v.Find("data")->Find("result")->array()) {
    if (s.Find("value")->array()[1].string_value() == "100") {
      complete.insert(s.Find("metric")->Find("job")->string_value());
    }
  }
  for (int i : acknowledged) {
    EXPECT_TRUE(complete.contains("j" + std::to_string(i))) << "acknowledged request " << i;
  }
}

std::string WriteHeaders(uint64_t content_length) {
  return strata::StrCat("POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                        "Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n",
                        "Content-Length: ", content_length, "\r\n\r\n");
}

TEST(ServerLimitsTest, LoadIsShedWith503WhileOtherBodiesHoldTheInflightBytes) {
  TempDir dir("strata_server_shed");
  auto server = StrataServer::Start(
      dir.path() + "/data", {"--self-scrape.interval=0", "--web.max-inflight-body-bytes=10000"});
  ASSERT_NE(server, nullptr);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}};
  {
    // A slow sender holds the 8,000 bytes it sent of the 10,000 (what it
    // only declared holds nothing).
    RawConnection slow(server->port());
    ASSERT_TRUE(slow.Send(WriteHeaders(9000) + std::string(8000, 'x')));
    absl::SleepFor(absl::Milliseconds(300));
    auto r = server->Post("/api/v1/write", std::string(5000, 'x'), headers);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("retry"), std::string::npos) << r.body;
    // Small requests still fit.
    EXPECT_EQ(server->Write({Series("small", "x", kT0, 1)}).status, 204);
  }
  // The slow sender went away: its bytes are free again.
  absl::SleepFor(absl::Milliseconds(300));
  auto r = server->Post("/api/v1/write", std::string(5000, 'x'), headers);
  EXPECT_EQ(r.status, 400) << r.body;  // admitted, and not snappy
  EXPECT_TRUE(server->process().Running());
}

TEST(ServerLimitsTest, A413ReachesAClientThatIsStillSendingItsBody) {
  TempDir dir("strata_server_413");
  auto server = StrataServer::Start(dir.path() + "/data",
                                    {"--self-scrape.interval=0", "--web.max-body-bytes=2000"});
  ASSERT_NE(server, nullptr);
  for (int attempt = 0; attempt < 5; ++attempt) {
    RawConnection conn(server->port());
    const uint64_t size = 8 << 20;  // far more than the socket buffers hold
    std::thread sender([&] { conn.Send(WriteHeaders(size) + std::string(size, 'x')); });
    bool reset = false;
    const std::string answer = conn.ReadAll(&reset);
    sender.join();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 413"))
        << "attempt " << attempt << ": " << answer.substr(0, 200);
    EXPECT_NE(answer.find("--web.max-body-bytes"), std::string::npos);
  }
  EXPECT_TRUE(server->process().Running());
}

TEST(ServerLimitsTest, TooLargeBodiesGet413) {
  TempDir dir("strata_server_limits");
  auto server = StrataServer::Start(dir.path() + "/data", {"--web.max-body-bytes=2000"});
  ASSERT_NE(server, nullptr);
  auto r =
      server->Post("/api/v1/write", std::string(5000, 'x'),
                   {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 413) << r.body;
  // Small on the wire, large once decompressed: 413 as well.
  std::vector<TestSeries> many;
  for (int i = 0; i < 50; ++i) many.push_back(Series("m", std::string(200, 'a' + i % 26), kT0, 1));
  r = server->Write(many);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_TRUE(server->process().Running());
}

// Issue #16: a small body that decodes into millions of items is refused
// with the limit named, and a series with thousands of labels as well.
TEST_F(ServerTest, RemoteWriteLimitsAreNamedWhenHit) {
  std::string proto, body;
  for (int i = 0; i < 16'000'000; ++i) proto.append("\x0a\x00", 2);  // empty TimeSeries
  loadgen::SnappyCompress(proto, &body);
  auto r =
      server_->Post("/api/v1/write", body,
                    {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("--web.max-series-per-request"), std::string::npos) << r.body;

  TestSeries wide = Series("wide", "x", kT0, 1);
  for (int i = 0; i < 5000; ++i) wide.labels.push_back({"l" + std::to_string(i), "v"});
  r = server_->Write({wide});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(
      r.body.find("has 5003 labels, more than the limit of 256 (--web.max-labels-per-series)"),
      std::string::npos)
      << r.body;
  EXPECT_EQ(server_->Write({Series("narrow", "x", kT0, 1)}).status, 204);
}

// Issue #16: one sample from a client with a wrong clock must not make the
// head's window jump ahead and every current sample unwritable.
TEST(ServerLimitsTest, AFutureSampleIsRefusedAndCurrentWritesGoOnAcrossCompactions) {
  TempDir dir("strata_server_future");
  auto server = StrataServer::Start(dir.path() + "/data",
                                    {"--self-scrape.interval=0", "--web.enable-admin-api"});
  ASSERT_NE(server, nullptr);
  const int64_t now = absl::ToUnixMillis(absl::Now());
  const int64_t ten_years = int64_t{10} * 365 * 24 * 3600 * 1000;
  auto r = server->Write({Series("clock", "wrong", now + ten_years, 1)});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("--storage.max-future"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("job=\"wrong\""), std::string::npos) << r.body;
  // Current writes before and after forced compactions are all taken.
  int written = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i, ++written) {
      const int64_t t = now - 60'000 + written * 1000;
      r = server->Write({Series("current", "right", t, 1, written)});
      ASSERT_EQ(r.status, 204) << "write " << written << ": " << r.body;
    }
    r = server->Post("/api/v1/admin/tsdb/clean_tombstones", "", {});
    EXPECT_EQ(r.status, 204) << r.body;
  }
  r = server->Get("/api/v1/query?query=" + Q("count_over_time(current[5m])") +
                  "&time=" + std::to_string(now / 1000 + 60));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"" + std::to_string(written) + "\"]"), std::string::npos) << r.body;
  r = server->Get("/api/v1/query?query=clock&time=" + std::to_string((now + ten_years) / 1000));
  EXPECT_NE(r.body.find("\"result\":[]"), std::string::npos) << r.body;
  r = server->Get("/metrics");
  EXPECT_NE(r.body.find("strata_samples_refused_by_reason_total{reason=\"too_new\"} 1"),
            std::string::npos)
      << r.body;
}

TEST_F(ServerTest, ApiErrorsHavePrometheusShapes) {
  auto r = server_->Get("/api/v1/series");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"no match[] parameter "
            "provided\"}");
  r = server_->Get("/api/v1/query_range?query=up&start=10&end=0&step=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("end timestamp must not be before start time"), std::string::npos);
  r = server_->Get("/api/v1/query_range?query=up&start=0&end=100000&step=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("exceeded maximum resolution of 11,000 points"), std::string::npos);
  r = server_->Get("/api/v1/query_range?query=up&start=0&end=10&step=0");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("zero or negative query resolution step widths"), std::string::npos);
  r = server_->Get("/api/v1/query?query=up&time=yesterday");
  EXPECT_EQ(r.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
            "\\\"time\\\": cannot parse \\\"yesterday\\\" to a valid timestamp\"}");
  r = server_->Get("/api/v1/query?query=" + Q("sum(") + "&time=1");
  EXPECT_TRUE(r.status == 400 || r.status == 422) << r.body;
  r = server_->Get("/api/v1/series?match[]=" + Q("rate(x[5m])"));
  EXPECT_EQ(r.status, 400);
  r = server_->Get("/api/v1/label/bad-name/values");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid label name"), std::string::npos);
  EXPECT_EQ(server_->Get("/api/v1/nope").status, 404);
  r = server_->Post("/api/v1/admin/tsdb/snapshot", "", {});
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("admin APIs disabled"), std::string::npos);
}

TEST_F(ServerTest, TimeoutParameterShortensTheQueryTimeout) {
  std::vector<TestSeries> series;
  for (int i = 0; i < 20; ++i) series.push_back(Series("slow", "j" + std::to_string(i), kT0, 960));
  ASSERT_EQ(server_->Write(series).status, 204);
  // 4 h of 1 s steps, each a 1 h subquery at 1 s: far more than 50 ms of work.
  const std::string q = "/api/v1/query_range?query=" + Q("sum(max_over_time(slow[1h:1s]))") +
                        "&start=" + std::to_string(kT0 / 1000) +
                        "&end=" + std::to_string(kT0 / 1000 + 4 * 3600) + "&step=2";
  const absl::Time t0 = absl::Now();
  auto r = server_->Get(q + "&timeout=50ms");
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  EXPECT_EQ(r.status, 503) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("\"errorType\":\"timeout\""), std::string::npos) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("timeout 50ms"), std::string::npos) << r.body.substr(0, 300);
  r = server_->Get("/api/v1/query?query=up&timeout=soon");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find(R"(invalid parameter \"timeout\")"), std::string::npos) << r.body;
}

TEST_F(ServerTest, StatusEndpointsAnswerWhatGrafanaReads) {
  auto r = server_->Get("/api/v1/status/buildinfo");
  ASSERT_EQ(r.status, 200);
  JsonValue v = Json(r);
  ASSERT_NE(v.Find("data"), nullptr);
  ASSERT_NE(v.Find("data")->Find("version"), nullptr);
  EXPECT_EQ(v.Find("data")->Find("version")->string_value(), "2.42.0");
  ASSERT_EQ(server_->Write({Series("node_load1", "node", kT0, 3)}).status, 204);
  r = server_->Get("/api/v1/status/tsdb");
  ASSERT_EQ(r.status, 200) << r.body;
  v = Json(r);
  EXPECT_EQ(v.Find("data")->Find("headStats")->Find("numSeries")->string_value(), "1");
  EXPECT_NE(r.body.find("{\"name\":\"node_load1\",\"value\":1}"), std::string::npos) << r.body;
  for (const char* path : {"/api/v1/status/flags", "/api/v1/status/runtimeinfo", "/api/v1/metadata",
                           "/api/v1/rules", "/api/v1/alerts"}) {
    r = server_->Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(Json(r).Find("status")->string_value(), "success") << path;
  }
  r = server_->Get("/api/v1/query_exemplars?query=up&start=0&end=1");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[]}");
  EXPECT_EQ(server_->Get("/-/healthy").status, 200);
  r = server_->Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(
      r.body.find("strata_http_requests_total{code=\"200\",handler=\"/api/v1/status/tsdb\"} 1"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("strata_head_series 1"), std::string::npos);
  EXPECT_NE(r.body.find("process_resident_memory_bytes "), std::string::npos);
}

TEST_F(ServerTest, RemoteReadAnswersSamplesAndStreamedChunks) {
  ASSERT_EQ(server_->Write({Series("rr", "a", kT0, 200), Series("rr", "b", kT0, 5)}).status, 204);
  ReadRequest req;
  req.queries.push_back(
      ReadQuery{kT0, kT0 + 3600 * 1000, {{LabelMatcher::Type::kEqual, "__name__", "rr"}}});
  for (int type : {0, 1}) {
    req.accepted_response_types = {type};
    std::string body;
    snappy::Compress(EncodeReadRequest(req).data(), EncodeReadRequest(req).size(), &body);
    auto r = server_->Post("/api/v1/read", body,
                           {{"Content-Encoding", "snappy"},
                            {"Content-Type", "application/x-protobuf"},
                            {"X-Prometheus-Remote-Read-Version", "0.1.0"}});
    ASSERT_EQ(r.status, 200) << r.body;
    if (type == 0) {
      std::string proto;
      ASSERT_TRUE(snappy::Uncompress(r.body.data(), r.body.size(), &proto));
      EXPECT_NE(proto.find("rr"), std::string::npos);
      continue;
    }
    // Frames: uvarint length, CRC-32C big-endian, message. Series "a" has
    // 200 samples, so two chunks; "b" one.
    std::string_view in = r.body;
    int frames = 0;
    while (!in.empty()) {
      uint64_t n = 0;
      ASSERT_TRUE(compression::ConsumeUvarint(&in, &n));
      ASSERT_GE(in.size(), 4 + n);
      const uint32_t crc = (uint32_t{uint8_t(in[0])} << 24) | (uint32_t{uint8_t(in[1])} << 16) |
                           (uint32_t{uint8_t(in[2])} << 8) | uint8_t(in[3]);
      EXPECT_EQ(crc, compression::crc32c::Value(in.substr(4, n)));
      in.remove_prefix(4 + n);
      ++frames;
    }
    EXPECT_EQ(frames, 2);
  }
  auto r = server_->Post("/api/v1/read", "garbage", {{"Content-Encoding", "snappy"}});
  EXPECT_EQ(r.status, 400);
}

TEST_F(ServerTest, ServesHundredsOfKeptAliveConnectionsAtOnce) {
  // 300 connections held open at the same time by 2 io threads; each is
  // used twice, so the second request rides the kept-alive connection.
  std::vector<std::unique_ptr<loadgen::HttpClient>> clients;
  for (int i = 0; i < 300; ++i) {
    clients.push_back(std::make_unique<loadgen::HttpClient>("127.0.0.1", server_->port()));
  }
  for (int round = 0; round < 2; ++round) {
    for (auto& c : clients) {
      StatusOr<loadgen::HttpResponse> r = c->Request("GET", "/-/healthy");
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->status, 200);
    }
  }
  const auto r = server_->Get("/metrics");
  EXPECT_NE(r.body.find("strata_http_requests_total{code=\"200\",handler=\"/-/healthy\"} 600"),
            std::string::npos);
}

TEST(ServerAdminTest, DeleteSeriesAndSnapshotBehindTheFlag) {
  TempDir dir("strata_server_admin");
  auto server = StrataServer::Start(dir.path() + "/data",
                                    {"--self-scrape.interval=0", "--web.enable-admin-api"});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(server->Write({Series("adm", "keep", kT0, 5), Series("adm", "drop", kT0, 5)}).status,
            204);
  auto r =
      server->Post("/api/v1/admin/tsdb/delete_series?match[]=" + Q("adm{job=\"drop\"}"), "", {});
  EXPECT_EQ(r.status, 204) << r.body;
  // The deleted samples are gone from queries. (The series API may still
  // list the series until compaction: the engine's Select keeps series
  // whose samples are all deleted.)
  r = server->Get("/api/v1/query?query=" + Q("count_over_time(adm[1h])") +
                  "&time=" + std::to_string(kT0 / 1000 + 600));
  if (r.status == 200) {
    EXPECT_EQ(r.body.find("drop"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("keep"), std::string::npos) << r.body;
  }
  EXPECT_EQ(server->Post("/api/v1/admin/tsdb/delete_series", "", {}).status, 400);

  r = server->Post("/api/v1/admin/tsdb/snapshot", "", {});
  ASSERT_EQ(r.status, 200) << r.body;
  const JsonValue v = Json(r);
  ASSERT_NE(v.Find("data"), nullptr);
  const std::string name = v.Find("data")->Find("name")->string_value();
  EXPECT_EQ(
      strata::testing::RunCommand("test -d " + dir.path() + "/data/snapshots/" + name).exit_code,
      0);
}

TEST(ServerShutdownTest, SigtermKeepsAcknowledgedSamples) {
  TempDir dir("strata_server_shutdown");
  const std::string data = dir.path() + "/data";
  {
    auto server = StrataServer::Start(data, {"--self-scrape.interval=0", "--wal.fsync=never"});
    ASSERT_NE(server, nullptr);
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(server->Write({Series("kept", "j" + std::to_string(i), kT0, 100)}).status, 204);
    }
    const int status = server->process().Stop(SIGTERM, absl::Seconds(20));
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto server = StrataServer::Start(data, {"--self-scrape.interval=0"});
  ASSERT_NE(server, nullptr);
  auto r = server->Get("/api/v1/series?match[]=kept");
  JsonValue v = Json(r);
  ASSERT_NE(v.Find("data"), nullptr) << r.body;
  EXPECT_EQ(v.Find("data")->array().size(), 20u) << r.body;
  r = server->Get("/api/v1/query?query=" + Q("sum(count_over_time(kept[1h]))") +
                  "&time=" + std::to_string(kT0 / 1000 + 3000));
  if (r.status == 200) {
    EXPECT_NE(r.body.find("\"2000\""), std::string::npos) << r.body;
  }
}

TEST(ServerSelfScrapeTest, StoresItsOwnMetrics) {
  TempDir dir("strata_server_self");
  auto server = StrataServer::Start(dir.path() + "/data");
  ASSERT_NE(server, nullptr);
  const auto r = server->Get("/api/v1/series?match[]=" + Q("up{job=\"strata\"}"));
  EXPECT_NE(r.body.find("\"job\":\"strata\""), std::string::npos) << r.body;
}

TEST(ServerCliTest, HelpDocumentsEveryFlag) {
  const auto r = strata::testing::RunCommand(std::string(STRATA_BINARY) + " serve --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag :
       {"--listen", "--storage.path", "--retention.time", "--retention.size", "--wal.fsync",
        "--query.lookback-delta", "--query.timeout", "--query.compat", "--query.max-samples",
        "--web.max-body-bytes", "--web.max-inflight-body-bytes", "--web.enable-admin-api",
        "--self-scrape.interval", "--log.level", "--log.format", "--storage.ooo-window"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  }
  const auto bad =
      strata::testing::RunCommand(std::string(STRATA_BINARY) + " serve --wal.fsync=sometimes 2>&1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--wal.fsync"), std::string::npos) << bad.output;
  const auto compat =
      strata::testing::RunCommand(std::string(STRATA_BINARY) + " serve --query.compat=4 2>&1");
  EXPECT_EQ(compat.exit_code, 2);
  EXPECT_NE(compat.output.find("--query.compat"), std::string::npos) << compat.output;
}

// Every flag in the syntax it took before the flag kinds (bare byte
// counts, Prometheus durations), with the JSON log: the server comes up,
// /api/v1/status/flags shows each value, and every line it writes to
// stderr is a JSON object with the log's keys.
TEST(ServerCliTest, EveryFlagWorksAndTheJsonLogIsAllJson) {
  TempDir dir("strata_server_flags");
  std::string log_path;
  {
    auto server = StrataServer::Start(
        dir.path() + "/data",
        {"--retention.time=90d", "--retention.size=100GB", "--wal.fsync=always",
         "--query.lookback-delta=3m", "--query.timeout=1m30s", "--query.compat=2",
         "--query.max-samples=1000000", "--web.max-body-bytes=33554432",
         "--web.max-inflight-body-bytes", "1GiB", "--web.enable-admin-api", "--web.io-threads=3",
         "--self-scrape.interval=0", "--log.level=debug", "--log.format=json",
         "--storage.ooo-window=10m"});
    ASSERT_NE(server, nullptr);
    log_path = server->log_path();
    JsonValue v = Json(server->Get("/api/v1/status/flags"));
    const JsonValue* data = v.Find("data");
    ASSERT_NE(data, nullptr);
    const std::pair<const char*, const char*> want[] = {{"retention.time", "90d"},
                                                        {"retention.size", "100GiB"},
                                                        {"wal.fsync", "always"},
                                                        {"query.lookback-delta", "3m"},
                                                        {"query.timeout", "1m30s"},
                                                        {"query.compat", "2"},
                                                        {"query.max-samples", "1000000"},
                                                        {"web.max-body-bytes", "32MiB"},
                                                        {"web.max-inflight-body-bytes", "1GiB"},
                                                        {"web.enable-admin-api", "true"},
                                                        {"web.io-threads", "3"},
                                                        {"self-scrape.interval", "0s"},
                                                        {"log.level", "debug"},
                                                        {"log.format", "json"},
                                                        {"storage.ooo-window", "10m"},
                                                        {"listen", "127.0.0.1:0"}};
    for (const auto& [name, value] : want) {
      ASSERT_NE(data->Find(name), nullptr) << name;
      EXPECT_EQ(data->Find(name)->string_value(), value) << name;
    }
  }  // SIGTERM: the shutdown lines are logged too
  const std::string log = strata::testing::RunCommand("cat " + log_path).output;
  size_t lines = 0;
  for (size_t start = 0; start < log.size();) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    start = end + 1;
    StatusOr<JsonValue> v = ParseJson(line);
    ASSERT_TRUE(v.ok()) << v.status() << ": " << line;
    for (const char* key : {"level", "ts", "caller", "msg"}) {
      EXPECT_NE(v->Find(key), nullptr) << key << " in " << line;
    }
    ++lines;
  }
  EXPECT_GE(lines, 5u) << log;  // starting, listening, opening, ready, shutting down, bye
  EXPECT_NE(log.find(R"("msg":"See you next time!")"), std::string::npos) << log;
}

}  // namespace
}  // namespace strata::server::testing
