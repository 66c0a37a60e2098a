#include "server/write_request.h"

#include <bit>
#include <cmath>
#include <string>

#include "compression/varint.h"
#include "gtest/gtest.h"
#include "snappy.h"

namespace strata::server {
namespace {

// A hand-rolled protobuf encoder for the test's requests.
std::string Tag(uint32_t field, uint32_t wire) {
  std::string s;
  compression::PutUvarint(&s, (field << 3) | wire);
  return s;
}
std::string Bytes(uint32_t field, std::string_view payload) {
  std::string s = Tag(field, 2);
  compression::PutUvarint(&s, payload.size());
  s.append(payload);
  return s;
}
std::string Double(uint32_t field, double v) {
  std::string s = Tag(field, 1);
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  s.append(reinterpret_cast<const char*>(&bits), 8);
  return s;
}
std::string Int(uint32_t field, int64_t v) {
  std::string s = Tag(field, 0);
  compression::PutUvarint(&s, static_cast<uint64_t>(v));
  return s;
}
std::string Label(std::string_view n, std::string_view v) {
  return Bytes(1, Bytes(1, n) + Bytes(2, v));
}
std::string Sample(double v, int64_t t) { return Bytes(2, Double(1, v) + Int(2, t)); }

TEST(WriteRequestTest, DecodesSeriesSamplesExemplarsAndMetadata) {
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  std::string ts1 = Label("__name__", "http_requests_total") + Label("job", "api") +
                    Sample(1.5, 1000) + Sample(stale, -2000) +
                    Bytes(3, Label("trace_id", "abc") + Double(2, 0.25) + Int(3, 1500)) +
                    Bytes(4, "native histogram, skipped") + Bytes(9, "unknown field");
  std::string ts2 = Label("__name__", "up") + Sample(1, 5);
  std::string meta = Int(1, 1) + Bytes(2, "http_requests_total") + Bytes(4, "Requests.") +
                     Bytes(5, "") + Int(7, 42);
  std::string proto = Bytes(1, ts1) + Int(2, 7) + Bytes(1, ts2) + Bytes(3, meta);
  std::string body;
  snappy::Compress(proto.data(), proto.size(), &body);

  WriteRequestDecoder d;
  auto req = d.DecodeSnappy(body, 1 << 20);
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_EQ((*req)->series.size(), 2u);
  const WireSeries& s = (*req)->series[0];
  ASSERT_EQ(s.labels.size(), 2u);
  EXPECT_EQ(s.labels[0].name, "__name__");
  EXPECT_EQ(s.labels[0].value, "http_requests_total");
  EXPECT_EQ(s.labels[1].value, "api");
  ASSERT_EQ(s.samples.size(), 2u);
  EXPECT_EQ(s.samples[0].value, 1.5);
  EXPECT_EQ(s.samples[0].timestamp_ms, 1000);
  EXPECT_EQ(std::bit_cast<uint64_t>(s.samples[1].value), 0x7ff0000000000002u);
  EXPECT_EQ(s.samples[1].timestamp_ms, -2000);
  ASSERT_EQ(s.exemplars.size(), 1u);
  EXPECT_EQ(s.exemplars[0].labels[0].value, "abc");
  EXPECT_EQ(s.exemplars[0].value, 0.25);
  EXPECT_EQ(s.exemplars[0].timestamp_ms, 1500);
  EXPECT_EQ(s.num_histograms, 1u);
  EXPECT_EQ((*req)->series[1].labels[0].value, "up");
  EXPECT_EQ((*req)->series[1].samples[0].timestamp_ms, 5);
  ASSERT_EQ((*req)->metadata.size(), 1u);
  EXPECT_EQ((*req)->metadata[0].type, 1);
  EXPECT_EQ((*req)->metadata[0].help, "Requests.");

  // The decoder is reused; the next request replaces the view.
  auto next = d.Decode(Bytes(1, Label("a", "b")));
  ASSERT_TRUE(next.ok());
  ASSERT_EQ((*next)->series.size(), 1u);
  EXPECT_TRUE((*next)->series[0].samples.empty());
  EXPECT_TRUE((*next)->metadata.empty());
}

TEST(WriteRequestTest, DamageIsAnErrorWithOffsetNeverACrash) {
  const std::string proto = Bytes(1, Label("__name__", "x") + Sample(2, 3) + Sample(4, 5));
  WriteRequestDecoder d;
  for (size_t len = 1; len < proto.size(); ++len) {
    auto r = d.Decode(std::string_view(proto.data(), len));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << len;
  }
  auto wrong = d.Decode(Bytes(1, Bytes(2, Int(1, 5))));  // value as a varint
  EXPECT_EQ(wrong.status().message(),
            "remote write: protobuf offset 5: field 1 has wire type 0, expected 1");
  EXPECT_EQ(d.Decode(std::string("\x0a\xff", 2)).status().message(),
            "remote write: protobuf offset 2: length-delimited field runs past the end of its "
            "message");
}

TEST(WriteRequestTest, SnappyErrorsAndTheSizeLimit) {
  WriteRequestDecoder d;
  EXPECT_EQ(d.DecodeSnappy("\xff\xff\xff\xff\xff\xff", 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string big(10000, 'a'), body;
  snappy::Compress(big.data(), big.size(), &body);
  auto r = d.DecodeSnappy(body, 9999);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "remote write: body decompresses to 10000 bytes, more than the limit of 9999");
  body[body.size() / 2] ^= 0x55;
  EXPECT_FALSE(d.DecodeSnappy(body, 1 << 20).ok());
}

}  // namespace
}  // namespace strata::server
