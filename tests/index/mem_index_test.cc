// Tests index/mem_index.h: look-ups, PostingsForMatchers against a
// brute-force scan of random label sets, and concurrent add + query.
#include "index/mem_index.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "tests/index/random_series.h"

namespace strata::index {
namespace {

using testing::BruteForceSelect;
using testing::RandomMatcher;
using testing::RandomSeries;

Matcher M(MatchType t, std::string_view name, std::string_view value) {
  return *Matcher::Create(t, name, value);
}

TEST(MemIndexTest, LooksUpPostingsNamesValuesAndLabels) {
  MemIndex ix;
  ASSERT_TRUE(ix.Add(10, Labels::FromPairs({{"__name__", "up"}, {"job", "api"}})).ok());
  ASSERT_TRUE(ix.Add(5, Labels::FromPairs({{"__name__", "up"}, {"job", "db"}})).ok());
  ASSERT_TRUE(ix.Add(7, Labels::FromPairs({{"__name__", "rate"}, {"job", "api"}})).ok());
  EXPECT_EQ(ix.AllPostings(), (std::vector<uint64_t>{5, 7, 10}));
  EXPECT_EQ(ix.Postings("job", "api"), (std::vector<uint64_t>{7, 10}));
  EXPECT_TRUE(ix.Postings("job", "nope").empty());
  EXPECT_EQ(ix.LabelNames(), (std::vector<std::string>{"__name__", "job"}));
  EXPECT_EQ(ix.LabelValues("__name__"), (std::vector<std::string>{"rate", "up"}));
  EXPECT_TRUE(ix.LabelValues("missing").empty());
  auto ls = ix.SeriesLabels(5);
  ASSERT_TRUE(ls.ok());
  EXPECT_EQ(ls->ToString(), "{__name__=\"up\", job=\"db\"}");
  EXPECT_EQ(ix.SeriesLabels(6).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ix.num_series(), 3u);
  EXPECT_GT(ix.MemoryBytes(), 0u);
}

TEST(MemIndexTest, InternsEachStringOnceAndKeepsLongValues) {
  MemIndex ix;
  const std::string long_value(100000, 'v');
  ASSERT_TRUE(ix.Add(1, Labels::FromPairs({{"__name__", "m"}, {"path", long_value}})).ok());
  const size_t after_one = ix.MemoryBytes();
  for (uint64_t ref = 2; ref < 200; ++ref) {
    ASSERT_TRUE(
        ix.Add(ref, Labels::FromPairs(
                        {{"__name__", "m"}, {"path", long_value}, {"i", std::to_string(ref % 2)}}))
            .ok());
  }
  // 198 more series sharing the long value cost far less than one copy each.
  EXPECT_LT(ix.MemoryBytes() - after_one, long_value.size());
  EXPECT_EQ(ix.SeriesLabels(1)->Get("path"), long_value);
  EXPECT_EQ(ix.SeriesLabels(199)->Get("path"), long_value);
  EXPECT_EQ(ix.Postings("path", long_value).size(), 199u);
}

TEST(MemIndexTest, RejectsDuplicateRefsAndEmptyLabels) {
  MemIndex ix;
  ASSERT_TRUE(ix.Add(1, Labels::FromPairs({{"a", "1"}})).ok());
  EXPECT_EQ(ix.Add(1, Labels::FromPairs({{"a", "2"}})).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ix.Add(2, Labels()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ix.Postings("a", "2"), std::vector<uint64_t>{});
}

TEST(MemIndexTest, SelectorMatchingOnlyEmptyStringIsInvalidArgument) {
  MemIndex ix;
  ASSERT_TRUE(ix.Add(1, Labels::FromPairs({{"a", "1"}})).ok());
  const std::vector<Matcher> ms = {M(MatchType::kRegexMatch, "a", ".*"),
                                   M(MatchType::kNotEqual, "b", "x")};
  auto got = ix.PostingsForMatchers(ms);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ix.PostingsForMatchers({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MemIndexTest, EmptyMatchingMatchersSelectSeriesWithoutTheLabel) {
  MemIndex ix;
  ASSERT_TRUE(ix.Add(1, Labels::FromPairs({{"__name__", "up"}, {"env", "prod"}})).ok());
  ASSERT_TRUE(ix.Add(2, Labels::FromPairs({{"__name__", "up"}})).ok());
  ASSERT_TRUE(ix.Add(3, Labels::FromPairs({{"__name__", "up"}, {"env", "dev"}})).ok());
  const Matcher up = M(MatchType::kEqual, "__name__", "up");
  auto sel = [&](Matcher m) { return *ix.PostingsForMatchers(std::vector<Matcher>{up, m}); };
  EXPECT_EQ(sel(M(MatchType::kEqual, "env", "")), (std::vector<uint64_t>{2}));
  EXPECT_EQ(sel(M(MatchType::kNotEqual, "env", "prod")), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(sel(M(MatchType::kRegexNoMatch, "env", "p.*")), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(sel(M(MatchType::kRegexMatch, "env", "dev|")), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(sel(M(MatchType::kNotEqual, "env", "")), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(sel(M(MatchType::kRegexMatch, "env", ".+")), (std::vector<uint64_t>{1, 3}));
}

TEST(MemIndexTest, PostingsForMatchersAgreesWithBruteForce) {
  std::mt19937_64 rng(42);
  const auto series = RandomSeries(rng, 400);
  MemIndex ix;
  for (size_t i = 0; i < series.size(); ++i) ASSERT_TRUE(ix.Add(i * 3 + 1, series[i]).ok());
  int valid = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<Matcher> ms;
    for (size_t k = 1 + rng() % 3; k > 0; --k) ms.push_back(RandomMatcher(rng));
    const auto want = BruteForceSelect(series, ms);
    auto got = ix.PostingsForMatchers(ms);
    if (!want) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ++valid;
    ASSERT_TRUE(got.ok()) << got.status();
    std::vector<uint64_t> want_refs;
    for (size_t i : *want) want_refs.push_back(i * 3 + 1);
    ASSERT_EQ(*got, want_refs) << ms[0].ToString() << (ms.size() > 1 ? ms[1].ToString() : "");
  }
  EXPECT_GT(valid, 1000);
}

TEST(MemIndexTest, LabelValuesAgreeWithBruteForce) {
  std::mt19937_64 rng(7);
  const auto series = RandomSeries(rng, 200);
  MemIndex ix;
  for (size_t i = 0; i < series.size(); ++i) ASSERT_TRUE(ix.Add(i, series[i]).ok());
  std::set<std::string> names;
  for (const auto& ls : series) {
    for (const Label& l : ls) names.insert(std::string(l.name));
  }
  EXPECT_EQ(ix.LabelNames(), std::vector<std::string>(names.begin(), names.end()));
  for (const std::string& name : names) {
    std::set<std::string> values;
    for (const auto& ls : series) {
      if (ls.Has(name)) values.insert(std::string(ls.Get(name)));
    }
    EXPECT_EQ(ix.LabelValues(name), std::vector<std::string>(values.begin(), values.end()));
  }
}

TEST(MemIndexTest, ConcurrentAddAndQuerySeeConsistentPostings) {
  MemIndex ix;
  constexpr uint64_t kSeries = 20000;
  const std::vector<Matcher> ms = {M(MatchType::kEqual, "job", "api"),
                                   M(MatchType::kNotEqual, "mode", "idle")};
  // Series i has job=api iff i % 2 == 0 and mode=idle iff i % 3 == 0.
  auto labels_of = [](uint64_t i) {
    LabelsBuilder b;
    b.Set("__name__", "m").Set("i", std::to_string(i));
    b.Set("job", i % 2 == 0 ? "api" : "db").Set("mode", i % 3 == 0 ? "idle" : "user");
    return b.Build();
  };
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  auto reader = [&] {
    size_t last = 0;
    while (!done.load()) {
      auto got = ix.PostingsForMatchers(ms);
      if (!got.ok() || got->size() < last || !std::is_sorted(got->begin(), got->end())) ++failures;
      for (uint64_t ref : *got) {
        if (ref % 2 != 0 || ref % 3 == 0) ++failures;
      }
      // Every series added before the newest one returned is present.
      if (!got->empty() && got->size() != (got->back() / 6) * 2 + (got->back() % 6 == 4 ? 2 : 1)) {
        ++failures;
      }
      last = got->size();
    }
  };
  std::thread r1(reader), r2(reader);
  for (uint64_t i = 0; i < kSeries; ++i) ASSERT_TRUE(ix.Add(i, labels_of(i)).ok());
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ix.PostingsForMatchers(ms)->size(), kSeries / 3);
}

}  // namespace
}  // namespace strata::index
