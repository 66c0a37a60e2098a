#include "compression/bit_stream.h"

#include <random>
#include <string>
#include <utility>
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

// Copies are independent values; a moved-from writer is empty and usable;
// a Reset into a buffer that held more leaves no old bits behind.
TEST(BitStreamTest, CopiesMovesAndResetsKeepTheirOwnBits) {
  BitWriter a;
  for (int i = 0; i < 300; ++i) a.WriteBits(0x2a5, 10);  // grows several times
  const std::string original(a.bytes());
  BitWriter b = a;
  b.WriteBits(0xff, 8);
  EXPECT_EQ(a.bytes(), original);
  EXPECT_EQ(b.bytes().substr(0, original.size()), original);

  BitWriter c = std::move(b);
  // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from state is the test.
  EXPECT_EQ(b.bit_length(), 0u);
  EXPECT_TRUE(b.bytes().empty());
  b.WriteBits(0b101, 3);
  EXPECT_EQ(static_cast<uint8_t>(b.bytes()[0]), 0b10100000);
  EXPECT_EQ(c.bit_length(), a.bit_length() + 8);

  c = a;
  EXPECT_EQ(c.bytes(), original);
  const uint8_t one[] = {0xc0};
  c.Reset(std::string_view(reinterpret_cast<const char*>(one), 1), 2);  // keep only 11
  for (int i = 0; i < 40; ++i) c.WriteBits(0, 62);                      // zeros stay zeros
  c.WriteBit(true);
  BitReader r(reinterpret_cast<const uint8_t*>(c.bytes().data()), c.bytes().size());
  EXPECT_EQ(r.ReadBits(2), 3u);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(r.ReadBits(62), 0u) << i;
  EXPECT_TRUE(r.ReadBit());
  EXPECT_GE(c.memory_bytes(), c.bytes().size() + 9);
}

}  // namespace
}  // namespace strata::compression
