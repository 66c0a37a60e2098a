#include "bench/loadgen/write_request_encoder.h"

#include <bit>
#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "server/write_request.h"

namespace strata::loadgen {
namespace {

// The load generator's encoder and the server's decoder agree.
TEST(WriteRequestEncoderTest, RoundTripsThroughTheServerDecoder) {
  const std::vector<std::pair<std::string, std::string>> a = {{"__name__", "up"}, {"job", "x"}};
  const std::vector<std::pair<std::string, std::string>> b = {{"__name__", "y"}};
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  const std::vector<EncodeSample> sa = {{1000, 1}, {-5, stale}};
  const std::vector<EncodeSample> sb = {{1700000000000, -0.0}};
  const std::vector<EncodeSeries> series = {{a, sa}, {b, sb}};
  std::string proto, body;
  AppendWriteRequest(series, &proto);
  SnappyCompress(proto, &body);

  server::WriteRequestDecoder d;
  auto req = d.DecodeSnappy(body, 1 << 20, server::WriteLimits());
  ASSERT_TRUE(req.ok()) << req.status();
  const std::vector<server::WireSeries> got((*req)->series().begin(), (*req)->series().end());
  ASSERT_EQ(got.size(), 2u);
  const std::vector<server::WireLabel> l0(got[0].labels().begin(), got[0].labels().end());
  ASSERT_EQ(l0.size(), 2u);
  EXPECT_EQ(l0[1].name, "job");
  EXPECT_EQ(l0[1].value, "x");
  const std::vector<server::WireSample> s0(got[0].samples().begin(), got[0].samples().end());
  ASSERT_EQ(s0.size(), 2u);
  EXPECT_EQ(s0[1].timestamp_ms, -5);
  EXPECT_EQ(std::bit_cast<uint64_t>(s0[1].value), 0x7ff0000000000002u);
  const server::WireSample s1 = *got[1].samples().begin();
  EXPECT_EQ(s1.timestamp_ms, 1700000000000);
  EXPECT_TRUE(std::signbit(s1.value));
}

}  // namespace
}  // namespace strata::loadgen
