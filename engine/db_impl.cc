#include "engine/db_impl.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/compaction_plan.h"
#include "engine/compactor.h"
#include "engine/filenames.h"
#include "engine/querier.h"
#include "engine/ulid.h"

namespace strata {

StatusOr<std::unique_ptr<DB>> DB::Open(const Options& options, const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::DBImpl> db, engine::DBImpl::Open(options, dir));
  return std::unique_ptr<DB>(std::move(db));
}

namespace engine {

namespace {

// How often the background thread compacts when nobody wakes it, and how
// often retention runs at the least (Prometheus' DB.run ticks every minute).
constexpr int64_t kCompactionIntervalMs = 60 * 1000;
constexpr int64_t kRetentionIntervalMs = 60 * 1000;
// Backoff after a failed compaction: doubles from the first to the last.
constexpr int64_t kMinBackoffMs = 1000;
constexpr int64_t kMaxBackoffMs = 60 * 1000;
// Compaction attempt times kept for TEST_compaction_attempts.
constexpr size_t kAttemptsKept = 64;

wal::SyncPolicy ToSyncPolicy(WalSyncPolicy p) {
  switch (p) {
    case WalSyncPolicy::kAlways:
      return wal::SyncPolicy::kAlways;
    case WalSyncPolicy::kInterval:
      return wal::SyncPolicy::kInterval;
    case WalSyncPolicy::kNever:
      return wal::SyncPolicy::kNever;
  }
  return wal::SyncPolicy::kInterval;
}

Status FailedIfClosed(bool closed) {
  if (closed) return absl::FailedPreconditionError("database is closed");
  return absl::OkStatus();
}

Status FailedIfReadOnly(const Options& options) {
  if (options.read_only) return absl::FailedPreconditionError("database is opened read-only");
  return absl::OkStatus();
}

}  // namespace

// strata::Appender on a HeadAppender; wakes the compactor when the head
// has grown enough.
class DBAppender final : public Appender {
 public:
  DBAppender(DBImpl& db, std::unique_ptr<HeadAppender> app) : db_(db), app_(std::move(app)) {}

  StatusOr<SeriesRef> Append(std::span<const LabelView> labels, int64_t timestamp_ms,
                             double value) override {
    STRATA_RETURN_IF_ERROR(FailedIfReadOnly(db_.options_));
    StatusOr<SeriesRef> ref = app_->Append(labels, timestamp_ms, value);
    if (absl::IsInvalidArgument(ref.status())) Refused();
    return ref;
  }
  Status Append(SeriesRef ref, int64_t timestamp_ms, double value) override {
    STRATA_RETURN_IF_ERROR(FailedIfReadOnly(db_.options_));
    Status s = app_->Append(ref, timestamp_ms, value);
    if (absl::IsInvalidArgument(s)) Refused();
    return s;
  }
  Status Append(std::span<const RefSample> samples, size_t* refused) override {
    size_t left_out = samples.size();
    if (refused != nullptr) *refused = left_out;
    STRATA_RETURN_IF_ERROR(FailedIfReadOnly(db_.options_));
    CommitStats stats;
    Status s = app_->Append(samples, &left_out, &stats);
    if (stats.refused > 0) db_.samples_refused_.fetch_add(stats.refused, std::memory_order_relaxed);
    if (refused != nullptr) *refused = left_out;
    return s;
  }
  Status Commit() override {
    if (Status s = FailedIfReadOnly(db_.options_); !s.ok()) {
      app_->Rollback();
      return s;
    }
    {
      MutexLock lock(&db_.mu_);
      if (db_.closed_) {
        app_->Rollback();
        return FailedIfClosed(true);
      }
    }
    CommitStats stats;
    Status s = app_->Commit(&stats);
    db_.samples_appended_.fetch_add(stats.samples, std::memory_order_relaxed);
    db_.samples_refused_.fetch_add(stats.refused, std::memory_order_relaxed);
    if (db_.HeadCompactable()) db_.WakeCompactor();
    return s;
  }
  void Rollback() override { app_->Rollback(); }

