// Tests index/matcher.h: each operator, Prometheus' anchoring, the fast
// paths against RE2 itself, and errors for bad regexes.
#include "index/matcher.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "re2/re2.h"

namespace strata::index {
namespace {

Matcher Make(MatchType t, std::string_view name, std::string_view value) {
  auto m = Matcher::Create(t, name, value);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

TEST(MatcherTest, EqualAndNotEqualCompareWholeValues) {
  const Matcher eq = Make(MatchType::kEqual, "job", "api");
  EXPECT_TRUE(eq.Matches("api"));
  EXPECT_FALSE(eq.Matches("apis"));
  EXPECT_FALSE(eq.Matches(""));
  const Matcher ne = Make(MatchType::kNotEqual, "job", "api");
  EXPECT_FALSE(ne.Matches("api"));
  EXPECT_TRUE(ne.Matches(""));
  EXPECT_TRUE(Make(MatchType::kEqual, "job", "").Matches(""));
}

TEST(MatcherTest, RegexIsFullyAnchored) {
  const Matcher m = Make(MatchType::kRegexMatch, "status", "5..");
  EXPECT_TRUE(m.Matches("503"));
  EXPECT_FALSE(m.Matches("1503"));
  EXPECT_FALSE(m.Matches("5030"));
  const Matcher alt = Make(MatchType::kRegexMatch, "x", "a|b[0-9]");
  EXPECT_TRUE(alt.Matches("b7"));
  EXPECT_FALSE(alt.Matches("ab7"));
  const Matcher nre = Make(MatchType::kRegexNoMatch, "status", "5..");
  EXPECT_FALSE(nre.Matches("500"));
  EXPECT_TRUE(nre.Matches("200"));
  EXPECT_TRUE(nre.Matches(""));
}

TEST(MatcherTest, FastPathsAgreeWithRe2) {
  const std::vector<std::string> regexes = {".*",  ".+",     "foo.*",  "a|b|c",  "a|",   "",
                                            "foo", "fo|foo", "(a|b)c", "[0-9]+", "x.*y", "a.*b.*"};
  const std::vector<std::string> values = {"",       "a",  "b",    "c",     "d",    "foo",
                                           "foobar", "fo", "fo\n", "foo\n", "\n",   "ac",
                                           "123",    "xy", "x\ny", "ab",    "a\nb", "abc"};
  for (const std::string& re : regexes) {
    const Matcher m = Make(MatchType::kRegexMatch, "l", re);
    const RE2 reference("^(?:" + re + ")$");
    ASSERT_TRUE(reference.ok());
    for (const std::string& v : values) {
      EXPECT_EQ(m.Matches(v), RE2::FullMatch(v, reference)) << "regex " << re << " value " << v;
      EXPECT_EQ(m.Inverse().Matches(v), !RE2::FullMatch(v, reference));
    }
  }
}

TEST(MatcherTest, SetMatchesListsLiteralAlternatives) {
  const Matcher m = Make(MatchType::kRegexMatch, "l", "c|a|b|a");
  const std::vector<std::string> want = {"a", "b", "c"};
  EXPECT_EQ(std::vector<std::string>(m.SetMatches().begin(), m.SetMatches().end()), want);
  EXPECT_TRUE(Make(MatchType::kRegexMatch, "l", "a.b").SetMatches().empty());
  EXPECT_TRUE(Make(MatchType::kRegexNoMatch, "l", "a|b").SetMatches().empty());
  EXPECT_EQ(Make(MatchType::kEqual, "l", "x").SetMatches().size(), 1u);
  EXPECT_EQ(Make(MatchType::kNotEqual, "l", "x").Inverse().SetMatches().size(), 1u);
}

TEST(MatcherTest, InvalidRegexIsInvalidArgumentNamingIt) {
  for (const char* re : {"(", "a[", "*", "a{2,1}", "(?P<x", "\\"}) {
    auto m = Matcher::Create(MatchType::kRegexMatch, "l", re);
    ASSERT_FALSE(m.ok()) << re;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(m.status().message()).find(re), std::string::npos) << m.status();
  }
}

TEST(MatcherTest, InverseSwapsOperators) {
  EXPECT_EQ(Make(MatchType::kEqual, "a", "b").Inverse().type(), MatchType::kNotEqual);
  EXPECT_EQ(Make(MatchType::kRegexNoMatch, "a", "b").Inverse().type(), MatchType::kRegexMatch);
  EXPECT_EQ(Make(MatchType::kRegexMatch, "a", "b.*").ToString(), "a=~\"b.*\"");
}

}  // namespace
}  // namespace strata::index
