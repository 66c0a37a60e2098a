// The chunk interface (compression/chunk.h): the factory by encoding, the
// XOR implementation behind it, and clear errors for encodings without one.
#include "compression/chunk.h"

#include <bit>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compression/xor_chunk.h"
#include "gtest/gtest.h"
#include "tools/workload.h"

namespace strata::compression {
namespace {

struct Sample {
  int64_t t;
  uint64_t v;  // bits, so NaN payloads compare exactly
  bool operator==(const Sample&) const = default;
};

std::vector<Sample> Samples(size_t n) {
  std::vector<Sample> out;
  for (const workload::Sample& s : workload::Generate(workload::Shape::kGauge, n, 3)) {
    out.push_back({s.timestamp_ms, std::bit_cast<uint64_t>(s.value)});
  }
  out.back().v = 0x7ff0000000000002;  // the staleness marker
  return out;
}

std::vector<Sample> ReadAll(ChunkIterator& it) {
  std::vector<Sample> out;
  while (it.Next()) out.push_back({it.timestamp_ms(), it.value_bits()});
  EXPECT_TRUE(it.status().ok()) << it.status();
  return out;
}

TEST(ChunkTest, XorThroughTheFactoryWritesAndReadsWhatXorChunkDoes) {
  const std::vector<Sample> samples = Samples(120);
  XorChunk direct;
  for (const Sample& s : samples) ASSERT_TRUE(direct.Append(s.t, std::bit_cast<double>(s.v)).ok());

  StatusOr<std::unique_ptr<Chunk>> chunk = NewEmptyChunk(ChunkEncoding::kXor);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ((*chunk)->encoding(), ChunkEncoding::kXor);
  EXPECT_EQ((*chunk)->num_samples(), 0u);
  StatusOr<ChunkAppender*> app = (*chunk)->Appender();
  ASSERT_TRUE(app.ok()) << app.status();
  for (const Sample& s : samples) ASSERT_TRUE((*app)->Append(s.t, std::bit_cast<double>(s.v)).ok());
  EXPECT_EQ((*chunk)->bytes(), direct.bytes());
  EXPECT_EQ((*chunk)->num_samples(), 120u);
  EXPECT_EQ((*app)->Append(samples.back().t, 1).code(), absl::StatusCode::kInvalidArgument);
  (*chunk)->Compact();
  EXPECT_EQ((*chunk)->bytes(), direct.bytes());

  StatusOr<std::unique_ptr<Chunk>> read = ChunkFromData(ChunkEncoding::kXor, direct.bytes());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)->num_samples(), 120u);
  EXPECT_EQ(static_cast<const void*>((*read)->bytes().data()),
            static_cast<const void*>(direct.bytes().data()));  // borrowed, not copied
  std::unique_ptr<ChunkIterator> it = (*read)->NewIterator();
  EXPECT_EQ(it->encoding(), ChunkEncoding::kXor);
  EXPECT_EQ(ReadAll(*it), samples);
}

TEST(ChunkTest, AppenderOfAChunkFromDataContinuesItWithIdenticalBytes) {
  const std::vector<Sample> samples = Samples(100);
  XorChunk all, first;
  for (size_t i = 0; i < samples.size(); ++i) {
    const double v = std::bit_cast<double>(samples[i].v);
    ASSERT_TRUE(all.Append(samples[i].t, v).ok());
    if (i < 60) {
      ASSERT_TRUE(first.Append(samples[i].t, v).ok());
    }
  }
  const std::string stored(first.bytes());
  StatusOr<std::unique_ptr<Chunk>> chunk = ChunkFromData(ChunkEncoding::kXor, stored);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  StatusOr<ChunkAppender*> app = (*chunk)->Appender();
  ASSERT_TRUE(app.ok()) << app.status();
  for (size_t i = 60; i < samples.size(); ++i) {
    ASSERT_TRUE((*app)->Append(samples[i].t, std::bit_cast<double>(samples[i].v)).ok());
  }
  EXPECT_EQ((*chunk)->bytes(), all.bytes());
  EXPECT_EQ(stored, first.bytes());  // the appender wrote to a copy

  // An appender needs to know where the last sample ends.
  StatusOr<std::unique_ptr<Chunk>> broken =
      ChunkFromData(ChunkEncoding::kXor, std::string_view(stored).substr(0, stored.size() / 2));
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ((*broken)->Appender().status().code(), absl::StatusCode::kDataLoss);
}