 private:
  void Refused() { db_.samples_refused_.fetch_add(1, std::memory_order_relaxed); }

  DBImpl& db_;
  std::unique_ptr<HeadAppender> app_;
};

DBImpl::DBImpl(Env& env, std::string dir, const Options& options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

DBImpl::~DBImpl() { Close().IgnoreError(); }  // errors are Close()'s to report

StatusOr<std::unique_ptr<DBImpl>> DBImpl::Open(const Options& options, const std::string& dir) {
  if (options.block_range_ms <= 0) {
    return absl::InvalidArgumentError("block range must be positive");
  }
  if (options.retention_ms < 0 || options.out_of_order_window_ms < 0 || options.max_future_ms < 0) {
    return absl::InvalidArgumentError(
        "retention, out-of-order window and max future must not be negative");
  }
  Env& env = options.env != nullptr ? *options.env : *Env::Default();
  std::unique_ptr<DBImpl> db(new DBImpl(env, dir, options));
  if (options.read_only) {
    if (!env.IsDirectory(dir)) {
      return absl::NotFoundError(StrCat(dir, ": no such data directory"));
    }
  } else {
    STRATA_RETURN_IF_ERROR(env.CreateDirs(dir));
    STRATA_ASSIGN_OR_RETURN(db->lock_, env.LockFile(JoinPath(dir, kLockFile)));
  }
  db->ranges_ = BlockRangesFor(options.block_range_ms, options.retention_ms);
  STRATA_RETURN_IF_ERROR(db->LoadBlocks());

  HeadOptions ho;
  ho.chunk_range_ms = options.block_range_ms;
  ho.ooo_window_ms = options.out_of_order_window_ms;
  {
    MutexLock lock(&db->mu_);
    for (const auto& b : db->blocks_) {
      ho.min_valid_time_ms = std::max(ho.min_valid_time_ms, b->meta().max_time_ms);
    }
  }
  if (!options.read_only) {
    // Never later than compaction itself would cut (see HeadCompactable):
    // a block reaching past that (cut by an older Strata from a head that
    // a far-future sample had stretched, or from another machine's clock)
    // must not make current samples out of bounds. The head may then
    // overlap the block; compaction merges the two.
    const int64_t cap = env.NowMillis() - options.block_range_ms / 2;
    ho.min_valid_time_ms = std::min(ho.min_valid_time_ms, cap);
    ho.max_future_ms = options.max_future_ms;
    ho.max_series = options.max_series;
  }
  ho.wal.compress = options.wal_compression;
  ho.wal.sync_policy = ToSyncPolicy(options.wal_sync);
  ho.wal.sync_interval = absl::Milliseconds(options.wal_sync_interval_ms);
  ho.read_only = options.read_only;
  HeadReplayStats replay;
  STRATA_ASSIGN_OR_RETURN(db->head_, Head::Open(env, dir, ho, &replay));
  if (!replay.wal_damage.empty()) {
    MutexLock lock(&db->mu_);
    db->warnings_.push_back(StrCat("WAL damaged: ", replay.wal_damage));
  }
  if (replay.samples_too_new > 0 || replay.head_chunks_too_new > 0) {
    MutexLock lock(&db->mu_);
    db->warnings_.push_back(StrCat(
        "WAL replay dropped ", replay.samples_too_new, " samples and ", replay.head_chunks_too_new,
        " head chunks more than ", absl::FormatDuration(absl::Milliseconds(options.max_future_ms)),
        " ahead of the clock (--storage.max-future; accepted by an older version)"));
  }
  if (options.background_compaction && !options.read_only) {
    db->bg_ = std::thread([d = db.get()] { d->BackgroundLoop(); });
  }
  return db;
}

Status DBImpl::LoadBlocks() {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.GetChildren(dir_));
  std::vector<std::shared_ptr<Block>> loaded;
  std::vector<std::string> warnings;
  for (const std::string& name : names) {
    const std::string path = JoinPath(dir_, name);
    // Leftovers of an interrupted compaction or deletion.
    if (name.ends_with(kTmpForCreationSuffix) || name.ends_with(kTmpForDeletionSuffix)) {
      if (!options_.read_only) STRATA_RETURN_IF_ERROR(env_.RemoveAll(path));
      continue;
    }
    if (!ParseUlid(name).ok() || !env_.IsDirectory(path)) continue;
    StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, path);
    if (!block.ok()) {
      warnings.push_back(StrCat("block ", name, " set aside: ", block.status().message()));
      continue;
    }
    loaded.push_back(std::move(*block));
  }
  // A crash after a compaction wrote its block but before it deleted the
  // sources leaves both: the sources go now (Prometheus does the same).
  std::set<Ulid> parents;
  for (const auto& b : loaded) {
    for (const BlockDesc& p : b->meta().compaction.parents) parents.insert(p.ulid);
  }
  std::vector<std::shared_ptr<Block>> keep;
  for (auto& b : loaded) {
    if (!parents.contains(b->meta().ulid)) {
      keep.push_back(std::move(b));
      continue;
    }
    if (options_.read_only) continue;  // not read: its data is in the new block
    const std::string dir = b->dir();
    b.reset();
    STRATA_RETURN_IF_ERROR(env_.RemoveAll(dir));
  }
  std::sort(keep.begin(), keep.end(), [](const auto& a, const auto& b) {
    return a->meta().min_time_ms < b->meta().min_time_ms;
  });
  MutexLock lock(&mu_);
  blocks_ = std::move(keep);
  warnings_ = std::move(warnings);
  return absl::OkStatus();
}

