#include "compression/xor_chunk.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/workload.h"

namespace strata::compression {
namespace {

struct Sample {
  int64_t t;
  uint64_t v;  // bits, so NaN payloads compare exactly
  bool operator==(const Sample&) const = default;
};

constexpr uint64_t kStaleNaN = 0x7ff0000000000002;

XorChunk Encode(const std::vector<Sample>& samples) {
  XorChunk c;
  for (const Sample& s : samples) {
    Status st = c.Append(s.t, std::bit_cast<double>(s.v));
    EXPECT_TRUE(st.ok()) << st;
  }
  return c;
}

std::vector<Sample> Decode(std::string_view bytes, Status* status = nullptr) {
  std::vector<Sample> out;
  XorIterator it(bytes);
  while (it.Next()) out.push_back({it.timestamp_ms(), it.value_bits()});
  if (status != nullptr)
    *status = it.status();
  else
    EXPECT_TRUE(it.status().ok()) << it.status();
  return out;
}

// Values that stress the XOR window: special floats and random bit patterns.
uint64_t AdversarialValue(std::mt19937_64& rng, uint64_t prev) {
  static const uint64_t kSpecial[] = {
      kStaleNaN,
      0x7ff8000000000001,  // quiet NaN with a payload
      0xfff0000000000001,  // negative signalling NaN
      std::bit_cast<uint64_t>(std::numeric_limits<double>::infinity()),
      std::bit_cast<uint64_t>(-std::numeric_limits<double>::infinity()),
      std::bit_cast<uint64_t>(-0.0),
      std::bit_cast<uint64_t>(0.0),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::denorm_min()),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::min() / 3),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::max()),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::lowest()),
      0x8000000000000001,
      ~0ull,
  };
  switch (rng() % 6) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:
      return prev;  // unchanged value
    case 2:
      return prev ^ (1ull << (rng() % 64));  // one bit: tiny window
    case 3:
      return rng();  // anything
    case 4:
      return prev ^ (rng() >> (rng() % 64) << (rng() % 32));
    default:
      return std::bit_cast<uint64_t>(std::round(std::bit_cast<double>(rng() >> 12) * 100) / 100);
  }
}

// Timestamp steps around every bucket boundary, tiny and huge gaps.
int64_t AdversarialStep(std::mt19937_64& rng, int64_t prev_step) {
  static const int64_t kEdges[] = {8191, 8192, 8193, 65535, 65536, 65537, 524287, 524288, 524289};
  switch (rng() % 6) {
    case 0:
      return prev_step;  // dod 0
    case 1: {
      const int64_t step = prev_step + (rng() % 2 ? 1 : -1) * kEdges[rng() % std::size(kEdges)];
      return step > 0 ? step : 1;
    }
    case 2:
      return 1;
    case 3:
      return 1 + static_cast<int64_t>(rng() % (int64_t{1} << 40));  // gaps far above 2^20
    case 4:
      return 15000 + static_cast<int64_t>(rng() % 9) - 4;
    default:
      return 1 + static_cast<int64_t>(rng() % 3000000);
  }
}

std::vector<Sample> AdversarialSeries(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> out;
  int64_t t = static_cast<int64_t>(rng() % 2 ? rng() % 4000000000000 : -(rng() % 4000000000000));
  int64_t step = 15000;
  uint64_t v = rng();
  for (size_t i = 0; i < n; ++i) {
    out.push_back({t, v});
    step = AdversarialStep(rng, step);
    t += step;
    v = AdversarialValue(rng, v);
  }
  return out;
}

TEST(XorChunkTest, EmptyChunkIsTwoZeroBytes) {
  XorChunk c;
  EXPECT_EQ(c.bytes(), std::string(2, '\0'));
  EXPECT_EQ(c.num_samples(), 0u);
  EXPECT_TRUE(Decode(c.bytes()).empty());
}

TEST(XorChunkTest, FirstSampleIsVarintTimestampAndRawValue) {
  XorChunk c;
  ASSERT_TRUE(c.Append(1, 1.0).ok());
  // count=1, varint(1)=0x02, the 8 bytes of 1.0, and the empty byte that
  // Prometheus' bstream.writeByte leaves after a byte-aligned write.
  EXPECT_EQ(c.bytes(), std::string("\x00\x01\x02\x3f\xf0\x00\x00\x00\x00\x00\x00\x00", 12));
}

TEST(XorChunkTest, RoundTripsAdversarialSeriesBitExactly) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const auto samples = AdversarialSeries(seed, 1 + seed % 250);
    XorChunk c = Encode(samples);
    ASSERT_EQ(c.num_samples(), samples.size());
    ASSERT_EQ(Decode(c.bytes()), samples) << "seed " << seed;
  }
}

