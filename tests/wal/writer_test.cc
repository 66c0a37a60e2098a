#include "wal/writer.h"

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "compression/byte_order.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/mem_env.h"
#include "tests/wal/wal_test_util.h"
#include "wal/format.h"

namespace strata::wal {
namespace {

using strata::testing::FaultEnv;
using strata::testing::MemEnv;
using testing::ReadAll;

constexpr char kDir[] = "/data/wal";

// A record of `n` bytes: a samples type byte, then pseudo-random bytes
// (incompressible) or a repeated pattern (compressible).
std::string Payload(size_t n, uint32_t seed, bool compressible = false) {
  std::string s(n, '\0');
  if (n > 0) s[0] = static_cast<char>(RecordType::kSamples);
  std::mt19937 rng(seed);
  for (size_t i = 1; i < n; ++i)
    s[i] = compressible ? static_cast<char>('a' + i % 7) : static_cast<char>(rng());
  return s;
}

std::unique_ptr<Writer> OpenWriter(Env& env, WriterOptions options = {}) {
  auto w = Writer::Open(env, kDir, options);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? *std::move(w) : nullptr;
}

std::vector<std::string> MustReadAll(Env& env, ReplayStats* stats = nullptr) {
  ReplayStats local;
  Status s;
  auto records = ReadAll(env, kDir, stats ? stats : &local, &s);
  EXPECT_TRUE(s.ok()) << s;
  return records;
}

class WriterRoundTripTest : public ::testing::TestWithParam<bool> {};

TEST_P(WriterRoundTripTest, RecordsOfEverySizeComeBackInOrder) {
  MemEnv env;
  WriterOptions options;
  options.compress = GetParam();
  options.segment_size = 8 * kPageSize;
  auto w = OpenWriter(env, options);
  std::vector<std::string> want;
  // Sizes around the page and fragment limits, and larger than a page.
  for (size_t n : {1, 2, 100, 32760, 32761, 32762, 32768, 40000, 65536, 100000, 200000, 5}) {
    want.push_back(Payload(n, static_cast<uint32_t>(n), n % 2 == 0));
    ASSERT_TRUE(w->Log(want.back()).ok());
  }
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(MustReadAll(env), want);
}

INSTANTIATE_TEST_SUITE_P(Compression, WriterRoundTripTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Snappy" : "Plain"; });

TEST(WriterTest, LargeRecordIsSplitIntoFirstMiddleLastFragments) {
  MemEnv env;
  auto w = OpenWriter(env);
  const std::string rec = Payload(2 * kPageSize + 10, 1);
  ASSERT_TRUE(w->Log(rec).ok());
  ASSERT_TRUE(w->Close().ok());
  auto bytes = env.Contents(std::string(kDir) + "/00000000");
  ASSERT_TRUE(bytes.ok());
  ASSERT_EQ(bytes->size(), 3 * kPageSize);  // Close() pads the last page
  EXPECT_EQ((*bytes)[0], static_cast<char>(FragmentType::kFirst));
  EXPECT_EQ(compression::LoadBE16(bytes->data() + 1), kMaxFragmentData);
  EXPECT_EQ((*bytes)[kPageSize], static_cast<char>(FragmentType::kMiddle));
  EXPECT_EQ((*bytes)[2 * kPageSize], static_cast<char>(FragmentType::kLast));
  EXPECT_EQ(compression::LoadBE16(bytes->data() + 2 * kPageSize + 1),
            rec.size() - 2 * kMaxFragmentData);
  EXPECT_EQ(MustReadAll(env), std::vector<std::string>{rec});
}

TEST(WriterTest, PageWithLessThanAHeaderLeftIsZeroPadded) {
  MemEnv env;
  auto w = OpenWriter(env);
  // Leaves 3 bytes in the first page: too few for a header.
  const std::string a = Payload(kPageSize - 2 * kFragmentHeaderSize - 10 - 3, 1);
  const std::string b = Payload(10, 2);
  const std::string c = Payload(10, 3);
  ASSERT_TRUE(w->Log(std::vector<std::string_view>{a, b, c}).ok());
  ASSERT_TRUE(w->Close().ok());
  auto bytes = env.Contents(std::string(kDir) + "/00000000");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(kPageSize - 3, 3), std::string(3, '\0'));
  EXPECT_EQ((*bytes)[kPageSize], static_cast<char>(FragmentType::kFull));
  EXPECT_EQ(MustReadAll(env), (std::vector<std::string>{a, b, c}));
}

TEST(WriterTest, SnappyIsUsedOnlyWhenItMakesTheRecordSmaller) {
  MemEnv env;
  WriterOptions options;
  options.compress = true;
  auto w = OpenWriter(env, options);
  ASSERT_TRUE(w->Log(Payload(1000, 1, /*compressible=*/true)).ok());
  ASSERT_TRUE(w->Log(Payload(1000, 2, /*compressible=*/false)).ok());
  ASSERT_TRUE(w->Close().ok());
  auto bytes = env.Contents(std::string(kDir) + "/00000000");
  ASSERT_TRUE(bytes.ok());
  const uint8_t first = static_cast<uint8_t>((*bytes)[0]);
  EXPECT_EQ(first, static_cast<uint8_t>(FragmentType::kFull) | kSnappyFlag);
  const uint16_t first_len = compression::LoadBE16(bytes->data() + 1);
  EXPECT_LT(first_len, 200);
  const uint8_t second = static_cast<uint8_t>((*bytes)[kFragmentHeaderSize + first_len]);
  EXPECT_EQ(second, static_cast<uint8_t>(FragmentType::kFull));
  EXPECT_EQ(MustReadAll(env).size(), 2u);
}

TEST(WriterTest, RecordsNeverSpanSegments) {
  MemEnv env;
  WriterOptions options;
  options.segment_size = 2 * kPageSize;
  auto w = OpenWriter(env, options);
  std::vector<std::string> want;
  for (uint32_t i = 0; i < 20; ++i) {
    want.push_back(Payload(20000 + i, i));
    ASSERT_TRUE(w->Log(want.back()).ok());
  }
  EXPECT_EQ(w->current_segment(), 6u);  // three 20 KB records fit in 64 KiB
  ASSERT_TRUE(w->Close().ok());
  auto segments = ListSegments(env, kDir);
  ASSERT_TRUE(segments.ok());
  ASSERT_EQ(segments->size(), 7u);
  // Replay reads each segment on its own, so a record cut at a segment end
  // would fail it; no segment may grow past its size either.
  for (uint32_t s : *segments) {
    auto size = env.GetFileSize(std::string(kDir) + "/" + SegmentName(s));
    ASSERT_TRUE(size.ok());
    EXPECT_LE(*size, options.segment_size);
  }
  EXPECT_EQ(MustReadAll(env), want);
}

TEST(WriterTest, ExactlyFullSegmentRollsOverForTheNextRecord) {
  MemEnv env;
  WriterOptions options;
  options.segment_size = 2 * kPageSize;
  auto w = OpenWriter(env, options);
  const std::string page_filler = Payload(kMaxFragmentData, 1);  // one full page each
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->Log(page_filler).ok());
  ASSERT_TRUE(w->Log("").ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(*env.GetFileSize(std::string(kDir) + "/00000000"), 2 * kPageSize);
  EXPECT_EQ(*env.GetFileSize(std::string(kDir) + "/00000001"), 2 * kPageSize);
  ReplayStats stats;
  EXPECT_EQ(MustReadAll(env, &stats), std::vector<std::string>(3, page_filler));
  EXPECT_EQ(stats.unknown_records, 1u);  // the empty record
}

TEST(WriterTest, RecordLargerThanASegmentIsRejected) {
  MemEnv env;
  WriterOptions options;
  options.segment_size = 2 * kPageSize;
  auto w = OpenWriter(env, options);
  Status s = w->Log(Payload(2 * kMaxFragmentData + 1, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(w->Log(Payload(2 * kMaxFragmentData, 1)).ok());
}

TEST(WriterTest, BadSegmentSizeIsRejected) {
  MemEnv env;
  WriterOptions options;
  options.segment_size = 3 * kPageSize + 1;
  EXPECT_EQ(Writer::Open(env, kDir, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WriterTest, ReopenStartsANewSegmentAndKeepsOldRecords) {
  MemEnv env;
  {
    auto w = OpenWriter(env);
    ASSERT_TRUE(w->Log(Payload(10, 1)).ok());
    ASSERT_TRUE(w->Close().ok());
  }
  auto w = OpenWriter(env);
  EXPECT_EQ(w->current_segment(), 1u);
  ASSERT_TRUE(w->Log(Payload(10, 2)).ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(MustReadAll(env), (std::vector<std::string>{Payload(10, 1), Payload(10, 2)}));
}

TEST(WriterTest, LogAfterCloseFails) {
  MemEnv env;
  auto w = OpenWriter(env);
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(w->Log(Payload(10, 1)).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(WriterTest, SyncPolicyAlwaysSyncsBeforeReturning) {
  MemEnv env;
  WriterOptions options;
  options.sync_policy = SyncPolicy::kAlways;
  auto w = OpenWriter(env, options);
  ASSERT_TRUE(w->Log(Payload(10, 1)).ok());
  ASSERT_TRUE(w->Log(Payload(10, 2)).ok());
  EXPECT_EQ(w->stats().syncs, 2u);
  EXPECT_EQ(w->stats().batches, 2u);
}

TEST(WriterTest, SyncPolicyNeverDoesNotSyncUntilClose) {
  MemEnv env;
  WriterOptions options;
  options.sync_policy = SyncPolicy::kNever;
  auto w = OpenWriter(env, options);
  ASSERT_TRUE(w->Log(Payload(10, 1)).ok());
  EXPECT_EQ(w->stats().syncs, 0u);
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(w->stats().syncs, 1u);
}

TEST(WriterTest, FailedWriteIsUndoneAndLaterWritesSucceed) {
  MemEnv mem;
  FaultEnv env(mem);
  // No interval flusher: an injected write error fails its fsync too,
  // which would put the writer in its failed state (writer_fsync_test.cc).
  WriterOptions options;
  options.sync_policy = SyncPolicy::kNever;
  auto w = OpenWriter(env, options);
  ASSERT_TRUE(w->Log(Payload(10, 1)).ok());
  env.SetWriteError(absl::InternalError("injected EIO"));
  const Status failed = w->Log(Payload(10, 2));
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(failed.message()), ::testing::HasSubstr("00000000")) << failed;
  env.SetWriteError(absl::OkStatus());
  ASSERT_TRUE(w->Log(Payload(10, 3)).ok());
  ASSERT_TRUE(w->Close().ok());
  ReplayStats stats;
  EXPECT_EQ(MustReadAll(env, &stats), (std::vector<std::string>{Payload(10, 1), Payload(10, 3)}));
  EXPECT_EQ(stats.torn_tail_bytes, 0u);
}

TEST(WriterTest, FullDiskFailsWithResourceExhaustedStoresNoPartAndResumes) {
  MemEnv mem;
  FaultEnv env(mem);
  auto w = OpenWriter(env);
  ASSERT_TRUE(w->Log(Payload(100, 1)).ok());
  env.SetDiskLimit(50);
  EXPECT_EQ(w->Log(Payload(100, 2)).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(w->Log(Payload(100, 3)).code(), absl::StatusCode::kResourceExhausted);
  env.SetDiskLimit(std::nullopt);
  ASSERT_TRUE(w->Log(Payload(100, 4)).ok());
  w.reset();
  ReplayStats stats;
  // The short writes were cut back: no torn tail, no part of 2 or 3.
  EXPECT_EQ(MustReadAll(env, &stats), (std::vector<std::string>{Payload(100, 1), Payload(100, 4)}));
  EXPECT_EQ(stats.torn_tail_bytes, 0u);
}

TEST(WriterTest, ErrorIsStickyWhenTheWriteCannotBeUndone) {
  MemEnv mem;
  FaultEnv env(mem);
  // No interval flusher: an injected write error fails its fsync too,
  // which would put the writer in its failed state (writer_fsync_test.cc).
  WriterOptions options;
  options.sync_policy = SyncPolicy::kNever;
  auto w = OpenWriter(env, options);
  ASSERT_TRUE(w->Log(Payload(10, 1)).ok());
  // Every write fails, and so does the truncation that would undo it.
  env.SetWriteError(absl::InternalError("injected EIO"));
  env.SetTruncateError(absl::InternalError("injected truncate failure"));
  EXPECT_FALSE(w->Log(Payload(10, 2)).ok());
  env.SetWriteError(absl::OkStatus());
  env.SetTruncateError(absl::OkStatus());
  const Status s = w->Log(Payload(10, 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
}

TEST(WriterTest, ConcurrentWritersKeepEveryBatchWholeAndInOrder) {
  MemEnv env;
  WriterOptions options;
  options.sync_policy = SyncPolicy::kAlways;
  options.segment_size = 4 * kPageSize;
  auto w = OpenWriter(env, options);
  constexpr int kThreads = 8, kBatches = 100, kPerBatch = 3;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<std::string> recs;
        for (int i = 0; i < kPerBatch; ++i)
          recs.push_back(testing::SamplesRecord(t, b * 10 + i, 1 + (b % 50)));
        std::vector<std::string_view> views(recs.begin(), recs.end());
        ASSERT_TRUE(w->Log(views).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  const WriterStats stats = w->stats();
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(stats.batches, static_cast<uint64_t>(kThreads * kBatches));
  EXPECT_LE(stats.groups, stats.batches);

  auto records = MustReadAll(env);
  ASSERT_EQ(records.size(), static_cast<size_t>(kThreads * kBatches * kPerBatch));
  std::vector<int> next_batch(kThreads, 0);
  for (size_t k = 0; k < records.size(); k += kPerBatch) {
    std::vector<RefSample> first;
    ASSERT_TRUE(DecodeSamples(records[k], &first).ok());
    const int t = static_cast<int>(first[0].ref);
    const int b = static_cast<int>(first[0].t / 10);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(b, next_batch[t]) << "thread " << t;
    next_batch[t] = b + 1;
    for (int i = 0; i < kPerBatch; ++i) {
      EXPECT_EQ(records[k + i], testing::SamplesRecord(t, b * 10 + i, 1 + (b % 50)))
          << "batch torn";
    }
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next_batch[t], kBatches);
}

}  // namespace
}  // namespace strata::wal
