// Tests index/postings.h against std::set_intersection / set_union /
// set_difference on random sorted lists, including very unequal sizes
// (the galloping path) and Seek sequences on the lazy iterators.
#include "index/postings.h"

#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace strata::index {
namespace {

std::vector<uint64_t> RandomList(std::mt19937_64& rng, size_t n, uint64_t max) {
  std::set<uint64_t> s;
  std::uniform_int_distribution<uint64_t> d(0, max);
  while (s.size() < n && s.size() <= max) s.insert(d(rng));
  return {s.begin(), s.end()};
}

std::vector<uint64_t> StdIntersect(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

TEST(PostingsTest, IntersectListsMatchesStdForEqualAndVeryUnequalSizes) {
  std::mt19937_64 rng(1);
  for (auto [na, nb] : {std::pair{0, 10}, {10, 10}, {100, 120}, {5, 5000}, {3000, 40}, {1, 1}}) {
    for (int round = 0; round < 20; ++round) {
      const auto a = RandomList(rng, na, 10000), b = RandomList(rng, nb, 10000);
      EXPECT_EQ(IntersectLists(a, b), StdIntersect(a, b)) << na << " x " << nb;
    }
  }
}

TEST(PostingsTest, MergeListsMatchesStdUnionForZeroToSixLists) {
  std::mt19937_64 rng(2);
  for (size_t k = 0; k <= 6; ++k) {
    std::vector<std::vector<uint64_t>> lists;
    std::set<uint64_t> want;
    for (size_t i = 0; i < k; ++i) {
      lists.push_back(RandomList(rng, 50 * i, 1000));
      want.insert(lists.back().begin(), lists.back().end());
    }
    std::vector<std::span<const uint64_t>> spans(lists.begin(), lists.end());
    EXPECT_EQ(MergeLists(spans), std::vector<uint64_t>(want.begin(), want.end())) << k;
  }
}

TEST(PostingsTest, SubtractListsMatchesStdDifferenceForEqualAndVeryUnequalSizes) {
  std::mt19937_64 rng(3);
  for (auto [na, nb] : {std::pair{500, 700}, {20, 5000}, {5000, 20}, {0, 10}}) {
    const auto a = RandomList(rng, na, 8000), b = RandomList(rng, nb, 8000);
    std::vector<uint64_t> want;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(want));
    EXPECT_EQ(SubtractLists(a, b), want) << na << " - " << nb;
    EXPECT_EQ(SubtractLists(a, {}), a);
  }
}

TEST(PostingsTest, LazyIntersectMergeWithoutMatchStd) {
  std::mt19937_64 rng(4);
  for (int round = 0; round < 30; ++round) {
    const auto a = RandomList(rng, 300, 1000), b = RandomList(rng, 200, 1000),
               c = RandomList(rng, 600, 1000);
    std::vector<std::unique_ptr<Postings>> its;
    its.push_back(NewListPostings(a));
    its.push_back(NewListPostings(b));
    its.push_back(NewListPostings(c));
    auto got = ExpandPostings(*Intersect(std::move(its)));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, StdIntersect(StdIntersect(a, b), c));

    its.clear();
    its.push_back(NewListPostings(a));
    its.push_back(NewListPostings(b));
    its.push_back(NewListPostings(c));
    std::set<uint64_t> u(a.begin(), a.end());
    u.insert(b.begin(), b.end());
    u.insert(c.begin(), c.end());
    got = ExpandPostings(*Merge(std::move(its)));
    EXPECT_EQ(*got, std::vector<uint64_t>(u.begin(), u.end()));

    std::vector<uint64_t> diff;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(diff));
    got = ExpandPostings(*Without(NewListPostings(a), NewListPostings(b)));
    EXPECT_EQ(*got, diff);
  }
}

// Seeks to increasing random targets and checks each answer is the first
// element >= target of the reference list.
void CheckSeeks(Postings& p, const std::vector<uint64_t>& want, std::mt19937_64& rng) {
  uint64_t target = 0;
  while (true) {
    target += rng() % 40;
    auto it = std::lower_bound(want.begin(), want.end(), target);
    const bool found = p.Seek(target);
    ASSERT_EQ(found, it != want.end()) << "target " << target;
    if (!found) return;
    ASSERT_EQ(p.At(), *it);
  }
}

TEST(PostingsTest, SeekFindsFirstElementNotBelowTarget) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 20; ++round) {
    const auto a = RandomList(rng, 400, 2000), b = RandomList(rng, 400, 2000);
    auto list = NewListPostings(a);
    CheckSeeks(*list, a, rng);

    std::vector<std::unique_ptr<Postings>> its;
    its.push_back(NewListPostings(a));
    its.push_back(NewListPostings(b));
    CheckSeeks(*Intersect(std::move(its)), StdIntersect(a, b), rng);

    its.clear();
    its.push_back(NewListPostings(a));
    its.push_back(NewListPostings(b));
    std::set<uint64_t> u(a.begin(), a.end());
    u.insert(b.begin(), b.end());
    CheckSeeks(*Merge(std::move(its)), std::vector<uint64_t>(u.begin(), u.end()), rng);

    std::vector<uint64_t> diff;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(diff));
    CheckSeeks(*Without(NewListPostings(a), NewListPostings(b)), diff, rng);
  }
}

TEST(PostingsTest, SeekDoesNotMoveBackwards) {
  auto p = NewListPostings({2, 4, 6});
  ASSERT_TRUE(p->Seek(5));
  EXPECT_EQ(p->At(), 6u);
  ASSERT_TRUE(p->Seek(1));
  EXPECT_EQ(p->At(), 6u);
  EXPECT_FALSE(p->Next());
}

TEST(PostingsTest, EmptyInputsGiveEmptyResults) {
  EXPECT_FALSE(NewEmptyPostings()->Next());
  EXPECT_FALSE(Intersect({})->Next());
  EXPECT_FALSE(Merge({})->Next());
  EXPECT_TRUE(IntersectLists({}, std::vector<uint64_t>{1, 2}).empty());
}

}  // namespace
}  // namespace strata::index
