#include "wal/checkpoint.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/mem_env.h"
#include "tests/wal/wal_test_util.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/records.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using strata::testing::MemEnv;
using testing::ReadAll;

constexpr char kDir[] = "/data/wal";

std::string Encode(const std::vector<RefSeries>& v) {
  std::string s;
  EncodeSeries(v, &s);
  return s;
}
std::string Encode(const std::vector<RefSample>& v) {
  std::string s;
  EncodeSamples(v, &s);
  return s;
}

// Everything replayed from `dir`, decoded.
struct Decoded {
  std::vector<RefSeries> series;
  std::vector<RefSample> samples;
  std::vector<Tombstone> tombstones;
  std::vector<RefMetadata> metadata;
  uint64_t unknown = 0;
  std::optional<uint32_t> checkpoint;
};

Decoded ReplayDecoded(Env& env) {
  Decoded d;
  ReplayStats stats;
  Status s = Replay(
      env, kDir, {},
      [&](std::string_view r) -> Status {
        switch (GetRecordType(r)) {
          case RecordType::kSeries:
            return DecodeSeries(r, &d.series);
          case RecordType::kSamples:
            return DecodeSamples(r, &d.samples);
          case RecordType::kTombstones:
            return DecodeTombstones(r, &d.tombstones);
          case RecordType::kMetadata:
            return DecodeMetadata(r, &d.metadata);
          default:
            return absl::OkStatus();
        }
      },
      &stats);
  EXPECT_TRUE(s.ok()) << s;
  d.unknown = stats.unknown_records;
  d.checkpoint = stats.checkpoint;
  return d;
}

class CheckpointTest : public ::testing::TestWithParam<bool> {
 protected:
  // Segment 0: series 1-4, samples at t=100 and 200, a tombstone, metadata.
  // Segment 1: samples at t=300. Segment 2 (open): a sample at t=400.
  void SetUp() override {
    WriterOptions options;
    options.compress = GetParam();
    auto w = Writer::Open(env_, kDir, options);
    ASSERT_TRUE(w.ok());
    writer_ = *std::move(w);
    std::vector<RefSeries> series;
    for (uint64_t ref = 1; ref <= 4; ++ref)
      series.push_back({ref, {{"__name__", "m"}, {"i", std::to_string(ref)}}});
    std::string tomb, meta;
    EncodeTombstones(std::vector<Tombstone>{{2, 0, 150}, {3, 250, 260}}, &tomb);
    EncodeMetadata(
        std::vector<RefMetadata>{{1, 1, "", "old help"}, {1, 1, "", "new help"}, {4, 2, "", "x"}},
        &meta);
    Log(Encode(series));
    Log(Encode(std::vector<RefSample>{{1, 100, 1}, {2, 100, 2}, {3, 200, 3}}));
    Log(tomb);
    Log(meta);
    ASSERT_EQ(*writer_->NextSegment(), 1u);
    Log(Encode(std::vector<RefSample>{{1, 300, 4}, {4, 300, 5}}));
    ASSERT_EQ(*writer_->NextSegment(), 2u);
    Log(Encode(std::vector<RefSample>{{1, 400, 6}}));
  }
  void Log(const std::string& r) { ASSERT_TRUE(writer_->Log(r).ok()); }

  MemEnv env_;
  std::unique_ptr<Writer> writer_;
};

