// Tests of BlockWriter and Block on the in-memory Env: round trips,
// statistics, call-order and label-order errors, the atomic temp dir,
// Delete, and damaged files giving errors that name them.
#include "engine/block.h"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "base/status_macros.h"
#include "compression/xor_chunk.h"
#include "engine/block_writer.h"
#include "engine/filenames.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/labels.h"
#include "index/matcher.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/mem_env.h"

namespace strata::engine {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kDataDir = "/data";

struct Sample {
  int64_t t;
  uint64_t bits;
  bool operator==(const Sample&) const = default;
};

struct TestSeries {
  index::Labels labels;
  std::vector<Sample> samples;
  std::vector<std::string> chunk_bytes;  // cut every 120 samples
  std::vector<TimedChunk> chunks;        // views into chunk_bytes
};

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double FromBits(uint64_t b) {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// Encodes `s.samples` into XOR chunks of up to 120 samples.
void Encode(TestSeries& s) {
  s.chunk_bytes.clear();
  s.chunks.clear();
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (size_t i = 0; i < s.samples.size(); i += 120) {
    compression::XorChunk c;
    const size_t end = std::min(s.samples.size(), i + 120);
    for (size_t j = i; j < end; ++j) {
      ASSERT_TRUE(c.Append(s.samples[j].t, FromBits(s.samples[j].bits)).ok());
    }
    s.chunk_bytes.emplace_back(c.bytes());
    ranges.emplace_back(s.samples[i].t, s.samples[end - 1].t);
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    s.chunks.push_back(TimedChunk{ranges[i].first, ranges[i].second,
                                  compression::ChunkEncoding::kXor, s.chunk_bytes[i]});
  }
}

// `n` series over three metrics, 300..700 samples each, starting at 1000.
std::vector<TestSeries> MakeSeries(int n) {
  std::vector<TestSeries> out;
  for (int i = 0; i < n; ++i) {
    TestSeries s;
    const std::string metric = "metric_" + std::to_string(i % 3);
    const std::string instance = "host-" + std::to_string(1000 + i);
    s.labels = index::Labels::FromPairs(
        {{"__name__", metric}, {"instance", instance}, {"job", i % 2 ? "odd" : "even"}});
    const int count = 300 + (i * 37) % 400;
    int64_t t = 1000 + i;
    for (int j = 0; j < count; ++j) {
      t += 1000 + (j * 7919 + i) % 500;
      uint64_t bits = Bits(i * 0.5 + j * 1.25);
      if (j == count / 2) bits = 0x7ff0000000000002;  // staleness marker
      s.samples.push_back({t, bits});
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const TestSeries& a, const TestSeries& b) { return a.labels < b.labels; });
  for (TestSeries& s : out) Encode(s);
  return out;
}

std::vector<std::string_view> Symbols(const std::vector<TestSeries>& series) {
  std::set<std::string_view> set;
  for (const TestSeries& s : series) {
    for (const index::Label& l : s.labels) {
      set.insert(l.name);
      set.insert(l.value);
    }
  }
  return {set.begin(), set.end()};
}

BlockMeta MetaFor(Ulid ulid, int64_t mint, int64_t maxt) {
  BlockMeta meta;
  meta.ulid = ulid;
  meta.min_time_ms = mint;
  meta.max_time_ms = maxt;
  meta.compaction.level = 1;
  meta.compaction.sources = {ulid};
  return meta;
}

class BlockTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.CreateDirs(std::string(kDataDir)).ok()); }

  // Writes `series` into a block spanning all their samples.
  StatusOr<BlockMeta> Write(const std::vector<TestSeries>& series, Ulid ulid) {
    STRATA_ASSIGN_OR_RETURN(auto w, BlockWriter::Create(env_, std::string(kDataDir), ulid));
    const std::vector<std::string_view> symbols = Symbols(series);
    STRATA_RETURN_IF_ERROR(w->AddSymbols(symbols));
    int64_t mint = INT64_MAX, maxt = INT64_MIN;
    for (const TestSeries& s : series) {
      STRATA_RETURN_IF_ERROR(w->AddSeries(s.labels, s.chunks));
      if (s.samples.empty()) continue;
      mint = std::min(mint, s.samples.front().t);
      maxt = std::max(maxt, s.samples.back().t);
    }
    if (mint > maxt) mint = maxt = 0;  // no samples
    return w->Finish(MetaFor(ulid, mint, maxt + 1));
  }

  std::string BlockDir(Ulid ulid) { return JoinPath(kDataDir, ulid.ToString()); }

  // Every sample of series `ref` in block `b`.
  std::vector<Sample> ReadSamples(const Block& b, uint64_t ref) {
    std::vector<Sample> out;
    StatusOr<index::SeriesEntry> e = b.index().Series(ref);
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return out;
    for (const index::ChunkMeta& m : e->chunks) {
      StatusOr<ChunkView> c = b.chunks().Chunk(m.ref);
      EXPECT_TRUE(c.ok()) << c.status();
      if (!c.ok()) return out;
      EXPECT_EQ(c->encoding, compression::ChunkEncoding::kXor);
      compression::XorIterator it(c->data);
      bool first = true;
      while (it.Next()) {
        if (first) {
          EXPECT_EQ(it.timestamp_ms(), m.min_time_ms);
        }
        first = false;
        out.push_back({it.timestamp_ms(), it.value_bits()});
      }
      EXPECT_TRUE(it.status().ok()) << it.status();
      if (!out.empty()) {
        EXPECT_EQ(out.back().t, m.max_time_ms);
      }
    }
    return out;
  }

  testing::MemEnv env_;
  Ulid ulid_ = NewUlid(1700000000000);
};

