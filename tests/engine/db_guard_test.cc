// Ingest that nothing can wedge (#16): timestamps beyond the clock are
// refused and cannot move the head's window, the series limit, and
// background work that keeps going when compaction fails: retention on its
// own schedule, backoff, blocks marked compaction.failed, a full disk that
// retention frees. Runs on an in-memory Env whose clock the tests set.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/strings.h"
#include "engine/block_meta.h"
#include "engine/db_impl.h"
#include "engine/filenames.h"
#include "strata/db.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/mem_env.h"
#include "wal/records.h"
#include "wal/writer.h"

namespace strata::engine {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kRange = 2 * kHour;  // Options::block_range_ms
constexpr int64_t kStep = 15'000;
// 2027-01-14T18:00:00Z, a multiple of 18 h (so of every block range used
// here: 2 h, 6 h, 18 h).
constexpr int64_t kBase = 1'800'000'000'000 - 1'800'000'000'000 % (18 * kHour);
// Ten years of 365.25 days.
constexpr int64_t kTenYears = 3652LL * 24 * kHour + 12 * kHour;

using Data = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

class DBGuardTest : public ::testing::Test {
 protected:
  DBGuardTest() : env_(mem_) { mem_.SetNowMillis(kBase); }

  Options MakeOptions() const {
    Options o;
    o.env = const_cast<testing::FaultEnv*>(&env_);
    o.background_compaction = false;
    o.retention_ms = 0;
    o.wal_sync = WalSyncPolicy::kNever;
    o.block_range_ms = kRange;
    return o;
  }

  void Open(const Options& o) {
    db_.reset();
    StatusOr<std::unique_ptr<DBImpl>> db = DBImpl::Open(o, kDir);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  void Open() { Open(MakeOptions()); }
  void Close() {
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
  }

  int64_t now() { return mem_.NowMillis(); }

  // Appends one sample of series `s` of job `job` at `t` by labels; OK or
  // the refusal.
  Status AppendOne(Appender& app, int s, int64_t t, std::string job = "guard") {
    const std::string inst = StrCat("host-", s);
    const double v = s * 1e6 + static_cast<double>(t / kStep);
    StatusOr<SeriesRef> ref =
        app.Append({{"__name__", "m"}, {"instance", inst}, {"job", job}}, t, v);
    if (!ref.ok()) return ref.status();
    pending_[StrCat(job, "/", inst)].emplace_back(t, std::bit_cast<uint64_t>(v));
    return absl::OkStatus();
  }

  // Scrapes `series` series every 15 s up to and including `until`, the
  // clock following the samples, each scrape one commit that must succeed.
  // Calls Compact() every `compact_every` ms of clock time if > 0.
  void ScrapeUntil(int series, int64_t until, int64_t compact_every = 0) {
    std::unique_ptr<Appender> app = db_->NewAppender();
    int64_t next_compaction = now() + compact_every;
    for (int64_t t = next_t_; t <= until; t += kStep) {
      mem_.SetNowMillis(t);
      for (int s = 0; s < series; ++s) ASSERT_TRUE(AppendOne(*app, s, t).ok()) << t;
      ASSERT_TRUE(app->Commit().ok()) << t;
      Acknowledge();
      next_t_ = t + kStep;
      if (compact_every > 0 && t >= next_compaction) {
        ASSERT_TRUE(db_->Compact().ok()) << t;
        next_compaction = t + compact_every;
      }
    }
  }

  // What AppendOne added since the last call is committed.
  void Acknowledge() {
    for (auto& [k, v] : pending_) want_[k].insert(want_[k].end(), v.begin(), v.end());
    pending_.clear();
  }

  Data Query(int64_t mint, int64_t maxt) {
    Data got;
    StatusOr<std::unique_ptr<Querier>> q = db_->NewQuerier(mint, maxt);
    EXPECT_TRUE(q.ok()) << q.status();
    if (!q.ok()) return got;
    const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "__name__", "m"}};
    StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(m);
    EXPECT_TRUE(set.ok()) << set.status();
    if (!set.ok()) return got;
    while ((*set)->Next()) {
      const Labels& ls = (*set)->labels();
      auto& out = got[StrCat(ls[2].value, "/", ls[1].value)];
      std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
      while (it->Next()) out.emplace_back(it->timestamp_ms(), std::bit_cast<uint64_t>(it->value()));
      EXPECT_TRUE(it->status().ok()) << it->status();
    }
    EXPECT_TRUE((*set)->status().ok()) << (*set)->status();
    return got;
  }

