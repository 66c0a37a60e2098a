// WorkPool: a fixed number of threads that run submitted tasks, with a
// queue whose waits are bounded. The HTTP server runs each route's handler
// on the pool its route names (server/router.h): remote write on the
// ingest pool, queries and look-ups on the query pool, so that slow
// queries cannot hold back writes, and neither holds back the health
// probes, which run on the I/O threads (DESIGN.md §4).
//
// A task that waits in the queue longer than `max_queue_wait` is not run:
// its `rejected` callback runs instead, when the wait runs out (a reaper
// thread watches the oldest task), so the client hears at once (the
// server answers 503 with Retry-After, which Prometheus' remote write
// retries). The queue is also
// capped in length, so a flood of requests costs memory for at most
// `max_queued` waiting tasks; past that a task is rejected at once.
//
// Thread-safety: Submit and Stats may be called from any thread. The
// destructor rejects what is still queued and joins the threads after the
// running tasks finish.
#ifndef STRATA_SERVER_WORK_POOL_H_
#define STRATA_SERVER_WORK_POOL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace strata::server {

struct WorkPoolOptions {
  std::string name;  // "ingest", "query": the `pool` label of its metrics
  int threads = 2;   // at most this many tasks run at once
  absl::Duration max_queue_wait = absl::Seconds(10);
  size_t max_queued = 4096;
};

// Counters since the pool started, and its present state.
struct WorkPoolStats {
  uint64_t completed = 0;
  uint64_t rejected_wait = 0;         // waited past max_queue_wait
  uint64_t rejected_full = 0;         // the queue held max_queued tasks
  double queue_wait_seconds_sum = 0;  // of the tasks that ran
  uint64_t running = 0;
  uint64_t queued = 0;
};

class WorkPool {
 public:
  explicit WorkPool(const WorkPoolOptions& options);
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;
  ~WorkPool();

  // Queues `run`; exactly one of `run` and `rejected` is called later, on
  // a pool thread (the reaper's for an expired wait), or `rejected` at
  // once on the caller's thread when the queue is full or the pool is
  // shutting down. `rejected` receives how
  // long the task waited.
  void Submit(std::function<void()> run, std::function<void(absl::Duration waited)> rejected);

  WorkPoolStats Stats() const;
  const WorkPoolOptions& options() const { return options_; }

 private:
  struct Task {
    std::function<void()> run;
    std::function<void(absl::Duration)> rejected;
    std::chrono::steady_clock::time_point queued_at;
  };
  void Loop();
  void Reap();

  const WorkPoolOptions options_;
  std::vector<std::thread> threads_;
  std::thread reaper_;

  mutable Mutex mu_;
  CondVar work_cv_;  // a task was queued, or stopping: wakes one worker
  CondVar reap_cv_;  // the queue got a new head, or stopping: wakes the reaper
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  WorkPoolStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::server

#endif  // STRATA_SERVER_WORK_POOL_H_