TEST_F(BlockTest, RoundTripKeepsEverySeriesChunkAndSample) {
  const std::vector<TestSeries> series = MakeSeries(60);
  StatusOr<BlockMeta> meta = Write(series, ulid_);
  ASSERT_TRUE(meta.ok()) << meta.status();

  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  const Block& b = **block;
  EXPECT_EQ(b.meta(), *meta);
  EXPECT_EQ(b.dir(), BlockDir(ulid_));
  StatusOr<std::vector<uint64_t>> refs = b.index().AllPostings();
  ASSERT_TRUE(refs.ok()) << refs.status();
  ASSERT_EQ(refs->size(), series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    StatusOr<index::SeriesEntry> e = b.index().Series((*refs)[i]);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->labels, series[i].labels);
    ASSERT_EQ(e->chunks.size(), series[i].chunks.size());
    for (size_t j = 0; j < e->chunks.size(); ++j) {
      EXPECT_EQ(e->chunks[j].min_time_ms, series[i].chunks[j].min_time_ms);
      EXPECT_EQ(e->chunks[j].max_time_ms, series[i].chunks[j].max_time_ms);
      StatusOr<ChunkView> c = b.chunks().Chunk(e->chunks[j].ref);
      ASSERT_TRUE(c.ok()) << c.status();
      EXPECT_EQ(c->data, series[i].chunk_bytes[j]);
    }
    EXPECT_EQ(ReadSamples(b, (*refs)[i]), series[i].samples) << series[i].labels.ToString();
  }
  EXPECT_TRUE(b.tombstones()->empty());
  EXPECT_GT(b.size_bytes(), b.chunks().total_bytes());
}

