// InflightBudget: the bytes that requests hold in memory at once — bodies
// as they are read (counted as they arrive, chunked or not, never from a
// declared Content-Length) and what decoding them costs. The HTTP server
// and the remote-write handler reserve from one budget, so that many
// senders together cannot take the server past `limit` bytes; past it a
// request is answered 503 with Retry-After (Prometheus retries 503).
//
// A single reservation is always granted when nothing else is held, so a
// request larger than the budget (but under --web.max-body-bytes) still
// goes through when it is alone.
//
// Thread-safety: safe for concurrent use (one atomic).
#ifndef STRATA_SERVER_INFLIGHT_BUDGET_H_
#define STRATA_SERVER_INFLIGHT_BUDGET_H_

#include <atomic>
#include <cstdint>

namespace strata::server {

class InflightBudget {
 public:
  explicit InflightBudget(uint64_t limit) : limit_(limit) {}
  InflightBudget(const InflightBudget&) = delete;
  InflightBudget& operator=(const InflightBudget&) = delete;

  // Takes `bytes` unless that would pass the limit while others hold some.
  bool TryReserve(uint64_t bytes) {
    uint64_t now = used_.load(std::memory_order_relaxed);
    for (;;) {
      if (now > 0 && now + bytes > limit_) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      if (used_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed)) return true;
    }
  }
  void Release(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> refused_{0};
};

// Holds `bytes` of a budget until destroyed (or Release()d). Move-only.
class BudgetReservation {
 public:
  BudgetReservation() = default;
  BudgetReservation(InflightBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
  BudgetReservation(BudgetReservation&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) {
    o.bytes_ = 0;
  }
  BudgetReservation& operator=(BudgetReservation&& o) noexcept {
    if (this != &o) {
      Release();
      budget_ = o.budget_;
      bytes_ = o.bytes_;
      o.bytes_ = 0;
    }
    return *this;
  }
  ~BudgetReservation() { Release(); }

  // Grows the reservation by `more` bytes; false (unchanged) if refused.
  bool Grow(uint64_t more) {
    if (budget_ == nullptr || !budget_->TryReserve(more)) return false;
    bytes_ += more;
    return true;
  }
  void Release() {
    if (budget_ != nullptr && bytes_ > 0) budget_->Release(bytes_);
    bytes_ = 0;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  InflightBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_INFLIGHT_BUDGET_H_
