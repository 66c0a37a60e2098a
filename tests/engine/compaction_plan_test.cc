#include "engine/compaction_plan.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace strata::engine {
namespace {

constexpr int64_t kHour = 3600 * 1000;

// A ULID standing for the block named `name` in Prometheus' tests.
Ulid U(int name) {
  Ulid u;
  u.bytes[14] = static_cast<uint8_t>(name >> 8);
  u.bytes[15] = static_cast<uint8_t>(name);
  return u;
}

BlockMeta Meta(int name, int64_t mint, int64_t maxt, uint64_t series = 0, uint64_t tombs = 0) {
  BlockMeta m;
  m.ulid = U(name);
  m.min_time_ms = mint;
  m.max_time_ms = maxt;
  m.stats.num_series = series;
  m.stats.num_tombstones = tombs;
  return m;
}

std::vector<Ulid> Us(std::vector<int> names) {
  std::vector<Ulid> out;
  for (int n : names) {
    out.push_back(U(n));
  }
  return out;
}

TEST(CompactionRangesTest, ExponentialBlockRanges) {
  EXPECT_EQ(ExponentialBlockRanges(20, 5, 3), (std::vector<int64_t>{20, 60, 180, 540, 1620}));
  EXPECT_EQ(ExponentialBlockRanges(2 * kHour, 3, 5),
            (std::vector<int64_t>{2 * kHour, 10 * kHour, 50 * kHour}));
  EXPECT_TRUE(ExponentialBlockRanges(2 * kHour, 0, 3).empty());
}

TEST(CompactionRangesTest, BlockRangesFollowRetention) {
  // 15d retention: max block 36h.
  EXPECT_EQ(MaxBlockDurationFor(15 * 24 * kHour), 36 * kHour);
  EXPECT_EQ(BlockRangesFor(2 * kHour, 15 * 24 * kHour),
            (std::vector<int64_t>{2 * kHour, 6 * kHour, 18 * kHour}));
  // No time retention: 31d cap.
  EXPECT_EQ(MaxBlockDurationFor(0), 31 * 24 * kHour);
  EXPECT_EQ(BlockRangesFor(2 * kHour, 0),
            (std::vector<int64_t>{2 * kHour, 6 * kHour, 18 * kHour, 54 * kHour, 162 * kHour,
                                  486 * kHour}));
  // A range equal to the cap is kept.
  EXPECT_EQ(BlockRangesFor(2 * kHour, 180 * kHour),
            (std::vector<int64_t>{2 * kHour, 6 * kHour, 18 * kHour}));
  // Retention below 10 x min: only the head's block size.
  EXPECT_EQ(BlockRangesFor(2 * kHour, kHour), (std::vector<int64_t>{2 * kHour}));
  // Default min block duration.
  EXPECT_EQ(BlockRangesFor(0, 15 * 24 * kHour).front(), kDefaultBlockDurationMs);
  // 10 years of retention: still 31d.
  EXPECT_EQ(BlockRangesFor(2 * kHour, 3650 * 24 * kHour).back(), 486 * kHour);
}

struct PlanCase {
  std::string title;
  std::vector<BlockMeta> metas;
  std::vector<int> expected;
};

// The cases of Prometheus' TestLeveledCompactor_plan.
TEST(CompactionPlanTest, PrometheusLeveledCases) {
  const std::vector<int64_t> ranges = {20, 60, 180, 540, 1620};
  const std::vector<PlanCase> cases = {
      {"outside range", {Meta(1, 0, 20)}, {}},
      {"wait for four blocks of size 20", {Meta(1, 0, 20), Meta(2, 20, 40)}, {}},
      {"three, but the fresh one is ignored",
       {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 40, 60)},
       {}},
      {"block to fill the parent range appeared",
       {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 40, 60), Meta(4, 60, 80)},
       {1, 2, 3}},
      {"next parent range with a gap, fresh one ignored",
       {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 60, 80)},
       {}},
      {"gap will not be filled any more: compact the two",
       {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 60, 80), Meta(4, 80, 100)},
       {1, 2}},
      {"20 20 20 60 60, 5 is fresh",
       {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 40, 60), Meta(4, 60, 120), Meta(5, 120, 180)},
       {1, 2, 3}},
      {"20 60 20 60 240: compact 20 + 60 + 60",
       {Meta(2, 20, 40), Meta(4, 60, 120), Meta(5, 960, 980), Meta(6, 120, 180), Meta(7, 720, 960)},
       {2, 4, 6}},
      {"large block with many tombstones, no fresh block", {Meta(1, 0, 540, 10, 3)}, {}},
      {"large block with many tombstones, fresh appears",
       {Meta(1, 0, 540, 10, 3), Meta(2, 540, 560)},
       {1}},
      {"small block: tombstones not compacted", {Meta(1, 0, 60, 10, 3), Meta(2, 60, 80)}, {}},
      {"regression: zero tombstones and series do not loop",
       {Meta(1, 0, 540, 0, 0), Meta(2, 540, 560)},
       {}},
      {"regression: fresh block is by max time, not ULID",
       {Meta(5, 0, 360), Meta(6, 540, 560), Meta(7, 360, 420), Meta(8, 420, 540)},
       {7, 8}},
      {"overlapping 1", {Meta(1, 0, 20), Meta(2, 19, 40), Meta(3, 40, 60)}, {1, 2}},
      {"overlapping 2", {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 30, 50)}, {2, 3}},
      {"overlapping 3", {Meta(1, 0, 20), Meta(2, 10, 40), Meta(3, 30, 50)}, {1, 2, 3}},
      {"overlapping 4",
       {Meta(5, 0, 360), Meta(6, 340, 560), Meta(7, 360, 420), Meta(8, 420, 540)},
       {5, 6, 7, 8}},
      {"overlapping 5", {Meta(1, 0, 10), Meta(2, 9, 20), Meta(3, 30, 40), Meta(4, 39, 50)}, {1, 2}},
  };
  for (const PlanCase& c : cases) {
    EXPECT_EQ(PlanCompaction(c.metas, ranges), Us(c.expected)) << c.title;
  }
}