TEST_F(BlockTest, StatsAndMetaAreComputed) {
  const std::vector<TestSeries> series = MakeSeries(10);
  uint64_t samples = 0, chunks = 0;
  int64_t mint = INT64_MAX, maxt = INT64_MIN;
  for (const TestSeries& s : series) {
    samples += s.samples.size();
    chunks += s.chunks.size();
    mint = std::min(mint, s.samples.front().t);
    maxt = std::max(maxt, s.samples.back().t);
  }
  StatusOr<BlockMeta> meta = Write(series, ulid_);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->ulid, ulid_);
  EXPECT_EQ(meta->min_time_ms, mint);
  EXPECT_EQ(meta->max_time_ms, maxt + 1);
  EXPECT_EQ(meta->stats.num_series, series.size());
  EXPECT_EQ(meta->stats.num_chunks, chunks);
  EXPECT_EQ(meta->stats.num_samples, samples);
  EXPECT_EQ(meta->stats.num_tombstones, 0u);
  EXPECT_EQ(meta->compaction.sources, std::vector<Ulid>{ulid_});

  StatusOr<BlockMeta> on_disk = ReadBlockMeta(env_, BlockDir(ulid_));
  ASSERT_TRUE(on_disk.ok()) << on_disk.status();
  EXPECT_EQ(*on_disk, *meta);
  StatusOr<std::string> tomb = env_.Contents(JoinPath(BlockDir(ulid_), kBlockTombstonesFile));
  ASSERT_TRUE(tomb.ok()) << tomb.status();
  EXPECT_EQ(*tomb, EncodeTombstonesFile(Tombstones()));
}

TEST_F(BlockTest, SeriesWithoutChunksIsSkipped) {
  std::vector<TestSeries> series = MakeSeries(3);
  TestSeries empty;
  empty.labels = index::Labels::FromPairs({{"__name__", "zzz_empty"}});
  series.push_back(empty);
  StatusOr<BlockMeta> meta = Write(series, ulid_);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->stats.num_series, 3u);
  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  StatusOr<std::vector<uint64_t>> refs = (*block)->index().AllPostings();
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_EQ(refs->size(), 3u);
}

TEST_F(BlockTest, EmptyBlockOpens) {
  StatusOr<BlockMeta> meta = Write({}, ulid_);
  ASSERT_TRUE(meta.ok()) << meta.status();
  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ((*block)->meta().stats.num_series, 0u);
}

TEST_F(BlockTest, LabelOrderIsEnforcedAndWriterStaysUsable) {
  const std::vector<TestSeries> series = MakeSeries(3);
  auto w = BlockWriter::Create(env_, std::string(kDataDir), ulid_);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->AddSymbols(Symbols(series)).ok());
  ASSERT_TRUE((*w)->AddSeries(series[1].labels, series[1].chunks).ok());
  Status s = (*w)->AddSeries(series[0].labels, series[0].chunks);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(series[0].labels.ToString()));
  s = (*w)->AddSeries(series[1].labels, series[1].chunks);  // a duplicate
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  ASSERT_TRUE((*w)->AddSeries(series[2].labels, series[2].chunks).ok());
  StatusOr<BlockMeta> meta = (*w)->Finish(MetaFor(ulid_, 0, INT64_MAX));
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->stats.num_series, 2u);
  EXPECT_EQ(meta->stats.num_samples, series[1].samples.size() + series[2].samples.size());
}

TEST_F(BlockTest, BadInputIsRejected) {
  const std::vector<TestSeries> series = MakeSeries(2);
  auto w = BlockWriter::Create(env_, std::string(kDataDir), ulid_);
  ASSERT_TRUE(w.ok()) << w.status();
  const std::vector<std::string_view> unsorted = {"b", "a"};
  EXPECT_TRUE(absl::IsInvalidArgument((*w)->AddSymbols(unsorted)));
  ASSERT_TRUE((*w)->AddSymbols(Symbols(series)).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition((*w)->AddSymbols(Symbols(series))));
  EXPECT_TRUE(absl::IsInvalidArgument((*w)->AddSeries(index::Labels(), series[0].chunks)));
  // Chunks out of time order.
  std::vector<TimedChunk> reversed(series[0].chunks.rbegin(), series[0].chunks.rend());
  EXPECT_TRUE(absl::IsInvalidArgument((*w)->AddSeries(series[0].labels, reversed)));
  // A label string that is not a symbol.
  const index::Labels unknown = index::Labels::FromPairs({{"__name__", "unknown"}});
  EXPECT_FALSE((*w)->AddSeries(unknown, series[0].chunks).ok());
}

