// strata::DB on a full disk (tests/testing/fault_env.h): a commit whose WAL
// write fails returns a clear error and stores nothing, what was
// acknowledged before stays readable, a compaction that runs out of space
// leaves no half block, and once space returns the DB writes again and
// keeps everything acknowledged across Close and reopen.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/strings.h"
#include "engine/db_impl.h"
#include "engine/filenames.h"
#include "strata/db.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/process.h"

namespace strata::engine {
namespace {

using ::testing::HasSubstr;

constexpr int kSeries = 10;
constexpr int64_t kStep = 15'000;
constexpr int64_t kFirstTs = 1'700'000'000'000;
constexpr int64_t kHour = 3600 * 1000;

using Data = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

double ValueAt(int series, int64_t t) { return series * 1e6 + static_cast<double>(t / kStep); }

std::string Instance(int s) { return StrCat("host-", s); }

class DBDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path() + "/data";
  }

  Options MakeOptions(Env* env) const {
    Options o;
    o.env = env;
    o.retention_ms = 0;
    o.background_compaction = false;
    o.wal_sync = WalSyncPolicy::kNever;
    return o;
  }

  void Open(Env* env) {
    db_.reset();
    StatusOr<std::unique_ptr<DBImpl>> db = DBImpl::Open(MakeOptions(env), dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  // Appends one scrape at `t` and commits it; records it in want_ if the
  // commit succeeds.
  Status Scrape(Appender& app, int64_t t) {
    for (int s = 0; s < kSeries; ++s) {
      const std::string inst = Instance(s);
      StatusOr<SeriesRef> ref = app.Append(
          {{"__name__", "disk_metric"}, {"instance", inst}, {"job", "disk"}}, t, ValueAt(s, t));
      if (!ref.ok()) return ref.status();
    }
    Status s = app.Commit();
    if (s.ok()) {
      for (int i = 0; i < kSeries; ++i) {
        want_[Instance(i)].emplace_back(t, std::bit_cast<uint64_t>(ValueAt(i, t)));
      }
    }
    return s;
  }

  Data Query() {
    Data got;
    StatusOr<std::unique_ptr<Querier>> q = db_->NewQuerier(INT64_MIN, INT64_MAX);
    EXPECT_TRUE(q.ok()) << q.status();
    if (!q.ok()) return got;
    const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "job", "disk"}};
    StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(m);
    EXPECT_TRUE(set.ok()) << set.status();
    if (!set.ok()) return got;
    while ((*set)->Next()) {
      auto& out = got[(*set)->labels()[1].value];
      std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
      while (it->Next()) out.emplace_back(it->timestamp_ms(), std::bit_cast<uint64_t>(it->value()));
      EXPECT_TRUE(it->status().ok()) << it->status();
    }
    EXPECT_TRUE((*set)->status().ok()) << (*set)->status();
    return got;
  }

  bool HasTmpBlockDir() {
    StatusOr<std::vector<std::string>> names = Env::Default()->GetChildren(dir_);
    if (!names.ok()) return false;
    for (const std::string& n : *names) {
      if (n.ends_with(kTmpForCreationSuffix)) return true;
    }
    return false;
  }

  testing::TempDir tmp_{"strata_db_disk_full"};
  std::string dir_;
  std::unique_ptr<DBImpl> db_;
  Data want_;
};

TEST_F(DBDiskFullTest, CommitFailsClearlyStoresNothingAndWritingResumesWhenSpaceReturns) {
  testing::FaultEnv env(*Env::Default());
  Open(&env);
  std::unique_ptr<Appender> app = db_->NewAppender();
  int64_t t = kFirstTs;
  for (int i = 0; i < 100; ++i, t += kStep) ASSERT_TRUE(Scrape(*app, t).ok());

  // The disk fills up: commits succeed until the WAL write does not fit.
  env.SetDiskLimit(256 * 1024);
  Status failed;
  for (int i = 0; i < 100000 && failed.ok(); ++i, t += kStep) failed = Scrape(*app, t);
  ASSERT_FALSE(failed.ok()) << "the disk never filled up";
  const int64_t failed_t = t - kStep;
  EXPECT_EQ(failed.code(), absl::StatusCode::kResourceExhausted) << failed;
  EXPECT_THAT(std::string(failed.message()), HasSubstr("WAL")) << failed;
  EXPECT_THAT(std::string(failed.message()), HasSubstr("disk full")) << failed;

  // Queries still work and see exactly what was acknowledged.
  EXPECT_EQ(Query(), want_);
  // While the disk is full every commit fails, and none is half applied.
  EXPECT_FALSE(Scrape(*app, t).ok());
  EXPECT_EQ(Query(), want_);

  // Space returns: the failed writes were undone (wal/writer.h), so
  // commits succeed again without a reopen.
  env.SetDiskLimit(std::nullopt);
  for (int i = 0; i < 10; ++i, t += kStep) ASSERT_TRUE(Scrape(*app, t).ok()) << t;
  EXPECT_EQ(Query(), want_);
  app.reset();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();

  // Reopened (same env, space available): everything acknowledged is
  // there, the failed commits are not, and writing resumes.
  Open(&env);
  EXPECT_EQ(Query(), want_);
  app = db_->NewAppender();
  for (int i = 0; i < 50; ++i, t += kStep) ASSERT_TRUE(Scrape(*app, t).ok()) << t;
  EXPECT_EQ(Query(), want_);
  app.reset();
  ASSERT_TRUE(db_->Close().ok());

  // And with the normal env, after one more restart.
  Open(nullptr);
  const Data got = Query();
  EXPECT_EQ(got, want_);
  for (const auto& [inst, samples] : got) {
    for (const auto& [ts, bits] : samples) EXPECT_NE(ts, failed_t) << inst;
  }
  ASSERT_TRUE(db_->Close().ok());
}

TEST_F(DBDiskFullTest, CompactionOutOfSpaceLeavesNoHalfBlockAndSucceedsLater) {
  testing::FaultEnv env(*Env::Default());
  Open(&env);
  std::unique_ptr<Appender> app = db_->NewAppender();
  int64_t t = kFirstTs;
  // 4 h of scrapes: more than 1.5 block ranges in the head.
  for (; t < kFirstTs + 4 * kHour; t += kStep) ASSERT_TRUE(Scrape(*app, t).ok());

  env.SetDiskLimit(4096);
  const Status compacted = db_->Compact();
  ASSERT_FALSE(compacted.ok());
  EXPECT_EQ(compacted.code(), absl::StatusCode::kResourceExhausted) << compacted;
  EXPECT_THAT(std::string(compacted.message()), HasSubstr("disk full")) << compacted;
  EXPECT_TRUE(db_->blocks().empty());
  EXPECT_FALSE(HasTmpBlockDir()) << "a failed compaction left its temporary block behind";
  EXPECT_EQ(db_->Stats().compactions_failed, 1u);
  EXPECT_EQ(Query(), want_);

  env.SetDiskLimit(std::nullopt);
  const Status again = db_->Compact();
  ASSERT_TRUE(again.ok()) << again;
  EXPECT_FALSE(db_->blocks().empty());
  EXPECT_EQ(Query(), want_);
  // The WAL was not written while the disk was full, so commits still work.
  for (int i = 0; i < 10; ++i, t += kStep) ASSERT_TRUE(Scrape(*app, t).ok());
  app.reset();
  ASSERT_TRUE(db_->Close().ok());

  Open(nullptr);
  EXPECT_EQ(Query(), want_);
  ASSERT_TRUE(db_->Close().ok());
}

}  // namespace
}  // namespace strata::engine
