#include "server/write_request.h"

#include <bit>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

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

template <typename Range>
std::vector<typename Range::Iterator::value_type> All(const Range& r) {
  return {r.begin(), r.end()};
}

const WriteLimits kDefaults;

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
  auto req = d.DecodeSnappy(body, 1 << 20, kDefaults);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ((*req)->num_samples(), 4u);  // 3 floats, 1 histogram
  const std::vector<WireSeries> series = All((*req)->series());
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ((*req)->series().size(), 2u);
  const WireSeries& s = series[0];
  const std::vector<WireLabel> labels = All(s.labels());
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(s.labels().size(), 2u);
  EXPECT_EQ(labels[0].name, "__name__");
  EXPECT_EQ(labels[0].value, "http_requests_total");
  EXPECT_EQ(labels[1].value, "api");
  const std::vector<WireSample> samples = All(s.samples());
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(s.samples().size(), 2u);
  EXPECT_EQ(samples[0].value, 1.5);
  EXPECT_EQ(samples[0].timestamp_ms, 1000);
  EXPECT_EQ(std::bit_cast<uint64_t>(samples[1].value), 0x7ff0000000000002u);
  EXPECT_EQ(samples[1].timestamp_ms, -2000);
  const std::vector<WireExemplar> exemplars = All(s.exemplars());
  ASSERT_EQ(exemplars.size(), 1u);
  ASSERT_EQ(exemplars[0].labels.size(), 1u);
  EXPECT_EQ(exemplars[0].labels.begin()->name, "trace_id");
  EXPECT_EQ(exemplars[0].labels.begin()->value, "abc");
  EXPECT_EQ(exemplars[0].value, 0.25);
  EXPECT_EQ(exemplars[0].timestamp_ms, 1500);
  EXPECT_EQ(s.num_histograms(), 1u);
  EXPECT_EQ(s.offset(), 3u);  // after the tag and the two-byte length
  EXPECT_EQ(series[1].labels().begin()->value, "up");
  EXPECT_EQ(series[1].samples().begin()->timestamp_ms, 5);
  const std::vector<WireMetadata> metadata = All((*req)->metadata());
  ASSERT_EQ(metadata.size(), 1u);
  EXPECT_EQ(metadata[0].type, 1);
  EXPECT_EQ(metadata[0].metric_family_name, "http_requests_total");
  EXPECT_EQ(metadata[0].help, "Requests.");

  // The decoder is reused; the next request replaces the view.
  const std::string next_proto = Bytes(1, Label("a", "b"));
  auto next = d.Decode(next_proto, kDefaults);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(All((*next)->series()).size(), 1u);
  EXPECT_TRUE((*next)->series().begin()->samples().empty());
  EXPECT_TRUE(All((*next)->series().begin()->samples()).empty());
  EXPECT_TRUE((*next)->metadata().empty());
}

// Fields left out decode as protobuf's zero values, item by item.
TEST(WriteRequestTest, OmittedFieldsAreZero) {
  const std::string proto =
      Bytes(1, Bytes(2, Int(2, 7)) + Bytes(2, "") + Bytes(2, Double(1, 3)) + Bytes(1, ""));
  WriteRequestDecoder d;
  auto req = d.Decode(proto, kDefaults);
  ASSERT_TRUE(req.ok()) << req.status();
  const WireSeries s = *(*req)->series().begin();
  const std::vector<WireSample> samples = All(s.samples());
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].value, 0);
  EXPECT_EQ(samples[0].timestamp_ms, 7);
  EXPECT_EQ(samples[1].value, 0);
  EXPECT_EQ(samples[1].timestamp_ms, 0);
  EXPECT_EQ(samples[2].value, 3);
  EXPECT_EQ(samples[2].timestamp_ms, 0);
  const std::vector<WireLabel> labels = All(s.labels());
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_TRUE(labels[0].name.empty());
  EXPECT_TRUE(labels[0].value.empty());
}

TEST(WriteRequestTest, DamageIsAnErrorWithOffsetNeverACrash) {
  const std::string proto = Bytes(1, Label("__name__", "x") + Sample(2, 3) + Sample(4, 5));
  WriteRequestDecoder d;
  for (size_t len = 1; len < proto.size(); ++len) {
    auto r = d.Decode(std::string_view(proto.data(), len), kDefaults);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << len;
  }
  auto wrong = d.Decode(Bytes(1, Bytes(2, Int(1, 5))), kDefaults);  // value as a varint
  EXPECT_EQ(wrong.status().message(),
            "remote write: protobuf offset 5: field 1 has wire type 0, expected 1");
  EXPECT_EQ(d.Decode(std::string("\x0a\xff", 2), kDefaults).status().message(),
            "remote write: protobuf offset 2: length-delimited field runs past the end of its "
            "message");
}

TEST(WriteRequestTest, SnappyErrorsAndTheSizeLimit) {
  WriteRequestDecoder d;
  EXPECT_EQ(d.DecodeSnappy("\xff\xff\xff\xff\xff\xff", 100, kDefaults).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string big(10000, 'a'), body;
  snappy::Compress(big.data(), big.size(), &body);
  auto r = d.DecodeSnappy(body, 9999, kDefaults);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "remote write: body decompresses to 10000 bytes, more than the limit of 9999");
  body[body.size() / 2] ^= 0x55;
  EXPECT_FALSE(d.DecodeSnappy(body, 1 << 20, kDefaults).ok());
}

