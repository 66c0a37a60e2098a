#include <stdlib.h>

#include <random>
#include <string>
#include <vector>

#include "base/strings.h"
#include "compression/xor_chunk.h"
#include "engine/chunk_format.h"
#include "engine/chunk_reader.h"
#include "engine/chunk_writer.h"
#include "engine/filenames.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata::engine {
namespace {

using compression::ChunkEncoding;

class ChunkFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_chunk_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(env_.RemoveAll(dir_).ok()); }

  Env& env_ = *Env::Default();
  std::string dir_;
};

std::string RandomChunk(std::mt19937_64& rng, int samples) {
  compression::XorChunk c;
  int64_t t = 1000;
  for (int i = 0; i < samples; ++i) {
    EXPECT_TRUE(c.Append(t, static_cast<double>(rng() % 1000)).ok());
    t += 15000 + static_cast<int64_t>(rng() % 5);
  }
  return std::string(c.bytes());
}

TEST_F(ChunkFileTest, WrittenChunksReadBackByReference) {
  std::mt19937_64 rng(1);
  std::vector<std::vector<std::string>> series(50);
  for (auto& chunks : series) {
    for (int i = 0; i < 1 + static_cast<int>(rng() % 4); ++i) {
      chunks.push_back(RandomChunk(rng, 1 + static_cast<int>(rng() % 120)));
    }
  }
  // A small segment size forces many segments.
  auto writer = ChunkWriter::Create(env_, dir_ + "/chunks", 2048);
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::vector<std::vector<uint64_t>> refs(series.size());
  for (size_t s = 0; s < series.size(); ++s) {
    std::vector<ChunkData> data;
    for (const auto& c : series[s]) data.push_back({ChunkEncoding::kXor, c});
    ASSERT_TRUE((*writer)->WriteChunks(data, &refs[s]).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());

  auto reader = ChunkReader::Open(env_, dir_ + "/chunks");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_GT((*reader)->num_segments(), 5u);
  EXPECT_EQ((*reader)->total_bytes(), (*writer)->bytes_written());
  size_t total = 0;
  for (size_t s = 0; s < series.size(); ++s) {
    for (size_t i = 0; i < series[s].size(); ++i) {
      auto chunk = (*reader)->Chunk(refs[s][i]);
      ASSERT_TRUE(chunk.ok()) << chunk.status();
      EXPECT_EQ(chunk->encoding, ChunkEncoding::kXor);
      EXPECT_EQ(chunk->data, series[s][i]);
      ++total;
    }
  }
  // Segments are cut before they pass the segment size.
  for (uint32_t n = 1; n <= (*reader)->num_segments(); ++n) {
    auto size = env_.GetFileSize(dir_ + "/chunks/" + ChunkSegmentName(n));
    ASSERT_TRUE(size.ok());
    EXPECT_LE(*size, 2048u) << ChunkSegmentName(n);
  }
  size_t visited = 0;
  ASSERT_TRUE((*reader)->ForEach([&](uint64_t, const ChunkView&) { ++visited; }).ok());
  EXPECT_EQ(visited, total);
}

TEST_F(ChunkFileTest, ReadsPrometheusBlockChunksAndRewritesThemIdentically) {
  const std::string block = testing::PrometheusFixtureBlockDir();
  auto reader = ChunkReader::Open(env_, block + "/chunks");
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> chunks;
  std::vector<uint64_t> prometheus_refs;
  ASSERT_TRUE((*reader)
                  ->ForEach([&](uint64_t ref, const ChunkView& c) {
                    EXPECT_EQ(c.encoding, ChunkEncoding::kXor);
                    chunks.emplace_back(c.data);
                    prometheus_refs.push_back(ref);
                  })
                  .ok());
  EXPECT_EQ(chunks.size(), 49u);  // meta.json: numChunks

  auto writer = ChunkWriter::Create(env_, dir_ + "/chunks");
  ASSERT_TRUE(writer.ok());
  std::vector<uint64_t> refs;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkData one{ChunkEncoding::kXor, chunks[i]};
    ASSERT_TRUE((*writer)->WriteChunks({&one, 1}, &refs).ok());
    EXPECT_EQ(refs[0], prometheus_refs[i]);
  }
  ASSERT_TRUE((*writer)->Finish().ok());
  auto ours = ReadFileToString(env_, dir_ + "/chunks/000001");
  auto theirs = ReadFileToString(env_, block + "/chunks/000001");
  ASSERT_TRUE(ours.ok() && theirs.ok());
  EXPECT_EQ(*ours, *theirs);
}

class DamagedChunkFileTest : public ChunkFileTest {
 protected:
  void SetUp() override {
    ChunkFileTest::SetUp();
    std::mt19937_64 rng(2);
    auto writer = ChunkWriter::Create(env_, dir_ + "/chunks");
    ASSERT_TRUE(writer.ok());
    for (int i = 0; i < 3; ++i) {
      chunks_.push_back(RandomChunk(rng, 100));
      const ChunkData one{ChunkEncoding::kXor, chunks_.back()};
      std::vector<uint64_t> refs;
      ASSERT_TRUE((*writer)->WriteChunks({&one, 1}, &refs).ok());
      refs_.push_back(refs[0]);
    }
    ASSERT_TRUE((*writer)->Finish().ok());
    path_ = dir_ + "/chunks/000001";
    bytes_ = *ReadFileToString(env_, path_);
  }