TEST_F(BlockTest, FinishRejectsChunksOutsideTheRangeAndRemovesTempDir) {
  const std::vector<TestSeries> series = MakeSeries(2);
  auto w = BlockWriter::Create(env_, std::string(kDataDir), ulid_);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->AddSymbols(Symbols(series)).ok());
  ASSERT_TRUE((*w)->AddSeries(series[0].labels, series[0].chunks).ok());
  const int64_t last = series[0].samples.back().t;
  StatusOr<BlockMeta> meta = (*w)->Finish(MetaFor(ulid_, 0, last));  // last is excluded
  EXPECT_TRUE(absl::IsInvalidArgument(meta.status())) << meta.status();
  EXPECT_FALSE(env_.FileExists((*w)->tmp_dir()));
  EXPECT_FALSE(env_.FileExists(BlockDir(ulid_)));
  EXPECT_TRUE(absl::IsFailedPrecondition((*w)->Finish(MetaFor(ulid_, 0, last + 1)).status()));
}

TEST_F(BlockTest, TempDirIsUsedAndGoneAfterFinish) {
  const std::vector<TestSeries> series = MakeSeries(2);
  auto w = BlockWriter::Create(env_, std::string(kDataDir), ulid_);
  ASSERT_TRUE(w.ok()) << w.status();
  const std::string tmp = JoinPath(kDataDir, ulid_.ToString() + ".tmp-for-creation");
  EXPECT_EQ((*w)->tmp_dir(), tmp);
  EXPECT_TRUE(env_.IsDirectory(tmp));
  ASSERT_TRUE((*w)->AddSymbols(Symbols(series)).ok());
  ASSERT_TRUE((*w)->AddSeries(series[0].labels, series[0].chunks).ok());
  EXPECT_FALSE(env_.FileExists(BlockDir(ulid_)));
  ASSERT_TRUE((*w)->Finish(MetaFor(ulid_, 0, INT64_MAX)).ok());
  EXPECT_FALSE(env_.FileExists(tmp));
  EXPECT_TRUE(env_.IsDirectory(BlockDir(ulid_)));
  w->reset();  // destroying a finished writer keeps the block
  EXPECT_TRUE(env_.IsDirectory(BlockDir(ulid_)));
  StatusOr<std::vector<std::string>> children = env_.GetChildren(std::string(kDataDir));
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, std::vector<std::string>{ulid_.ToString()});
}

TEST_F(BlockTest, AbortedWriterRemovesTempDir) {
  const std::vector<TestSeries> series = MakeSeries(2);
  std::string tmp;
  {
    auto w = BlockWriter::Create(env_, std::string(kDataDir), ulid_);
    ASSERT_TRUE(w.ok()) << w.status();
    tmp = (*w)->tmp_dir();
    ASSERT_TRUE((*w)->AddSymbols(Symbols(series)).ok());
    ASSERT_TRUE((*w)->AddSeries(series[0].labels, series[0].chunks).ok());
    EXPECT_TRUE(env_.IsDirectory(tmp));
  }
  EXPECT_FALSE(env_.FileExists(tmp));
  EXPECT_FALSE(env_.FileExists(BlockDir(ulid_)));
}