std::vector<std::shared_ptr<Block>> DBImpl::blocks() const {
  MutexLock lock(&mu_);
  return blocks_;
}

std::unique_ptr<Appender> DBImpl::NewAppender() {
  return std::make_unique<DBAppender>(*this, head_->NewAppender());
}

StatusOr<std::unique_ptr<Querier>> DBImpl::NewQuerier(int64_t min_time_ms, int64_t max_time_ms) {
  std::vector<std::shared_ptr<Block>> blocks;
  {
    MutexLock lock(&mu_);
    STRATA_RETURN_IF_ERROR(FailedIfClosed(closed_));
    blocks = blocks_;
  }
  return std::unique_ptr<Querier>(
      new DBQuerier(head_.get(), std::move(blocks), min_time_ms, max_time_ms));
}

Status DBImpl::Delete(int64_t min_time_ms, int64_t max_time_ms,
                      std::span<const LabelMatcher> matchers) {
  STRATA_RETURN_IF_ERROR(FailedIfReadOnly(options_));
  STRATA_ASSIGN_OR_RETURN(std::vector<index::Matcher> ms, ToIndexMatchers(matchers));
  MutexLock compact(&compact_mu_);
  for (const auto& b : blocks()) {
    if (b->meta().max_time_ms <= min_time_ms || b->meta().min_time_ms > max_time_ms) continue;
    STRATA_RETURN_IF_ERROR(b->Delete(min_time_ms, max_time_ms, ms));
  }
  return head_->Delete(min_time_ms, max_time_ms, ms);
}

bool DBImpl::HeadCompactable() const {
  const int64_t mint = head_->min_time_ms(), maxt = head_->max_time_ms();
  if (mint == INT64_MAX || maxt == INT64_MIN) return false;
  // Unsigned differences: the times may be anywhere in int64_t.
  const uint64_t span = static_cast<uint64_t>(options_.block_range_ms / 2 * 3);
  if (maxt <= mint || static_cast<uint64_t>(maxt) - static_cast<uint64_t>(mint) <= span) {
    return false;
  }
  const int64_t hi = std::min(maxt, env_.NowMillis());
  return hi > mint && static_cast<uint64_t>(hi) - static_cast<uint64_t>(mint) > span;
}

