// base/small_buffers.h. Labelled `concurrency`, so scripts/sanitize.sh
// thread runs it under ThreadSanitizer.
#include "base/small_buffers.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(SmallBuffersTest, SizesAreRoundedUpTo16BytesUpToTheMaximum) {
  EXPECT_EQ(SmallBufferSize(1), 16u);
  EXPECT_EQ(SmallBufferSize(16), 16u);
  EXPECT_EQ(SmallBufferSize(17), 32u);
  EXPECT_EQ(SmallBufferSize(kSmallBufferMax - 1), kSmallBufferMax);
  EXPECT_EQ(SmallBufferSize(kSmallBufferMax), kSmallBufferMax);
  EXPECT_EQ(SmallBufferSize(kSmallBufferMax + 1), kSmallBufferMax + 1);
}

struct Buffer {
  uint8_t* p;
  size_t bytes;
  uint8_t fill;
};

// Allocates `n` buffers of random sizes (some above the maximum), fills
// each with its own byte, frees a random half, allocates again, and checks
// every live buffer still holds only its byte: no two buffers overlap.
void AllocateFillAndCheck(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<Buffer> live;
  auto allocate = [&] {
    const size_t bytes = SmallBufferSize(1 + rng() % (kSmallBufferMax + 200));
    auto* p = static_cast<uint8_t*>(AllocateSmallBuffer(bytes));
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
    const auto fill = static_cast<uint8_t>(rng());
    std::memset(p, fill, bytes);
    live.push_back({p, bytes, fill});
  };
  for (int i = 0; i < n; ++i) allocate();
  for (size_t i = 0; i < live.size();) {
    if (rng() % 2 == 0) {
      FreeSmallBuffer(live[i].p, live[i].bytes);
      live[i] = live.back();
      live.pop_back();
    } else {
      ++i;
    }
  }
  for (int i = 0; i < n / 2; ++i) allocate();
  for (const Buffer& b : live) {
    for (size_t i = 0; i < b.bytes; ++i) ASSERT_EQ(b.p[i], b.fill) << i << " of " << b.bytes;
  }
  for (const Buffer& b : live) FreeSmallBuffer(b.p, b.bytes);
}

TEST(SmallBuffersTest, BuffersNeverOverlap) { AllocateFillAndCheck(1, 20000); }

TEST(SmallBuffersTest, AFreedBufferServesTheNextOfItsSize) {
  if (!kSmallBuffersPooled) GTEST_SKIP() << "buffers come from operator new under ASan";
  void* a = AllocateSmallBuffer(96);
  FreeSmallBuffer(a, 96);
  void* b = AllocateSmallBuffer(64);
  EXPECT_NE(b, a);
  void* c = AllocateSmallBuffer(96);
  EXPECT_EQ(c, a);
  FreeSmallBuffer(b, 64);
  FreeSmallBuffer(c, 96);
}

TEST(SmallBuffersTest, ThreadsAllocateAndFreeAtOnce) {
  std::vector<std::thread> threads;
  for (uint64_t seed = 10; seed < 13; ++seed) {
    threads.emplace_back([seed] { AllocateFillAndCheck(seed, 20000); });
  }
  for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace strata
