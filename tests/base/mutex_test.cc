// base/mutex.h and base/spin_lock.h. Labelled `concurrency`, so scripts/sanitize.sh thread runs
// it under ThreadSanitizer, which checks that TSan sees the synchronisation.
#include "base/mutex.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/spin_lock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

// `threads` threads take `mu` through a `Holder` 20,000 times each: no two
// are ever inside at once, and no increment is lost.
template <typename Holder, typename Lock>
void ExpectExclusion(Lock& mu, int threads) {
  int64_t counter = 0;  // plain: TSan reports it if the lock does not exclude
  int inside = 0;
  bool overlapped = false;
  constexpr int kIncrements = 20000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        Holder l(&mu);
        if (++inside != 1) overlapped = true;
        ++counter;
        --inside;
      }
    });
  }
  for (auto& w : workers) w.join();
  Holder l(&mu);
  EXPECT_EQ(counter, int64_t{threads} * kIncrements);
  EXPECT_FALSE(overlapped);
}

TEST(MutexTest, MutexLockExcludesOtherWriters) {
  Mutex mu;
  ExpectExclusion<MutexLock>(mu, 4);
}

TEST(SpinLockTest, ExcludesOtherHoldersAndHandsOverUnderContention) {
  // More threads than cores, so holders get descheduled while waiters
  // spin: the yield path is exercised too.
  SpinLock mu;
  ExpectExclusion<SpinLockHolder>(mu, 6);
}

TEST(MutexTest, TryLockFailsWhileHeld) {
  Mutex mu;
  mu.Lock();
  mu.AssertHeld();
  bool got = false, got_shared = false;
  // The try-locks sit in `if` conditions, where -Wthread-safety follows them.
  std::thread([&] {
    if (mu.TryLock()) {
      got = true;
      mu.Unlock();
    }
    if (mu.ReaderTryLock()) {
      got_shared = true;
      mu.ReaderUnlock();
    }
  }).join();
  EXPECT_FALSE(got);
  EXPECT_FALSE(got_shared);
  mu.Unlock();
  bool relocked = false;
  if (mu.TryLock()) {
    relocked = true;
    mu.Unlock();
  }
  EXPECT_TRUE(relocked);
}

TEST(MutexTest, ReadersShareTheLockAndExcludeWriters) {
  Mutex mu;
  int value = 0;
  std::atomic<int> readers_in{0};
  std::atomic<bool> release{false};
  // Two readers hold the lock at the same time: each waits inside until
  // both are in, which would deadlock if readers excluded each other.
  auto reader = [&] {
    ReaderMutexLock l(&mu);
    mu.AssertReaderHeld();
    readers_in.fetch_add(1);
    while (readers_in.load() < 2) std::this_thread::yield();
    while (!release.load()) std::this_thread::yield();
    EXPECT_EQ(value, 0);  // the writer below cannot have run yet
  };
  std::thread r1(reader), r2(reader);
  while (readers_in.load() < 2) std::this_thread::yield();
  std::atomic<bool> wrote{false};
  std::thread writer([&] {
    MutexLock l(&mu);
    value = 1;
    wrote = true;
  });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(wrote.load()) << "a writer got in while readers held the lock";
  release = true;
  r1.join();
  r2.join();
  writer.join();
  ReaderMutexLock l(&mu);
  EXPECT_EQ(value, 1);
}

TEST(MutexTest, WaitingWriterIsNotStarvedByNewReaders) {
  Mutex mu;
  std::atomic<bool> stop{false};
  auto reader = [&] {
    while (!stop.load()) {
      ReaderMutexLock l(&mu);
      std::this_thread::yield();
    }
  };
  std::thread r1(reader), r2(reader);
  for (int i = 0; i < 200; ++i) {
    MutexLock l(&mu);  // would wait for ever if new readers were preferred
  }
  stop = true;
  r1.join();
  r2.join();
}

TEST(CondVarTest, SignalWakesAWaiterThatRechecksItsCondition) {
  Mutex mu;
  CondVar cv;
  int stage = 0;
  std::thread consumer([&] {
    MutexLock l(&mu);
    while (stage != 1) cv.Wait(&mu);
    mu.AssertHeld();
    stage = 2;
    cv.Signal();
  });
  {
    MutexLock l(&mu);
    stage = 1;
    cv.Signal();
    while (stage != 2) cv.Wait(&mu);
  }
  consumer.join();
}