void DBImpl::WakeCompactor() {
  MutexLock lock(&bg_mu_);
  bg_wake_ = true;
  bg_cv_.Signal();
}

void DBImpl::BackgroundLoop() {
  absl::Duration wait = absl::Milliseconds(kCompactionIntervalMs);
  for (;;) {
    {
      MutexLock lock(&bg_mu_);
      if (!bg_stop_ && !bg_wake_) bg_cv_.WaitWithTimeout(&bg_mu_, wait);
      if (bg_stop_) return;
      bg_wake_ = false;
    }
    wait = BackgroundRound();
  }
}

absl::Duration DBImpl::BackgroundRound() {
  MutexLock lock(&compact_mu_);
  const int64_t now = env_.NowMillis();
  bool attempted = false;
  if (now >= next_compaction_ms_) {
    attempted = true;
    compaction_attempts_ms_.push_back(now);
    if (compaction_attempts_ms_.size() > kAttemptsKept) {
      compaction_attempts_ms_.erase(compaction_attempts_ms_.begin());
    }
    // Failures are counted (and reported by Stats()); the data stays in
    // the head and the WAL meanwhile.
    if (CompactLocked().ok()) {
      compaction_backoff_ms_ = 0;
      next_compaction_ms_ = INT64_MIN;
    } else {
      compaction_backoff_ms_ = std::clamp(compaction_backoff_ms_ * 2, kMinBackoffMs, kMaxBackoffMs);
      next_compaction_ms_ = now + compaction_backoff_ms_;
    }
  }
  if (attempted || now >= next_retention_ms_) {
    // Counted in retention_failed; tried again at the next round.
    RetentionLocked().IgnoreError();
    next_retention_ms_ = now + kRetentionIntervalMs;
  }
  int64_t wait = std::min(next_retention_ms_ - now, kCompactionIntervalMs);
  if (next_compaction_ms_ > now) wait = std::min(wait, next_compaction_ms_ - now);
  return absl::Milliseconds(std::max<int64_t>(wait, 1));
}

std::vector<int64_t> DBImpl::TEST_compaction_attempts() {
  MutexLock lock(&compact_mu_);
  return compaction_attempts_ms_;
}

Status DBImpl::Compact() {
  STRATA_RETURN_IF_ERROR(FailedIfReadOnly(options_));
  MutexLock lock(&compact_mu_);
  Status s = CompactLocked();
  Status r = RetentionLocked();
  return s.ok() ? r : s;
}

Status DBImpl::CompactLocked() {
  Status first = CompactHeadLocked();
  for (bool again = true; again;) {
    Status s = CompactBlocksLocked(&again);
    if (!s.ok()) {
      if (first.ok()) first = s;
      break;
    }
  }
  if (!first.ok()) compactions_failed_.fetch_add(1, std::memory_order_relaxed);
  return first;
}

Status DBImpl::CompactHeadLocked() {
  const int64_t range = options_.block_range_ms;
  while (HeadCompactable()) {
    const int64_t mint = head_->min_time_ms();
    const int64_t maxt = RangeEnd(mint, range);
    STRATA_ASSIGN_OR_RETURN(std::optional<BlockMeta> meta,
                            WriteHeadBlock(env_, dir_, *head_, mint, maxt));
    if (meta.has_value()) {
      STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Block> block,
                              Block::Open(env_, JoinPath(dir_, meta->ulid.ToString())));
      MutexLock lock(&mu_);
      blocks_.push_back(std::move(block));
      std::sort(blocks_.begin(), blocks_.end(), [](const auto& a, const auto& b) {
        return a->meta().min_time_ms < b->meta().min_time_ms;
      });
    }
    compactions_.fetch_add(1, std::memory_order_relaxed);
    // The block is durable: the head can let go of it.
    STRATA_RETURN_IF_ERROR(Annotate(head_->Truncate(maxt), "truncate head"));
  }
  return absl::OkStatus();
}