TEST_F(BlockTest, LeftoverTempDirIsReplaced) {
  const std::string tmp = JoinPath(kDataDir, ulid_.ToString() + ".tmp-for-creation");
  ASSERT_TRUE(env_.CreateDirs(tmp + "/chunks").ok());
  {
    auto f = env_.NewWritableFile(tmp + "/chunks/000007");
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append("junk").ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  ASSERT_TRUE(Write(MakeSeries(4), ulid_).ok());
  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ((*block)->chunks().num_segments(), 1u);
}

TEST_F(BlockTest, DeletePersistsAcrossReopen) {
  const std::vector<TestSeries> series = MakeSeries(9);
  ASSERT_TRUE(Write(series, ulid_).ok());
  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  const uint64_t size_before = (*block)->size_bytes();
  std::shared_ptr<const Tombstones> before = (*block)->tombstones();

  std::vector<index::Matcher> matchers = {
      *index::Matcher::Create(index::MatchType::kEqual, "__name__", "metric_1")};
  ASSERT_TRUE((*block)->Delete(5000, 20000, matchers).ok());
  // Out of every series' range: no tombstone.
  ASSERT_TRUE((*block)->Delete(INT64_MAX - 10, INT64_MAX, matchers).ok());
  std::shared_ptr<const Tombstones> after = (*block)->tombstones();
  EXPECT_TRUE(before->empty());  // snapshots do not change
  EXPECT_EQ(after->total(), 3u);
  EXPECT_GT((*block)->size_bytes(), size_before);

  StatusOr<std::vector<uint64_t>> refs = (*block)->index().PostingsForMatchers(matchers);
  ASSERT_TRUE(refs.ok());
  ASSERT_EQ(refs->size(), 3u);
  for (uint64_t ref : *refs) {
    const Intervals* iv = after->Get(ref);
    ASSERT_NE(iv, nullptr);
    EXPECT_THAT(iv->list(), ::testing::ElementsAre(Interval{5000, 20000}));
  }

  block->reset();
  StatusOr<std::shared_ptr<Block>> reopened = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->tombstones(), *after);
  EXPECT_EQ((*reopened)->meta().stats.num_tombstones, 3u);
}

TEST_F(BlockTest, DeleteClampsToSeriesRange) {
  const std::vector<TestSeries> series = MakeSeries(1);
  ASSERT_TRUE(Write(series, ulid_).ok());
  auto block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  std::vector<index::Matcher> matchers = {
      *index::Matcher::Create(index::MatchType::kRegexMatch, "__name__", "metric_.*")};
  ASSERT_TRUE((*block)->Delete(INT64_MIN, INT64_MAX, matchers).ok());
  StatusOr<std::vector<uint64_t>> refs = (*block)->index().AllPostings();
  ASSERT_TRUE(refs.ok() && refs->size() == 1) << refs.status();
  const Intervals* iv = (*block)->tombstones()->Get(refs->front());
  ASSERT_NE(iv, nullptr);
  EXPECT_THAT(iv->list(), ::testing::ElementsAre(
                              Interval{series[0].samples.front().t, series[0].samples.back().t}));
  EXPECT_TRUE(absl::IsInvalidArgument((*block)->Delete(10, 5, matchers)));
}

TEST_F(BlockTest, ConcurrentDeletesAreAllKept) {
  ASSERT_TRUE(Write(MakeSeries(6), ulid_).ok());
  auto block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::vector<index::Matcher> m = {
          *index::Matcher::Create(index::MatchType::kRegexMatch, "__name__", "metric_.*")};
      const int64_t start = 3000 + i * 10000;
      EXPECT_TRUE((*block)->Delete(start, start + 100, m).ok());
      EXPECT_NE((*block)->tombstones(), nullptr);
      EXPECT_GT((*block)->size_bytes(), 0u);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ((*block)->tombstones()->total(), 6u * 4);
  auto reopened = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->tombstones()->total(), 6u * 4);
}

TEST_F(BlockTest, OverlapsClosed) {
  const std::vector<TestSeries> series = MakeSeries(1);
  ASSERT_TRUE(Write(series, ulid_).ok());
  auto block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  const int64_t mint = (*block)->meta().min_time_ms, maxt = (*block)->meta().max_time_ms;
  EXPECT_TRUE((*block)->OverlapsClosed(mint, mint));
  EXPECT_TRUE((*block)->OverlapsClosed(mint - 10, mint));
  EXPECT_FALSE((*block)->OverlapsClosed(mint - 10, mint - 1));
  EXPECT_TRUE((*block)->OverlapsClosed(maxt - 1, maxt + 5));
  EXPECT_FALSE((*block)->OverlapsClosed(maxt, maxt + 5));  // max is exclusive
}

// Faults -------------------------------------------------------------------

