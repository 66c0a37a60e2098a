// The golden test of the XOR codec: chunks written by the real Prometheus
// 2.42 (tests/fixtures/prometheus-2.42, made by make_prometheus_fixture.py)
// decode sample by sample to what was sent to it, and Strata re-encodes
// the same samples to the identical bytes, both with the concrete XOR
// codec and through the chunk interface (compression/chunk.h: the factory
// by the encoding byte read from the file, its iterator and a new
// chunk's appender), as every reader of chunks uses it.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compression/byte_order.h"
#include "compression/chunk.h"
#include "compression/chunk_encoding.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "compression/xor_chunk.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata::compression {
namespace {

struct Sample {
  int64_t t;
  uint64_t bits;
  bool operator==(const Sample&) const = default;
};

// labels -> samples, from samples.tsv.
std::map<std::string, std::vector<Sample>> ExpectedSamples() {
  std::map<std::string, std::vector<Sample>> out;
  for (const auto& s : testing::PrometheusFixtureSamples()) {
    out[s.labels].push_back({s.timestamp_ms, s.value_bits});
  }
  return out;
}

// Finds the series whose samples contain `run` contiguously.
bool FoundInSomeSeries(const std::map<std::string, std::vector<Sample>>& expected,
                       const std::vector<Sample>& run) {
  for (const auto& [labels, samples] : expected) {
    for (size_t i = 0; i + run.size() <= samples.size(); ++i) {
      if (samples[i] == run[0] &&
          std::equal(run.begin(), run.end(), samples.begin() + static_cast<long>(i))) {
        return true;
      }
    }
  }
  return false;
}

// Decodes `data` and checks that re-encoding gives the same bytes.
std::vector<Sample> DecodeAndReencode(std::string_view data) {
  std::vector<Sample> run;
  XorIterator it(data);
  XorChunk again;
  while (it.Next()) {
    run.push_back({it.timestamp_ms(), it.value_bits()});
    EXPECT_TRUE(again.Append(it.timestamp_ms(), it.value()).ok());
  }
  EXPECT_TRUE(it.status().ok()) << it.status();
  EXPECT_EQ(run.size(), it.num_samples());
  EXPECT_EQ(again.bytes(), data) << "re-encoding differs from Prometheus' bytes";
  return run;
}

// The same through the chunk interface, from the encoding byte as stored:
// the factory's chunk and iterator (both the per-sample and the batch
// path) and a new chunk's appender.
std::vector<Sample> DecodeAndReencodeThroughInterface(char encoding_byte, std::string_view data) {
  const auto encoding = static_cast<ChunkEncoding>(encoding_byte);
  std::vector<Sample> run;
  StatusOr<std::unique_ptr<Chunk>> chunk = ChunkFromData(encoding, data);
  EXPECT_TRUE(chunk.ok()) << chunk.status();
  if (!chunk.ok()) return run;
  StatusOr<std::unique_ptr<Chunk>> again = NewEmptyChunk(encoding);
  EXPECT_TRUE(again.ok()) << again.status();
  StatusOr<ChunkAppender*> app = (*again)->Appender();
  EXPECT_TRUE(app.ok()) << app.status();
  std::unique_ptr<ChunkIterator> it = (*chunk)->NewIterator();
  while (it->Next()) {
    run.push_back({it->timestamp_ms(), it->value_bits()});
    EXPECT_TRUE((*app)->Append(it->timestamp_ms(), it->value()).ok());
  }
  EXPECT_TRUE(it->status().ok()) << it->status();
  EXPECT_EQ(run.size(), (*chunk)->num_samples());
  EXPECT_EQ((*again)->bytes(), data) << "re-encoding differs from Prometheus' bytes";

  StatusOr<std::unique_ptr<ChunkIterator>> batch =
      NewChunkIterator(encoding, data, std::move(it));  // reused
  EXPECT_TRUE(batch.ok()) << batch.status();
  std::vector<int64_t> ts(run.size() + 1);
  std::vector<uint64_t> vs(run.size() + 1);
  const size_t n = (*batch)->NextBatch(ts.data(), vs.data(), ts.size());
  EXPECT_EQ(n, run.size());
  for (size_t i = 0; i < n && i < run.size(); ++i) EXPECT_EQ((Sample{ts[i], vs[i]}), run[i]);
  return run;
}

TEST(XorGoldenTest, BlockChunksDecodeToSentSamplesAndReencodeIdentically) {
  const auto expected = ExpectedSamples();
  ASSERT_FALSE(expected.empty());
  const std::string block = testing::PrometheusFixtureBlockDir();
  auto file = ReadFileToString(*Env::Default(), block + "/chunks/000001");
  ASSERT_TRUE(file.ok()) << file.status();
  const std::string& bytes = *file;
  // tsdb/docs/format/chunks.md: magic 0x85BD40DD, version 1, 3 bytes padding.
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(LoadBE32(bytes.data()), 0x85BD40DDu);
  EXPECT_EQ(bytes[4], 1);

  size_t pos = 8, chunks = 0, samples = 0;
  while (pos < bytes.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + pos;
    uint64_t len;
    size_t n;
    ASSERT_EQ(
        DecodeUvarint(p, reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size(), &len, &n),
        VarintStatus::kOk);
    ASSERT_LE(pos + n + 1 + len + 4, bytes.size());
    const std::string_view enc_and_data(bytes.data() + pos + n, 1 + len);
    ASSERT_EQ(static_cast<ChunkEncoding>(enc_and_data[0]), ChunkEncoding::kXor);
    EXPECT_EQ(crc32c::Value(enc_and_data), LoadBE32(bytes.data() + pos + n + 1 + len))
        << "chunk at offset " << pos;
    const auto run = DecodeAndReencode(enc_and_data.substr(1));
    ASSERT_FALSE(run.empty());
    EXPECT_EQ(DecodeAndReencodeThroughInterface(enc_and_data[0], enc_and_data.substr(1)), run);
    EXPECT_TRUE(FoundInSomeSeries(expected, run)) << "chunk at offset " << pos;
    samples += run.size();
    ++chunks;
    pos += n + 1 + len + 4;
  }
  // Every sample of the block's range [minTime, maxTime) is in a chunk.
  size_t want = 0;
  for (const auto& [labels, s] : expected) {
    for (const Sample& x : s) want += x.t >= 1672531200000 && x.t < 1672538400000;
  }
  EXPECT_EQ(samples, want);
  EXPECT_GT(chunks, 11u);
}

TEST(XorGoldenTest, HeadChunksDecodeToSentSamplesAndReencodeIdentically) {
  const auto expected = ExpectedSamples();
  const std::string dir = testing::PrometheusFixtureDataDir() + "/chunks_head";
  auto names = Env::Default()->GetChildren(dir);
  ASSERT_TRUE(names.ok()) << names.status();
  size_t chunks = 0;
  for (const std::string& name : *names) {
    auto file = ReadFileToString(*Env::Default(), dir + "/" + name);
    ASSERT_TRUE(file.ok());
    const std::string& bytes = *file;
    // tsdb/docs/format/head_chunks.md: magic 0x0130BC91, version 1, padding.
    ASSERT_EQ(LoadBE32(bytes.data()), 0x0130BC91u);
    size_t pos = 8;
    // Chunk: series ref (8), mint (8), maxt (8), encoding (1), len, data,
    // CRC32C over all of it. The file is preallocated: zeros end it.
    while (pos + 25 < bytes.size() && bytes.find_first_not_of('\0', pos) != std::string::npos) {
      const auto* end = reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size();
      const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + pos + 25;
      uint64_t len;
      size_t n;
      ASSERT_EQ(DecodeUvarint(p, end, &len, &n), VarintStatus::kOk);
      const size_t data_at = pos + 25 + n;
      ASSERT_LE(data_at + len + 4, bytes.size());
      EXPECT_EQ(crc32c::Value(bytes.data() + pos, data_at + len - pos),
                LoadBE32(bytes.data() + data_at + len));
      const auto run = DecodeAndReencode(std::string_view(bytes.data() + data_at, len));
      ASSERT_FALSE(run.empty());
      EXPECT_EQ(bytes[pos + 24], 1) << "encoding byte: XOR";
      EXPECT_EQ(DecodeAndReencodeThroughInterface(bytes[pos + 24],
                                                  std::string_view(bytes.data() + data_at, len)),
                run);
      EXPECT_EQ(run.front().t, static_cast<int64_t>(LoadBE64(bytes.data() + pos + 8)));
      EXPECT_EQ(run.back().t, static_cast<int64_t>(LoadBE64(bytes.data() + pos + 16)));
      EXPECT_TRUE(FoundInSomeSeries(expected, run)) << name << " offset " << pos;
      ++chunks;
      pos = data_at + len + 4;
    }
  }
  EXPECT_GT(chunks, 0u);
}

}  // namespace
}  // namespace strata::compression
