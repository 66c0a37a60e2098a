// engine::Head's own contracts, on the head alone (no blocks, no DB):
// transactions, the min valid time, truncation and replay after reopening.
#include "engine/head.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "tests/testing/mem_env.h"

namespace strata::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kDir[] = "/db";

struct Sample {
  int64_t t;
  uint64_t bits;
  friend bool operator==(const Sample&, const Sample&) = default;
};
using Data = std::map<std::string, std::vector<Sample>>;  // labels text -> samples

class HeadTest : public ::testing::Test {
 protected:
  HeadTest() {
    // Small chunk ranges, so a few dozen samples make mapped chunks.
    options_.chunk_range_ms = 1000;
  }

  void Open(HeadReplayStats* stats = nullptr) {
    if (head_ != nullptr) {
      ASSERT_TRUE(head_->Close().ok());
      head_.reset();
    }
    StatusOr<std::unique_ptr<Head>> head = Head::Open(env_, kDir, options_, stats);
    ASSERT_TRUE(head.ok()) << head.status();
    head_ = std::move(*head);
  }

  // Appends `v` at `t` to series {job="test", instance=`instance`} in its
  // own transaction; returns Commit's status.
  Status AppendOne(std::string_view instance, int64_t t, double v) {
    std::unique_ptr<HeadAppender> app = head_->NewAppender();
    const LabelView labels[] = {{"job", "test"}, {"instance", instance}};
    StatusOr<uint64_t> ref = app->Append(labels, t, v);
    if (!ref.ok()) return ref.status();
    return app->Commit();
  }