TEST(CompactionPlanTest, SmallFullyDeletedBlockIsCompacted) {
  const std::vector<int64_t> ranges = {20, 60, 180, 540, 1620};
  // Smaller than ranges[2] = 180, but every series has a tombstone.
  const std::vector<BlockMeta> metas = {Meta(1, 0, 60, 4, 4), Meta(2, 60, 80)};
  EXPECT_EQ(PlanCompaction(metas, ranges), Us({1}));
  // The scan stops at the first small block from the newest end.
  const std::vector<BlockMeta> metas2 = {Meta(1, 0, 540, 10, 3), Meta(2, 540, 560),
                                         Meta(3, 560, 580)};
  EXPECT_TRUE(PlanCompaction(metas2, ranges).empty());
}

// Prometheus' TestRangeWithFailedCompactionWontGetSelected.
TEST(CompactionPlanTest, RangeWithFailedCompactionIsNotSelected) {
  const std::vector<int64_t> ranges = {20, 60, 240, 720, 2160};
  std::vector<std::vector<BlockMeta>> cases = {
      {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 40, 60), Meta(4, 60, 80)},
      {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 60, 80), Meta(4, 80, 100)},
      {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 40, 60), Meta(4, 60, 120), Meta(5, 120, 180),
       Meta(6, 180, 200)},
  };
  for (auto& metas : cases) {
    ASSERT_FALSE(PlanCompaction(metas, ranges).empty());
    metas[1].compaction.failed = true;
    EXPECT_TRUE(PlanCompaction(metas, ranges).empty());
  }
}

