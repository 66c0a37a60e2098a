#include "server/internal/request_limits.h"

#include <chrono>
#include <limits>

#include "base/strings.h"
#include "query/literals.h"

namespace strata::server::internal {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

int64_t Deadline(SteadyClock clock, int64_t timeout_ms) {
  if (timeout_ms <= 0) return std::numeric_limits<int64_t>::max();
  constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max() / 2'000'000;
  return clock() + std::min(timeout_ms, kMaxMs) * 1'000'000;
}

}  // namespace

QueryBudget::QueryBudget(std::string_view what, int64_t timeout_ms, int64_t max_series,
                         SteadyClock clock)
    : what_(what),
      timeout_ms_(timeout_ms),
      max_series_(max_series),
      clock_(clock != nullptr ? clock : &SteadyNowNs),
      deadline_ns_(Deadline(clock_, timeout_ms)) {}

Status QueryBudget::AddSeries(int64_t n) {
  series_ += n;
  if (max_series_ > 0 && series_ > max_series_) {
    cap_exceeded_ = true;
    return absl::ResourceExhaustedError(
        StrCat(what_, ": the request selects more than ", max_series_,
               " series, the limit of --query.max-series; narrow its selectors or time range"));
  }
  if (series_ < next_clock_check_) return absl::OkStatus();
  next_clock_check_ = series_ + kClockEvery;
  return CheckDeadline();
}

Status QueryBudget::CheckDeadline() {
  if (timeout_ms_ <= 0 || clock_() <= deadline_ns_) return absl::OkStatus();
  return absl::DeadlineExceededError(StrCat("query timed out in ", what_, " (timeout ",
                                            query::FormatDuration(timeout_ms_),
                                            ", --query.timeout or the timeout parameter)"));
}

ConcurrencyGate::Slot ConcurrencyGate::Acquire(absl::Duration wait) {
  if (limit_ <= 0) return Slot(this);
  const absl::Time until = absl::Now() + wait;
  MutexLock l(&mu_);
  while (in_use_ >= limit_) {
    const absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) return Slot();
    freed_.WaitWithTimeout(&mu_, left);
  }
  ++in_use_;
  return Slot(this);
}

void ConcurrencyGate::Release() {
  if (limit_ <= 0) return;
  MutexLock l(&mu_);
  --in_use_;
  freed_.Signal();
}

int64_t ConcurrencyGate::in_use() const {
  MutexLock l(&mu_);
  return in_use_;
}

}  // namespace strata::server::internal