  // Samples t = from, from + step, ... < to with value t / 10 for
  // `instance`, in one transaction.
  void AppendRange(std::string_view instance, int64_t from, int64_t to, int64_t step) {
    std::unique_ptr<HeadAppender> app = head_->NewAppender();
    const LabelView labels[] = {{"job", "test"}, {"instance", instance}};
    for (int64_t t = from; t < to; t += step) {
      ASSERT_TRUE(app->Append(labels, t, t / 10.0).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  // Every sample of job="test" in [mint, maxt], by series.
  Data Read(int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX) {
    StatusOr<index::Matcher> m = index::Matcher::Create(index::MatchType::kEqual, "job", "test");
    EXPECT_TRUE(m.ok());
    StatusOr<std::vector<HeadSeriesData>> selected = head_->Select({&*m, 1}, mint, maxt);
    EXPECT_TRUE(selected.ok()) << selected.status();
    Data out;
    if (!selected.ok()) return out;
    for (const HeadSeriesData& d : *selected) {
      std::vector<Sample>& samples = out[d.labels.ToString()];
      std::unique_ptr<SampleIterator> it = d.NewIterator(mint, maxt);
      while (it->Next()) {
        samples.push_back({it->timestamp_ms(), std::bit_cast<uint64_t>(it->value())});
      }
      EXPECT_TRUE(it->status().ok()) << it->status();
    }
    return out;
  }

  static std::vector<Sample> Range(int64_t from, int64_t to, int64_t step) {
    std::vector<Sample> out;
    for (int64_t t = from; t < to; t += step) out.push_back({t, std::bit_cast<uint64_t>(t / 10.0)});
    return out;
  }

  testing::MemEnv env_;
  HeadOptions options_;
  std::unique_ptr<Head> head_;
};

const std::string kA = R"({instance="a", job="test"})";
const std::string kB = R"({instance="b", job="test"})";

TEST_F(HeadTest, AppendsBecomeVisibleOnlyAtCommit) {
  Open();
  std::unique_ptr<HeadAppender> app = head_->NewAppender();
  const LabelView labels[] = {{"job", "test"}, {"instance", "a"}};
  ASSERT_TRUE(app->Append(labels, 100, 1.0).ok());
  ASSERT_TRUE(app->Append(labels, 200, 2.0).ok());
  EXPECT_THAT(Read(), IsEmpty());
  EXPECT_EQ(head_->max_time_ms(), INT64_MIN);

  CommitStats stats;
  ASSERT_TRUE(app->Commit(&stats).ok());
  EXPECT_EQ(stats.samples, 2u);
  EXPECT_EQ(
      Read(),
      (Data{{kA, {{100, std::bit_cast<uint64_t>(1.0)}, {200, std::bit_cast<uint64_t>(2.0)}}}}));
  EXPECT_EQ(head_->min_time_ms(), 100);
  EXPECT_EQ(head_->max_time_ms(), 200);
}

TEST_F(HeadTest, RollbackLeavesNothing) {
  Open();
  {
    std::unique_ptr<HeadAppender> app = head_->NewAppender();
    const LabelView labels[] = {{"job", "test"}, {"instance", "a"}};
    ASSERT_TRUE(app->Append(labels, 500, 1.0).ok());
    app->Rollback();
    // Nothing left for Commit either.
    ASSERT_TRUE(app->Commit().ok());
  }
  EXPECT_THAT(Read(), IsEmpty());
  EXPECT_EQ(head_->min_time_ms(), INT64_MAX);
  EXPECT_EQ(head_->max_time_ms(), INT64_MIN);
  // The rolled-back sample did not move the series' newest time: an
  // older sample is still in order.
  ASSERT_TRUE(AppendOne("a", 100, 2.0).ok());
  EXPECT_EQ(Read(), (Data{{kA, {{100, std::bit_cast<uint64_t>(2.0)}}}}));

  // Nor did it reach the WAL.
  HeadReplayStats stats;
  Open(&stats);
  EXPECT_EQ(stats.samples, 1u);
  EXPECT_EQ(Read(), (Data{{kA, {{100, std::bit_cast<uint64_t>(2.0)}}}}));
}

TEST_F(HeadTest, SampleOlderThanMinValidTimeIsRefused) {
  options_.min_valid_time_ms = 1000;
  Open();
  const Status refused = AppendOne("a", 999, 1.0);
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("out of bounds"));
  EXPECT_THAT(refused.message(), HasSubstr(R"(instance="a")"));
  EXPECT_EQ(head_->refused(Refusal::kOutOfBounds), 1u);
  EXPECT_TRUE(AppendOne("a", 1000, 2.0).ok());
  EXPECT_EQ(Read(), (Data{{kA, {{1000, std::bit_cast<uint64_t>(2.0)}}}}));
}

TEST_F(HeadTest, DuplicateTimestampTakesOnlyTheSameValue) {
  Open();
  ASSERT_TRUE(AppendOne("a", 100, 1.0).ok());
  EXPECT_TRUE(AppendOne("a", 100, 1.0).ok());
  const Status refused = AppendOne("a", 100, 2.0);
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_EQ(head_->refused(Refusal::kDuplicate), 1u);
  EXPECT_EQ(Read(), (Data{{kA, {{100, std::bit_cast<uint64_t>(1.0)}}}}));
}

TEST_F(HeadTest, TruncateRemovesSeriesWithoutNewerSamplesAndKeepsTheOthers) {
  Open();
  AppendRange("a", 0, 3000, 100);  // chunks [0, 1000), [1000, 2000), [2000, 3000)
  AppendRange("b", 0, 1000, 100);  // before the truncation point only
  ASSERT_EQ(head_->num_series(), 2u);

  ASSERT_TRUE(head_->Truncate(2000).ok());
  EXPECT_EQ(head_->num_series(), 1u);
  EXPECT_EQ(head_->min_valid_time_ms(), 2000);
  EXPECT_EQ(head_->min_time_ms(), 2000);
  EXPECT_EQ(head_->max_time_ms(), 2900);
  EXPECT_EQ(Read(), (Data{{kA, Range(2000, 3000, 100)}}));
  StatusOr<std::vector<std::string>> instances = head_->LabelValues("instance", {});
  ASSERT_TRUE(instances.ok()) << instances.status();
  EXPECT_THAT(*instances, ElementsAre("a"));
  // Older samples are refused from now on; the removed series can come back.
  EXPECT_TRUE(absl::IsInvalidArgument(AppendOne("a", 1999, 1.0)));
  ASSERT_TRUE(AppendOne("b", 2500, 1.0).ok());
  EXPECT_EQ(Read(2500, 2500), (Data{{kA, {{2500, std::bit_cast<uint64_t>(250.0)}}},
                                    {kB, {{2500, std::bit_cast<uint64_t>(1.0)}}}}));
}

TEST_F(HeadTest, TruncateOfAnEmptyHeadLeavesItEmpty) {
  Open();
  ASSERT_TRUE(head_->Truncate(5000).ok());
  EXPECT_EQ(head_->num_series(), 0u);
  EXPECT_EQ(head_->min_time_ms(), INT64_MAX);
  EXPECT_EQ(head_->max_time_ms(), INT64_MIN);
  EXPECT_EQ(head_->min_valid_time_ms(), 5000);
  // Truncating to an earlier time does not lower the bound.
  ASSERT_TRUE(head_->Truncate(1000).ok());
  EXPECT_EQ(head_->min_valid_time_ms(), 5000);
}

TEST_F(HeadTest, ReopenReplaysTheSameSeriesAndSamples) {
  Open();
  // Enough samples for mapped chunks (replayed from chunks_head/) and an
  // open chunk (replayed from the WAL) in every series.
  for (int i = 0; i < 20; ++i) AppendRange(StrCat("s", i), 0, 2550 + 10 * i, 50);
  const Data before = Read();
  ASSERT_EQ(before.size(), 20u);
  const uint64_t chunks_before = head_->num_chunks();
  const int64_t min_before = head_->min_time_ms(), max_before = head_->max_time_ms();

  HeadReplayStats stats;
  Open(&stats);
  EXPECT_EQ(Read(), before);
  EXPECT_EQ(stats.series, 20u);
  EXPECT_GT(stats.mmapped_chunks, 0u);
  EXPECT_GT(stats.samples, 0u);
  EXPECT_EQ(stats.samples_refused, 0u);
  EXPECT_EQ(stats.unknown_series_refs, 0u);
  EXPECT_EQ(head_->num_series(), 20u);
  EXPECT_EQ(head_->num_chunks(), chunks_before);
  EXPECT_EQ(head_->min_time_ms(), min_before);
  EXPECT_EQ(head_->max_time_ms(), max_before);
}

TEST_F(HeadTest, ReopenAfterTruncateAndDeleteReplaysWhatIsLeft) {
  Open();
  AppendRange("a", 0, 3000, 100);
  AppendRange("b", 0, 1000, 100);
  ASSERT_TRUE(head_->Truncate(2000).ok());
  StatusOr<index::Matcher> a = index::Matcher::Create(index::MatchType::kEqual, "instance", "a");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(head_->Delete(2200, 2400, {&*a, 1}).ok());
  const Data before = Read();
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before.at(kA).size(), 7u);  // 2000, 2100, 2500 ... 2900

  // The DB reopens the head with the end of its newest block as the bound.
  options_.min_valid_time_ms = 2000;
  Open();
  EXPECT_EQ(Read(), before);
}

}  // namespace
}  // namespace strata::engine