Status DBImpl::CompactBlocksLocked(bool* compacted) {
  *compacted = false;
  std::vector<std::shared_ptr<Block>> all;
  std::vector<BlockMeta> metas;
  {
    MutexLock lock(&mu_);
    for (const auto& b : blocks_) {
      // A block compaction could not read stays as it is (still queried).
      if (b->meta().compaction.failed || failed_blocks_.contains(b->meta().ulid)) continue;
      all.push_back(b);
      metas.push_back(b->meta());
    }
  }
  const std::vector<Ulid> plan = PlanCompaction(metas, ranges_);
  if (plan.empty()) return absl::OkStatus();
  std::vector<std::shared_ptr<Block>> inputs;
  for (const auto& b : all) {
    if (std::find(plan.begin(), plan.end(), b->meta().ulid) != plan.end()) inputs.push_back(b);
  }
  const Block* damaged = nullptr;
  StatusOr<std::optional<BlockMeta>> meta = CompactBlocks(env_, dir_, inputs, &damaged);
  if (!meta.ok()) {
    if (damaged != nullptr) MarkCompactionFailedLocked(*damaged, meta.status());
    return Annotate(meta.status(), "compact blocks");
  }
  if (meta->has_value()) {
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Block> block,
                            Block::Open(env_, JoinPath(dir_, (*meta)->ulid.ToString())));
    MutexLock lock(&mu_);
    blocks_.push_back(std::move(block));
  }
  compactions_.fetch_add(1, std::memory_order_relaxed);
  STRATA_RETURN_IF_ERROR(DeleteBlocks(plan));
  *compacted = true;
  return absl::OkStatus();
}

void DBImpl::MarkCompactionFailedLocked(const Block& block, const Status& why) {
  const std::string name = block.meta().ulid.ToString();
  std::string warning = StrCat("block ", name, " marked compaction.failed: ", why.message());
  // From meta.json as it is now: Delete may have rewritten it since Open.
  StatusOr<BlockMeta> meta = ReadBlockMeta(env_, block.dir());
  Status written = meta.status();
  if (meta.ok()) {
    meta->compaction.failed = true;
    written = WriteBlockMeta(env_, block.dir(), *meta);
  }
  if (!written.ok()) StrAppend(&warning, " (meta.json not updated: ", written.message(), ")");
  MutexLock lock(&mu_);
  failed_blocks_.insert(block.meta().ulid);
  warnings_.push_back(std::move(warning));
}

Status DBImpl::RetentionLocked() {
  retention_runs_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::shared_ptr<Block>> all = blocks();
  if (all.empty()) return absl::OkStatus();
  std::vector<BlockMeta> metas;
  std::vector<uint64_t> sizes;
  // A block beyond the clock (cut under a clock that was ahead, or
  // imported) must not make time retention measure from the future, which
  // would delete every current block.
  const int64_t now = env_.NowMillis(), ahead = options_.max_future_ms;
  const int64_t ceiling = now > INT64_MAX - ahead ? INT64_MAX : now + ahead;
  for (const auto& b : all) {
    metas.push_back(b->meta());
    metas.back().max_time_ms = std::min(metas.back().max_time_ms, ceiling);
    sizes.push_back(b->size_bytes());
  }
  const uint64_t other = head_->wal_bytes() + head_->head_chunk_bytes();
  const std::vector<Ulid> doomed =
      BlocksBeyondRetention(metas, sizes, options_.retention_ms, options_.retention_bytes, other);
  Status s = DeleteBlocks(doomed);
  if (!s.ok()) retention_failed_.fetch_add(1, std::memory_order_relaxed);
  return Annotate(s, "retention");
}

