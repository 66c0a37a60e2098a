#include "compression/crc32c.h"

#include <cstring>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace strata::compression::crc32c {
namespace {

using Fn = uint32_t (*)(uint32_t, const void*, size_t);

class Crc32cTest : public ::testing::TestWithParam<Fn> {
 protected:
  uint32_t Crc(const std::string& s) { return GetParam()(0, s.data(), s.size()); }
};

// RFC 3720 (iSCSI) B.4 test vectors, and the classic check value.
TEST_P(Crc32cTest, KnownVectors) {
  if (GetParam() == &ExtendHardware && !HardwareAvailable()) GTEST_SKIP() << "no SSE4.2";
  EXPECT_EQ(Crc("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending += static_cast<char>(i);
    descending += static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc(ascending), 0x46dd794eu);
  EXPECT_EQ(Crc(descending), 0x113fdb5cu);
  EXPECT_EQ(Crc(""), 0u);
}

TEST_P(Crc32cTest, ExtendEqualsWhole) {
  if (GetParam() == &ExtendHardware && !HardwareAvailable()) GTEST_SKIP() << "no SSE4.2";
  std::mt19937 rng(1);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint32_t whole = Crc(data);
  for (size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    uint32_t c = GetParam()(0, data.data(), split);
    c = GetParam()(c, data.data() + split, data.size() - split);
    EXPECT_EQ(c, whole) << "split at " << split;
  }
}

INSTANTIATE_TEST_SUITE_P(Implementations, Crc32cTest,
                         ::testing::Values(&ExtendPortable, &ExtendHardware),
                         [](const ::testing::TestParamInfo<Fn>& info) {
                           return info.param == &ExtendPortable ? "Portable" : "Hardware";
                         });

TEST(Crc32cDispatchTest, HardwareAndPortableAgree) {
  std::mt19937 rng(2);
  for (int len = 0; len < 300; ++len) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    EXPECT_EQ(Value(data), ExtendPortable(0, data.data(), data.size()));
  }
}

}  // namespace
}  // namespace strata::compression::crc32c
