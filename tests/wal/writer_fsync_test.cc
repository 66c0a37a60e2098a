// The writer after a failed fsync (wal/writer.h, "A failed fsync is
// different"): it refuses writes with Unavailable, says so in stats(), and
// recovers only by rewriting what it acknowledged since the last good sync
// into a new segment; a power loss afterwards loses nothing acknowledged.
// FaultEnv::FailNextSyncs models the failed fsync: the file's unsynced
// bytes are gone for good, even if a later fsync succeeds.
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/mem_env.h"
#include "tests/wal/wal_test_util.h"
#include "wal/format.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using strata::testing::FaultEnv;
using strata::testing::MemEnv;
using ::testing::HasSubstr;
using testing::ReadAll;
using testing::SamplesRecord;

constexpr char kDir[] = "/data/wal";

// Record `i`: a samples record whose size varies with i, from a few bytes
// to several pages (so records span pages and leave padded page ends).
std::string Rec(uint32_t i) { return SamplesRecord(i, i * 1000, 1 + (i * 7919) % 6000); }

// Neither the interval flusher nor the backoff acts unless a test asks.
WriterOptions Options(SyncPolicy policy) {
  WriterOptions o;
  o.sync_policy = policy;
  o.sync_interval = absl::Hours(1);
  o.recovery_backoff = absl::Hours(1);
  return o;
}

class WriterFsyncTest : public ::testing::Test {
 protected:
  std::unique_ptr<Writer> Open(const WriterOptions& options) {
    auto w = Writer::Open(env_, kDir, options);
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? *std::move(w) : nullptr;
  }

  // Logs record i and remembers it as acknowledged if that succeeds.
  Status Log(Writer& w, uint32_t i) {
    const std::string rec = Rec(i);
    Status s = w.Log(rec);
    if (s.ok()) acked_.push_back(rec);
    return s;
  }

  // The machine loses power: the writer's later writes (its Close in the
  // destructor) never reach the disk, and what was not synced is gone.
  void PowerLoss(std::unique_ptr<Writer> w) {
    env_.SetActive(false);
    w.reset();
    ASSERT_TRUE(env_.DropUnsyncedData().ok());
    env_.SetActive(true);
  }

  std::vector<std::string> Replayed() {
    ReplayStats stats;
    Status s;
    auto records = ReadAll(mem_, kDir, &stats, &s);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(stats.torn_tail_bytes, 0u);
    return records;
  }

  MemEnv mem_;
  FaultEnv env_{mem_};
  std::vector<std::string> acked_;
};