Status DBImpl::DeleteBlocks(std::span<const Ulid> ulids) {
  if (ulids.empty()) return absl::OkStatus();
  std::vector<std::shared_ptr<Block>> doomed;
  {
    MutexLock lock(&mu_);
    std::vector<std::shared_ptr<Block>> keep;
    for (auto& b : blocks_) {
      const bool gone = std::find(ulids.begin(), ulids.end(), b->meta().ulid) != ulids.end();
      (gone ? doomed : keep).push_back(std::move(b));
    }
    std::sort(keep.begin(), keep.end(), [](const auto& a, const auto& b) {
      return a->meta().min_time_ms < b->meta().min_time_ms;
    });
    blocks_ = std::move(keep);
  }
  // Queriers may still read a doomed block: their mappings outlive the
  // files. Rename first so a crash mid-delete leaves a name start-up removes.
  for (const auto& b : doomed) {
    const std::string tmp = StrCat(b->dir(), kTmpForDeletionSuffix);
    STRATA_RETURN_IF_ERROR(env_.Rename(b->dir(), tmp));
    STRATA_RETURN_IF_ERROR(env_.RemoveAll(tmp));
  }
  return env_.SyncDir(dir_);
}

Status DBImpl::Snapshot(const std::string& dir, bool with_head) {
  MutexLock compact(&compact_mu_);
  STRATA_RETURN_IF_ERROR(env_.CreateDirs(dir));
  for (const auto& b : blocks()) {
    STRATA_RETURN_IF_ERROR(CloneBlock(env_, b->dir(), dir, b->meta().ulid.ToString()));
  }
  if (with_head && head_->max_time_ms() != INT64_MIN) {
    STRATA_RETURN_IF_ERROR(
        WriteHeadBlock(env_, dir, *head_, head_->min_time_ms(), head_->max_time_ms() + 1).status());
  }
  return env_.SyncDir(dir);
}

DBStats DBImpl::Stats() const {
  DBStats s;
  s.head_series = head_->num_series();
  s.head_chunks = head_->num_chunks();
  s.head_min_time_ms = head_->min_time_ms();
  s.head_max_time_ms = head_->max_time_ms();
  {
    MutexLock lock(&mu_);
    s.blocks = blocks_.size();
    for (const auto& b : blocks_) {
      s.block_bytes += b->size_bytes();
      if (b->meta().compaction.failed || failed_blocks_.contains(b->meta().ulid)) {
        ++s.blocks_compaction_failed;
      }
    }
    s.warnings = warnings_;
  }
  s.wal_bytes = head_->wal_bytes();
  const wal::WriterStats wal = head_->wal_stats();
  s.wal_fsync_failures = wal.sync_failures;
  s.wal_failed = wal.failed;
  s.samples_appended = samples_appended_.load(std::memory_order_relaxed);
  s.samples_refused = samples_refused_.load(std::memory_order_relaxed);
  s.samples_refused_too_new = head_->refused(Refusal::kTooNew);
  s.samples_refused_out_of_bounds = head_->refused(Refusal::kOutOfBounds);
  s.samples_refused_out_of_order = head_->refused(Refusal::kOutOfOrder);
  s.samples_refused_duplicate = head_->refused(Refusal::kDuplicate);
  s.samples_refused_series_limit = head_->refused(Refusal::kSeriesLimit);
  s.compactions = compactions_.load(std::memory_order_relaxed);
  s.compactions_failed = compactions_failed_.load(std::memory_order_relaxed);
  s.retention_runs = retention_runs_.load(std::memory_order_relaxed);
  s.retention_failed = retention_failed_.load(std::memory_order_relaxed);
  s.wal_checkpoints_failed = head_->wal_checkpoints_failed();
  if (Status c = head_->last_checkpoint_error(); !c.ok()) {
    s.warnings.push_back(
        StrCat("WAL checkpoint failed (the WAL is kept until one succeeds): ", c.message()));
  }
  return s;
}

Status DBImpl::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
  }
  {
    MutexLock lock(&bg_mu_);
    bg_stop_ = true;
    bg_cv_.SignalAll();
  }
  if (bg_.joinable()) bg_.join();
  MutexLock compact(&compact_mu_);
  Status s = head_ != nullptr ? head_->Close() : absl::OkStatus();
  lock_.reset();
  return s;
}

}  // namespace engine
}  // namespace strata