TEST(CompactionPlanTest, EdgeCases) {
  const std::vector<int64_t> ranges = {20, 60};
  EXPECT_TRUE(PlanCompaction({}, ranges).empty());
  const std::vector<BlockMeta> four = {Meta(1, 0, 20), Meta(2, 20, 40), Meta(3, 40, 60),
                                       Meta(4, 60, 80)};
  EXPECT_TRUE(PlanCompaction(four, {}).empty());
  // One range only: nothing leveled to do.
  const std::vector<int64_t> one = {20};
  EXPECT_TRUE(PlanCompaction(four, one).empty());
  // Overlaps are still compacted with one range.
  const std::vector<BlockMeta> ov = {Meta(1, 0, 20), Meta(2, 10, 30)};
  EXPECT_EQ(PlanCompaction(ov, one), Us({1, 2}));
  // Deletable blocks are ignored.
  std::vector<BlockMeta> del = four;
  del[1].compaction.deletable = true;
  EXPECT_EQ(PlanCompaction(del, ranges), Us({1, 3}));
  // Negative times align to floored ranges.
  const std::vector<BlockMeta> neg = {Meta(1, -60, -40), Meta(2, -40, -20), Meta(3, -20, 0),
                                      Meta(4, 0, 20)};
  EXPECT_EQ(PlanCompaction(neg, ranges), Us({1, 2, 3}));
}

// Modelled on Prometheus' TestTimeRetention / TestSizeRetention.
TEST(CompactionRetentionTest, TimeRetention) {
  const std::vector<BlockMeta> metas = {Meta(3, 2000, 3000), Meta(1, 0, 1000), Meta(2, 1000, 2000)};
  // Newest max time 3000: block 2 is 1000 behind (kept, not more than the
  // retention), block 1 is 2000 behind.
  EXPECT_EQ(BlocksBeyondRetention(metas, {}, 1000, 0, 0), Us({1}));
  EXPECT_EQ(BlocksBeyondRetention(metas, {}, 999, 0, 0), Us({1, 2}));
  EXPECT_TRUE(BlocksBeyondRetention(metas, {}, 2000, 0, 0).empty());
  EXPECT_TRUE(BlocksBeyondRetention(metas, {}, 0, 0, 0).empty());
  // The newest block is never deleted by time.
  EXPECT_EQ(BlocksBeyondRetention(metas, {}, 1, 0, 0), Us({1, 2}));
  EXPECT_TRUE(BlocksBeyondRetention({}, {}, 1, 1, 0).empty());
}

TEST(CompactionRetentionTest, SizeRetentionDeletesOldestFirst) {
  const std::vector<BlockMeta> metas = {Meta(1, 0, 1000), Meta(2, 1000, 2000), Meta(3, 2000, 3000)};
  const std::vector<uint64_t> sizes = {100, 100, 100};
  EXPECT_TRUE(BlocksBeyondRetention(metas, sizes, 0, 300, 0).empty());
  EXPECT_EQ(BlocksBeyondRetention(metas, sizes, 0, 299, 0), Us({1}));
  // The WAL and head chunks count first.
  EXPECT_EQ(BlocksBeyondRetention(metas, sizes, 0, 250, 60), Us({1, 2}));
  // A head bigger than the limit deletes every block, the newest too.
  EXPECT_EQ(BlocksBeyondRetention(metas, sizes, 0, 250, 251), Us({1, 2, 3}));
  // Time and size together.
  EXPECT_EQ(BlocksBeyondRetention(metas, sizes, 1000, 1000, 0), Us({1}));
  const std::vector<uint64_t> big_old = {1000, 10, 10};
  EXPECT_EQ(BlocksBeyondRetention(metas, big_old, 5000, 500, 0), Us({1}));
}

TEST(CompactionRetentionTest, DeletableBlocksAreAlwaysReturned) {
  std::vector<BlockMeta> metas = {Meta(1, 0, 1000), Meta(2, 1000, 2000), Meta(3, 2000, 3000)};
  metas[2].compaction.deletable = true;
  EXPECT_EQ(BlocksBeyondRetention(metas, {}, 0, 0, 0), Us({3}));
  EXPECT_EQ(BlocksBeyondRetention(metas, {}, 1000, 0, 0), Us({1, 3}));
}

}  // namespace
}  // namespace strata::engine
