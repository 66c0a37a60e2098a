// SpinLock: a one-byte lock for very short critical sections on data that
// exists in the millions (the head's series), where a pthread lock would
// cost 56 bytes and ~45 instructions per lock or unlock.
//
// It spins on the byte (with the CPU's pause hint) and then yields the
// core, so a holder that was descheduled does not keep a waiter burning
// it. Not reentrant, no reader mode, no fairness. Waiting is not bounded:
// hold it only around a few memory operations, never around I/O that can
// block for long.
//
// Usage is that of strata::Mutex (base/mutex.h): `SpinLock mu;`, members
// ABSL_GUARDED_BY(mu), `SpinLockHolder l(&mu);`. Acquire/release atomics,
// so ThreadSanitizer sees the ordering.
//
// Thread-safety: every method may be called from any thread.
#ifndef STRATA_BASE_SPIN_LOCK_H_
#define STRATA_BASE_SPIN_LOCK_H_

#include <atomic>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace strata {

class ABSL_LOCKABLE SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    LockSlow();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { locked_.store(false, std::memory_order_release); }

 private:
  void LockSlow() {
    for (int spins = 0;; ++spins) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (spins++ < 100) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        } else {
          std::this_thread::yield();
        }
      }
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  std::atomic<bool> locked_{false};
};

class ABSL_SCOPED_LOCKABLE SpinLockHolder {
 public:
  explicit SpinLockHolder(SpinLock* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~SpinLockHolder() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  SpinLockHolder(const SpinLockHolder&) = delete;
  SpinLockHolder& operator=(const SpinLockHolder&) = delete;

 private:
  SpinLock* const mu_;
};

}  // namespace strata

#endif  // STRATA_BASE_SPIN_LOCK_H_
