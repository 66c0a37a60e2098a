#include "wal/reader.h"

#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "gtest/gtest.h"
#include "tests/testing/mem_env.h"
#include "tests/wal/wal_test_util.h"
#include "wal/format.h"
#include "wal/segment_reader.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using strata::testing::MemEnv;
using testing::ReadAll;
using testing::SamplesRecord;
using testing::SeriesRecord;

constexpr char kDir[] = "/data/wal";

std::string SegPath(uint32_t i) { return std::string(kDir) + "/" + SegmentName(i); }

// Writes `n` records (varied sizes, some spanning pages) in segments of
// `segment_pages` pages; returns them.
std::vector<std::string> WriteWal(Env& env, int n, uint64_t segment_pages = 4,
                                  bool compress = false) {
  WriterOptions options;
  options.segment_size = segment_pages * kPageSize;
  options.compress = compress;
  options.sync_policy = SyncPolicy::kNever;
  auto w = Writer::Open(env, kDir, options);
  EXPECT_TRUE(w.ok());
  std::vector<std::string> records;
  for (int i = 0; i < n; ++i) {
    records.push_back(i % 4 == 0 ? SeriesRecord(i, 10 + (i * 977) % 40000)
                                 : SamplesRecord(i, i * 1000, 1 + i % 200));
    EXPECT_TRUE((*w)->Log(records.back()).ok());
  }
  EXPECT_TRUE((*w)->Close().ok());
  return records;
}

// True if cutting `data` at `cut` leaves only whole records: the cut is at
// the end of a record or in the zero padding after one. No reader can tell
// such a cut from a segment that ended there.
bool IsCleanCut(const std::string& data, size_t cut) {
  SegmentReader reader(data, "original");
  uint64_t end = 0;
  while (reader.Next() && reader.end_offset() <= cut) end = reader.end_offset();
  return data.find_first_not_of('\0', end) >= cut;
}

bool IsPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& all) {
  return prefix.size() <= all.size() && std::equal(prefix.begin(), prefix.end(), all.begin());
}

