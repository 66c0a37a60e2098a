#include "server/api_format.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace strata::server {
namespace {

std::string Ts(int64_t ms) {
  std::string s;
  AppendApiTimestamp(&s, ms);
  return s;
}
std::string Val(double v) {
  std::string s;
  AppendApiFloat(&s, v);
  return s;
}

TEST(ApiFormatTest, TimestampsAreSecondsWithMillisecondDecimalsLikePrometheus) {
  EXPECT_EQ(Ts(1435781451781), "1435781451.781");
  EXPECT_EQ(Ts(1500), "1.500");
  EXPECT_EQ(Ts(1050), "1.050");
  EXPECT_EQ(Ts(1005), "1.005");
  EXPECT_EQ(Ts(10000), "10");
  EXPECT_EQ(Ts(0), "0");
  EXPECT_EQ(Ts(-1), "-0.001");
  EXPECT_EQ(Ts(-1500), "-1.500");
}

TEST(ApiFormatTest, ValuesUseGoShortestFormatting) {
  EXPECT_EQ(Val(1), "1");
  EXPECT_EQ(Val(0), "0");
  EXPECT_EQ(Val(-0.5), "-0.5");
  EXPECT_EQ(Val(0.1), "0.1");
  EXPECT_EQ(Val(123456789.25), "123456789.25");
  EXPECT_EQ(Val(1e-7), "1e-07");
  EXPECT_EQ(Val(1e21), "1e+21");
  EXPECT_EQ(Val(1e20), "100000000000000000000");
  EXPECT_EQ(Val(0.000001), "0.000001");
  EXPECT_EQ(Val(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Val(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Val(std::nan("")), "NaN");
  std::string p;
  AppendApiPoint(&p, 1500, 2);
  EXPECT_EQ(p, "[1.500,\"2\"]");
}

TEST(ApiFormatTest, TimesParseAsUnixSecondsOrRfc3339) {
  EXPECT_EQ(*ParseApiTime("1.5"), 1500);
  EXPECT_EQ(*ParseApiTime("1435781451.781"), 1435781451781);
  EXPECT_EQ(*ParseApiTime("+10"), 10000);
  EXPECT_EQ(*ParseApiTime("-1.5"), -1500);
  EXPECT_EQ(*ParseApiTime("2015-07-01T20:10:51.781Z"), 1435781451781);
  EXPECT_EQ(*ParseApiTime("2015-07-01T22:10:51.781+02:00"), 1435781451781);
  EXPECT_EQ(*ParseApiTime("-292273086-05-16T16:47:06Z"), kApiMinTimeMs);
  const StatusOr<int64_t> bad = ParseApiTime("yesterday");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "cannot parse \"yesterday\" to a valid timestamp");
  EXPECT_FALSE(ParseApiTime("").ok());
  EXPECT_FALSE(ParseApiTime("NaN").ok());
}

TEST(ApiFormatTest, DurationsParseAsSecondsOrPrometheusDurations) {
  EXPECT_EQ(*ParseApiDuration("15"), 15000);
  EXPECT_EQ(*ParseApiDuration("0.5"), 500);
  EXPECT_EQ(*ParseApiDuration("1m30s"), 90000);
  EXPECT_EQ(*ParseApiDuration("5m"), 300000);
  const StatusOr<int64_t> bad = ParseApiDuration("abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "cannot parse \"abc\" to a valid duration");
}

}  // namespace
}  // namespace strata::server
