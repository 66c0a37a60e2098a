#include "wal/records.h"

#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace strata::wal {
namespace {

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;

TEST(RecordsTest, SeriesRoundTrip) {
  std::vector<RefSeries> in = {{1, {{"__name__", "up"}, {"job", "node"}}},
                               {1ull << 40, {}},
                               {7, {{"a", ""}, {"", std::string(300, 'x')}}}};
  std::string rec;
  EncodeSeries(in, &rec);
  EXPECT_EQ(GetRecordType(rec), RecordType::kSeries);
  std::vector<RefSeries> out;
  ASSERT_TRUE(DecodeSeries(rec, &out).ok());
  EXPECT_EQ(out, in);
}

TEST(RecordsTest, SamplesMatchPrometheusEncodingByteForByte) {
  // record.go: type 2, base ref BE64, base time BE64, then per sample
  // varint(dref), varint(dtime), BE64 value bits.
  std::vector<RefSample> in = {{5, 1000, 1.0}, {4, 1015, 2.0}};
  std::string rec;
  EncodeSamples(in, &rec);
  const std::string want = std::string("\x02", 1) +
                           std::string("\0\0\0\0\0\0\0\x05", 8) +    // base ref 5
                           std::string("\0\0\0\0\0\0\x03\xe8", 8) +  // base time 1000
                           std::string("\x00\x00", 2) +              // dref 0, dtime 0
                           std::string("\x3f\xf0\0\0\0\0\0\0", 8) +  // 1.0
                           std::string("\x01\x1e", 2) +              // dref -1, dtime 15
                           std::string("\x40\0\0\0\0\0\0\0", 8);     // 2.0
  EXPECT_EQ(rec, want);
}

TEST(RecordsTest, SamplesRoundTripKeepsStalenessMarkerBits) {
  std::vector<RefSample> in = {{100, -5, std::bit_cast<double>(kStaleNaN)},
                               {3, INT64_MAX, -0.0},
                               {UINT64_MAX, INT64_MIN, 1e300}};
  std::string rec;
  EncodeSamples(in, &rec);
  std::vector<RefSample> out;
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].t, in[i].t);
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v));
  }
}

TEST(RecordsTest, EmptySamplesRecordIsJustTheType) {
  std::string rec;
  EncodeSamples({}, &rec);
  EXPECT_EQ(rec, std::string("\x02", 1));
  std::vector<RefSample> out;
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(RecordsTest, TombstonesRoundTrip) {
  std::vector<Tombstone> in = {{1, 0, 100}, {1, 200, 300}, {9, INT64_MIN, INT64_MAX}};
  std::string rec;
  EncodeTombstones(in, &rec);
  std::vector<Tombstone> out;
  ASSERT_TRUE(DecodeTombstones(rec, &out).ok());
  EXPECT_EQ(out, in);
}

TEST(RecordsTest, ExemplarsRoundTrip) {
  std::vector<RefExemplar> in = {{10, 500, 0.25, {{"trace_id", "abc"}}}, {8, 400, 3, {}}};
  std::string rec;
  EncodeExemplars(in, &rec);
  std::vector<RefExemplar> out;
  ASSERT_TRUE(DecodeExemplars(rec, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].ref, 10u);
  EXPECT_EQ(out[0].t, 500);
  EXPECT_EQ(out[0].v, 0.25);
  EXPECT_EQ(out[0].labels, in[0].labels);
  EXPECT_EQ(out[1].ref, 8u);
  EXPECT_EQ(out[1].t, 400);
  EXPECT_TRUE(out[1].labels.empty());
}

TEST(RecordsTest, MetadataRoundTrip) {
  std::vector<RefMetadata> in = {{3, 1, "seconds", "Time spent."}, {1ull << 50, 0, "", ""}};
  std::string rec;
  EncodeMetadata(in, &rec);
  std::vector<RefMetadata> out;
  ASSERT_TRUE(DecodeMetadata(rec, &out).ok());
  EXPECT_EQ(out, in);
}

TEST(RecordsTest, UnknownTypesAreReportedAsUnknown) {
  EXPECT_EQ(GetRecordType(""), RecordType::kUnknown);
  EXPECT_EQ(GetRecordType(std::string("\x00", 1)), RecordType::kUnknown);
  EXPECT_EQ(GetRecordType("\x09rest"), RecordType::kUnknown);
  EXPECT_EQ(GetRecordType("\x07"), RecordType::kHistogramSamples);
  EXPECT_EQ(GetRecordType("\x05"), RecordType::kMmapMarkers);
}

TEST(RecordsTest, DecoderRejectsWrongType) {
  std::string rec;
  EncodeTombstones({}, &rec);
  std::vector<RefSeries> out;
  EXPECT_EQ(DecodeSeries(rec, &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RecordsTest, EveryTruncationInsideASeriesIsDataLoss) {
  std::string rec;
  std::vector<RefSeries> in = {{1, {{"__name__", "up"}}}, {2, {{"a", "b"}}}};
  EncodeSeries(in, &rec);
  std::string first_only;
  EncodeSeries(std::span(in).first(1), &first_only);
  for (size_t n = 2; n < rec.size(); ++n) {
    if (n == first_only.size()) continue;  // a whole record of one series
    std::vector<RefSeries> out;
    Status s = DecodeSeries(std::string_view(rec).substr(0, n), &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << "length " << n;
  }
}

TEST(RecordsTest, TrailingBytesInSamplesRecordAreDataLoss) {
  std::string rec;
  std::vector<RefSample> in = {{1, 2, 3}};
  EncodeSamples(in, &rec);
  rec.append("\x01\x01", 2);  // a partial sample
  std::vector<RefSample> out;
  Status s = DecodeSamples(rec, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(s.message()).find("samples record"), std::string::npos) << s;
}

}  // namespace
}  // namespace strata::wal