TEST_P(CheckpointTest, KeepsLiveSeriesAndRecentSamplesAndDeletesCoveredSegments) {
  auto keep = [](uint64_t ref) { return ref != 2; };
  CheckpointOptions options;
  options.compress = GetParam();
  auto stats = Checkpoint(env_, kDir, 1, keep, /*mint_ms=*/200, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->series_kept, 3u);
  EXPECT_EQ(stats->series_dropped, 1u);
  EXPECT_EQ(stats->samples_kept, 3u);  // t=200, 300, 300
  EXPECT_EQ(stats->samples_dropped, 2u);
  EXPECT_EQ(stats->tombstones_kept, 1u);
  EXPECT_EQ(stats->metadata_kept, 2u);

  EXPECT_TRUE(env_.IsDirectory(std::string(kDir) + "/checkpoint.00000001"));
  EXPECT_FALSE(env_.FileExists(std::string(kDir) + "/checkpoint.00000001.tmp"));
  EXPECT_EQ(*ListSegments(env_, kDir), std::vector<uint32_t>{2});

  ASSERT_TRUE(writer_->Close().ok());
  Decoded d = ReplayDecoded(env_);
  EXPECT_EQ(d.checkpoint, 1u);
  ASSERT_EQ(d.series.size(), 3u);
  EXPECT_EQ(d.series[0].ref, 1u);
  EXPECT_EQ(d.series[1].ref, 3u);
  EXPECT_EQ(d.series[2].ref, 4u);
  ASSERT_EQ(d.samples.size(), 4u);  // 3 from the checkpoint, then segment 2's
  EXPECT_EQ(d.samples[0].t, 200);
  EXPECT_EQ(d.samples[3].t, 400);
  EXPECT_EQ(d.tombstones, (std::vector<Tombstone>{{3, 250, 260}}));
  ASSERT_EQ(d.metadata.size(), 2u);
  EXPECT_EQ(d.metadata[0].help, "new help");
}

TEST_P(CheckpointTest, SecondCheckpointBuildsOnTheFirst) {
  auto keep_all = [](uint64_t) { return true; };
  ASSERT_TRUE(Checkpoint(env_, kDir, 0, keep_all, 0).ok());
  ASSERT_EQ(*writer_->NextSegment(), 3u);
  auto stats = Checkpoint(env_, kDir, 2, keep_all, 300);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_FALSE(env_.IsDirectory(std::string(kDir) + "/checkpoint.00000000"));
  ASSERT_TRUE(writer_->Close().ok());
  Decoded d = ReplayDecoded(env_);
  EXPECT_EQ(d.checkpoint, 2u);
  EXPECT_EQ(d.series.size(), 4u);
  ASSERT_EQ(d.samples.size(), 3u);  // t=300, 300, 400
  EXPECT_EQ(d.samples[0].t, 300);
  EXPECT_EQ(d.samples[2].t, 400);
}

TEST_P(CheckpointTest, OlderThanExistingCheckpointIsRejected) {
  auto keep_all = [](uint64_t) { return true; };
  ASSERT_TRUE(Checkpoint(env_, kDir, 1, keep_all, 0).ok());
  EXPECT_EQ(Checkpoint(env_, kDir, 1, keep_all, 0).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(CheckpointTest, DamagedSegmentFailsAndDeletesNothing) {
  const std::string seg0 = std::string(kDir) + "/00000000";
  std::string data = *env_.Contents(seg0);
  data[10] ^= 0x40;
  ASSERT_TRUE(env_.SetContents(seg0, data).ok());
  auto stats = Checkpoint(
      env_, kDir, 1, [](uint64_t) { return true; }, 0);
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kDataLoss) << stats.status();
  EXPECT_EQ(ListSegments(env_, kDir)->size(), 3u);
  EXPECT_FALSE(*LastCheckpoint(env_, kDir));
}

TEST_P(CheckpointTest, DamagedCheckpointIsDataLossWithoutARepairPosition) {
  ASSERT_TRUE(Checkpoint(
                  env_, kDir, 1, [](uint64_t) { return true; }, 0)
                  .ok());
  ASSERT_TRUE(writer_->Close().ok());
  const std::string seg = std::string(kDir) + "/checkpoint.00000001/00000000";
  std::string data = *env_.Contents(seg);
  data[20] ^= 0x01;
  ASSERT_TRUE(env_.SetContents(seg, data).ok());
  ReplayStats stats;
  Status s = Replay(
      env_, kDir, {}, [](std::string_view) { return absl::OkStatus(); }, &stats);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(s.message())
                .find("replay checkpoint: /data/wal/checkpoint.00000001/00000000 offset 0"),
            std::string::npos)
      << s;
  EXPECT_FALSE(stats.damage.has_value());  // truncating cannot fix a checkpoint
}

INSTANTIATE_TEST_SUITE_P(Compression, CheckpointTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Snappy" : "Plain"; });

}  // namespace
}  // namespace strata::wal
