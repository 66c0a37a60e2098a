// Mutex, MutexLock, ReaderMutexLock, CondVar and Notification: the parts of
// absl/synchronization that Strata uses, with the same names and the same
// clang thread-safety annotations, built on pthreads.
//
// Why not absl::Mutex: Debian 12's Abseil (libabsl-dev 20220623) is a shared
// library built without -fsanitize=thread, and absl::Mutex synchronises with
// its own atomics and futexes inside that library. ThreadSanitizer cannot see
// those, so under TSan every absl::Mutex-guarded field looks racy. These
// classes lock a pthread rwlock and wait on libstdc++'s pthread-based
// std::condition_variable_any; TSan intercepts pthreads, so it sees every
// lock, unlock, wait and wake-up here (scripts/sanitize.sh thread).
//
// Usage is absl's: `strata::Mutex mu_;`, members `ABSL_GUARDED_BY(mu_)`,
// `strata::MutexLock l(&mu_);`, `strata::ReaderMutexLock l(&mu_);`, and
// clang's -Wthread-safety checks them as it checks absl::Mutex.
//
// Semantics, as absl's where Strata relies on them:
//   - Mutex is a reader/writer lock, not reentrant. Waiting writers are
//     preferred over new readers (the rwlock's
//     PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP kind), so a stream of
//     readers cannot starve a writer (glibc's default, and so plain
//     std::shared_mutex, prefers readers). As with absl, a thread must not
//     take a reader lock it already holds.
//   - CondVar waits need the mutex held exclusively and may wake spuriously:
//     wait in a loop on the condition. Signal and SignalAll may be called
//     with or without the mutex held.
//   - Notification is one-shot: Notify() at most once.
// No Mutex::Await(absl::Condition): nothing uses it; use a CondVar loop.
//
// Thread-safety: every method may be called from any thread (that is their
// purpose). A Mutex, CondVar or Notification must outlive its users.
#ifndef STRATA_BASE_MUTEX_H_
#define STRATA_BASE_MUTEX_H_

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "base/check.h"

namespace strata {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() {
    pthread_rwlockattr_t attr;
    STRATA_CHECK(pthread_rwlockattr_init(&attr) == 0);
    STRATA_CHECK(
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) == 0);
    STRATA_CHECK(pthread_rwlock_init(&rw_, &attr) == 0);
    pthread_rwlockattr_destroy(&attr);
  }
  ~Mutex() { pthread_rwlock_destroy(&rw_); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Exclusive (writer) lock.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    const int rc = pthread_rwlock_wrlock(&rw_);
    STRATA_CHECK(rc == 0) << "pthread_rwlock_wrlock: " << rc;  // EDEADLK: already held
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    pthread_rwlock_unlock(&rw_);
  }
  // Takes the exclusive lock if that is possible without waiting.
  [[nodiscard]] bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    if (pthread_rwlock_trywrlock(&rw_) != 0) return false;
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    return true;
  }

  // Shared (reader) lock.
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
    const int rc = pthread_rwlock_rdlock(&rw_);
    STRATA_CHECK(rc == 0) << "pthread_rwlock_rdlock: " << rc;
  }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&rw_); }
  [[nodiscard]] bool ReaderTryLock() ABSL_SHARED_TRYLOCK_FUNCTION(true) {
    return pthread_rwlock_tryrdlock(&rw_) == 0;
  }

  // Debug builds check that the calling thread holds the exclusive lock.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {
    STRATA_DCHECK(owner_.load(std::memory_order_relaxed) == std::this_thread::get_id())
        << "strata::Mutex is not held by this thread";
  }
  // Tells the static analysis that the lock is held, at least shared; not
  // checked at run time (readers are not tracked).
  void AssertReaderHeld() const ABSL_ASSERT_SHARED_LOCK() {}

 private:
  pthread_rwlock_t rw_;
  // The exclusive holder, for AssertHeld(); relaxed because only the
  // holding thread compares it with itself.
  std::atomic<std::thread::id> owner_{};
};

// Holds `mu` exclusively for its scope (absl::MutexLock).
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Holds `mu` shared for its scope (absl::ReaderMutexLock).
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable for Mutex (absl::CondVar).
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mu`, waits for a Signal/SignalAll (or a spurious wake-up) and
  // takes `mu` again before returning.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Relocker relocker(mu);
    cv_.wait(relocker);
  }

  // As Wait(), but gives up after `timeout`. Returns true if it timed out
  // (mu is held again either way). InfiniteDuration() waits like Wait().
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (timeout >= kForever) {
      Wait(mu);
      return false;
    }
    Relocker relocker(mu);
    return cv_.wait_for(relocker, absl::ToChronoNanoseconds(timeout)) == std::cv_status::timeout;
  }

  // Timeouts at least this long wait forever: longer than any process
  // lives, and it keeps steady_clock::now() + timeout from overflowing.
  static constexpr absl::Duration kForever = absl::Hours(24 * 365 * 100);

  // Wakes one waiter / all waiters, if any.
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  // The BasicLockable that std::condition_variable_any releases while it
  // waits: the exclusive side of a Mutex (through Lock/Unlock, so that
  // AssertHeld stays right).
  class Relocker {
   public:
    explicit Relocker(Mutex* mu) : mu_(mu) {}
    void lock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Lock(); }
    void unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Unlock(); }

   private:
    Mutex* const mu_;
  };

  std::condition_variable_any cv_;
};

// A one-shot event that threads can wait for (absl::Notification).
class Notification {
 public:
  Notification() = default;
  Notification(const Notification&) = delete;
  Notification& operator=(const Notification&) = delete;
  // Waits for a concurrent Notify() to return, so a waiter that saw the
  // notification may destroy the object at once.
  ~Notification() { MutexLock l(&mu_); }

  // Wakes every waiter, now and later. REQUIRES: not notified before.
  void Notify() {
    MutexLock l(&mu_);
    STRATA_DCHECK(!notified_.load(std::memory_order_relaxed)) << "Notify() called twice";
    notified_.store(true, std::memory_order_release);
    cv_.SignalAll();
  }

  bool HasBeenNotified() const { return notified_.load(std::memory_order_acquire); }

  void WaitForNotification() const {
    if (HasBeenNotified()) return;
    MutexLock l(&mu_);
    while (!notified_.load(std::memory_order_relaxed)) cv_.Wait(&mu_);
  }

  // Waits at most `timeout`; returns whether it was notified.
  bool WaitForNotificationWithTimeout(absl::Duration timeout) const {
    if (HasBeenNotified()) return true;
    if (timeout >= CondVar::kForever) {
      WaitForNotification();
      return true;
    }
    // A monotonic deadline: wall-clock steps neither cut nor stretch the wait.
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    MutexLock l(&mu_);
    while (!notified_.load(std::memory_order_relaxed)) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= left.zero()) return false;
      cv_.WaitWithTimeout(&mu_, absl::FromChrono(left));
    }
    return true;
  }

 private:
  mutable Mutex mu_;
  mutable CondVar cv_;
  std::atomic<bool> notified_{false};
};

}  // namespace strata

#endif  // STRATA_BASE_MUTEX_H_
