// Issue #16 through the real `strata serve`: heavy queries run on the query
// pool and hold back neither remote write (ingest pool) nor probes (I/O
// threads), and a full query pool answers 503 after --query.max-queue-wait.
//
// Timing-sensitive (labelled no_sanitizer): the heavy queries must still be
// running while the probes are timed; their own `timeout=` bounds them.
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_util.h"

namespace strata::server::testing {
namespace {

using strata::testing::RawConnection;
using strata::testing::TempDir;
using strata::testing::UrlEncode;

constexpr int64_t kT0 = 1700000000000;  // 2023-11-14, a fixed test time
constexpr int kSeries = 500;
constexpr int kSamplesPerSeries = 1800;  // 2.5 h at 5 s: below the head's 3 h compaction span
constexpr int64_t kStepMs = 5000;
constexpr int64_t kEndMs = kT0 + (kSamplesPerSeries - 1) * kStepMs;

// Loads kSeries counters `m` over 2.5 h in a few remote writes (< 1 s).
void LoadCounters(StrataServer& server) {
  constexpr int kPerWrite = 100;
  for (int first = 0; first < kSeries; first += kPerWrite) {
    std::vector<TestSeries> batch;
    for (int i = first; i < first + kPerWrite; ++i) {
      TestSeries s;
      s.labels = {{"__name__", "m"}, {"instance", "host" + std::to_string(i)}, {"job", "load"}};
      for (int k = 0; k < kSamplesPerSeries; ++k) {
        s.samples.push_back({kT0 + k * kStepMs, static_cast<double>(k * (i % 7 + 1))});
      }
      batch.push_back(std::move(s));
    }
    ASSERT_EQ(server.Write(batch).status, 204);
  }
}

// A range query that does far more than `timeout` of work, so that it ends
// by its own timeout (503 "timeout"): 9,000 steps of 1 s, each a median of
// the 720 samples of the last hour, over kSeries series (it ran 40 s alone, to
// the end, on a loaded 2-core machine; a 2 s timeout stopped it after 2.07 s,
// as the evaluator checks the deadline per series). A subquery such as
// max_over_time(sum(rate(m[5m]))[1h:1s]) is no good here: its inner
// expression is evaluated once over the whole range, which takes < 1 s.
std::string HeavyQuery(const std::string& timeout) {
  return "/api/v1/query_range?query=" + UrlEncode("sum(quantile_over_time(0.5, m[1h]))") +
         "&start=" + std::to_string(kT0 / 1000) + "&end=" + std::to_string(kEndMs / 1000) +
         "&step=1&timeout=" + timeout;
}

// The value of `strata_work_pool_running{pool="query"}` from /metrics; -1
// if missing.
int QueryPoolRunning(StrataServer& server) {
  const std::string want = "strata_work_pool_running{pool=\"query\"} ";
  const std::string body = server.Get("/metrics").body;
  const size_t at = body.find(want);
  if (at == std::string::npos) return -1;
  return std::atoi(body.c_str() + at + want.size());
}

// Polls /metrics until at least `n` queries run on the query pool, for up
// to `timeout`. Returns whether they did.
bool WaitForRunningQueries(StrataServer& server, int n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (QueryPoolRunning(server) >= n) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// One heavy query on a thread of its own, with how it ended.
struct HeavyRun {
  std::thread thread;
  std::atomic<bool> done{false};
  loadgen::HttpResponse response;
  absl::Duration took;
};

void StartHeavy(StrataServer& server, const std::string& timeout, HeavyRun* run) {
  run->thread = std::thread([&server, timeout, run] {
    const absl::Time t0 = absl::Now();
    run->response = server.Get(HeavyQuery(timeout));
    run->took = absl::Now() - t0;
    run->done = true;
  });
}

// A heavy query ends by itself: answered in full, or 503 "timeout".
void ExpectEndedByItself(const HeavyRun& run, absl::Duration timeout) {
  if (run.response.status != 200) {
    EXPECT_EQ(run.response.status, 503) << run.response.body.substr(0, 300);
    EXPECT_NE(run.response.body.find("\"errorType\":\"timeout\""), std::string::npos)
        << run.response.body.substr(0, 300);
  }
  EXPECT_LT(run.took, timeout + absl::Seconds(10)) << "the query did not stop at its timeout";
}

TEST(ServerIsolationTest, SixHeavyRangeQueriesHoldBackNeitherWritesNorProbes) {
  TempDir dir("strata_server_isolation");
  auto server = StrataServer::Start(dir.path() + "/data", {"--self-scrape.interval=0"});
  ASSERT_NE(server, nullptr);
  LoadCounters(*server);
  if (HasFatalFailure()) return;

  HeavyRun runs[6];
  for (HeavyRun& run : runs) StartHeavy(*server, "6s", &run);
  const bool all_running = WaitForRunningQueries(*server, 6, absl::Seconds(5));
  EXPECT_TRUE(all_running) << "running on the query pool: " << QueryPoolRunning(*server);

  for (int i = 0; i < 3; ++i) {
    TestSeries probe;
    probe.labels = {{"__name__", "probe"}, {"job", "isolation"}};
    probe.samples.push_back({kEndMs + (i + 1) * kStepMs, static_cast<double>(i)});
    absl::Time t0 = absl::Now();
    EXPECT_EQ(server->Write({probe}).status, 204);
    const absl::Duration write_took = absl::Now() - t0;
    EXPECT_LT(write_took, absl::Milliseconds(500)) << "remote write " << i;

    t0 = absl::Now();
    EXPECT_EQ(server->Get("/-/healthy").status, 200);
    const absl::Duration probe_took = absl::Now() - t0;
    EXPECT_LT(probe_took, absl::Milliseconds(500)) << "/-/healthy " << i;
    std::printf("remote write %s, /-/healthy %s\n", absl::FormatDuration(write_took).c_str(),
                absl::FormatDuration(probe_took).c_str());
  }
  // The probes were answered while all six queries still ran.
  int still_running = 0;
  for (const HeavyRun& run : runs) still_running += run.done ? 0 : 1;
  EXPECT_EQ(still_running, 6);

  for (HeavyRun& run : runs) {
    run.thread.join();
    ExpectEndedByItself(run, absl::Seconds(6));
    std::printf("heavy query: %d after %s\n", run.response.status,
                absl::FormatDuration(run.took).c_str());
  }
}

// Sends a GET over a raw connection (HTTP/1.0) and returns the whole
// answer, headers included.
std::string RawGet(int port, const std::string& path_and_query) {
  RawConnection conn(port);
  EXPECT_TRUE(conn.connected());
  EXPECT_TRUE(conn.Send("GET " + path_and_query + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
  bool reset = false;
  std::string answer = conn.ReadAll(&reset, absl::Seconds(30));
  EXPECT_FALSE(reset);
  return answer;
}

TEST(ServerIsolationTest, WithOneQuerySlotASecondHeavyQueryGets503AfterTheQueueWait) {
  TempDir dir("strata_server_query_slot");
  auto server = StrataServer::Start(
      dir.path() + "/data",
      {"--self-scrape.interval=0", "--query.max-concurrency=1", "--query.max-queue-wait=1s"});
  ASSERT_NE(server, nullptr);
  LoadCounters(*server);
  if (HasFatalFailure()) return;

  HeavyRun first;
  StartHeavy(*server, "8s", &first);
  const bool running = WaitForRunningQueries(*server, 1, absl::Seconds(5));
  EXPECT_TRUE(running);

  const absl::Time t0 = absl::Now();
  const std::string answer = RawGet(server->port(), HeavyQuery("8s"));
  const absl::Duration took = absl::Now() - t0;
  std::printf("second query: 503 after %s\n", absl::FormatDuration(took).c_str());
  EXPECT_FALSE(first.done) << "the first query ended before the second was turned away";
  EXPECT_TRUE(answer.starts_with("HTTP/1.0 503") || answer.starts_with("HTTP/1.1 503"))
      << answer.substr(0, 300);
  EXPECT_NE(answer.find("\r\nRetry-After: "), std::string::npos) << answer.substr(0, 300);
  EXPECT_NE(answer.find(R"({"status":"error","errorType":"unavailable")"), std::string::npos)
      << answer.substr(0, 300);
  EXPECT_GE(took, absl::Milliseconds(800));
  EXPECT_LE(took, absl::Seconds(5));

  first.thread.join();
  ExpectEndedByItself(first, absl::Seconds(8));
  std::printf("first query: %d after %s\n", first.response.status,
              absl::FormatDuration(first.took).c_str());
  // The slot is free again.
  const loadgen::HttpResponse r = server->Get("/api/v1/query?query=" + UrlEncode("count(m)") +
                                              "&time=" + std::to_string(kEndMs / 1000));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(std::to_string(kSeries)), std::string::npos) << r.body;
}

}  // namespace
}  // namespace strata::server::testing
