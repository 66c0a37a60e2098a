// DBImpl: strata::DB over a Prometheus-compatible data directory — the
// head (with its WAL), the blocks, and a background thread that compacts
// the head into blocks, merges blocks and applies retention
// (Prometheus' tsdb/db.go).
//
// Thread-safety: every method is thread-safe. Compaction, retention,
// Delete and Snapshot are serialised by compact_mu_; the block list is a
// vector of shared_ptr replaced under mu_, so queriers keep the blocks
// they started with.
#ifndef STRATA_ENGINE_DB_IMPL_H_
#define STRATA_ENGINE_DB_IMPL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
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

 private:
  friend class DBAppender;

  DBImpl(Env& env, std::string dir, const Options& options);
  [[nodiscard]] Status LoadBlocks();
  [[nodiscard]] Status CompactLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  [[nodiscard]] Status CompactHeadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  [[nodiscard]] Status CompactBlocksLocked(bool* compacted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  [[nodiscard]] Status RetentionLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_);
  // Takes the blocks `ulids` out of the list and deletes their directories.
  [[nodiscard]] Status DeleteBlocks(std::span<const Ulid> ulids);
  bool HeadCompactable() const;
  void WakeCompactor();
  void BackgroundLoop();

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
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  Mutex compact_mu_;

  Mutex bg_mu_;
  CondVar bg_cv_;
  bool bg_stop_ ABSL_GUARDED_BY(bg_mu_) = false;
  bool bg_wake_ ABSL_GUARDED_BY(bg_mu_) = false;
  std::thread bg_;

  std::atomic<uint64_t> samples_appended_{0};
  std::atomic<uint64_t> samples_refused_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> compactions_failed_{0};
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_DB_IMPL_H_
