// crash_writer: a process for db_crash_test to SIGKILL. It opens a
// strata::DB with a tiny block range (compaction nearly always running in
// the background) and appends scrapes of N series with increasing
// timestamps until killed. Its stdout (unbuffered writes) says how far it
// got:
//
//   A <ts>   the scrape at <ts> is about to be committed (attempted)
//   K <ts>   Commit() of the scrape at <ts> returned OK (acknowledged)
//   E <msg>  an error; the process exits with status 1
//
// Usage: crash_writer <dir> <series> <first_ts_ms> <step_ms> <block_range_ms> <compact_loop>
//                     <pause_us>
//
// The value of series s at time t is ValueAt(s, t) below; db_crash_test
// has the same function. With compact_loop=1 another thread also calls
// DB::Compact() in a loop, so that a kill lands in a compaction more often.
// The writer pauses <pause_us> microseconds after each commit, which bounds
// how many blocks a run leaves for the test to compact.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "strata/db.h"

namespace {

// Writes `line` to stdout with one write(2), so a kill cannot split it.
void Say(const std::string& line) {
  const std::string s = line + "\n";
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

double ValueAt(int series, int64_t t_ms) { return series * 1e13 + static_cast<double>(t_ms); }

int Fail(const std::string& what, const strata::Status& s) {
  Say("E " + what + ": " + std::string(s.message()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    Say("E usage: crash_writer <dir> <series> <first_ts_ms> <step_ms> <block_range_ms> "
        "<compact_loop> <pause_us>");
    return 2;
  }
  const std::string dir = argv[1];
  const int series = std::atoi(argv[2]);
  const int64_t first_ts = std::strtoll(argv[3], nullptr, 10);
  const int64_t step = std::strtoll(argv[4], nullptr, 10);
  strata::Options options;
  options.block_range_ms = std::strtoll(argv[5], nullptr, 10);
  options.retention_ms = 0;
  options.background_compaction = true;
  options.wal_sync = strata::WalSyncPolicy::kNever;  // SIGKILL loses no OS-buffered data
  const bool compact_loop = std::atoi(argv[6]) != 0;
  const int pause_us = std::atoi(argv[7]);

  strata::StatusOr<std::unique_ptr<strata::DB>> db = strata::DB::Open(options, dir);
  if (!db.ok()) return Fail("open " + dir, db.status());
  std::atomic<bool> stop{false};
  std::thread compactor;
  if (compact_loop) {
    compactor = std::thread([&] {
      while (!stop.load()) (*db)->Compact().IgnoreError();  // a failure shows in the test
    });
  }
  std::vector<std::string> instances;
  for (int s = 0; s < series; ++s) instances.push_back("host-" + std::to_string(s));
  std::unique_ptr<strata::Appender> app = (*db)->NewAppender();
  int rc = 0;
  for (int64_t t = first_ts;; t += step) {
    for (int s = 0; s < series; ++s) {
      strata::StatusOr<strata::SeriesRef> ref =
          app->Append({{"__name__", "crash_metric"}, {"instance", instances[s]}, {"job", "crash"}},
                      t, ValueAt(s, t));
      if (!ref.ok()) {
        rc = Fail("append", ref.status());
        break;
      }
    }
    if (rc != 0) break;
    Say("A " + std::to_string(t));
    strata::Status committed = app->Commit();
    if (!committed.ok()) {
      rc = Fail("commit at " + std::to_string(t), committed);
      break;
    }
    Say("K " + std::to_string(t));
    if (pause_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
  }
  stop.store(true);
  if (compactor.joinable()) compactor.join();
  app.reset();
  (*db)->Close().IgnoreError();  // exiting on an error already reported
  return rc;
}
