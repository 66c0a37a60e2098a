// strata::DB when an fsync of the WAL fails (wal/writer.h, "A failed fsync
// is different"; FaultEnv::FailNextSyncs drops the file's unsynced bytes as
// Linux may): commits fail with Unavailable (remote write answers 503)
// while the WAL is failed, Stats() says so, commits succeed again once the
// WAL rewrote what it had acknowledged, and after a power loss and a
// reopen every acknowledged sample is there, including those acknowledged
// before the failed fsync. Also: WAL replay takes the same series and
// samples twice without harm.
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
#include "wal/records.h"
#include "wal/writer.h"

namespace strata::engine {
namespace {

using ::testing::HasSubstr;

using testing::Data;
using testing::Instance;
using testing::kFirstTs;
using testing::kSeries;
using testing::kStep;
using testing::ValueAt;

class DBFsyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path() + "/data";
  }

  void Open(WalSyncPolicy policy, int64_t sync_interval_ms = 1000) {
    db_.reset();
    Options o;
    o.env = &env_;
    o.retention_ms = 0;
    o.background_compaction = false;
    o.wal_sync = policy;
    o.wal_sync_interval_ms = sync_interval_ms;
    StatusOr<std::unique_ptr<DBImpl>> db = DBImpl::Open(o, dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  Status Scrape(Appender& app, int64_t t) { return scrapes_.Scrape(app, t); }
  Data Query() { return scrapes_.Query(*db_); }

  // The machine loses power: nothing the DB does afterwards reaches the
  // disk, and whatever was not synced is gone.
  void PowerLoss() {
    env_.SetActive(false);
    db_.reset();
    ASSERT_TRUE(env_.DropUnsyncedData().ok());
    env_.SetActive(true);
  }

  testing::TempDir tmp_{"strata_db_fsync"};
  testing::FaultEnv env_{*Env::Default()};
  std::string dir_;
  std::unique_ptr<DBImpl> db_;
  testing::AcknowledgedScrapes scrapes_{"fsync_metric", "fsync"};
  Data& want_ = scrapes_.want();
};

TEST_F(DBFsyncTest, CommitFailsWithUnavailableWhileTheWalIsFailedAndNothingAcknowledgedIsLost) {
  Open(WalSyncPolicy::kAlways);
  std::unique_ptr<Appender> app = db_->NewAppender();
  int64_t t = kFirstTs;
  for (int i = 0; i < 20; ++i, t += kStep) ASSERT_TRUE(Scrape(*app, t).ok());
  EXPECT_EQ(db_->Stats().wal_fsync_failures, 0u);
  EXPECT_FALSE(db_->Stats().wal_failed);

  env_.FailNextSyncs(1, "/wal/");
  const Status failed = Scrape(*app, t);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_THAT(std::string(failed.message()), HasSubstr("fsync")) << failed;
  EXPECT_THAT(std::string(failed.message()), HasSubstr("wal/00000000")) << failed;
  EXPECT_EQ(db_->Stats().wal_fsync_failures, 1u);
  EXPECT_TRUE(db_->Stats().wal_failed);
  // Within the recovery backoff every commit is refused, none half applied.
  t += kStep;
  EXPECT_EQ(Scrape(*app, t).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Query(), want_);

  // After the backoff the next commit rewrites the WAL and goes through.
  env_.AdvanceClock(2000);
  t += kStep;
  ASSERT_TRUE(Scrape(*app, t).ok());
  EXPECT_FALSE(db_->Stats().wal_failed);
  EXPECT_EQ(db_->Stats().wal_fsync_failures, 1u);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Scrape(*app, t += kStep).ok());
  EXPECT_EQ(Query(), want_);

  app.reset();
  PowerLoss();
  Open(WalSyncPolicy::kAlways);
  EXPECT_EQ(Query(), want_);
  EXPECT_TRUE(db_->Stats().warnings.empty());
}

TEST_F(DBFsyncTest, SamplesAcknowledgedBeforeAFailedIntervalFsyncSurviveAPowerLoss) {
  // The interval flusher does not fire during the test: the fsync that
  // fails is the one of Close.
  Open(WalSyncPolicy::kInterval, /*sync_interval_ms=*/3'600'000);
  std::unique_ptr<Appender> app = db_->NewAppender();
  int64_t t = kFirstTs;
  for (int i = 0; i < 30; ++i, t += kStep) ASSERT_TRUE(Scrape(*app, t).ok());
  app.reset();
  env_.FailNextSyncs(1, "/wal/");
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_EQ(env_.failed_syncs(), 1);
  PowerLoss();
  Open(WalSyncPolicy::kInterval);
  EXPECT_EQ(Query(), want_);
}

TEST_F(DBFsyncTest, ReplayTakesTheSameSeriesAndSamplesTwice) {
  // A WAL whose second segment repeats the series record and samples of
  // the first (as a rewrite could leave them), then carries one more.
  {
    StatusOr<std::unique_ptr<wal::Writer>> w =
        wal::Writer::Open(*Env::Default(), JoinPath(dir_, kWalDir), {});
    ASSERT_TRUE(w.ok()) << w.status();
    std::string series, samples, more;
    const std::vector<wal::RefSeries> rs = {
        {7, {{"__name__", "fsync_metric"}, {"instance", "dup"}, {"job", "fsync"}}}};
    wal::EncodeSeries(rs, &series);
    std::vector<wal::RefSample> s;
    for (int64_t i = 0; i < 5; ++i) s.push_back({7, kFirstTs + i * kStep, 1.5 * i});
    wal::EncodeSamples(s, &samples);
    const std::vector<wal::RefSample> last = {{7, kFirstTs + 5 * kStep, 7.5}};
    wal::EncodeSamples(last, &more);
    const std::string_view batch[] = {series, samples};
    ASSERT_TRUE((*w)->Log(batch).ok());
    ASSERT_TRUE((*w)->NextSegment().ok());
    ASSERT_TRUE((*w)->Log(batch).ok());
    ASSERT_TRUE((*w)->Log(more).ok());
    ASSERT_TRUE((*w)->Close().ok());
    for (int64_t i = 0; i < 6; ++i) {
      want_["dup"].emplace_back(kFirstTs + i * kStep, std::bit_cast<uint64_t>(1.5 * i));
    }
  }
  Open(WalSyncPolicy::kInterval);
  EXPECT_EQ(Query(), want_);
  EXPECT_EQ(db_->Stats().head_series, 1u);
  EXPECT_TRUE(db_->Stats().warnings.empty());
}

}  // namespace
}  // namespace strata::engine
