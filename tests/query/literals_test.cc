// Tests for query/literals.h: durations, Go quoting, Go float formatting.
#include "query/literals.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace strata::query {
namespace {

TEST(LiteralsTest, ParsesDurationsInUnitOrder) {
  EXPECT_EQ(*ParseDuration("5m"), 5 * 60 * 1000);
  EXPECT_EQ(*ParseDuration("1h30m"), 90 * 60 * 1000);
  EXPECT_EQ(*ParseDuration("1y"), 365LL * 24 * 3600 * 1000);
  EXPECT_EQ(*ParseDuration("2w"), 14LL * 24 * 3600 * 1000);
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("10s53ms"), 10053);
  EXPECT_EQ(*ParseDuration("1d2h3m4s5ms"), ((24 + 2) * 3600 + 3 * 60 + 4) * 1000LL + 5);
  EXPECT_EQ(*ParseDuration("0"), 0);
}

TEST(LiteralsTest, RejectsMalformedDurations) {
  for (const char* bad : {"", "5", "5mm", "5m1h", "5m1m", "5y1hs", "1.5h", "m", "-5m", "5M"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(std::string(d.status().message()),
              std::string("not a valid duration string: \"") + bad + "\"");
  }
  EXPECT_EQ(std::string(ParseDuration("999999999999y").status().message()),
            "duration out of range");
}

TEST(LiteralsTest, FormatsDurationsLikePrometheus) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(90 * 60 * 1000), "1h30m");
  EXPECT_EQ(FormatDuration(90LL * 24 * 3600 * 1000), "90d");  // not 12w6d
  EXPECT_EQ(FormatDuration(14LL * 24 * 3600 * 1000), "2w");
  EXPECT_EQ(FormatDuration(365LL * 24 * 3600 * 1000), "1y");
  EXPECT_EQ(FormatDuration(366LL * 24 * 3600 * 1000), "366d");
  EXPECT_EQ(FormatDuration(10053), "10s53ms");
}

TEST(LiteralsTest, UnquotesGoEscapes) {
  EXPECT_EQ(*Unquote("\"a\\tb\""), "a\tb");
  EXPECT_EQ(*Unquote("'a\\'b'"), "a'b");
  EXPECT_EQ(*Unquote("'multi char single quoted'"), "multi char single quoted");
  EXPECT_EQ(*Unquote("\"\\u00e4\\U0001F600\\x41\\101\\\\\""),
            "\xc3\xa4\xf0\x9f\x98\x80"
            "AA\\");
  EXPECT_EQ(*Unquote("`raw \\n`"), "raw \\n");
  EXPECT_EQ(*Unquote("\"\\a\\b\\f\\n\\r\\v\""), "\a\b\f\n\r\v");
  EXPECT_EQ(*Unquote("\"\\xff\""), "\xff");
}

TEST(LiteralsTest, RejectsBadEscapes) {
  for (const char* bad : {"\"\\q\"", "\"a'\\'\"", "'\\\"'", "\"\\x4\"", "\"\\ud800\"", "\"abc",
                          "\"a\"b\"", "`a`b`"}) {
    EXPECT_FALSE(Unquote(bad).ok()) << bad;
  }
}

TEST(LiteralsTest, QuoteRoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  all += "\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80";
  EXPECT_EQ(*Unquote(Quote(all)), all);
  EXPECT_EQ(Quote("a\"b\\c\n\x01\xff\xc3\xa4"), "\"a\\\"b\\\\c\\n\\x01\\xffä\"");
}

TEST(LiteralsTest, FormatsFloatsLikeGo) {
  EXPECT_EQ(FormatFloat(1), "1");
  EXPECT_EQ(FormatFloat(-1.5), "-1.5");
  EXPECT_EQ(FormatFloat(0.1), "0.1");
  EXPECT_EQ(FormatFloat(123456), "123456");
  EXPECT_EQ(FormatFloat(1e6), "1e+06");
  EXPECT_EQ(FormatFloat(1234567), "1.234567e+06");
  EXPECT_EQ(FormatFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatFloat(1e300), "1e+300");
  EXPECT_EQ(FormatFloat(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatFloat(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatFloat(std::nan("")), "NaN");
}

TEST(LiteralsTest, ParsesNumbersLikePrometheus) {
  EXPECT_EQ(*ParseNumber("0x1F"), 31);
  EXPECT_EQ(*ParseNumber("010"), 8);  // ParseInt with base 0: octal
  EXPECT_EQ(*ParseNumber("09"), 9);   // not octal, so ParseFloat
  EXPECT_EQ(*ParseNumber("1.5e3"), 1500);
  EXPECT_EQ(*ParseNumber(".5"), 0.5);
  EXPECT_EQ(*ParseNumber("5."), 5);
  EXPECT_TRUE(std::isinf(*ParseNumber("Inf")));
  EXPECT_TRUE(std::isnan(*ParseNumber("nAn")));
  EXPECT_EQ(std::string(ParseNumber("1e").status().message()),
            "strconv.ParseFloat: parsing \"1e\": invalid syntax");
  EXPECT_EQ(std::string(ParseNumber("1e999").status().message()),
            "strconv.ParseFloat: parsing \"1e999\": value out of range");
}

}  // namespace
}  // namespace strata::query
