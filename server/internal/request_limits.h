// The limits that keep one query-like request (series, labels, label
// values, status/tsdb, exemplars, remote read) from taking the server
// down, and the gate that bounds how many remote reads run at once.
//
// QueryBudget is a request's deadline (--query.timeout, shortened by the
// request's `timeout` parameter, as /api/v1/query does) and its cap on the
// series it may touch (--query.max-series). Handlers call AddSeries for
// every series they visit; the clock is read only every kClockEvery
// series, so the check costs nothing per series, yet a request over
// millions of series stops within a few microseconds of its deadline
// rather than at the end.
//
// ConcurrencyGate is a counting semaphore: Acquire waits up to a bound for
// a free slot (Prometheus' --storage.remote.read-concurrent-limit waits
// for one, here the wait is bounded so the client gets a 503 with
// Retry-After rather than a hung connection).
//
// Thread-safety: a QueryBudget belongs to one request (one thread); a
// ConcurrencyGate is thread-safe.
#ifndef STRATA_SERVER_INTERNAL_REQUEST_LIMITS_H_
#define STRATA_SERVER_INTERNAL_REQUEST_LIMITS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "strata/status.h"

namespace strata::server::internal {

// A monotonic clock in nanoseconds (a test may pass a fake one).
using SteadyClock = int64_t (*)();
int64_t SteadyNowNs();

class QueryBudget {
 public:
  // The clock is read every this many series.
  static constexpr int64_t kClockEvery = 64;

  // `what` names the request in errors ("series", "remote read").
  // `timeout_ms` <= 0 and `max_series` <= 0 mean no limit. `clock` may be
  // null (SteadyNowNs).
  QueryBudget(std::string_view what, int64_t timeout_ms, int64_t max_series,
              SteadyClock clock = nullptr);

  // Counts `n` more series. Errors: ResourceExhausted past the series cap
  // ("series: the request selects more than 1000000 series, the limit of
  // --query.max-series; narrow ..."), DeadlineExceeded past the deadline
  // (checked every kClockEvery series).
  [[nodiscard]] Status AddSeries(int64_t n = 1);
  // Reads the clock. Errors: DeadlineExceeded "query timed out in series
  // (timeout 2m)".
  [[nodiscard]] Status CheckDeadline();

  int64_t series() const { return series_; }
  // Whether the series cap (not the deadline) failed the request.
  bool series_cap_exceeded() const { return cap_exceeded_; }

 private:
  const std::string what_;
  const int64_t timeout_ms_;
  const int64_t max_series_;
  const SteadyClock clock_;
  const int64_t deadline_ns_;
  int64_t series_ = 0;
  int64_t next_clock_check_ = kClockEvery;
  bool cap_exceeded_ = false;
};

class ConcurrencyGate {
 public:
  // At most `limit` holders at once; `limit` <= 0 means no limit.
  explicit ConcurrencyGate(int64_t limit) : limit_(limit) {}
  ConcurrencyGate(const ConcurrencyGate&) = delete;
  ConcurrencyGate& operator=(const ConcurrencyGate&) = delete;

  // A held slot, released on destruction. Move-only.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot() {
      if (gate_ != nullptr) gate_->Release();
    }
    bool held() const { return gate_ != nullptr; }

   private:
    friend class ConcurrencyGate;
    explicit Slot(ConcurrencyGate* gate) : gate_(gate) {}
    ConcurrencyGate* gate_ = nullptr;
  };

  // A slot, waiting up to `wait` for one to free up; a slot that is not
  // held() if none did.
  Slot Acquire(absl::Duration wait);
  int64_t limit() const { return limit_; }
  int64_t in_use() const;

 private:
  void Release();

  const int64_t limit_;
  mutable Mutex mu_;
  CondVar freed_;
  int64_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strata::server::internal

#endif  // STRATA_SERVER_INTERNAL_REQUEST_LIMITS_H_