TEST(ReaderTest, MissingDirectoryIsNotFound) {
  MemEnv env;
  ReplayStats stats;
  Status s;
  ReadAll(env, "/nowhere", &stats, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST(ReaderTest, TornTailIsDetectedAndCutOff) {
  MemEnv env;
  const auto want = WriteWal(env, 60);
  auto segments = ListSegments(env, kDir);
  ASSERT_TRUE(segments.ok());
  const uint32_t last = segments->back();
  auto bytes = env.Contents(SegPath(last));
  ASSERT_TRUE(bytes.ok());
  // Cut the last segment inside its last record: the partial-write a crash leaves.
  std::string data = *bytes;
  while (!data.empty() && data.back() == '\0') data.pop_back();  // Close()'s padding
  data.resize(data.size() - 5);
  ASSERT_TRUE(env.SetContents(SegPath(last), data).ok());

  ReplayStats stats;
  Status s;
  auto got = ReadAll(env, kDir, &stats, &s);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(got.size(), want.size() - 1);
  EXPECT_TRUE(IsPrefix(got, want));
  EXPECT_GT(stats.torn_tail_bytes, 0u);
  // The tail is gone: a second replay is clean.
  got = ReadAll(env, kDir, &stats, &s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(stats.torn_tail_bytes, 0u);
  EXPECT_EQ(got.size(), want.size() - 1);
}

TEST(ReaderTest, TornTailCanBeLeftInPlace) {
  MemEnv env;
  WriteWal(env, 5);
  auto bytes = env.Contents(SegPath(0));
  ASSERT_TRUE(bytes.ok());
  std::string data = bytes->substr(0, 100);
  ASSERT_TRUE(env.SetContents(SegPath(0), data).ok());
  ReplayStats stats;
  Status s;
  ReadAll(env, kDir, &stats, &s, ReplayOptions{.cut_torn_tail = false});
  ASSERT_TRUE(s.ok());
  EXPECT_GT(stats.torn_tail_bytes, 0u);
  EXPECT_EQ(*env.GetFileSize(SegPath(0)), 100u);
}

TEST(ReaderTest, TruncatedMiddleSegmentIsDataLossWithLocation) {
  MemEnv env;
  const auto want = WriteWal(env, 80);
  ASSERT_GE(ListSegments(env, kDir)->size(), 3u);
  auto bytes = env.Contents(SegPath(1));
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(env.SetContents(SegPath(1), bytes->substr(0, 40000)).ok());
  ReplayStats stats;
  Status s;
  ReadAll(env, kDir, &stats, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(s.message()).find("/data/wal/00000001 offset "), std::string::npos) << s;
  ASSERT_TRUE(stats.damage.has_value());
  EXPECT_EQ(stats.damage->segment, 1u);
}

TEST(ReaderTest, RandomBitFlipsAreLocatedAndRepairKeepsEverythingBefore) {
  std::mt19937 rng(42);
  for (int iteration = 0; iteration < 40; ++iteration) {
    MemEnv env;
    const auto want = WriteWal(env, 50, 4, iteration % 2 == 1);
    auto segments = *ListSegments(env, kDir);
    const uint32_t seg = segments[rng() % segments.size()];
    std::string data = *env.Contents(SegPath(seg));
    const size_t pos = rng() % data.size();
    data[pos] ^= static_cast<char>(1 << (rng() % 8));
    ASSERT_TRUE(env.SetContents(SegPath(seg), data).ok());

    ReplayStats stats;
    Status s;
    auto got = ReadAll(env, kDir, &stats, &s);
    SCOPED_TRACE(::testing::Message()
                 << "iteration " << iteration << " segment " << seg << " byte " << pos);
    // Every record handed out is a record that was written.
    EXPECT_TRUE(IsPrefix(got, want));
    if (s.ok()) {
      // Only a flip in zero padding of a closed page, or in the last page
      // of the last segment seen as a torn tail, can pass; never silently.
      EXPECT_TRUE(got.size() == want.size() || stats.torn_tail_bytes > 0);
      continue;
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(std::string(s.message()).find(SegmentName(seg) + " offset "), std::string::npos) << s;
    ASSERT_TRUE(stats.damage.has_value());
    ASSERT_TRUE(Repair(env, kDir, *stats.damage).ok());
    auto repaired = ReadAll(env, kDir, &stats, &s);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(repaired, got) << "repair must keep exactly the records before the damage";
  }
}

TEST(ReaderTest, RandomTruncationsKeepAPrefix) {
  std::mt19937 rng(7);
  for (int iteration = 0; iteration < 30; ++iteration) {
    MemEnv env;
    const auto want = WriteWal(env, 40);
    auto segments = *ListSegments(env, kDir);
    const uint32_t seg = segments[rng() % segments.size()];
    std::string data = *env.Contents(SegPath(seg));
    const size_t cut = rng() % data.size();
    ASSERT_TRUE(env.SetContents(SegPath(seg), data.substr(0, cut)).ok());
    ReplayStats stats;
    Status s;
    auto got = ReadAll(env, kDir, &stats, &s);
    EXPECT_TRUE(IsPrefix(got, want));
    if (!s.ok()) {
      ASSERT_TRUE(stats.damage.has_value()) << s;
      ASSERT_TRUE(Repair(env, kDir, *stats.damage).ok());
      EXPECT_EQ(ReadAll(env, kDir, &stats, &s), got);
      EXPECT_TRUE(s.ok()) << s;
    } else {
      // Undetected only where undetectable, or as a torn tail.
      EXPECT_TRUE(IsCleanCut(data, cut) || (seg == segments.back() && stats.torn_tail_bytes > 0))
          << "segment " << seg << " cut at " << cut;
    }
  }
}

TEST(ReaderTest, MissingSegmentIsDataLoss) {
  MemEnv env;
  WriteWal(env, 80);
  ASSERT_GE(ListSegments(env, kDir)->size(), 3u);
  ASSERT_TRUE(env.RemoveFile(SegPath(1)).ok());
  ReplayStats stats;
  Status s;
  auto got = ReadAll(env, kDir, &stats, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(s.message()).find("segment 00000001 is missing"), std::string::npos) << s;
  ASSERT_TRUE(stats.damage.has_value());
  EXPECT_EQ(stats.damage->segment, 0u);
}

TEST(ReaderTest, UnknownRecordTypesAreSkippedAndCounted) {
  MemEnv env;
  auto w = Writer::Open(env, kDir, {});
  ASSERT_TRUE(w.ok());
  const std::string good = SamplesRecord(1, 1, 1);
  ASSERT_TRUE((*w)->Log(std::vector<std::string_view>{good,
                                                      "\x63"
                                                      "future",
                                                      "", good})
                  .ok());
  ASSERT_TRUE((*w)->Close().ok());
  ReplayStats stats;
  Status s;
  auto got = ReadAll(env, kDir, &stats, &s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(got, (std::vector<std::string>{good, good}));
  EXPECT_EQ(stats.unknown_records, 2u);
  EXPECT_EQ(stats.records, 2u);
}

TEST(ReaderTest, ZstdRecordOfNewerPrometheusIsRead) {
  const std::string rec = SamplesRecord(1, 0, 500);
  std::string z(ZSTD_compressBound(rec.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), rec.data(), rec.size(), 1));
  ASSERT_LT(z.size(), rec.size());
  std::string segment(1, static_cast<char>(static_cast<uint8_t>(FragmentType::kFull) | kZstdFlag));
  compression::PutBE16(&segment, static_cast<uint16_t>(z.size()));
  compression::PutBE32(&segment, compression::crc32c::Value(z));
  segment += z;
  MemEnv env;
  ASSERT_TRUE(env.CreateDirs(kDir).ok());
  auto f = env.NewWritableFile(SegPath(0));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(segment).ok());
  ReplayStats stats;
  Status s;
  EXPECT_EQ(ReadAll(env, kDir, &stats, &s), std::vector<std::string>{rec});
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ReaderTest, VisitorErrorStopsReplayWithPosition) {
  MemEnv env;
  WriteWal(env, 3);
  ReplayStats stats;
  int calls = 0;
  Status s = Replay(
      env, kDir, {},
      [&](std::string_view) {
        return ++calls == 2 ? absl::InvalidArgumentError("bad") : absl::OkStatus();
      },
      &stats);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("00000000 offset"), std::string::npos) << s;
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace strata::wal
