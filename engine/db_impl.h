// DBImpl: strata::DB over a Prometheus-compatible data directory — the
// head (with its WAL), the blocks, and a background thread that compacts
// the head into blocks, merges blocks and applies retention
// (Prometheus' tsdb/db.go).
//
// Background work (Prometheus' DB.run, made sturdier): every minute, and
// when an appender finds the head compactable, a round attempts compaction
// (head, then blocks) and then applies retention. Retention runs whatever
// compaction did, at least every minute, so a failing compaction (a full
// disk, a damaged block) never stops old data from going. A failed
// compaction is retried after a backoff that doubles from 1 s to 1 min.
// A block whose index or chunks cannot be read while compacting is marked
// compaction.failed in its meta.json and left out of later plans; queries
// still read what they can of it.
//
// Thread-safety: every method is thread-safe. Compaction, retention,
// Delete and Snapshot are serialised by compact_mu_; the block list is a
// vector of shared_ptr replaced under mu_, so queriers keep the blocks
// they started with.
#ifndef STRATA_ENGINE_DB_IMPL_H_
#define STRATA_ENGINE_DB_IMPL_H_

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "engine/block.h"
#include "engine/head.h"
#include "strata/db.h"

namespace strata::engine {

class DBImpl final : public DB {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<DBImpl>> Open(const Options& options,
                                                              const std::string& dir);
  ~DBImpl() override;

  std::unique_ptr<Appender> NewAppender() override;
  StatusOr<std::unique_ptr<Querier>> NewQuerier(int64_t min_time_ms, int64_t max_time_ms) override;
  Status Delete(int64_t min_time_ms, int64_t max_time_ms,
                std::span<const LabelMatcher> matchers) override;
  Status Compact() override;
  Status Snapshot(const std::string& dir, bool with_head) override;
  DBStats Stats() const override;
  Status Close() override;

  // The open blocks, oldest first. For tools and tests.
  std::vector<std::shared_ptr<Block>> blocks() const;
  const Head& head() const { return *head_; }
  const std::string& dir() const { return dir_; }

  // Runs one round of the background loop now, at the Env's time (for
  // tests with background_compaction off and a clock they control).
  // Returns how long the loop would wait before the next round.
  absl::Duration TEST_BackgroundRound() { return BackgroundRound(); }
  // Env times of the background rounds' compaction attempts, oldest first
  // (the last 64).
  std::vector<int64_t> TEST_compaction_attempts();

 private:
  friend class DBAppender;

  DBImpl(Env& env, std::string dir, const Options& options);
  [[nodiscard]] Status LoadBlocks();
  // Head compaction, then block compaction (each attempted even if the
  // other failed); returns the first error, counted in compactions_failed.
  [[nodiscard]] Status CompactLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  [[nodiscard]] Status CompactHeadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  [[nodiscard]] Status CompactBlocksLocked(bool* compacted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  // Time and size retention; counted in retention_runs / retention_failed.
  [[nodiscard]] Status RetentionLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  // Writes compaction.failed into `block`'s meta.json (atomically) and
  // leaves it out of plans from now on, even if that write fails.
  void MarkCompactionFailedLocked(const Block& block, const Status& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  // Takes the blocks `ulids` out of the list and deletes their directories.
  [[nodiscard]] Status DeleteBlocks(std::span<const Ulid> ulids);
  // Whether the head spans more than 1.5 block ranges, counting its max
  // time only up to the Env's clock: the block cut then ends at least half
  // a range before now, so current samples stay writable whatever
  // timestamps a client sent or an old WAL held.
  bool HeadCompactable() const;
  void WakeCompactor();
  void BackgroundLoop();
  absl::Duration BackgroundRound();

  // Constant after Open.
  Env& env_;
  const std::string dir_;
  const Options options_;
  std::vector<int64_t> ranges_;  // block ranges, smallest first
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<Head> head_;

  mutable Mutex mu_;
  std::vector<std::shared_ptr<Block>> blocks_ ABSL_GUARDED_BY(mu_);  // by min time
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(mu_);
  // Blocks marked compaction.failed since Open (their Block objects still
  // hold the meta.json read at Open).
  std::set<Ulid> failed_blocks_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  Mutex compact_mu_;
  // Background scheduling (Env times): no compaction attempt before
  // next_compaction_ms_ (backoff after a failure), retention at the latest
  // at next_retention_ms_.
  int64_t compaction_backoff_ms_ ABSL_GUARDED_BY(compact_mu_) = 0;
  int64_t next_compaction_ms_ ABSL_GUARDED_BY(compact_mu_) = INT64_MIN;
  int64_t next_retention_ms_ ABSL_GUARDED_BY(compact_mu_) = INT64_MIN;
  std::vector<int64_t> compaction_attempts_ms_ ABSL_GUARDED_BY(compact_mu_);

  Mutex bg_mu_;
  CondVar bg_cv_;
  bool bg_stop_ ABSL_GUARDED_BY(bg_mu_) = false;
  bool bg_wake_ ABSL_GUARDED_BY(bg_mu_) = false;
  std::thread bg_;

  std::atomic<uint64_t> samples_appended_{0};
  std::atomic<uint64_t> samples_refused_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> compactions_failed_{0};
  std::atomic<uint64_t> retention_runs_{0};
  std::atomic<uint64_t> retention_failed_{0};
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_DB_IMPL_H_
