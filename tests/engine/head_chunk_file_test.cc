#include "engine/head_chunk_file.h"

#include <stdlib.h>

#include <random>
#include <string>
#include <vector>

#include "compression/xor_chunk.h"
#include "engine/filenames.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata::engine {
namespace {

using compression::ChunkEncoding;

class HeadChunkFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_head_chunks_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/chunks_head";
    root_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(env_.RemoveAll(root_).ok()); }

  struct Written {
    uint64_t ref, series;
    int64_t mint, maxt;
    std::string data;
  };

  std::vector<Written> WriteSome(HeadChunkWriter& w, int n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Written> out;
    for (int i = 0; i < n; ++i) {
      compression::XorChunk c;
      const int64_t mint = static_cast<int64_t>(rng() % 1000000);
      int64_t t = mint;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 120); ++k) {
        EXPECT_TRUE(c.Append(t, static_cast<double>(rng() % 100)).ok());
        t += 15000;
      }
      Written x{0, rng() % 1000, mint, t - 15000, std::string(c.bytes())};
      auto ref = w.Write(x.series, x.mint, x.maxt, ChunkEncoding::kXor, x.data);
      EXPECT_TRUE(ref.ok()) << ref.status();
      x.ref = *ref;
      out.push_back(x);
    }
    return out;
  }

  Env& env_ = *Env::Default();
  std::string root_, dir_;
};

TEST_F(HeadChunkFileTest, ChunksReadBackByReferenceAndInOrder) {
  auto w = HeadChunkWriter::Open(env_, dir_, 1024);
  ASSERT_TRUE(w.ok()) << w.status();
  const auto written = WriteSome(**w, 100, 1);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_GT((*w)->current_file(), 3u);
  EXPECT_EQ(ChunkRef::Sequence(written[0].ref), 1u);  // file 000001 is number 1

  auto r = HeadChunkReader::Open(env_, dir_);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const Written& x : written) {
    auto c = (*r)->Chunk(x.ref);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->series_ref, x.series);
    EXPECT_EQ(c->min_time_ms, x.mint);
    EXPECT_EQ(c->max_time_ms, x.maxt);
    EXPECT_EQ(c->chunk.data, x.data);
  }
  size_t i = 0;
  ASSERT_TRUE((*r)->ForEach([&](const HeadChunk& c) {
                    ASSERT_LT(i, written.size());
                    EXPECT_EQ(c.ref, written[i].ref);
                    ++i;
                  })
                  .ok());
  EXPECT_EQ(i, written.size());
}

TEST_F(HeadChunkFileTest, ReopenedWriterStartsANewFile) {
  auto w = HeadChunkWriter::Open(env_, dir_);
  ASSERT_TRUE(w.ok());
  WriteSome(**w, 3, 2);
  ASSERT_TRUE((*w)->Close().ok());
  auto again = HeadChunkWriter::Open(env_, dir_);
  ASSERT_TRUE(again.ok());
  const auto more = WriteSome(**again, 1, 3);
  EXPECT_EQ(ChunkRef::Sequence(more[0].ref), 2u);
  ASSERT_TRUE((*again)->Close().ok());
  auto r = HeadChunkReader::Open(env_, dir_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->files(), (std::vector<uint32_t>{1, 2}));
}

TEST_F(HeadChunkFileTest, ZeroPaddingEndsAFileAndDamageStopsWithOffset) {
  auto w = HeadChunkWriter::Open(env_, dir_);
  ASSERT_TRUE(w.ok());
  const auto written = WriteSome(**w, 10, 4);
  ASSERT_TRUE((*w)->Close().ok());
  const std::string path = dir_ + "/000001";
  std::string bytes = *ReadFileToString(env_, path);
  // Preallocated space, as Prometheus leaves it, reads as the end.
  ASSERT_TRUE(WriteFileAtomic(env_, path, bytes + std::string(131072, '\0')).ok());
  size_t seen = 0;
  auto r = HeadChunkReader::Open(env_, dir_);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)->ForEach([&](const HeadChunk&) { ++seen; }).ok());
  EXPECT_EQ(seen, 10u);

  const uint32_t sixth = ChunkRef::Offset(written[5].ref);
  bytes[sixth + 30] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(env_, path, bytes).ok());
  r = HeadChunkReader::Open(env_, dir_);
  ASSERT_TRUE(r.ok());
  seen = 0;
  Status s = (*r)->ForEach([&](const HeadChunk&) { ++seen; });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), path + " offset " + std::to_string(sixth) + ": chunk checksum mismatch");
  EXPECT_EQ(seen, 5u);                            // the chunks before the damage
  EXPECT_TRUE((*r)->Chunk(written[9].ref).ok());  // and those after, by reference
}

TEST_F(HeadChunkFileTest, ReadsPrometheusHeadChunks) {
  const std::string dir = testing::PrometheusFixtureDataDir() + "/chunks_head";
  auto r = HeadChunkReader::Open(env_, dir);
  ASSERT_TRUE(r.ok()) << r.status();
  size_t chunks = 0;
  ASSERT_TRUE((*r)->ForEach([&](const HeadChunk& c) {
                    ++chunks;
                    ASSERT_EQ(c.chunk.encoding, ChunkEncoding::kXor);
                    compression::XorIterator it(c.chunk.data);
                    int64_t first = 0, last = 0;
                    for (bool ok = it.Next(); ok; ok = it.Next()) {
                      if (first == 0) first = it.timestamp_ms();
                      last = it.timestamp_ms();
                    }
                    EXPECT_TRUE(it.status().ok());
                    EXPECT_EQ(first, c.min_time_ms);
                    EXPECT_EQ(last, c.max_time_ms);
                  })
                  .ok());
  EXPECT_GT(chunks, 20u);
}

TEST_F(HeadChunkFileTest, MissingDirectoryHasNoChunks) {
  auto r = HeadChunkReader::Open(env_, dir_ + "/nope");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->files().empty());
}

}  // namespace
}  // namespace strata::engine
