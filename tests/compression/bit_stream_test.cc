#include "compression/bit_stream.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace strata::compression {
namespace {

TEST(BitStreamTest, WritesMostSignificantBitFirst) {
  BitWriter w;
  w.WriteBit(true);
  w.WriteBits(0b0101, 4);
  EXPECT_EQ(w.bit_length(), 5u);
  ASSERT_EQ(w.bytes().size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[0]), 0b10101000);
  w.WriteBits(0xabcd, 16);
  ASSERT_EQ(w.bytes().size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[0]), 0b10101101);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[1]), 0b01011110);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[2]), 0b01101000);
}

TEST(BitStreamTest, RandomWidthsRoundTrip) {
  std::mt19937_64 rng(3);
  std::vector<std::pair<uint64_t, unsigned>> written;
  BitWriter w;
  for (int i = 0; i < 20000; ++i) {
    const unsigned n = rng() % 65;
    const uint64_t v = n == 0 ? 0 : (n == 64 ? rng() : rng() & ((1ull << n) - 1));
    w.WriteBits(v, n);
    written.emplace_back(v, n);
  }
  BitReader r(reinterpret_cast<const uint8_t*>(w.bytes().data()), w.bytes().size());
  for (auto [v, n] : written) {
    if (n == 0) continue;
    ASSERT_EQ(r.ReadBits(n), v);
  }
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.position(), w.bit_length());
}

TEST(BitStreamTest, ReadingPastTheEndYieldsZerosAndOverrun) {
  const uint8_t data[] = {0xff};
  BitReader r(data, 1);
  EXPECT_EQ(r.ReadBits(4), 0xfu);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.ReadBits(8), 0xf0u);
  EXPECT_TRUE(r.overrun());
}

TEST(BitStreamTest, ResetContinuesAtTheExactBit) {
  BitWriter a;
  a.WriteBits(0b1011011, 7);
  BitWriter b;
  b.Reset(a.bytes(), 5);  // keep only 10110
  b.WriteBits(0b111, 3);
  ASSERT_EQ(b.bytes().size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(b.bytes()[0]), 0b10110111);
}

}  // namespace
}  // namespace strata::compression