// Writes `series` through `env`; returns the first error.
Status WriteThrough(Env& env, const std::vector<TestSeries>& series, Ulid ulid) {
  auto w = BlockWriter::Create(env, std::string(kDataDir), ulid);
  if (!w.ok()) return w.status();
  const std::vector<std::string_view> symbols = Symbols(series);
  Status s = (*w)->AddSymbols(symbols);
  for (size_t i = 0; s.ok() && i < series.size(); ++i) {
    s = (*w)->AddSeries(series[i].labels, series[i].chunks);
  }
  if (!s.ok()) return s;
  return (*w)->Finish(MetaFor(ulid, 0, INT64_MAX)).status();
}

TEST_F(BlockTest, FullDiskLeavesNoBlockAndNoTempDir) {
  const std::vector<TestSeries> series = MakeSeries(20);
  testing::FaultEnv fault(env_);
  int failures = 0;
  for (uint64_t limit = 0;; limit += 1500) {
    fault.SetDiskLimit(limit);
    const Ulid ulid = NewUlid(1700000000000 + static_cast<int64_t>(limit));
    Status s = WriteThrough(fault, series, ulid);
    fault.SetDiskLimit(std::nullopt);
    StatusOr<std::vector<std::string>> children = env_.GetChildren(std::string(kDataDir));
    ASSERT_TRUE(children.ok());
    if (s.ok()) {
      EXPECT_EQ(*children, std::vector<std::string>{ulid.ToString()});
      EXPECT_TRUE(Block::Open(env_, BlockDir(ulid)).ok());
      break;
    }
    ++failures;
    EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
    EXPECT_TRUE(children->empty()) << "limit " << limit << ": " << (*children)[0];
  }
  EXPECT_GT(failures, 5);
}

TEST_F(BlockTest, FinishedBlockSurvivesPowerLoss) {
  const std::vector<TestSeries> series = MakeSeries(10);
  testing::FaultEnv fault(env_);
  ASSERT_TRUE(WriteThrough(fault, series, ulid_).ok());
  fault.SetActive(false);
  ASSERT_TRUE(fault.DropUnsyncedData().ok());
  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  StatusOr<std::vector<uint64_t>> refs = (*block)->index().AllPostings();
  ASSERT_TRUE(refs.ok()) << refs.status();
  ASSERT_EQ(refs->size(), series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ(ReadSamples(**block, (*refs)[i]), series[i].samples);
  }
}

TEST_F(BlockTest, PowerLossBeforeFinishLeavesNoBlock) {
  const std::vector<TestSeries> series = MakeSeries(10);
  testing::FaultEnv fault(env_);
  {
    auto w = BlockWriter::Create(fault, std::string(kDataDir), ulid_);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->AddSymbols(Symbols(series)).ok());
    for (const TestSeries& s : series) ASSERT_TRUE((*w)->AddSeries(s.labels, s.chunks).ok());
    fault.SetActive(false);  // crash: the destructor's cleanup never reaches the disk
  }
  ASSERT_TRUE(fault.DropUnsyncedData().ok());
  EXPECT_FALSE(env_.FileExists(BlockDir(ulid_)));
}

// Damage -------------------------------------------------------------------

class BlockDamageTest : public BlockTest {
 protected:
  void SetUp() override {
    BlockTest::SetUp();
    ASSERT_TRUE(Write(MakeSeries(5), ulid_).ok());
  }
  void Damage(std::string_view file, size_t offset) {
    const std::string path = JoinPath(BlockDir(ulid_), file);
    StatusOr<std::string> data = env_.Contents(path);
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_LT(offset, data->size());
    (*data)[offset] ^= 0x5a;
    ASSERT_TRUE(env_.SetContents(path, *std::move(data)).ok());
  }
  void ExpectOpenError(std::string_view file, absl::StatusCode code) {
    StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
    ASSERT_FALSE(block.ok());
    EXPECT_EQ(block.status().code(), code) << block.status();
    EXPECT_THAT(std::string(block.status().message()), HasSubstr(JoinPath(BlockDir(ulid_), file)));
  }
};