TEST(XorChunkTest, RoundTripsRealisticShapes) {
  for (workload::Shape shape : workload::kAllShapes) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      std::vector<Sample> samples;
      for (const auto& s : workload::Generate(shape, 120, seed)) {
        samples.push_back({s.timestamp_ms, std::bit_cast<uint64_t>(s.value)});
      }
      ASSERT_EQ(Decode(Encode(samples).bytes()), samples) << workload::ShapeName(shape);
    }
  }
}

TEST(XorChunkTest, ExtremeTimestampsWrapLikeGo) {
  const std::vector<Sample> samples = {
      {std::numeric_limits<int64_t>::min(), 1},
      {-1, 2},
      {0, 3},
      {std::numeric_limits<int64_t>::max() - 1, 4},
      {std::numeric_limits<int64_t>::max(), kStaleNaN},
  };
  EXPECT_EQ(Decode(Encode(samples).bytes()), samples);
}

TEST(XorChunkTest, NonIncreasingTimestampIsRefusedAndChunkUnchanged) {
  XorChunk c;
  ASSERT_TRUE(c.Append(1000, 1).ok());
  ASSERT_TRUE(c.Append(2000, 2).ok());
  const std::string before(c.bytes());
  Status equal = c.Append(2000, 3);
  EXPECT_EQ(equal.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(equal.message()).find("2000"), std::string::npos) << equal;
  EXPECT_EQ(c.Append(1500, 3).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.bytes(), before);
  EXPECT_TRUE(c.Append(2001, 3).ok());
}

TEST(XorChunkTest, DeltaOfDeltaBucketsAreThoseOfPrometheus) {
  // Bits the third sample takes for a given delta of delta (its value is
  // unchanged: 1 bit), and that it decodes back with the right sign.
  auto bits_for = [](int64_t dod) {
    XorChunk c;
    EXPECT_TRUE(c.Append(0, 1).ok());
    EXPECT_TRUE(c.Append(1000000, 1).ok());
    const uint64_t before = c.bit_length();
    EXPECT_TRUE(c.Append(2000000 + dod, 1).ok());
    auto got = Decode(c.bytes());
    EXPECT_EQ(got.size(), 3u);
    if (got.size() == 3) {
      EXPECT_EQ(got[2].t, 2000000 + dod);
    }
    return c.bit_length() - before - 1;
  };
  EXPECT_EQ(bits_for(0), 1u);
  for (int64_t dod : {1L, -1L, 8192L, -8191L}) EXPECT_EQ(bits_for(dod), 2u + 14) << dod;
  for (int64_t dod : {8193L, -8192L, 65536L, -65535L}) EXPECT_EQ(bits_for(dod), 3u + 17) << dod;
  for (int64_t dod : {65537L, -65536L, 524288L, -524287L}) EXPECT_EQ(bits_for(dod), 4u + 20) << dod;
  for (int64_t dod : {524289L, -524288L, 999999L}) EXPECT_EQ(bits_for(dod), 4u + 64) << dod;
}

TEST(XorChunkTest, ReopenedChunkContinuesWithIdenticalBytes) {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const auto samples = AdversarialSeries(seed + 1000, 60);
    const XorChunk whole = Encode(samples);
    for (size_t k = 0; k <= samples.size(); k += 7) {
      XorChunk prefix = Encode({samples.begin(), samples.begin() + static_cast<long>(k)});
      auto reopened = XorChunk::Open(prefix.bytes());
      ASSERT_TRUE(reopened.ok()) << reopened.status();
      for (size_t i = k; i < samples.size(); ++i) {
        ASSERT_TRUE(reopened->Append(samples[i].t, std::bit_cast<double>(samples[i].v)).ok());
      }
      ASSERT_EQ(reopened->bytes(), whole.bytes()) << "seed " << seed << " reopened at " << k;
    }
  }
}

// A cleared chunk (the head reuses its buffer for the next chunk) writes
// exactly what a new one writes, whatever it held before.
TEST(XorChunkTest, ClearedChunkWritesTheBytesOfANewOne) {
  XorChunk reused;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto samples = AdversarialSeries(seed + 2000, 10 + seed * 7);
    reused.Clear();
    EXPECT_EQ(reused.num_samples(), 0u);
    EXPECT_EQ(reused.bytes(), XorChunk().bytes());
    for (const Sample& s : samples) {
      ASSERT_TRUE(reused.Append(s.t, std::bit_cast<double>(s.v)).ok());
    }
    ASSERT_EQ(reused.bytes(), Encode(samples).bytes()) << "seed " << seed;
    EXPECT_EQ(Decode(reused.bytes()), samples);
  }
  // An earlier timestamp than the last chunk's is fine after Clear.
  reused.Clear();
  EXPECT_TRUE(reused.Append(-5, 1.0).ok());
}

TEST(XorChunkTest, ReopenedChunkKeepsRefusingOldTimestamps) {
  XorChunk c = Encode({{10, 1}, {20, 2}, {30, 3}});
  auto reopened = XorChunk::Open(c.bytes());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->last_timestamp_ms(), 30);
  EXPECT_FALSE(reopened->Append(30, 0).ok());
}

