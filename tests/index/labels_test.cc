// Tests index/labels.h: sorting, Prometheus' comparison order, hashing and
// the string form.
#include "index/labels.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace strata::index {
namespace {

std::vector<std::pair<std::string, std::string>> Pairs(const Labels& ls) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Label& l : ls) out.emplace_back(l.name, l.value);
  return out;
}

TEST(LabelsTest, BuilderSortsByNameDropsEmptyValuesAndKeepsLastValue) {
  LabelsBuilder b;
  b.Set("job", "api").Set("__name__", "up").Set("a", "").Set("instance", "x").Set("job", "db");
  const Labels ls = b.Build();
  const std::vector<std::pair<std::string, std::string>> want = {
      {"__name__", "up"}, {"instance", "x"}, {"job", "db"}};
  EXPECT_EQ(Pairs(ls), want);
  EXPECT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls.Get("job"), "db");
  EXPECT_EQ(ls.Get("a"), "");
  EXPECT_FALSE(ls.Has("a"));
}

TEST(LabelsTest, SettingEmptyValueDeletesLabel) {
  LabelsBuilder b(Labels::FromPairs({{"a", "1"}, {"b", "2"}}));
  b.Set("a", "");
  EXPECT_EQ(b.Build(), Labels::FromPairs({{"b", "2"}}));
}

TEST(LabelsTest, CompareFollowsPrometheusOrder) {
  const Labels a1 = Labels::FromPairs({{"a", "1"}});
  const Labels a1b2 = Labels::FromPairs({{"a", "1"}, {"b", "2"}});
  const Labels a2 = Labels::FromPairs({{"a", "2"}});
  const Labels b1 = Labels::FromPairs({{"b", "1"}});
  EXPECT_LT(Compare(a1, a1b2), 0);  // a prefix sorts first
  EXPECT_LT(Compare(a1b2, a2), 0);  // values before length
  EXPECT_LT(Compare(a2, b1), 0);    // names first
  EXPECT_GT(Compare(b1, a1), 0);
  EXPECT_EQ(Compare(a1b2, Labels::FromPairs({{"b", "2"}, {"a", "1"}})), 0);
  EXPECT_LT(Compare(Labels(), a1), 0);
}

TEST(LabelsTest, SortByLabelsIsAStableSortByCompare) {
  // Sets that share prefixes, are prefixes of each other, differ only in a
  // name or only in a value, and repeat (stability is visible through the
  // second member).
  std::mt19937 rng(7);
  const std::vector<std::string> words = {"a", "ab", "b", "job", "jo", "__name__", "x", "\xff"};
  std::vector<std::pair<Labels, int>> items;
  for (int i = 0; i < 2000; ++i) {
    LabelsBuilder b;
    const int n = static_cast<int>(rng() % 4);
    for (int j = 0; j < n; ++j) b.Set(words[rng() % words.size()], words[rng() % words.size()]);
    items.emplace_back(b.Build(), i);
  }
  std::vector<std::pair<Labels, int>> want = items;
  std::stable_sort(want.begin(), want.end(),
                   [](const auto& x, const auto& y) { return Compare(x.first, y.first) < 0; });
  SortByLabels(items, [](const std::pair<Labels, int>& x) -> const Labels& { return x.first; });
  ASSERT_EQ(items.size(), want.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].first, want[i].first) << i;
    EXPECT_EQ(items[i].second, want[i].second) << i;
  }
}

TEST(LabelsTest, HashIsEqualForEqualSetsAndDiffersForNeighbours) {
  const Labels x = Labels::FromPairs({{"a", "bc"}});
  EXPECT_EQ(x.Hash(), Labels::FromPairs({{"a", "bc"}}).Hash());
  // The length prefixes keep "a"="bc" apart from "ab"="c".
  EXPECT_NE(x.Hash(), Labels::FromPairs({{"ab", "c"}}).Hash());
  EXPECT_NE(x, Labels::FromPairs({{"ab", "c"}}));
}

TEST(LabelsTest, ToStringQuotesValuesLikePrometheus) {
  const Labels ls = Labels::FromPairs({{"__name__", "up"}, {"path", "a\"b\\c\n"}});
  EXPECT_EQ(ls.ToString(), "{__name__=\"up\", path=\"a\\\"b\\\\c\\n\"}");
  EXPECT_EQ(Labels().ToString(), "{}");
}

TEST(LabelsTest, FromEncodedAcceptsCanonicalAndRejectsOthers) {
  const Labels ls = Labels::FromPairs({{"a", "1"}, {"b", "2"}});
  Labels out;
  ASSERT_TRUE(Labels::FromEncoded(std::string(ls.encoded()), &out));
  EXPECT_EQ(out, ls);

  std::string unsorted;
  AppendLabelEncoding(&unsorted, "b", "2");
  AppendLabelEncoding(&unsorted, "a", "1");
  EXPECT_FALSE(Labels::FromEncoded(unsorted, &out));
  std::string empty_value;
  AppendLabelEncoding(&empty_value, "a", "");
  EXPECT_FALSE(Labels::FromEncoded(empty_value, &out));
  EXPECT_FALSE(Labels::FromEncoded(std::string("\x05"
                                               "ab",
                                               3),
                                   &out));  // truncated
  EXPECT_EQ(out, ls);                       // unchanged by the failures
}

}  // namespace
}  // namespace strata::index
