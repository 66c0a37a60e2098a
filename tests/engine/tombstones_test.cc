#include "engine/tombstones.h"

#include <limits>
#include <random>
#include <set>

#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata::engine {
namespace {

std::vector<Interval> Add(std::vector<Interval> start, Interval iv) {
  Intervals ivs;
  for (const Interval& x : start) ivs.Add(x);
  ivs.Add(iv);
  return ivs.list();
}

// Cases of Prometheus' TestAddingNewIntervals.
TEST(IntervalsTest, AddMergesOverlappingAndAdjacentRanges) {
  using V = std::vector<Interval>;
  EXPECT_EQ(Add({}, {1, 2}), (V{{1, 2}}));
  EXPECT_EQ(Add({{1, 2}}, {3, 7}), (V{{1, 7}}));  // adjacent
  EXPECT_EQ(Add({{1, 2}, {4, 6}}, {3, 3}), (V{{1, 6}}));
  EXPECT_EQ(Add({{1, 2}, {6, 10}}, {4, 4}), (V{{1, 2}, {4, 4}, {6, 10}}));
  EXPECT_EQ(Add({{1, 10}, {12, 20}, {25, 30}}, {21, 23}), (V{{1, 10}, {12, 23}, {25, 30}}));
  EXPECT_EQ(Add({{1, 10}, {12, 20}, {25, 30}}, {2, 26}), (V{{1, 30}}));
  EXPECT_EQ(Add({{5, 10}}, {1, 2}), (V{{1, 2}, {5, 10}}));
  EXPECT_EQ(Add({{5, 10}}, {20, 30}), (V{{5, 10}, {20, 30}}));
  const int64_t min = std::numeric_limits<int64_t>::min();
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(Add({{5, 10}, {20, 30}}, {min, 15}), (V{{min, 15}, {20, 30}}));
  EXPECT_EQ(Add({{5, 10}, {20, 30}}, {8, max}), (V{{5, max}}));
}

// Found by fuzz/tombstones_fuzzer.cc: an empty interval ([10, 5]) from a
// file was kept, out of order, in the sorted list Add and Contains search.
TEST(IntervalsTest, EmptyIntervalIsIgnored) {
  using V = std::vector<Interval>;
  EXPECT_EQ(Add({{0, 7}, {8, 20}}, {10, 5}), (V{{0, 20}}));
  Intervals ivs;
  ivs.Add({0, 3});
  ivs.Add({10, 5});
  ivs.Add({8, 20});
  EXPECT_EQ(ivs.list(), (V{{0, 3}, {8, 20}}));
  EXPECT_TRUE(ivs.Contains(9));
  Tombstones t;
  t.Add(4, {2, 1});
  EXPECT_TRUE(t.empty());
}

TEST(IntervalsTest, ContainsAgreesWithBruteForce) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    Intervals ivs;
    std::set<int64_t> covered;
    for (int k = 0; k < 5; ++k) {
      const int64_t a = static_cast<int64_t>(rng() % 100), b = a + static_cast<int64_t>(rng() % 10);
      ivs.Add({a, b});
      for (int64_t t = a; t <= b; ++t) covered.insert(t);
    }
    for (int64_t t = -1; t < 112; ++t) ASSERT_EQ(ivs.Contains(t), covered.count(t) > 0) << t;
    for (size_t i = 1; i < ivs.list().size(); ++i) {
      ASSERT_GT(ivs.list()[i].min_time_ms, ivs.list()[i - 1].max_time_ms + 1);  // merged
    }
  }
}

TEST(TombstonesFileTest, RoundTripAndPrometheusEmptyFile) {
  Tombstones t;
  t.Add(7, {100, 200});
  t.Add(7, {300, 400});
  t.Add(1, {-5, 5});
  const std::string bytes = EncodeTombstonesFile(t);
  auto back = DecodeTombstonesFile(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, t);
  EXPECT_EQ(back->total(), 3u);

  Env& env = *Env::Default();
  auto children = env.GetChildren(testing::PrometheusFixtureDataDir());
  ASSERT_TRUE(children.ok());
  for (const auto& c : *children) {
    if (c.size() != 26) continue;
    const std::string dir = testing::PrometheusFixtureDataDir() + "/" + c;
    auto read = ReadTombstones(env, dir);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(read->empty());
    EXPECT_EQ(EncodeTombstonesFile(*read), *ReadFileToString(env, dir + "/tombstones"));
  }
}

TEST(TombstonesFileTest, DamageIsDataLossWithOffset) {
  Tombstones t;
  t.Add(1, {0, 10});
  t.Add(2, {0, 10});
  const std::string good = EncodeTombstonesFile(t);
  std::string bad = good;
  bad[6] ^= 1;
  EXPECT_EQ(DecodeTombstonesFile(bad).status().message(),
            "tombstones offset " + std::to_string(good.size() - 4) + ": checksum mismatch");
  bad = good;
  bad[0] = 0;
  EXPECT_EQ(DecodeTombstonesFile(bad).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeTombstonesFile(good.substr(0, 7)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeTombstonesFile("").status().code(), absl::StatusCode::kDataLoss);
}

TEST(TombstonesFileTest, EmptyIntervalIsReadAndIgnored) {
  Tombstones t;
  t.Add(1, {0, 10});
  std::string bytes = EncodeTombstonesFile(t);
  // Series 2, [10, 5]: read without complaint, as Prometheus does.
  bytes.insert(bytes.size() - 4, std::string("\x02\x14\x0a", 3));
  const uint32_t crc =
      compression::crc32c::Value(std::string_view(bytes).substr(5, bytes.size() - 9));
  bytes.resize(bytes.size() - 4);
  compression::PutBE32(&bytes, crc);
  auto back = DecodeTombstonesFile(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, t);
}

}  // namespace
}  // namespace strata::engine
