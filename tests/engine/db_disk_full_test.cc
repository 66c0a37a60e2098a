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
#include "tests/engine/acknowledged_scrapes.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/process.h"

namespace strata::engine {
namespace {

using ::testing::HasSubstr;

using testing::Data;
using testing::Instance;
using testing::kFirstTs;
using testing::kSeries;
using testing::kStep;
using testing::ValueAt;
constexpr int64_t kHour = 3600 * 1000;

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

  Status Scrape(Appender& app, int64_t t) { return scrapes_.Scrape(app, t); }
  Data Query() { return scrapes_.Query(*db_); }

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
  testing::AcknowledgedScrapes scrapes_{"disk_metric", "disk"};
  Data& want_ = scrapes_.want();
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