TEST_F(WriterFsyncTest, FailedIntervalSyncRefusesWritesUntilRewrittenAndLosesNothingAcknowledged) {
  for (bool compress : {false, true}) {
    SCOPED_TRACE(compress ? "snappy" : "plain");
    ASSERT_TRUE(env_.RemoveAll("/data").ok());
    acked_.clear();
    WriterOptions options = Options(SyncPolicy::kInterval);
    options.compress = compress;
    auto w = Open(options);
    for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(Log(*w, i).ok());
    ASSERT_TRUE(w->Sync().ok());
    // Acknowledged, not yet synced: exactly what the failed fsync loses.
    for (uint32_t i = 3; i < 12; ++i) ASSERT_TRUE(Log(*w, i).ok());

    env_.FailNextSyncs(1);
    const Status failed = w->Sync();
    EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
    EXPECT_THAT(std::string(failed.message()), HasSubstr("/data/wal/00000000"));
    EXPECT_THAT(std::string(failed.message()), HasSubstr("Input/output error"));
    EXPECT_TRUE(w->stats().failed);
    EXPECT_EQ(w->stats().sync_failures, 1u);

    // Failed: nothing is taken, and the backoff is not over.
    const Status refused = Log(*w, 100);
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
    EXPECT_EQ(w->Sync().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(w->NextSegment().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_TRUE(w->stats().failed);

    ASSERT_TRUE(w->Recover().ok());
    EXPECT_FALSE(w->stats().failed);
    EXPECT_EQ(w->stats().recoveries, 1u);
    EXPECT_EQ(w->current_segment(), 1u);  // the rewrite went to a new segment
    for (uint32_t i = 12; i < 15; ++i) ASSERT_TRUE(Log(*w, i).ok());
    ASSERT_TRUE(w->Sync().ok());

    PowerLoss(std::move(w));
    EXPECT_EQ(Replayed(), acked_);
  }
}

TEST_F(WriterFsyncTest, AlwaysPolicyFailedBatchIsNeitherAcknowledgedNorRewritten) {
  auto w = Open(Options(SyncPolicy::kAlways));
  ASSERT_TRUE(Log(*w, 0).ok());
  ASSERT_TRUE(Log(*w, 1).ok());
  env_.FailNextSyncs(1);
  EXPECT_EQ(Log(*w, 2).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Log(*w, 3).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(env_.failed_syncs(), 1);  // within the backoff: no attempt was made
  EXPECT_EQ(w->stats().batches, 2u);
  ASSERT_TRUE(w->Recover().ok());
  ASSERT_TRUE(Log(*w, 4).ok());
  // Without a power loss too, batch 2 (written to segment 0, its fsync
  // failed) is cut off: it was reported as failed.
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(Replayed(), acked_);
  w = Open(Options(SyncPolicy::kAlways));
  ASSERT_TRUE(Log(*w, 5).ok());
  PowerLoss(std::move(w));
  EXPECT_EQ(Replayed(), acked_);
}

TEST_F(WriterFsyncTest, RecoversAtTheFirstCallAfterTheBackoff) {
  WriterOptions options = Options(SyncPolicy::kNever);
  options.recovery_backoff = absl::ZeroDuration();
  auto w = Open(options);
  ASSERT_TRUE(Log(*w, 0).ok());
  env_.FailNextSyncs(1);
  EXPECT_EQ(w->Sync().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(Log(*w, 1).ok());  // rewrites first, then logs
  EXPECT_EQ(w->stats().recoveries, 1u);
  EXPECT_FALSE(w->stats().failed);
  ASSERT_TRUE(w->Sync().ok());
  PowerLoss(std::move(w));
  EXPECT_EQ(Replayed(), acked_);
}

TEST_F(WriterFsyncTest, FailedRewriteStaysFailedAndTheNextAttemptStartsOver) {
  auto w = Open(Options(SyncPolicy::kNever));
  for (uint32_t i = 0; i < 6; ++i) ASSERT_TRUE(Log(*w, i).ok());
  env_.FailNextSyncs(2);
  EXPECT_EQ(w->Sync().code(), absl::StatusCode::kUnavailable);
  // The second fsync fails too (cutting the damaged segment back).
  Status again = w->Recover();
  EXPECT_EQ(again.code(), absl::StatusCode::kUnavailable) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("failed too"));
  EXPECT_EQ(w->stats().sync_failures, 2u);
  // Now writing the new segment fails (the disk is full) ...
  env_.SetDiskLimit(100);
  again = w->Recover();
  EXPECT_EQ(again.code(), absl::StatusCode::kUnavailable) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("/data/wal/00000001"));
  EXPECT_TRUE(w->stats().failed);
  EXPECT_EQ(Log(*w, 100).code(), absl::StatusCode::kUnavailable);
  // ... and the next attempt replaces that half-written segment.
  env_.SetDiskLimit(std::nullopt);
  ASSERT_TRUE(w->Recover().ok());
  EXPECT_EQ(w->stats().recoveries, 1u);
  for (uint32_t i = 6; i < 8; ++i) ASSERT_TRUE(Log(*w, i).ok());
  ASSERT_TRUE(w->Sync().ok());
  PowerLoss(std::move(w));
  EXPECT_EQ(Replayed(), acked_);
}

TEST_F(WriterFsyncTest, FailedSyncAtRollOverRewritesTheSegmentsUnsyncedRecords) {
  WriterOptions options = Options(SyncPolicy::kNever);
  options.segment_size = 16 * kPageSize;
  auto w = Open(options);
  // kNever syncs only at roll-over: that is the fsync that fails.
  env_.FailNextSyncs(1);
  uint32_t i = 0;
  Status s;
  while ((s = Log(*w, i)).ok()) ++i;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_GT(i, 5u);  // several acknowledged records were unsynced
  ASSERT_TRUE(w->Recover().ok());
  for (uint32_t j = i + 1; j < i + 20; ++j) ASSERT_TRUE(Log(*w, j).ok());
  ASSERT_TRUE(w->Close().ok());
  PowerLoss(nullptr);
  EXPECT_EQ(Replayed(), acked_);
}

TEST_F(WriterFsyncTest, ExplicitNextSegmentWhoseSyncFailsFails) {
  auto w = Open(Options(SyncPolicy::kNever));
  ASSERT_TRUE(Log(*w, 0).ok());
  env_.FailNextSyncs(1);
  EXPECT_EQ(w->NextSegment().status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(w->Recover().ok());
  StatusOr<uint32_t> next = w->NextSegment();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, 2u);  // 0 cut back, 1 the rewrite, 2 the new one
  ASSERT_TRUE(Log(*w, 1).ok());
  ASSERT_TRUE(w->Sync().ok());
  PowerLoss(std::move(w));
  EXPECT_EQ(Replayed(), acked_);
}

TEST_F(WriterFsyncTest, CloseWhoseSyncFailsRewritesBeforeClosing) {
  auto w = Open(Options(SyncPolicy::kNever));
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(Log(*w, i).ok());
  env_.FailNextSyncs(1);
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(w->stats().sync_failures, 1u);
  EXPECT_EQ(w->stats().recoveries, 1u);
  PowerLoss(std::move(w));
  EXPECT_EQ(Replayed(), acked_);
}

TEST_F(WriterFsyncTest, CloseFailsIfTheRewriteFails) {
  auto w = Open(Options(SyncPolicy::kNever));
  ASSERT_TRUE(Log(*w, 0).ok());
  env_.FailNextSyncs(2);
  const Status closed = w->Close();
  EXPECT_EQ(closed.code(), absl::StatusCode::kUnavailable) << closed;
  EXPECT_EQ(w->Log(Rec(1)).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(WriterFsyncTest, UnsyncedBytesKeptForARewriteAreBounded) {
  WriterOptions options = Options(SyncPolicy::kNever);
  options.max_unsynced_bytes = 3 * kPageSize;
  auto w = Open(options);
  uint64_t logged = 0;
  for (uint32_t i = 0; logged < 20 * kPageSize; ++i) {
    ASSERT_TRUE(Log(*w, i).ok());
    logged += Rec(i).size();
  }
  // kNever would not sync before roll-over (128 MiB segments) or Close.
  EXPECT_GE(w->stats().syncs, 5u);
  PowerLoss(std::move(w));
  const std::vector<std::string> got = Replayed();
  ASSERT_LE(got.size(), acked_.size());
  EXPECT_GT(got.size(), acked_.size() / 2);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), acked_.begin()));
}

TEST_F(WriterFsyncTest, ConcurrentWritersRetryingThroughFailedFsyncsLoseAndDuplicateNothing) {
  WriterOptions options = Options(SyncPolicy::kAlways);
  options.recovery_backoff = absl::ZeroDuration();  // the next Log() rewrites
  auto w = Open(options);
  constexpr int kThreads = 4;
  constexpr uint32_t kPerThread = 150;
  // Failures hit groups of any size and the rewrites themselves.
  env_.FailNextSyncs(12);
  std::vector<std::vector<std::string>> acked(kThreads);
  std::vector<int> refusals(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < kPerThread; ++i) {
        const std::string rec = SamplesRecord(1000 * t + i, i, 1 + i % 300);
        Status s;
        // A refused batch was not stored: Prometheus sends it again.
        while (absl::IsUnavailable(s = w->Log(rec))) ++refusals[t];
        ASSERT_TRUE(s.ok()) << s;
        acked[t].push_back(rec);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(env_.failed_syncs(), 12);
  EXPECT_GE(w->stats().sync_failures, 1u);
  EXPECT_GE(refusals[0] + refusals[1] + refusals[2] + refusals[3], 1);
  PowerLoss(std::move(w));
  // Each thread's records, each exactly once and in its order.
  std::map<uint64_t, std::vector<std::string>> by_thread;
  for (const std::string& r : Replayed()) {
    std::vector<RefSample> samples;
    ASSERT_TRUE(DecodeSamples(r, &samples).ok());
    by_thread[samples[0].ref / 1000].push_back(r);
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(by_thread[t], acked[t]) << "thread " << t;
}

}  // namespace
}  // namespace strata::wal
