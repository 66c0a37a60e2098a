#include "compression/varint.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace strata::compression {
namespace {

std::string Hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string U(uint64_t v) {
  std::string s;
  PutUvarint(&s, v);
  return Hex(s);
}
std::string S(int64_t v) {
  std::string s;
  PutVarint(&s, v);
  return Hex(s);
}

// Vectors from Go's encoding/binary (varint_test.go).
TEST(VarintTest, MatchesGoEncoding) {
  EXPECT_EQ(U(0), "00");
  EXPECT_EQ(U(1), "01");
  EXPECT_EQ(U(127), "7f");
  EXPECT_EQ(U(128), "8001");
  EXPECT_EQ(U(300), "ac02");
  EXPECT_EQ(U(std::numeric_limits<uint64_t>::max()), "ffffffffffffffffff01");
  EXPECT_EQ(S(0), "00");
  EXPECT_EQ(S(-1), "01");
  EXPECT_EQ(S(1), "02");
  EXPECT_EQ(S(63), "7e");
  EXPECT_EQ(S(-64), "7f");
  EXPECT_EQ(S(64), "8001");
  EXPECT_EQ(S(std::numeric_limits<int64_t>::min()), "ffffffffffffffffff01");
}

TEST(VarintTest, RoundTripsRandomValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t u = rng() >> (rng() % 64);
    const int64_t s = static_cast<int64_t>(rng()) >> (rng() % 64);
    std::string buf;
    PutUvarint(&buf, u);
    PutVarint(&buf, s);
    EXPECT_EQ(buf.size(), UvarintLength(u) + UvarintLength(ZigZagEncode(s)));
    std::string_view in = buf;
    uint64_t got_u;
    int64_t got_s;
    ASSERT_TRUE(ConsumeUvarint(&in, &got_u));
    ASSERT_TRUE(ConsumeVarint(&in, &got_s));
    EXPECT_EQ(got_u, u);
    EXPECT_EQ(got_s, s);
    EXPECT_TRUE(in.empty());
  }
}

TEST(VarintTest, TruncatedInputIsReported) {
  const uint8_t buf[] = {0x80, 0x80};
  uint64_t v;
  size_t n;
  EXPECT_EQ(DecodeUvarint(buf, buf + 2, &v, &n), VarintStatus::kTruncated);
  EXPECT_EQ(DecodeUvarint(buf, buf, &v, &n), VarintStatus::kTruncated);
  std::string_view in("\x80", 1);
  EXPECT_FALSE(ConsumeUvarint(&in, &v));
  EXPECT_EQ(in.size(), 1u);  // unchanged
}

TEST(VarintTest, OverflowIsReportedLikeGo) {
  // Ten bytes whose last sets bit 64: Go's "overflows a 64-bit integer".
  const uint8_t ten[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  // Eleven bytes.
  const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  uint64_t v;
  size_t n;
  EXPECT_EQ(DecodeUvarint(ten, ten + sizeof ten, &v, &n), VarintStatus::kOverflow);
  EXPECT_EQ(DecodeUvarint(eleven, eleven + sizeof eleven, &v, &n), VarintStatus::kOverflow);
}

}  // namespace
}  // namespace strata::compression
