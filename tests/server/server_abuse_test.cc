// Issue #16 through the real binary: clients that stall, declare huge
// bodies or send hostile ones cannot starve other writers or take the
// server's memory. Reads the server's RSS from /proc, so it is labelled
// no_sanitizer (ASan's shadow memory would dominate the figures).
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_util.h"

namespace strata::server::testing {
namespace {

using strata::testing::RawConnection;
using strata::testing::TempDir;

constexpr int64_t kT0 = 1700000000000;  // 2023-11-14, a fixed test time

TestSeries Series(std::string name, int64_t t0, int n) {
  TestSeries s;
  s.labels = {{"__name__", std::move(name)}, {"job", "abuse"}};
  for (int i = 0; i < n; ++i) s.samples.push_back({t0 + i * 15000, 1.0 + i});
  return s;
}

// A field of /proc/<pid>/status in bytes ("VmRSS", "VmHWM"); 0 if absent.
uint64_t ProcStatusBytes(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

std::string Headers(std::string_view extra) {
  return StrCat("POST /api/v1/write HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                "Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n", extra,
                "\r\n");
}

TEST(ServerAbuseTest, StalledUploadsNeitherStarveWritesNorHoldMemory) {
  TempDir dir("strata_server_stall");
  auto server = StrataServer::Start(dir.path() + "/data", {"--self-scrape.interval=0"});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(server->Write({Series("warm", kT0, 10)}).status, 204);
  const pid_t pid = server->process().pid();
  const uint64_t rss_before = ProcStatusBytes(pid, "VmRSS");
  // 16 uploads declare 32 MiB each (512 MiB, twice the in-flight budget)
  // and send 1 KiB; one sends a chunked body 1 KiB a second.
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 16; ++i) {
    stalled.push_back(std::make_unique<RawConnection>(server->port()));
    ASSERT_TRUE(stalled.back()->Send(Headers(StrCat("Content-Length: ", 32 << 20, "\r\n")) +
                                     std::string(1024, 'x')));
  }
  RawConnection chunked(server->port());
  ASSERT_TRUE(chunked.Send(Headers("Transfer-Encoding: chunked\r\n")));
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const std::string chunk = StrCat("400\r\n", std::string(1024, 'y'), "\r\n");
    while (!stop.load() && chunked.Send(chunk)) absl::SleepFor(absl::Seconds(1));
  });
  absl::SleepFor(absl::Milliseconds(500));
  // A small valid write goes through at once.
  for (int i = 0; i < 3; ++i) {
    const absl::Time t0 = absl::Now();
    auto r = server->Write({Series("small", kT0 + 1'000'000 + i * 15'000, 1)});
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_LT(absl::Now() - t0, absl::Seconds(1)) << "write " << i;
  }
  // The 64 KiB / 10 s rule closes every one of them.
  for (auto& c : stalled) EXPECT_TRUE(c->ClosedByPeerWithin(absl::Seconds(20)));
  EXPECT_TRUE(chunked.ClosedByPeerWithin(absl::Seconds(20)));
  stop = true;
  trickle.join();
  const uint64_t rss_after = ProcStatusBytes(pid, "VmRSS");
  EXPECT_LT(rss_after, rss_before + (256u << 20)) << rss_before << " -> " << rss_after;
  auto r = server->Get("/metrics");
  EXPECT_NE(r.body.find("strata_http_limit_hits_total{limit=\"body_rate\"} 17"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("strata_http_inflight_bytes 0"), std::string::npos);
}

TEST(ServerAbuseTest, HostileBodiesGetAClear4xxAndCostNoMemory) {
  TempDir dir("strata_server_hostile");
  auto server = StrataServer::Start(dir.path() + "/data", {"--self-scrape.interval=0"});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(server->Write({Series("warm", kT0, 10)}).status, 204);
  const pid_t pid = server->process().pid();
  const uint64_t peak_before = ProcStatusBytes(pid, "VmHWM");
  // 16 M empty TimeSeries: 31 MiB decompressed, 1.5 MB sent.
  std::string proto, body;
  for (int i = 0; i < 16'000'000; ++i) proto.append("\x0a\x00", 2);
  loadgen::SnappyCompress(proto, &body);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}};
  for (int i = 0; i < 3; ++i) {
    auto r = server->Post("/api/v1/write", body, headers);
    EXPECT_EQ(r.status, 413) << r.body;
    EXPECT_NE(r.body.find("--web.max-series-per-request"), std::string::npos) << r.body;
  }
  // 5,000 labels on one series.
  TestSeries wide = Series("wide", kT0, 1);
  for (int i = 0; i < 5000; ++i) wide.labels.push_back({"l" + std::to_string(i), "v"});
  auto r = server->Write({wide});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("--web.max-labels-per-series"), std::string::npos) << r.body;
  const uint64_t peak_after = ProcStatusBytes(pid, "VmHWM");
  EXPECT_LT(peak_after, peak_before + (256u << 20)) << peak_before << " -> " << peak_after;
  EXPECT_EQ(server->Write({Series("after", kT0, 1)}).status, 204);
  r = server->Get("/metrics");
  EXPECT_NE(r.body.find("strata_remote_write_refused_total{reason=\"request_too_large\"} 3"),
            std::string::npos)
      << r.body;
}

}  // namespace
}  // namespace strata::server::testing
