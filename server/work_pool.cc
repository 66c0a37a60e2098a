#include "server/work_pool.h"

#include <algorithm>
#include <utility>

namespace strata::server {

namespace {

using Clock = std::chrono::steady_clock;

absl::Duration Since(Clock::time_point t) { return absl::FromChrono(Clock::now() - t); }

}  // namespace

WorkPool::WorkPool(const WorkPoolOptions& options) : options_(options) {
  const int n = std::max(1, options_.threads);
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
  reaper_ = std::thread([this] { Reap(); });
}

WorkPool::~WorkPool() {
  std::deque<Task> left;
  {
    MutexLock l(&mu_);
    stopping_ = true;
    left.swap(queue_);
    stats_.queued = 0;
    work_cv_.SignalAll();
    reap_cv_.SignalAll();
  }
  for (Task& t : left) t.rejected(Since(t.queued_at));
  for (std::thread& t : threads_) t.join();
  reaper_.join();
}

void WorkPool::Submit(std::function<void()> run,
                      std::function<void(absl::Duration waited)> rejected) {
  {
    MutexLock l(&mu_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back(Task{std::move(run), std::move(rejected), Clock::now()});
      stats_.queued = queue_.size();
      work_cv_.Signal();
      // Only a new head changes the reaper's next deadline.
      if (queue_.size() == 1) reap_cv_.Signal();
      return;
    }
    ++stats_.rejected_full;
  }
  rejected(absl::ZeroDuration());
}

void WorkPool::Loop() {
  for (;;) {
    Task task;
    {
      MutexLock l(&mu_);
      while (!stopping_ && queue_.empty()) work_cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping
      task = std::move(queue_.front());
      queue_.pop_front();
      stats_.queued = queue_.size();
      stats_.queue_wait_seconds_sum += absl::ToDoubleSeconds(Since(task.queued_at));
      ++stats_.running;
    }
    task.run();
    task = Task();  // drop what the task captured before counting it done
    MutexLock l(&mu_);
    --stats_.running;
    ++stats_.completed;
  }
}

void WorkPool::Reap() {
  const auto max_wait = absl::ToChronoNanoseconds(options_.max_queue_wait);
  for (;;) {
    std::vector<Task> expired;
    {
      MutexLock l(&mu_);
      if (stopping_) return;
      // The queue is in arrival order: its head waited longest.
      while (!queue_.empty() && Clock::now() - queue_.front().queued_at >= max_wait) {
        expired.push_back(std::move(queue_.front()));
        queue_.pop_front();
        ++stats_.rejected_wait;
      }
      stats_.queued = queue_.size();
      if (expired.empty()) {
        const absl::Duration timeout =
            queue_.empty() ? absl::InfiniteDuration()
                           : absl::FromChrono(queue_.front().queued_at + max_wait - Clock::now());
        reap_cv_.WaitWithTimeout(&mu_, timeout);
        continue;
      }
    }
    for (Task& t : expired) t.rejected(Since(t.queued_at));
  }
}

WorkPoolStats WorkPool::Stats() const {
  MutexLock l(&mu_);
  return stats_;
}

}  // namespace strata::server