TEST(WriteRequestTest, TooManyLabelsOnASeriesRefusesTheRequestNamingTheLimit) {
  std::string many;
  for (int i = 0; i < 5000; ++i) many += Label("l" + std::to_string(i), "v");
  const std::string first = Bytes(1, Label("__name__", "ok") + Sample(1, 1));
  const std::string proto = first + Bytes(1, Label("__name__", "wide") + many + Sample(1, 1));
  WriteRequestDecoder d;
  auto r = d.Decode(proto, kDefaults);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  const size_t offset = first.size() + 4;  // tag and a three-byte length
  EXPECT_EQ(r.status().message(),
            "remote write: series 1 (protobuf offset " + std::to_string(offset) +
                ") has 5001 labels, more than the limit of 256 (--web.max-labels-per-series)");
  WriteLimits limits;
  limits.max_labels_per_series = 5001;
  EXPECT_TRUE(d.Decode(proto, limits).ok());
  limits.max_labels_per_series = 0;  // no limit
  EXPECT_TRUE(d.Decode(proto, limits).ok());
}

TEST(WriteRequestTest, SeriesAndSamplesPerRequestAreLimited) {
  std::string proto;
  for (int i = 0; i < 4; ++i)
    proto += Bytes(1, Label("__name__", "m") + Sample(1, 1) + Sample(2, 2));
  WriteRequestDecoder d;
  WriteLimits limits;
  limits.max_series_per_request = 3;
  auto r = d.Decode(proto, limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  const size_t series_bytes = proto.size() / 4;
  EXPECT_EQ(r.status().message(),
            "remote write: request has more than 3 series, the limit "
            "(--web.max-series-per-request); series 3 starts at protobuf offset " +
                std::to_string(3 * series_bytes + 2));
  limits.max_series_per_request = 4;
  EXPECT_TRUE(d.Decode(proto, limits).ok());

  limits.max_samples_per_request = 5;
  r = d.Decode(proto, limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "remote write: request has more than 5 samples, the limit "
            "(--web.max-samples-per-request), by series 2 (protobuf offset " +
                std::to_string(2 * series_bytes + 2) + ")");
  limits.max_samples_per_request = 8;
  auto ok = d.Decode(proto, limits);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->num_samples(), 8u);
  // Native histograms count as samples.
  limits.max_samples_per_request = 2;
  EXPECT_EQ(d.Decode(Bytes(1, Sample(1, 1) + Bytes(4, "") + Bytes(4, "")), limits).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Issue #16: 16 M empty TimeSeries, 2 bytes each, once cost 56 bytes each
// in the decoder (1.9 GB for a 1.5 MB body).
TEST(WriteRequestTest, EmptySeriesCostNothingBeyondTheDecompressedBytes) {
  constexpr size_t kSeries = 16'000'000;
  std::string proto;
  proto.reserve(2 * kSeries);
  for (size_t i = 0; i < kSeries; ++i) proto.append("\x0a\x00", 2);
  std::string body;
  snappy::Compress(proto.data(), proto.size(), &body);
  const size_t decompressed = proto.size();
  std::string().swap(proto);

  WriteRequestDecoder d;
  auto refused = d.DecodeSnappy(body, 32 << 20, kDefaults);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("more than 1000000 series"), std::string::npos)
      << refused.status();
  EXPECT_LE(d.allocated_bytes(), 4 * decompressed);

  WriteLimits unlimited;
  unlimited.max_series_per_request = 0;
  auto req = d.DecodeSnappy(body, 32 << 20, unlimited);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ((*req)->series().size(), kSeries);
  EXPECT_GE(d.allocated_bytes(), decompressed);
  EXPECT_LE(d.allocated_bytes(), 4 * decompressed);
  size_t n = 0, samples = 0;
  for (const WireSeries& s : (*req)->series()) {
    ++n;
    samples += s.samples().size();
  }
  EXPECT_EQ(n, kSeries);
  EXPECT_EQ(samples, 0u);
}

TEST(WriteRequestTest, TheBufferShrinksAfterAnUnusuallyLargeRequest) {
  auto body_of = [](size_t bytes) {
    // One unknown field (number 15) of `bytes` in total.
    std::string proto = Tag(15, 2);
    const size_t payload = bytes - proto.size() - 4;
    compression::PutUvarint(&proto, payload);
    proto.resize(proto.size() + payload, 'x');
    std::string body;
    snappy::Compress(proto.data(), proto.size(), &body);
    return std::pair(body, proto.size());
  };
  WriteRequestDecoder d;
  auto [large, large_size] = body_of(24 << 20);
  ASSERT_TRUE(d.DecodeSnappy(large, 32 << 20, kDefaults).ok());
  EXPECT_GE(d.allocated_bytes(), large_size);
  // A quarter or more of it keeps the buffer...
  auto [quarter, quarter_size] = body_of(7 << 20);
  ASSERT_TRUE(d.DecodeSnappy(quarter, 32 << 20, kDefaults).ok());
  EXPECT_GE(d.allocated_bytes(), large_size);
  // ... less gives it back.
  auto [small, small_size] = body_of(1 << 20);
  ASSERT_TRUE(d.DecodeSnappy(small, 32 << 20, kDefaults).ok());
  EXPECT_GE(d.allocated_bytes(), small_size);
  EXPECT_LT(d.allocated_bytes(), 2 * small_size);
  // Below kRetainedBufferBytes the buffer is kept for reuse.
  auto [tiny, tiny_size] = body_of(1000);
  ASSERT_TRUE(d.DecodeSnappy(tiny, 32 << 20, kDefaults).ok());
  EXPECT_GE(d.allocated_bytes(), small_size);
  EXPECT_GE(tiny_size, 1000u - 5);
}

}  // namespace
}  // namespace strata::server