TEST(XorChunkTest, FullChunkIsRefused) {
  XorChunk c;
  for (uint32_t i = 0; i < kXorMaxSamples; ++i) ASSERT_TRUE(c.Append(i, 0).ok());
  EXPECT_EQ(c.Append(kXorMaxSamples, 0).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Decode(c.bytes()).size(), kXorMaxSamples);
}

TEST(XorIteratorTest, SeekFindsFirstSampleAtOrAfter) {
  XorChunk c = Encode({{10, 1}, {20, 2}, {30, 3}, {40, 4}});
  XorIterator it(c.bytes());
  ASSERT_TRUE(it.Seek(15));
  EXPECT_EQ(it.timestamp_ms(), 20);
  ASSERT_TRUE(it.Seek(20));  // already there: no move
  EXPECT_EQ(it.timestamp_ms(), 20);
  ASSERT_TRUE(it.Seek(5));  // never goes back
  EXPECT_EQ(it.timestamp_ms(), 20);
  ASSERT_TRUE(it.Seek(40));
  EXPECT_EQ(it.value_bits(), 4u);
  EXPECT_FALSE(it.Seek(41));
  EXPECT_FALSE(it.Seek(0));  // exhausted stays exhausted
  EXPECT_TRUE(it.status().ok());
}

// Decodes with NextBatch in batches of `batch`, mixed with single Next calls.
std::vector<Sample> DecodeBatched(std::string_view bytes, size_t batch, Status* status) {
  std::vector<Sample> out;
  XorIterator it(bytes);
  std::vector<int64_t> ts(batch);
  std::vector<uint64_t> vs(batch);
  for (size_t round = 0;; ++round) {
    if (round % 3 == 2) {
      if (!it.Next()) break;
      out.push_back({it.timestamp_ms(), it.value_bits()});
      continue;
    }
    const size_t n = it.NextBatch(ts.data(), vs.data(), batch);
    for (size_t i = 0; i < n; ++i) out.push_back({ts[i], vs[i]});
    if (n > 0 && it.status().ok()) {
      EXPECT_EQ(it.timestamp_ms(), ts[n - 1]);  // current = last decoded
    }
    if (n < batch) break;
  }
  *status = it.status();
  return out;
}

TEST(XorIteratorTest, NextBatchEqualsNext) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const auto samples = AdversarialSeries(seed + 5000, 1 + seed * 3 % 400);
    const std::string bytes(Encode(samples).bytes());
    for (size_t batch : {1, 2, 7, 64, 1000}) {
      Status status;
      ASSERT_EQ(DecodeBatched(bytes, batch, &status), samples) << seed << " batch " << batch;
      EXPECT_TRUE(status.ok());
    }
  }
}

TEST(XorIteratorTest, NextBatchOnTruncatedChunksMatchesNext) {
  const std::string bytes(Encode(AdversarialSeries(77, 300)).bytes());
  for (size_t len = 0; len < bytes.size(); len += 3) {
    const std::string_view cut(bytes.data(), len);
    Status single, batched;
    const auto want = Decode(cut, &single);
    const auto got = DecodeBatched(cut, 50, &batched);
    ASSERT_EQ(got, want) << "length " << len;
    EXPECT_EQ(batched.code(), single.code());
  }
}

TEST(XorIteratorTest, TruncationIsDataLossNeverGarbage) {
  const auto samples = AdversarialSeries(42, 200);
  const XorChunk c = Encode(samples);
  const std::string bytes(c.bytes());
  for (size_t len = 0; len < bytes.size(); ++len) {
    Status status;
    auto got = Decode(std::string_view(bytes.data(), len), &status);
    ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << "length " << len;
    // Whatever came out before the error is a correct prefix.
    ASSERT_LE(got.size(), samples.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], samples[i]);
  }
}

TEST(XorIteratorTest, FlippedBitsNeverCrash) {
  std::mt19937_64 rng(9);
  const XorChunk c = Encode(AdversarialSeries(7, 120));
  for (int i = 0; i < 5000; ++i) {
    std::string bytes(c.bytes());
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
    }
    Status status;
    auto got = Decode(bytes, &status);
    EXPECT_LE(got.size(), 0xffffu);
  }
}

TEST(XorIteratorTest, ImpossibleWindowIsDataLoss) {
  // count=3; t0, v0; t1 delta; then a value header '11' with 31 leading
  // zeros and 63 significant bits: 94 > 64.
  XorChunk c = Encode({{0, 0}, {1, 0}});
  std::string bytes(c.bytes());
  bytes[1] = 3;
  // Sample 1 ends 1 bit into the last byte ('0': value unchanged). Sample
  // 2 follows: '0' (dod 0), '11', leading 11111, significant bits 111111.
  bytes.back() = static_cast<char>(0b00111111);
  bytes += std::string(12, '\xff');
  Status status;
  Decode(bytes, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strata::compression
