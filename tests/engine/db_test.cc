// strata::DB through its public API: append, query, restart, compaction,
// deletion, retention, snapshots, out-of-order handling.
#include "strata/db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/strings.h"
#include "engine/db_impl.h"
#include "tests/testing/fault_env.h"
#include "wal/records.h"
#include "wal/writer.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kHour = 3600 * 1000;
// A fixed start in the past, aligned to nothing in particular.
constexpr int64_t kStart = 1'700'000'123'456;

struct Sample {
  int64_t t;
  uint64_t bits;
  friend bool operator==(const Sample&, const Sample&) = default;
};
using Data = std::map<std::string, std::vector<Sample>>;  // labels text -> samples

std::string LabelsText(const Labels& ls) {
  std::string out;
  for (const Label& l : ls) out += StrCat(l.name, "=", l.value, ",");
  return out;
}

class DBTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::path(::testing::TempDir()) /
            StrCat("strata_db_test_", ::testing::UnitTest::GetInstance()->random_seed(), "_",
                   ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    options_.background_compaction = false;
    options_.retention_ms = 0;
    options_.wal_sync = WalSyncPolicy::kNever;
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  void Open() {
    db_.reset();
    StatusOr<std::unique_ptr<DB>> db = DB::Open(options_, dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  // Appends `series` series of `n` samples each, 15 s apart from `start`,
  // in commits of one scrape each, and records them in `want_`.
  void AppendSeries(int series, int n, int64_t start, int64_t step = 15000) {
    std::unique_ptr<Appender> app = db_->NewAppender();
    for (int i = 0; i < n; ++i) {
      for (int s = 0; s < series; ++s) {
        const std::string inst = StrCat("host-", s);
        const int64_t t = start + i * step;
        double v = s * 1000.0 + i;
        if (i == n - 1 && s == 0) v = std::bit_cast<double>(kStaleNaNBits);
        StatusOr<SeriesRef> ref =
            app->Append({{"__name__", "metric"}, {"instance", inst}, {"job", "test"}}, t, v);
        ASSERT_TRUE(ref.ok()) << ref.status();
        want_[StrCat("__name__=metric,instance=", inst, ",job=test,")].push_back(
            {t, std::bit_cast<uint64_t>(v)});
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }

  Data Query(int64_t mint, int64_t maxt,
             std::vector<LabelMatcher> matchers = {{LabelMatcher::Type::kEqual, "job", "test"}}) {
    Data got;
    StatusOr<std::unique_ptr<Querier>> q = db_->NewQuerier(mint, maxt);
    EXPECT_TRUE(q.ok()) << q.status();
    if (!q.ok()) return got;
    StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(matchers);
    EXPECT_TRUE(set.ok()) << set.status();
    if (!set.ok()) return got;
    std::string prev;
    while ((*set)->Next()) {
      const std::string key = LabelsText((*set)->labels());
      EXPECT_LT(prev, key) << "series out of order or repeated";
      prev = key;
      std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
      std::vector<Sample>& out = got[key];
      while (it->Next()) out.push_back({it->timestamp_ms(), std::bit_cast<uint64_t>(it->value())});
      EXPECT_TRUE(it->status().ok()) << it->status();
    }
    EXPECT_TRUE((*set)->status().ok());
    return got;
  }

  Data Want(int64_t mint, int64_t maxt) const {
    Data out;
    for (const auto& [k, samples] : want_) {
      for (const Sample& s : samples) {
        if (s.t >= mint && s.t <= maxt) out[k].push_back(s);
      }
    }
    return out;
  }

  engine::DBImpl& impl() { return static_cast<engine::DBImpl&>(*db_); }

  std::string dir_;
  Options options_;
  std::unique_ptr<DB> db_;
  Data want_;
};

TEST_F(DBTest, AppendedSamplesAreQueryableSortedAndBitExact) {
  Open();
  AppendSeries(20, 500, kStart);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  // A narrower window.
  EXPECT_EQ(Query(kStart + 100 * 15000, kStart + 200 * 15000),
            Want(kStart + 100 * 15000, kStart + 200 * 15000));
  EXPECT_EQ(db_->Stats().head_series, 20u);
  EXPECT_EQ(db_->Stats().samples_appended, 20u * 500);
}

TEST_F(DBTest, RestartReplaysWalAndHeadChunks) {
  Open();
  AppendSeries(10, 1000, kStart);  // several full chunks per series: chunks_head is used
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "chunks_head"));
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  // Appending continues where it stopped.
  AppendSeries(10, 10, kStart + 1000 * 15000);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, CopyTakenWhileRunningHasEverythingCommitted) {
  Open();
  AppendSeries(5, 300, kStart);
  // What a crash leaves: the files as they are while the DB runs, without
  // Close() or any flush beyond what Commit did.
  std::string copy = dir_ + "_copy";
  fs::remove_all(copy);
  fs::copy(dir_, copy, fs::copy_options::recursive);
  fs::remove(fs::path(copy) / "lock");
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  fs::remove_all(dir_);
  std::swap(dir_, copy);
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, SecondOpenOfTheSameDirectoryFails) {
  Open();
  StatusOr<std::unique_ptr<DB>> second = DB::Open(options_, dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(DBTest, OutOfOrderAndDuplicateSamplesAreRefusedWithTheSeriesNamed) {
  Open();
  std::unique_ptr<Appender> app = db_->NewAppender();
  ASSERT_TRUE(app->Append({{"__name__", "m"}, {"a", "1"}}, 1000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  StatusOr<SeriesRef> old = app->Append({{"__name__", "m"}, {"a", "1"}}, 500, 1);
  ASSERT_FALSE(old.ok());
  EXPECT_THAT(old.status().message(), HasSubstr("out of order"));
  EXPECT_THAT(old.status().message(), HasSubstr("{__name__=\"m\", a=\"1\"}"));
  // The same sample again is fine; another value at that time is not.
  EXPECT_TRUE(app->Append({{"__name__", "m"}, {"a", "1"}}, 1000, 1).ok());
  StatusOr<SeriesRef> dup = app->Append({{"__name__", "m"}, {"a", "1"}}, 1000, 2);
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("duplicate"));
  ASSERT_TRUE(app->Commit().ok());
}

TEST_F(DBTest, BatchAppendAddsWhatTheOneSampleAppendWouldAndCountsTheRest) {
  Open();
  std::unique_ptr<Appender> app = db_->NewAppender();
  std::vector<SeriesRef> refs;
  for (int s = 0; s < 50; ++s) {
    const std::string inst = StrCat("host-", s);
    StatusOr<SeriesRef> ref =
        app->Append({{"__name__", "metric"}, {"instance", inst}, {"job", "test"}}, kStart, s);
    ASSERT_TRUE(ref.ok()) << ref.status();
    refs.push_back(*ref);
    want_[StrCat("__name__=metric,instance=", inst, ",job=test,")].push_back(
        {kStart, std::bit_cast<uint64_t>(static_cast<double>(s))});
  }
  ASSERT_TRUE(app->Commit().ok());
  // Rounds of every series, in one batch (more samples than the lookahead).
  std::vector<RefSample> batch;
  for (int i = 1; i <= 3; ++i) {
    for (int s = 0; s < 50; ++s) {
      const int64_t t = kStart + i * 15000;
      const double v = s + i * 0.5;
      batch.push_back({refs[s], t, v});
      want_[StrCat("__name__=metric,instance=host-", s, ",job=test,")].push_back(
          {t, std::bit_cast<uint64_t>(v)});
    }
  }
  size_t refused = 99;
  ASSERT_TRUE(app->Append(batch, &refused).ok());
  EXPECT_EQ(refused, 0u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), Want(INT64_MIN, kStart)) << "visible before Commit";
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);

  // An out-of-order sample, an unknown ref and a duplicate with another
  // value are left out; the same sample again is accepted and ignored.
  const uint64_t refused_before = db_->Stats().samples_refused;
  const int64_t t = kStart + 4 * 15000;
  batch = {{refs[0], t, 1},
           {refs[1], kStart, 7},
           {SeriesRef{12345}, t, 1},
           {refs[2], kStart + 3 * 15000, 99},
           {refs[3], kStart + 3 * 15000, 3 + 3 * 0.5},
           {refs[4], t, 4}};
  Status st = app->Append(batch, &refused);
  EXPECT_EQ(refused, 3u);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("out of order"));
  EXPECT_THAT(st.message(), HasSubstr("instance=\"host-1\""));
  EXPECT_THAT(st.message(), HasSubstr("(3 of 6 samples left out)"));
  EXPECT_EQ(db_->Stats().samples_refused, refused_before + 2) << "the unknown ref is not a refusal";
  ASSERT_TRUE(app->Commit().ok());
  want_["__name__=metric,instance=host-0,job=test,"].push_back({t, std::bit_cast<uint64_t>(1.0)});
  want_["__name__=metric,instance=host-4,job=test,"].push_back({t, std::bit_cast<uint64_t>(4.0)});
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);

  // An unknown ref first: NotFound leads.
  batch = {{SeriesRef{12345}, t + 15000, 1}, {refs[1], kStart, 7}};
  st = app->Append(batch, nullptr);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(st.message(), HasSubstr("12345"));
  app->Rollback();

  // Samples survive a restart like any others.
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

// Replay finds series by WAL ref through an array for small refs and a
// hash map for refs far beyond the number of series; both must serve.
TEST_F(DBTest, WalRefsSmallAndFarApartAllReplay) {
  {
    auto w = wal::Writer::Open(*Env::Default(), dir_ + "/wal", {});
    ASSERT_TRUE(w.ok()) << w.status();
    const std::vector<uint64_t> refs = {1, 3, 70000, uint64_t{1} << 40, 2, 65000};
    std::vector<wal::RefSeries> series;
    std::vector<wal::RefSample> samples;
    for (size_t i = 0; i < refs.size(); ++i) {
      const std::string inst = StrCat("host-", i);
      series.push_back({refs[i], {{"__name__", "metric"}, {"instance", inst}, {"job", "test"}}});
      for (int k = 0; k < 3; ++k) {
        const int64_t t = kStart + k * 15000;
        const double v = static_cast<double>(i * 10 + k);
        samples.push_back({refs[i], t, v});
        want_[StrCat("__name__=metric,instance=", inst, ",job=test,")].push_back(
            {t, std::bit_cast<uint64_t>(v)});
      }
    }
    samples.push_back({12345, kStart, 1});  // no such series: skipped
    std::string rec;
    // Declared in two records, the far ref first, so it lands in the map
    // before the array would reach it; ref 3 declared again.
    wal::EncodeSeries(std::span(series).subspan(3), &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    wal::EncodeSeries(std::span(series).first(4), &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    wal::EncodeSamples(samples, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  // New series get refs beyond every replayed one.
  std::unique_ptr<Appender> app = db_->NewAppender();
  ASSERT_TRUE(app->Append({{"__name__", "metric"}, {"job", "new"}}, kStart, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX, {{LabelMatcher::Type::kEqual, "job", "new"}}).size(), 1u);
}

TEST_F(DBTest, OutOfOrderWindowAcceptsLateSamples) {
  options_.out_of_order_window_ms = 10 * 60 * 1000;
  Open();
  std::unique_ptr<Appender> app = db_->NewAppender();
  for (int64_t t : {60000, 120000, 90000, 30000}) {
    ASSERT_TRUE(app->Append({{"__name__", "m"}, {"job", "test"}}, t, t / 1000.0).ok()) << t;
    ASSERT_TRUE(app->Commit().ok());
  }
  StatusOr<SeriesRef> too_old = app->Append({{"__name__", "m"}, {"job", "test"}}, -600000, 0);
  EXPECT_FALSE(too_old.ok());
  Data got = Query(INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 1u);
  std::vector<int64_t> ts;
  for (const Sample& s : got.begin()->second) ts.push_back(s.t);
  EXPECT_THAT(ts, ::testing::ElementsAre(30000, 60000, 90000, 120000));
  // And after a restart.
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), got);
}

TEST_F(DBTest, BadLabelSetsAreRefused) {
  Open();
  std::unique_ptr<Appender> app = db_->NewAppender();
  EXPECT_FALSE(app->Append({}, 1, 1).ok());
  EXPECT_FALSE(app->Append({{"", "x"}}, 1, 1).ok());
  EXPECT_FALSE(app->Append({{"a", "1"}, {"a", "2"}}, 1, 1).ok());
  EXPECT_FALSE(app->Append(SeriesRef{12345}, 1, 1).ok());
}

TEST_F(DBTest, RollbackDiscards) {
  Open();
  std::unique_ptr<Appender> app = db_->NewAppender();
  ASSERT_TRUE(app->Append({{"__name__", "m"}, {"job", "test"}}, 1000, 1).ok());
  app->Rollback();
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(Query(INT64_MIN, INT64_MAX).empty());
}

TEST_F(DBTest, CompactionWritesBlocksAndQueriesSpanBlocksAndHead) {
  Open();
  AppendSeries(30, 6 * 240, kStart);  // 6 h of 15 s samples
  ASSERT_TRUE(db_->Compact().ok());
  const DBStats stats = db_->Stats();
  EXPECT_GE(stats.blocks, 2u);
  EXPECT_GE(stats.compactions, 2u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  const int64_t mid = kStart + 2 * kHour + 7;
  EXPECT_EQ(Query(kStart, mid), Want(kStart, mid));
  // Everything survives a restart, with the head starting after the blocks.
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  for (const auto& b : impl().blocks()) {
    EXPECT_EQ(b->meta().compaction.level, 1);
    EXPECT_GT(b->meta().stats.num_samples, 0u);
  }
}

TEST_F(DBTest, RefsOfRemovedSeriesFindNothingEvenWhenTheirMemoryIsReused) {
  Open();
  std::unique_ptr<Appender> app = db_->NewAppender();
  StatusOr<SeriesRef> gone = app->Append({{"__name__", "gone"}}, kStart, 1);
  ASSERT_TRUE(gone.ok()) << gone.status();
  StatusOr<SeriesRef> stays = app->Append({{"__name__", "stays"}}, kStart, 1);
  ASSERT_TRUE(stays.ok()) << stays.status();
  ASSERT_TRUE(app->Commit().ok());
  for (int64_t t = kStart + 15000; t < kStart + 6 * kHour; t += 15000) {
    ASSERT_TRUE(app->Append(*stays, t, 2).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE(db_->Compact().ok());
  // "gone" has nothing left in the head, so the head let it go.
  ASSERT_EQ(impl().head().num_series(), 1u);
  const int64_t t = kStart + 6 * kHour;
  EXPECT_EQ(app->Append(*gone, t, 3).code(), absl::StatusCode::kNotFound);
  // A new series takes the memory "gone" had; the old ref still finds nothing.
  StatusOr<SeriesRef> fresh = app->Append({{"__name__", "fresh"}}, t, 4);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(*fresh, *gone);
  EXPECT_EQ(app->Append(*gone, t + 1, 3).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(app->Append(*fresh, t + 1, 5).ok());
  ASSERT_TRUE(app->Append(*stays, t, 6).ok());
  for (SeriesRef bogus :
       {SeriesRef{0}, SeriesRef{1}, ~SeriesRef{0}, *fresh + (SeriesRef{1} << 40)}) {
    EXPECT_EQ(app->Append(bogus, t + 2, 7).code(), absl::StatusCode::kNotFound) << bogus;
  }
  ASSERT_TRUE(app->Commit().ok());
  const Data got = Query(t, t + 1, {{LabelMatcher::Type::kRegexMatch, "__name__", ".+"}});
  EXPECT_EQ(got.at("__name__=fresh,"),
            (std::vector<Sample>{{t, std::bit_cast<uint64_t>(4.0)},
                                 {t + 1, std::bit_cast<uint64_t>(5.0)}}));
  EXPECT_EQ(got.count("__name__=gone,"), 0u);
}

TEST_F(DBTest, LeveledCompactionMergesBlocks) {
  options_.block_range_ms = kHour / 4;  // small blocks so a few hours make many
  Open();
  AppendSeries(5, 5 * 240, kStart);
  ASSERT_TRUE(db_->Compact().ok());
  int max_level = 0;
  for (const auto& b : impl().blocks()) max_level = std::max(max_level, b->meta().compaction.level);
  EXPECT_GE(max_level, 2);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, DeleteHidesSamplesNowAndAfterCompactionAndRestart) {
  Open();
  AppendSeries(4, 4 * 240, kStart);
  const int64_t from = kStart + 30 * 60 * 1000, to = kStart + 90 * 60 * 1000;
  const std::vector<LabelMatcher> host1 = {{LabelMatcher::Type::kEqual, "instance", "host-1"}};
  ASSERT_TRUE(db_->Delete(from, to, host1).ok());
  auto& samples = want_["__name__=metric,instance=host-1,job=test,"];
  std::erase_if(samples, [&](const Sample& s) { return s.t >= from && s.t <= to; });
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_GE(db_->Stats().blocks, 1u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  // Delete inside a block too, then restart.
  const int64_t from2 = kStart + 10 * 60 * 1000, to2 = kStart + 20 * 60 * 1000;
  ASSERT_TRUE(db_->Delete(from2, to2, host1).ok());
  std::erase_if(samples, [&](const Sample& s) { return s.t >= from2 && s.t <= to2; });
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, WhollyDeletedSeriesAreNotSelected) {
  Open();
  AppendSeries(3, 4 * 240, kStart);
  ASSERT_TRUE(db_->Compact().ok());  // some of it in blocks, the rest in the head
  ASSERT_GE(db_->Stats().blocks, 1u);
  const std::vector<LabelMatcher> host2 = {{LabelMatcher::Type::kEqual, "instance", "host-2"}};
  ASSERT_TRUE(db_->Delete(INT64_MIN, INT64_MAX, host2).ok());
  want_.erase("__name__=metric,instance=host-2,job=test,");
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);  // no empty entry for host-2
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, TimeRetentionDeletesOldBlocks) {
  options_.retention_ms = 3 * kHour;
  Open();
  AppendSeries(3, 10 * 240, kStart);  // 10 h
  ASSERT_TRUE(db_->Compact().ok());
  const int64_t newest = kStart + (10 * 240 - 1) * 15000;
  for (const auto& b : impl().blocks()) {
    EXPECT_GT(b->meta().max_time_ms, newest - 3 * kHour - 2 * kHour) << b->dir();
  }
  Data got = Query(INT64_MIN, INT64_MAX);
  ASSERT_FALSE(got.empty());
  EXPECT_GT(got.begin()->second.front().t, kStart);  // the oldest data is gone
}

TEST_F(DBTest, SnapshotOpensAsADatabaseWithTheSameSamples) {
  Open();
  AppendSeries(6, 5 * 240, kStart);
  ASSERT_TRUE(db_->Compact().ok());
  std::string snap = dir_ + "_snapshot";
  fs::remove_all(snap);
  ASSERT_TRUE(db_->Snapshot(snap, /*with_head=*/true).ok());
  db_.reset();
  fs::remove_all(dir_);
  std::swap(dir_, snap);
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, SnapshotCopiesBlocksWhereHardLinksFail) {
  testing::FaultEnv env(*Env::Default());
  options_.env = &env;
  Open();
  AppendSeries(4, 5 * 240, kStart);
  ASSERT_TRUE(db_->Compact().ok());
  env.SetLinkError(absl::InternalError("link: Invalid cross-device link"));
  std::string snap = dir_ + "_snapshot_copied";
  fs::remove_all(snap);
  ASSERT_TRUE(db_->Snapshot(snap, /*with_head=*/true).ok());
  for (const auto& b : impl().blocks()) {
    const fs::path index = fs::path(snap) / b->meta().ulid.ToString() / "index";
    ASSERT_TRUE(fs::exists(index)) << index;
    EXPECT_EQ(fs::hard_link_count(index), 1u) << "copied, not linked";
  }
  db_.reset();
  options_.env = nullptr;
  fs::remove_all(dir_);
  std::swap(dir_, snap);
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, LeftoversOfInterruptedCompactionsAreRemovedAtOpen) {
  fs::create_directories(fs::path(dir_) / "01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp-for-creation" / "chunks");
  fs::create_directories(fs::path(dir_) / "01HZZZZZZZZZZZZZZZZZZZZZZY.tmp-for-deletion");
  Open();
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp-for-creation"));
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "01HZZZZZZZZZZZZZZZZZZZZZZY.tmp-for-deletion"));
}

TEST_F(DBTest, DamagedBlockIsSetAsideAndTheRestServes) {
  Open();
  AppendSeries(4, 6 * 240, kStart);
  ASSERT_TRUE(db_->Compact().ok());
  std::vector<std::string> dirs;
  for (const auto& b : impl().blocks()) dirs.push_back(b->dir());
  ASSERT_GE(dirs.size(), 2u);
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  {
    std::fstream f(fs::path(dirs[0]) / "index", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
    f.put('\x7f');
  }
  Open();
  const DBStats stats = db_->Stats();
  EXPECT_EQ(stats.blocks, dirs.size() - 1);
  ASSERT_EQ(stats.warnings.size(), 1u);
  EXPECT_THAT(stats.warnings[0], HasSubstr("index"));
  EXPECT_FALSE(Query(INT64_MIN, INT64_MAX).empty());
}

// Every file under `dir` with its size and contents, to show that nothing changed.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    if (!e.is_regular_file()) {
      out[rel] = "<dir>";
      continue;
    }
    std::ifstream f(e.path(), std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(f), {});
    out[rel] = StrCat(bytes.size(), " bytes, hash ", std::hash<std::string>()(bytes));
  }
  return out;
}

TEST_F(DBTest, ReadOnlyOpenServesEverythingAndChangesNothing) {
  Open();
  AppendSeries(6, 5 * 240, kStart);  // blocks after Compact, head chunks, WAL
  ASSERT_TRUE(db_->Compact().ok());
  AppendSeries(6, 300, kStart + 5 * 240 * 15000);
  fs::create_directories(fs::path(dir_) / "01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp-for-creation");
  ASSERT_TRUE(db_->Close().ok());
  Open();  // a server holds the directory (and its lock) again
  const auto before = Files(dir_);
  options_.read_only = true;
  StatusOr<std::unique_ptr<DB>> ro = DB::Open(options_, dir_);
  ASSERT_TRUE(ro.ok()) << ro.status();
  std::swap(db_, *ro);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  std::unique_ptr<Appender> app = db_->NewAppender();
  EXPECT_EQ(app->Append({{"__name__", "x"}}, kStart, 1).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const std::vector<RefSample> batch = {{SeriesRef{1}, kStart, 1}, {SeriesRef{2}, kStart, 1}};
  size_t refused = 0;
  EXPECT_EQ(app->Append(batch, &refused).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused, 2u);
  EXPECT_EQ(app->Commit().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(db_->Compact().code(), absl::StatusCode::kFailedPrecondition);
  std::vector<LabelMatcher> all = {{LabelMatcher::Type::kEqual, "job", "test"}};
  EXPECT_EQ(db_->Delete(INT64_MIN, INT64_MAX, all).code(), absl::StatusCode::kFailedPrecondition);
  std::string snap = dir_ + "_ro_snapshot";
  fs::remove_all(snap);
  ASSERT_TRUE(db_->Snapshot(snap, /*with_head=*/true).ok());
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  EXPECT_EQ(Files(dir_), before);
  ro->reset();  // the server
  options_.read_only = false;
  fs::remove_all(dir_);
  std::swap(dir_, snap);
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBTest, ReadOnlyOpenOfAMissingDirectoryFails) {
  options_.read_only = true;
  StatusOr<std::unique_ptr<DB>> db = DB::Open(options_, dir_ + "_missing");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ + "_missing"));
}

TEST_F(DBTest, DamagedWalIsReadUpToTheDamageRepairedAndReported) {
  options_.wal_compression = false;
  Open();
  AppendSeries(3, 400, kStart);
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  std::string segment;
  for (const auto& e : fs::directory_iterator(fs::path(dir_) / "wal")) {
    if (e.is_regular_file() && e.file_size() > 0) segment = e.path().string();
  }
  ASSERT_FALSE(segment.empty());
  const uint64_t size = fs::file_size(segment);
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(size / 2);
    const char c = static_cast<char>(f.get());
    f.seekp(size / 2);
    f.put(static_cast<char>(c ^ 0x40));
  }
  // Read-only: what precedes the damage serves; the file stays as it is.
  const auto before = Files(dir_);
  options_.read_only = true;
  Open();
  EXPECT_THAT(db_->Stats().warnings, ::testing::Contains(HasSubstr("WAL damaged")));
  const Data first_half = Query(INT64_MIN, INT64_MAX);
  EXPECT_FALSE(first_half.empty());
  db_.reset();
  EXPECT_EQ(Files(dir_), before);
  // Read-write: the same samples, the WAL cut at the damage, and appends go on.
  options_.read_only = false;
  Open();
  EXPECT_THAT(db_->Stats().warnings, ::testing::Contains(HasSubstr("WAL cut at segment")));
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), first_half);
  EXPECT_LT(fs::file_size(segment), size);
  std::unique_ptr<Appender> app = db_->NewAppender();
  ASSERT_TRUE(app->Append({{"__name__", "after"}, {"job", "test"}}, kStart + 500 * 15000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  db_.reset();
  Open();
  EXPECT_TRUE(db_->Stats().warnings.empty());
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX).size(), first_half.size() + 1);
}

TEST_F(DBTest, LabelNamesAndValues) {
  Open();
  AppendSeries(3, 10, kStart);
  StatusOr<std::unique_ptr<Querier>> q = db_->NewQuerier(INT64_MIN, INT64_MAX);
  ASSERT_TRUE(q.ok());
  StatusOr<std::vector<std::string>> names = (*q)->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ::testing::ElementsAre("__name__", "instance", "job"));
  std::vector<LabelMatcher> m = {{LabelMatcher::Type::kRegexMatch, "instance", "host-[01]"}};
  StatusOr<std::vector<std::string>> values = (*q)->LabelValues("instance", m);
  ASSERT_TRUE(values.ok());
  EXPECT_THAT(*values, ::testing::ElementsAre("host-0", "host-1"));
  // A selector that matches everything is an error, as in Prometheus.
  std::vector<LabelMatcher> empty = {{LabelMatcher::Type::kRegexMatch, "job", ".*"}};
  EXPECT_FALSE((*q)->Select(empty).ok());
}

}  // namespace
}  // namespace strata