TEST(CondVarTest, SignalAllWakesEveryWaiter) {
  Mutex mu;
  CondVar cv;
  bool go = false;
  int woken = 0;
  constexpr int kThreads = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      MutexLock l(&mu);
      while (!go) cv.Wait(&mu);
      ++woken;
    });
  }
  {
    MutexLock l(&mu);
    go = true;
  }
  cv.SignalAll();  // without the mutex held, as absl allows
  for (auto& th : threads) th.join();
  MutexLock l(&mu);
  EXPECT_EQ(woken, kThreads);
}

TEST(CondVarTest, WaitWithTimeoutTimesOutAndHoldsTheMutexAgain) {
  Mutex mu;
  CondVar cv;
  MutexLock l(&mu);
  const auto start = std::chrono::steady_clock::now();
  bool timed_out = false;
  // A spurious wake-up returns false early; retry until the deadline.
  while (!timed_out && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    timed_out = cv.WaitWithTimeout(&mu, absl::Milliseconds(30));
  }
  EXPECT_TRUE(timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  mu.AssertHeld();
  EXPECT_TRUE(cv.WaitWithTimeout(&mu, absl::ZeroDuration()));
  EXPECT_TRUE(cv.WaitWithTimeout(&mu, -absl::Seconds(1)));
}

TEST(CondVarTest, WaitWithTimeoutReturnsFalseWhenSignalled) {
  for (const absl::Duration timeout : {absl::InfiniteDuration(), absl::Hours(1)}) {
    Mutex mu;
    CondVar cv;
    bool waiting = false, ready = false, timed_out = false;
    std::thread waiter([&] {
      MutexLock l(&mu);
      waiting = true;
      while (!ready) timed_out |= cv.WaitWithTimeout(&mu, timeout);
    });
    for (bool in_wait = false; !in_wait;) {
      MutexLock l(&mu);
      in_wait = waiting;  // then the waiter released mu inside WaitWithTimeout
      if (in_wait) {
        ready = true;
        cv.Signal();
      }
    }
    waiter.join();
    EXPECT_FALSE(timed_out) << timeout;
  }
}

TEST(NotificationTest, NotifyReleasesEveryWaiterAndPublishesWrites) {
  Notification n;
  int payload = 0;  // plain: Notify() must publish it to the waiters
  EXPECT_FALSE(n.HasBeenNotified());
  std::vector<std::thread> threads;
  std::atomic<int> seen{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      n.WaitForNotification();
      if (payload == 42) seen.fetch_add(1);
    });
  }
  threads.emplace_back([&] {
    if (n.WaitForNotificationWithTimeout(absl::InfiniteDuration()) && payload == 42) {
      seen.fetch_add(1);
    }
  });
  payload = 42;
  n.Notify();
  for (auto& th : threads) th.join();
  EXPECT_EQ(seen.load(), 4);
  EXPECT_TRUE(n.HasBeenNotified());
  n.WaitForNotification();  // returns at once
  EXPECT_TRUE(n.WaitForNotificationWithTimeout(absl::ZeroDuration()));
}

TEST(NotificationTest, WaitWithTimeoutGivesUpWithoutNotify) {
  Notification n;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(n.WaitForNotificationWithTimeout(absl::Milliseconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_FALSE(n.WaitForNotificationWithTimeout(absl::ZeroDuration()));
  EXPECT_FALSE(n.HasBeenNotified());
}

TEST(NotificationTest, WaitWithTimeoutSeesALateNotify) {
  Notification n;
  std::thread notifier([&] {
    absl::SleepFor(absl::Milliseconds(10));
    n.Notify();
  });
  EXPECT_TRUE(n.WaitForNotificationWithTimeout(absl::Seconds(30)));
  notifier.join();
}

TEST(NotificationTest, WaiterMayDestroyItRightAfterTheNotification) {
  for (int i = 0; i < 200; ++i) {
    auto* n = new Notification;
    std::thread notifier([n] { n->Notify(); });
    n->WaitForNotification();
    delete n;  // Notify() may still be returning; the destructor waits
    notifier.join();
  }
}

}  // namespace
}  // namespace strata