  void Rewrite(const std::string& bytes) { ASSERT_TRUE(WriteFileAtomic(env_, path_, bytes).ok()); }

  std::vector<std::string> chunks_;
  std::vector<uint64_t> refs_;
  std::string path_;
  std::string bytes_;
};

TEST_F(DamagedChunkFileTest, FlippedBitIsChecksumMismatchNamingFileAndOffset) {
  std::string damaged = bytes_;
  const uint32_t second = ChunkRef::Offset(refs_[1]);
  damaged[second + 20] ^= 0x10;
  Rewrite(damaged);
  auto reader = ChunkReader::Open(env_, dir_ + "/chunks");
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->Chunk(refs_[0]).ok());  // the rest still serves
  EXPECT_TRUE((*reader)->Chunk(refs_[2]).ok());
  auto bad = (*reader)->Chunk(refs_[1]);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(bad.status().message()).find(path_ + " offset " + std::to_string(second)),
            std::string::npos)
      << bad.status();
  EXPECT_NE(std::string(bad.status().message()).find("checksum mismatch"), std::string::npos);
}

TEST_F(DamagedChunkFileTest, TruncationAndBadReferencesAreDataLoss) {
  Rewrite(bytes_.substr(0, ChunkRef::Offset(refs_[2]) + 10));
  auto reader = ChunkReader::Open(env_, dir_ + "/chunks");
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->Chunk(refs_[1]).ok());
  EXPECT_EQ((*reader)->Chunk(refs_[2]).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ((*reader)->Chunk(ChunkRef::Pack(0, 1u << 30)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ((*reader)->Chunk(ChunkRef::Pack(7, 8)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ((*reader)->Chunk(ChunkRef::Pack(0, 3)).status().code(), absl::StatusCode::kDataLoss);
  Status walk = (*reader)->ForEach([](uint64_t, const ChunkView&) {});
  EXPECT_EQ(walk.code(), absl::StatusCode::kDataLoss);
}

TEST_F(DamagedChunkFileTest, BadHeaderFailsOpen) {
  std::string damaged = bytes_;
  damaged[0] = 0;
  Rewrite(damaged);
  auto reader = ChunkReader::Open(env_, dir_ + "/chunks");
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(reader.status().message()).find("not a chunk segment"), std::string::npos);
  damaged = bytes_;
  damaged[4] = 2;
  Rewrite(damaged);
  reader = ChunkReader::Open(env_, dir_ + "/chunks");
  EXPECT_NE(std::string(reader.status().message()).find("unknown chunk segment version 2"),
            std::string::npos);
  Rewrite("abc");
  EXPECT_EQ(ChunkReader::Open(env_, dir_ + "/chunks").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(ChunkFileTest, UnknownEncodingIsDataLossNamingFileAndOffset) {
  std::mt19937_64 rng(3);
  const std::string good = RandomChunk(rng, 10);
  auto writer = ChunkWriter::Create(env_, dir_ + "/chunks");
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::vector<uint64_t> refs;
  // A valid checksum: only the encoding byte is wrong. Histogram chunks
  // (encoding 2) pass the reader: Prometheus defines them.
  const std::vector<ChunkData> data = {{ChunkEncoding::kXor, good},
                                       {static_cast<ChunkEncoding>(42), good},
                                       {ChunkEncoding::kNone, good},
                                       {ChunkEncoding::kHistogram, good}};
  ASSERT_TRUE((*writer)->WriteChunks(data, &refs).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = ChunkReader::Open(env_, dir_ + "/chunks");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->Chunk(refs[0]).ok());
  for (int i : {1, 2}) {
    auto bad = (*reader)->Chunk(refs[static_cast<size_t>(i)]);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(bad.status().message(),
              StrCat(dir_, "/chunks/000001 offset ", ChunkRef::Offset(refs[static_cast<size_t>(i)]),
                     ": unknown chunk encoding ", i == 1 ? 42 : 0))
        << bad.status();
  }
  auto histogram = (*reader)->Chunk(refs[3]);
  ASSERT_TRUE(histogram.ok()) << histogram.status();
  EXPECT_EQ(histogram->encoding, ChunkEncoding::kHistogram);
}

TEST(FilenamesTest, ChunkSegmentNames) {
  EXPECT_EQ(ChunkSegmentName(1), "000001");
  EXPECT_EQ(ChunkSegmentName(1234567), "1234567");
  uint32_t n;
  EXPECT_TRUE(ParseChunkSegmentName("000042", &n));
  EXPECT_EQ(n, 42u);
  EXPECT_FALSE(ParseChunkSegmentName("000000", &n));
  EXPECT_FALSE(ParseChunkSegmentName("00004a", &n));
  EXPECT_FALSE(ParseChunkSegmentName("42", &n));
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
}

}  // namespace
}  // namespace strata::engine