TEST(ChunkTest, NewChunkIteratorReusesAnIteratorOfTheSameEncoding) {
  const std::vector<Sample> samples = Samples(120);
  XorChunk a, b;
  for (size_t i = 0; i < samples.size(); ++i) {
    XorChunk& c = i < 50 ? a : b;
    ASSERT_TRUE(c.Append(samples[i].t, std::bit_cast<double>(samples[i].v)).ok());
  }
  StatusOr<std::unique_ptr<ChunkIterator>> it = NewChunkIterator(ChunkEncoding::kXor, a.bytes());
  ASSERT_TRUE(it.ok()) << it.status();
  std::vector<Sample> got = ReadAll(**it);
  ChunkIterator* const first = it->get();
  it = NewChunkIterator(ChunkEncoding::kXor, b.bytes(), std::move(*it));
  ASSERT_TRUE(it.ok()) << it.status();
  EXPECT_EQ(it->get(), first);
  // After a reset the batch path starts at the first sample again.
  int64_t ts[128];
  uint64_t vs[128];
  const size_t n = (*it)->NextBatch(ts, vs, 128);
  ASSERT_EQ(n, 70u);
  for (size_t i = 0; i < n; ++i) got.push_back({ts[i], vs[i]});
  EXPECT_EQ(got, samples);
  EXPECT_EQ((*it)->timestamp_ms(), samples.back().t);
  ASSERT_TRUE((*it)->Seek(samples.back().t));

  // Damage shows in the iterator's status, as DataLoss.
  const std::string cut(b.bytes().substr(0, b.bytes().size() / 2));
  it = NewChunkIterator(ChunkEncoding::kXor, cut, std::move(*it));
  ASSERT_TRUE(it.ok());
  while ((*it)->Next()) {
  }
  EXPECT_EQ((*it)->status().code(), absl::StatusCode::kDataLoss) << (*it)->status();
  (*it)->Reset(a.bytes());
  EXPECT_TRUE((*it)->status().ok());
  EXPECT_EQ(ReadAll(**it).size(), 50u);
}

TEST(ChunkTest, EncodingWithoutImplementationIsAClearError) {
  const std::string bytes("\x00\x00", 2);
  struct Case {
    ChunkEncoding encoding;
    std::string message;
  };
  const Case cases[] = {
      {static_cast<ChunkEncoding>(7), "unknown chunk encoding 7"},
      {static_cast<ChunkEncoding>(255), "unknown chunk encoding 255"},
      {ChunkEncoding::kNone, "unknown chunk encoding 0"},
      {ChunkEncoding::kHistogram, "chunk encoding 2 (histogram) is not supported"},
      {ChunkEncoding::kFloatHistogram, "chunk encoding 3 (floathistogram) is not supported"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_FALSE(IsChunkEncodingSupported(c.encoding));
    for (const Status& s :
         {CheckChunkEncoding(c.encoding), ChunkFromData(c.encoding, bytes).status(),
          NewEmptyChunk(c.encoding).status(), NewChunkIterator(c.encoding, bytes).status()}) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(s.message(), c.message);
    }
  }
  EXPECT_TRUE(IsChunkEncodingSupported(ChunkEncoding::kXor));
  EXPECT_TRUE(CheckChunkEncoding(ChunkEncoding::kXor).ok());
  // An iterator of another encoding is not reused for an unknown one.
  StatusOr<std::unique_ptr<ChunkIterator>> xor_it = NewChunkIterator(ChunkEncoding::kXor, bytes);
  ASSERT_TRUE(xor_it.ok());
  EXPECT_EQ(
      NewChunkIterator(static_cast<ChunkEncoding>(7), bytes, std::move(*xor_it)).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::compression