  // want_ restricted to [mint, maxt].
  Data Want(int64_t mint, int64_t maxt) const {
    Data out;
    for (const auto& [k, v] : want_) {
      for (const auto& s : v) {
        if (s.first >= mint && s.first <= maxt) out[k].push_back(s);
      }
    }
    return out;
  }

  // The open blocks' [min, max) ranges, oldest first.
  std::vector<std::pair<int64_t, int64_t>> Ranges() {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& b : db_->blocks())
      out.emplace_back(b->meta().min_time_ms, b->meta().max_time_ms);
    return out;
  }

  static constexpr const char* kDir = "/data";
  testing::MemEnv mem_;
  testing::FaultEnv env_;
  std::unique_ptr<DBImpl> db_;
  int64_t next_t_ = kBase;
  Data want_, pending_;
};

TEST_F(DBGuardTest, SampleTenYearsAheadIsRefusedAndCurrentWritesGoOnThroughCompactions) {
  Open();
  ScrapeUntil(5, kBase + kHour);
  std::unique_ptr<Appender> app = db_->NewAppender();
  const int64_t future = now() + kTenYears;  // 2037-01-14T07:00:00Z
  Status st = AppendOne(*app, 99, future);
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("sample timestamp 2037-01-14T07:00:00.000Z"));
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("is more than 10m ahead of the server clock (--storage.max-future)"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("host-99"));
  // By ref and in a batch by ref as well: refused per sample, the rest kept.
  pending_.clear();
  StatusOr<SeriesRef> ref =
      app->Append({{"__name__", "m"}, {"instance", "host-0"}, {"job", "guard"}}, now() + kStep, 1);
  ASSERT_TRUE(ref.ok()) << ref.status();
  st = app->Append(*ref, future, 2);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  const std::vector<RefSample> batch = {{*ref, future, 3}, {*ref, now() + 2 * kStep, 4}};
  size_t refused = 0;
  st = app->Append(batch, &refused);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(refused, 1u);
  // Up to max_future ahead is fine.
  EXPECT_TRUE(app->Append(*ref, now() + 10 * kMinute, 5).ok());
  ASSERT_TRUE(app->Commit().ok());
  want_["guard/host-0"].push_back({now() + kStep, std::bit_cast<uint64_t>(1.0)});
  want_["guard/host-0"].push_back({now() + 2 * kStep, std::bit_cast<uint64_t>(4.0)});
  want_["guard/host-0"].push_back({now() + 10 * kMinute, std::bit_cast<uint64_t>(5.0)});

  DBStats stats = db_->Stats();
  EXPECT_EQ(stats.samples_refused_too_new, 3u);
  EXPECT_EQ(stats.head_series, 5u) << "the refused sample created no series";
  EXPECT_LE(stats.head_max_time_ms, now() + 10 * kMinute);

  // Current writes for three compaction cycles (head blocks are cut every
  // 2 h once the head spans 3 h) are all accepted and queryable. The
  // scrapes of host-0 resume after its sample 10 min ahead.
  next_t_ = now() + 10 * kMinute + kStep;
  ScrapeUntil(5, kBase + 9 * kHour, 30 * kMinute);
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_GE(db_->Stats().blocks, 2u);
  EXPECT_EQ(db_->Stats().samples_refused, 3u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBGuardTest, HeadIsCompactableOnlyBySpanUpToTheClock) {
  Open();
  std::unique_ptr<Appender> app = db_->NewAppender();
  const int64_t m = kBase;  // aligned to the block range
  // The head spans exactly 1.5 ranges: not compactable.
  ASSERT_TRUE(AppendOne(*app, 0, m).ok());
  mem_.SetNowMillis(m + 3 * kHour);
  ASSERT_TRUE(AppendOne(*app, 0, m + 3 * kHour).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->Stats().blocks, 0u);
  // One ms more, but ahead of the clock (within max_future): still not.
  ASSERT_TRUE(AppendOne(*app, 1, m + 3 * kHour + 5 * kMinute).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->Stats().blocks, 0u);
  // A sample for the out-of-bounds check later, appended before the cut
  // and committed after it.
  std::unique_ptr<Appender> late = db_->NewAppender();
  ASSERT_TRUE(AppendOne(*late, 2, m + kRange - 1).ok());
  ASSERT_TRUE(AppendOne(*late, 3, m + kRange).ok());
  // The clock reaches 1.5 ranges + 1 ms past the head's start: compactable.
  mem_.SetNowMillis(m + 3 * kHour + 1);
  ASSERT_TRUE(db_->Compact().ok());
  Acknowledge();  // host-2's sample is taken out below
  ASSERT_EQ(Ranges(), (std::vector<std::pair<int64_t, int64_t>>{{m, m + kRange}}));
  EXPECT_EQ(db_->head().min_valid_time_ms(), m + kRange);

  // Older than the head's window now: refused per sample at Commit...
  Status st = late->Commit();
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("is out of bounds"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("host-2"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("1 samples of this commit refused"));
  std::erase_if(want_["guard/host-2"], [&](const auto& s) { return s.first == m + kRange - 1; });
  if (want_["guard/host-2"].empty()) want_.erase("guard/host-2");
  // ... and at Append, by labels and in a batch by ref.
  st = AppendOne(*app, 4, m + kRange - 1);
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("older than the head's minimum valid time 2027-01-14T20:00:00.000Z"));
  StatusOr<SeriesRef> ref =
      app->Append({{"__name__", "m"}, {"instance", "host-5"}, {"job", "guard"}}, m + kRange, 7);
  ASSERT_TRUE(ref.ok()) << ref.status();
  const std::vector<RefSample> batch = {
      {*ref, m + kRange + kStep, 8}, {*ref, m + 1, 9}, {*ref, m + kRange + 2 * kStep, 10}};
  size_t refused = 0;
  st = app->Append(batch, &refused);
  EXPECT_EQ(refused, 1u);
  EXPECT_THAT(std::string(st.message()), HasSubstr("is out of bounds"));
  ASSERT_TRUE(app->Commit().ok());
  for (auto [t, v] : {std::pair<int64_t, double>{m + kRange, 7},
                      {m + kRange + kStep, 8},
                      {m + kRange + 2 * kStep, 10}}) {
    want_["guard/host-5"].emplace_back(t, std::bit_cast<uint64_t>(v));
  }
  EXPECT_EQ(db_->Stats().samples_refused_out_of_bounds, 3u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBGuardTest, ReopenedWalWithAFarFutureSampleStillAcceptsCurrentSamples) {
  // A WAL as an older Strata left it: it had accepted a sample ten years
  // ahead for host-0, after which that series refused every current sample
  // and the head's window ran ahead of the clock.
  const int64_t start = kBase - 2 * kHour;
  {
    auto w = wal::Writer::Open(env_, StrCat(kDir, "/", kWalDir), {});
    ASSERT_TRUE(w.ok()) << w.status();
    std::vector<wal::RefSeries> series;
    std::vector<wal::RefSample> samples;
    for (uint64_t s = 0; s < 3; ++s) {
      const std::string inst = StrCat("host-", s);
      series.push_back({s + 1, {{"__name__", "m"}, {"instance", inst}, {"job", "guard"}}});
      for (int64_t t = start; t < kBase - kHour; t += kStep) {
        const double v = s * 1e6 + static_cast<double>(t / kStep);
        samples.push_back({s + 1, t, v});
        want_[StrCat("guard/", inst)].emplace_back(t, std::bit_cast<uint64_t>(v));
      }
    }
    samples.push_back({1, kBase - kHour + kTenYears, 42});
    std::string rec;
    wal::EncodeSeries(series, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    wal::EncodeSamples(samples, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  mem_.SetNowMillis(kBase);
  Open();
  DBStats stats = db_->Stats();
  EXPECT_LE(stats.head_max_time_ms, kBase);
  ASSERT_EQ(stats.warnings.size(), 1u);
  EXPECT_THAT(stats.warnings[0], HasSubstr("dropped 1 samples"));
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  // host-0 takes current samples, through compactions of the head.
  next_t_ = kBase;
  ScrapeUntil(3, kBase + 6 * kHour, kHour);
  EXPECT_GE(db_->Stats().blocks, 2u);
  EXPECT_EQ(db_->Stats().samples_refused, 0u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  Close();
  Open();
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBGuardTest, BlockBeyondTheClockMovesNeitherTheHeadsWindowNorTimeRetention) {
  // A block cut while the server's clock was a year ahead.
  const int64_t year = 365 * 24 * kHour;
  mem_.SetNowMillis(kBase + year);
  next_t_ = kBase + year;
  Open();
  ScrapeUntil(2, kBase + year + 3 * kHour + kMinute);
  ASSERT_TRUE(db_->Compact().ok());
  ASSERT_EQ(Ranges(),
            (std::vector<std::pair<int64_t, int64_t>>{{kBase + year, kBase + year + kRange}}));
  Close();
  // The clock is right again: what the head held of that year-ahead time
  // is dropped at replay (it would hold its series in the future), and a
  // warning says so.
  for (auto& [k, v] : want_) {
    std::erase_if(v, [&](const auto& s) { return s.first >= kBase + year + kRange; });
  }
  mem_.SetNowMillis(kBase);
  Options o = MakeOptions();
  o.retention_ms = 24 * kHour;
  Open(o);
  ASSERT_EQ(db_->Stats().warnings.size(), 1u);
  EXPECT_THAT(db_->Stats().warnings[0], HasSubstr("ahead of the clock"));
  // Current samples are in bounds though the block ends a year ahead, and
  // time retention measures from the clock, not from that block.
  next_t_ = kBase;
  ScrapeUntil(2, kBase + 9 * kHour, kHour);
  EXPECT_EQ(db_->Stats().samples_refused, 0u);
  EXPECT_EQ(Ranges().size(), 4u);
  EXPECT_EQ(Ranges().back().first, kBase + year);
  for (auto& [k, v] : want_) std::sort(v.begin(), v.end());
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBGuardTest, SeriesBeyondTheLimitAreRefusedPerSample) {
  Options o = MakeOptions();
  o.max_series = 3;
  Open(o);
  std::unique_ptr<Appender> app = db_->NewAppender();
  for (int s = 0; s < 3; ++s) ASSERT_TRUE(AppendOne(*app, s, kBase).ok());
  Status st = AppendOne(*app, 3, kBase);
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("series limit of 3 reached (--storage.max-series)"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("host-3"));
  // The known series still take samples, in the same transaction.
  ASSERT_TRUE(AppendOne(*app, 0, kBase + kStep).ok());
  ASSERT_TRUE(app->Commit().ok());
  Acknowledge();
  const DBStats stats = db_->Stats();
  EXPECT_EQ(stats.head_series, 3u);
  EXPECT_EQ(stats.samples_refused_series_limit, 1u);
  EXPECT_EQ(stats.samples_refused, 1u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  // Replay is not limited by what it replays, and the limit holds after it.
  Close();
  Open(o);
  EXPECT_EQ(db_->Stats().head_series, 3u);
  app = db_->NewAppender();
  EXPECT_EQ(AppendOne(*app, 4, kBase + kStep).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DBGuardTest, DamagedChunkMarksItsBlockFailedAndTheRestGoesOn) {
  Open();
  // Three head blocks, [0, 2h) [2h, 4h) [4h, 6h): not merged while the
  // newest of them is the newest block (Prometheus' plan).
  for (int64_t end : {5, 7, 9}) {
    ScrapeUntil(4, kBase + end * kHour);
    ASSERT_TRUE(db_->Compact().ok());
  }
  ASSERT_EQ(Ranges(),
            (std::vector<std::pair<int64_t, int64_t>>{{kBase, kBase + kRange},
                                                      {kBase + kRange, kBase + 2 * kRange},
                                                      {kBase + 2 * kRange, kBase + 3 * kRange}}));
  const std::string damaged_dir = db_->blocks()[0]->dir();
  const Ulid damaged = db_->blocks()[0]->meta().ulid;
  Close();
  const std::string segment = JoinPath(JoinPath(damaged_dir, kBlockChunksDir), "000001");
  StatusOr<std::string> bytes = mem_.Contents(segment);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  (*bytes)[bytes->size() / 2] ^= 0x5a;
  ASSERT_TRUE(mem_.SetContents(segment, *bytes).ok());

  // The fourth head block makes [0, 6h) a plan; reading the damaged chunk
  // fails it, and marks the block. Retention still ran.
  Open();
  ScrapeUntil(4, kBase + 11 * kHour);
  const uint64_t retention_runs = db_->Stats().retention_runs;
  Status st = db_->Compact();
  ASSERT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(damaged.ToString()));
  EXPECT_THAT(std::string(st.message()), HasSubstr("chunks/000001"));
  StatusOr<BlockMeta> meta = ReadBlockMeta(env_, damaged_dir);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_TRUE(meta->compaction.failed);
  DBStats stats = db_->Stats();
  EXPECT_EQ(stats.blocks_compaction_failed, 1u);
  EXPECT_EQ(stats.compactions_failed, 1u);
  EXPECT_EQ(stats.retention_runs, retention_runs + 1);
  ASSERT_FALSE(stats.warnings.empty());
  EXPECT_THAT(stats.warnings.back(), HasSubstr("marked compaction.failed"));
  ASSERT_EQ(Ranges().size(), 4u);

  // Left out of later plans (with it, this plan would fail again), also
  // after a restart, and the rest still compacts and serves.
  ASSERT_TRUE(db_->Compact().ok());
  Close();
  Open();
  ScrapeUntil(4, kBase + 13 * kHour);
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->blocks()[0]->meta().ulid, damaged);
  EXPECT_EQ(db_->Stats().blocks_compaction_failed, 1u);
  EXPECT_EQ(Query(kBase + kRange, INT64_MAX), Want(kBase + kRange, INT64_MAX));

  // Retention deletes it once it is past retention, like any block.
  Close();
  Options o = MakeOptions();
  o.retention_ms = 6 * kHour;
  Open(o);
  ASSERT_TRUE(db_->Compact().ok());
  ASSERT_FALSE(db_->blocks().empty());
  EXPECT_NE(db_->blocks()[0]->meta().ulid, damaged);
  EXPECT_FALSE(mem_.IsDirectory(damaged_dir));
  EXPECT_EQ(Query(kBase + kRange, INT64_MAX), Want(kBase + kRange, INT64_MAX));
}

TEST_F(DBGuardTest, DiskFilledDuringCompactionIsFreedBySizeRetention) {
  Open();
  // Many hours of blocks, merged into bigger ones, and a compactable head.
  ScrapeUntil(20, kBase + 26 * kHour, kHour);
  ScrapeUntil(20, kBase + 29 * kHour + 30 * kMinute);
  const std::vector<std::shared_ptr<Block>> blocks = db_->blocks();
  ASSERT_GE(blocks.size(), 3u);
  uint64_t total = 0;
  for (const auto& b : blocks) total += b->size_bytes();
  const uint64_t oldest = blocks[0]->size_bytes();
  const uint64_t other = db_->head().wal_bytes() + db_->head().head_chunk_bytes();
  Close();

  // The size limit leaves room for all but half of the oldest block, which
  // is thus beyond it (retention keeps blocks newest first).
  Options o = MakeOptions();
  o.retention_bytes = total - oldest / 2 + other + 4096;
  Open(o);
  env_.SetDiskFree(4096);
  Status st = db_->Compact();
  ASSERT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_EQ(db_->Stats().compactions_failed, 1u);
  EXPECT_EQ(db_->Stats().retention_runs, 1u);
  ASSERT_EQ(db_->blocks().size(), blocks.size() - 1) << "size retention ran despite the failure";
  EXPECT_GT(*env_.disk_left(), oldest / 2) << "the oldest block's bytes are free again";

  // The next attempt fits, and writing goes on.
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_GT(db_->blocks().back()->meta().max_time_ms, blocks.back()->meta().max_time_ms);
  ScrapeUntil(20, kBase + 30 * kHour);
  const int64_t from = db_->blocks()[0]->meta().min_time_ms;
  EXPECT_EQ(Query(from, INT64_MAX), Want(from, INT64_MAX));
}

TEST_F(DBGuardTest, DamagedWalSegmentFailsTheCheckpointButNotTheHeadTruncation) {
  // Four WAL segments: every Open starts a new one.
  for (int64_t end : {1, 2, 3}) {
    Open();
    ScrapeUntil(3, kBase + end * kHour);
    Close();
  }
  Open();
  ScrapeUntil(3, kBase + 4 * kHour);
  const std::string first = StrCat(kDir, "/", kWalDir, "/00000000");
  StatusOr<std::string> bytes = mem_.Contents(first);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  (*bytes)[bytes->size() / 2] ^= 0x5a;
  ASSERT_TRUE(mem_.SetContents(first, *bytes).ok());

  // The head is cut into a block and let go of as usual; the checkpoint
  // (of segments 0 and 1) fails, is counted and reported, and the WAL
  // stays as it was.
  ASSERT_TRUE(db_->Compact().ok());
  const DBStats stats = db_->Stats();
  EXPECT_EQ(stats.blocks, 1u);
  EXPECT_EQ(stats.compactions_failed, 0u);
  EXPECT_EQ(stats.wal_checkpoints_failed, 1u);
  EXPECT_GE(stats.head_min_time_ms, kBase + kRange);
  EXPECT_EQ(db_->head().min_valid_time_ms(), kBase + kRange);
  ASSERT_FALSE(stats.warnings.empty());
  EXPECT_THAT(stats.warnings.back(), HasSubstr("WAL checkpoint failed"));
  EXPECT_THAT(stats.warnings.back(), HasSubstr("00000000"));
  EXPECT_TRUE(mem_.FileExists(first));
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
  // Writing and the next compactions go on; each checkpoint attempt counts.
  ScrapeUntil(3, kBase + 6 * kHour);
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_EQ(db_->Stats().blocks, 2u);
  EXPECT_EQ(db_->Stats().wal_checkpoints_failed, 2u);
  EXPECT_EQ(Query(INT64_MIN, INT64_MAX), want_);
}

TEST_F(DBGuardTest, FailedCompactionsBackOffFromOneSecondToOneMinuteWhileRetentionRuns) {
  Open();
  ScrapeUntil(2, kBase + 4 * kHour);
  env_.SetWriteError(absl::InternalError("injected write error"));
  const int64_t t0 = now();
  // Attempts at t0 + 0, 1, 3, 7, 15, 31, 63, 123, 183 s: the wait doubles
  // from 1 s and stays at 1 min.
  const std::vector<int64_t> want_offsets = {0,     1000,  3000,   7000,  15000,
                                             31000, 63000, 123000, 183000};
  std::vector<int64_t> want_attempts;
  for (int64_t off : want_offsets) want_attempts.push_back(t0 + off);
  for (int64_t t = t0; t <= t0 + 183000; t += 500) {
    mem_.SetNowMillis(t);
    (void)db_->TEST_BackgroundRound();
  }
  EXPECT_EQ(db_->TEST_compaction_attempts(), want_attempts);
  DBStats stats = db_->Stats();
  EXPECT_EQ(stats.compactions_failed, want_offsets.size());
  // Retention after each attempt, and every minute besides (none due
  // between attempts here: they are at most a minute apart).
  EXPECT_EQ(stats.retention_runs, want_offsets.size());
  // The round says when the next attempt is due.
  mem_.SetNowMillis(t0 + 183000 + 1000);
  EXPECT_EQ(db_->TEST_BackgroundRound(), absl::Seconds(59));

  // Once writes work again the next due attempt succeeds and the backoff
  // is gone: the round after it compacts at once.
  env_.SetWriteError(absl::OkStatus());
  mem_.SetNowMillis(t0 + 243000);
  (void)db_->TEST_BackgroundRound();
  EXPECT_EQ(db_->Stats().compactions_failed, want_offsets.size());
  EXPECT_GE(db_->Stats().blocks, 1u);
  mem_.SetNowMillis(t0 + 243001);
  (void)db_->TEST_BackgroundRound();
  EXPECT_EQ(db_->TEST_compaction_attempts().back(), t0 + 243001);
}

}  // namespace
}  // namespace strata::engine