TEST_F(BlockDamageTest, DamagedMetaNamesTheFile) {
  Damage(kBlockMetaFile, 0);
  ExpectOpenError(kBlockMetaFile, absl::StatusCode::kDataLoss);
}

TEST_F(BlockDamageTest, MissingMetaNamesTheFile) {
  ASSERT_TRUE(env_.RemoveFile(JoinPath(BlockDir(ulid_), kBlockMetaFile)).ok());
  ExpectOpenError(kBlockMetaFile, absl::StatusCode::kNotFound);
}

TEST_F(BlockDamageTest, DamagedIndexNamesTheFile) {
  Damage(kBlockIndexFile, 0);  // magic
  ExpectOpenError(kBlockIndexFile, absl::StatusCode::kDataLoss);
}

TEST_F(BlockDamageTest, TruncatedIndexNamesTheFile) {
  const std::string path = JoinPath(BlockDir(ulid_), kBlockIndexFile);
  ASSERT_TRUE(env_.Truncate(path, 100).ok());
  ExpectOpenError(kBlockIndexFile, absl::StatusCode::kDataLoss);
}

TEST_F(BlockDamageTest, DamagedChunkSegmentHeaderNamesTheFile) {
  Damage("chunks/000001", 1);
  ExpectOpenError("chunks/000001", absl::StatusCode::kDataLoss);
}

TEST_F(BlockDamageTest, DamagedChunkIsReportedOnRead) {
  Damage("chunks/000001", 40);
  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  int errors = 0;
  StatusOr<std::vector<uint64_t>> refs = (*block)->index().AllPostings();
  ASSERT_TRUE(refs.ok()) << refs.status();
  for (uint64_t ref : *refs) {
    StatusOr<index::SeriesEntry> e = (*block)->index().Series(ref);
    ASSERT_TRUE(e.ok());
    for (const index::ChunkMeta& m : e->chunks) {
      StatusOr<ChunkView> c = (*block)->chunks().Chunk(m.ref);
      if (c.ok()) continue;
      ++errors;
      EXPECT_TRUE(absl::IsDataLoss(c.status())) << c.status();
      EXPECT_THAT(std::string(c.status().message()), HasSubstr("000001"));
    }
  }
  EXPECT_EQ(errors, 1);
}

TEST_F(BlockDamageTest, MissingChunksDirNamesIt) {
  ASSERT_TRUE(env_.RemoveAll(JoinPath(BlockDir(ulid_), kBlockChunksDir)).ok());
  ExpectOpenError(kBlockChunksDir, absl::StatusCode::kNotFound);
}

TEST_F(BlockDamageTest, DamagedTombstonesNameTheFile) {
  Damage(kBlockTombstonesFile, 0);
  ExpectOpenError(kBlockTombstonesFile, absl::StatusCode::kDataLoss);
}

TEST_F(BlockDamageTest, MissingTombstonesMeanNone) {
  ASSERT_TRUE(env_.RemoveFile(JoinPath(BlockDir(ulid_), kBlockTombstonesFile)).ok());
  StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_TRUE((*block)->tombstones()->empty());
}

TEST_F(BlockDamageTest, EveryFlippedIndexByteIsAnErrorOrReadable) {
  // Fuzz-like sweep: no crash whatever byte of the index is damaged.
  const std::string path = JoinPath(BlockDir(ulid_), kBlockIndexFile);
  const std::string original = *env_.Contents(path);
  for (size_t off = 0; off < original.size(); off += 7) {
    std::string damaged = original;
    damaged[off] = static_cast<char>(~damaged[off]);
    ASSERT_TRUE(env_.SetContents(path, damaged).ok());
    StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, BlockDir(ulid_));
    if (!block.ok()) {
      EXPECT_THAT(std::string(block.status().message()), HasSubstr(path));
      continue;
    }
    StatusOr<std::vector<uint64_t>> refs = (*block)->index().AllPostings();
    if (!refs.ok()) continue;
    for (uint64_t ref : *refs) (*block)->index().Series(ref).status().IgnoreError();
  }
}

}  // namespace
}  // namespace strata::engine
