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
  auto req = d.DecodeSnappy(body, 1 << 20);
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_EQ((*req)->series.size(), 2u);
  const auto& s0 = (*req)->series[0];
  ASSERT_EQ(s0.labels.size(), 2u);
  EXPECT_EQ(s0.labels[1].name, "job");
  EXPECT_EQ(s0.labels[1].value, "x");
  ASSERT_EQ(s0.samples.size(), 2u);
  EXPECT_EQ(s0.samples[1].timestamp_ms, -5);
  EXPECT_EQ(std::bit_cast<uint64_t>(s0.samples[1].value), 0x7ff0000000000002u);
  const auto& s1 = (*req)->series[1];
  EXPECT_EQ(s1.samples[0].timestamp_ms, 1700000000000);
  EXPECT_TRUE(std::signbit(s1.samples[0].value));
}

}  // namespace
}  // namespace strata::loadgen
