// Head: the newest samples of every series, in memory, in front of the
// blocks (Prometheus' tsdb/head.go, head_append.go, head_read.go,
// head_wal.go).
//
// Each series has one open XOR chunk in RAM; a chunk is cut at Prometheus'
// points (at most 120 samples on a regular scrape, never across a multiple
// of the chunk range) and the full one is written to chunks_head/ and read
// back through a mapping (HeadChunkStore), so RSS stays flat. Every change
// is logged to the WAL before it becomes visible; Open() replays the WAL
// (checkpoint first) and the head chunk files, so a crash loses nothing
// that Commit() acknowledged.
//
// Series live in a pool of slabs (SeriesPool), each guarded by its own spin
// lock; an appender's handle leads straight to its slot. Two arrays of
// locked hash-map stripes find a series by ref (queries, replay) and by
// label hash (hash collisions resolved by comparing labels). The label
// index (MemIndex) answers selectors.
//
// Out of order: with a window w > 0 a sample at most w older than its
// series' newest sample goes to a small sorted per-series buffer that
// queries and compaction merge in; without one it is refused.
//
// Thread-safety: all methods are thread-safe. Appends to different series
// run in parallel; queries copy what they need under the series' lock.
// Truncate() and WriteBlock() are called by one compaction thread at a time.
#ifndef STRATA_ENGINE_HEAD_H_
#define STRATA_ENGINE_HEAD_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "base/mutex.h"
#include "base/spin_lock.h"
#include "engine/block_meta.h"
#include "engine/block_writer.h"
#include "engine/head_chunk_store.h"
#include "engine/sample_iterator.h"
#include "engine/tombstones.h"
#include "index/labels.h"
#include "index/matcher.h"
#include "index/mem_index.h"
#include "strata/db.h"
#include "strata/env.h"
#include "strata/status.h"
#include "wal/reader.h"
#include "wal/records.h"
#include "wal/writer.h"

namespace strata::engine {

// Prometheus' rangeForTimestamp: the end of the range of width `width`
// holding `t` (ranges are aligned to multiples of `width`).
int64_t RangeEnd(int64_t t, int64_t width);

// Why the head refused a sample; counted per reason (Head::refused).
enum class Refusal {
  kTooNew,       // beyond the clock plus HeadOptions::max_future_ms
  kOutOfBounds,  // older than the head's minimum valid time
  kOutOfOrder,   // older than its series' newest sample beyond the window
  kDuplicate,    // a timestamp stored already, with another value
  kSeriesLimit,  // would create a series beyond HeadOptions::max_series
  kOther,        // a chunk that cannot take the sample (never in practice)
};
inline constexpr size_t kNumRefusals = 6;

// RFC 3339 in UTC with milliseconds, for messages about timestamps.
std::string FormatTimestamp(int64_t t_ms);

struct HeadOptions {
  // Chunks never cross a multiple of this (the block range).
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // 0: refuse out-of-order samples.
  int64_t ooo_window_ms = 0;
  // Samples older than this are refused ("out of bounds"): the end of the
  // newest block, whose data the head no longer holds.
  int64_t min_valid_time_ms = INT64_MIN;
  // Samples more than this ahead of the Env's clock are refused by
  // appenders and dropped by WAL replay (an old WAL may hold them); the
  // default checks nothing (offline tools).
  int64_t max_future_ms = INT64_MAX;
  // Appenders refuse a sample that would create a series beyond this many;
  // 0: no limit. Replay is not limited (its series were acknowledged).
  uint64_t max_series = 0;
  wal::WriterOptions wal;
  // Change no file: no WAL writer, no repair of a torn or damaged WAL or
  // chunks_head/ (what precedes the damage is read), no appends.
  bool read_only = false;
};

// What Open() found while replaying; intentionally copyable.
struct HeadReplayStats {
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t mmapped_chunks = 0;
  uint64_t unknown_series_refs = 0;  // samples of series never declared
  uint64_t samples_refused = 0;      // out of order or out of bounds at replay
  // Samples (and head chunks) beyond the clock plus max_future_ms, which
  // an older Strata accepted: dropped, or they would keep their series
  // from taking current samples.
  uint64_t samples_too_new = 0;
  uint64_t head_chunks_too_new = 0;
  uint64_t head_chunk_bytes_dropped = 0;
  uint64_t wal_torn_tail_bytes = 0;
  // Set if a WAL record was damaged: where, and what happened (records
  // after it were dropped by a repair, or, read-only, not read).
  std::string wal_damage;
};

// One series as a query sees it: labels and its chunks inside the queried
// range, owned (pins and copies), so it stays valid after the head moves on.
struct HeadSeriesData {
  index::Labels labels;
  std::vector<TimedChunk> chunks;       // by min time; views into `pins`
  std::vector<PinnedChunk> pins;        // keep the chunks' bytes alive (mappings or copies)
  std::vector<int64_t> ooo_timestamps;  // out-of-order samples, sorted
  std::vector<double> ooo_values;
  std::shared_ptr<const Intervals> deleted;  // null if none
  Status status;  // DataLoss if a chunk could not be read; iterators report it

  // An iterator over [min_time_ms, max_time_ms] of this data, which must
  // outlive it.
  std::unique_ptr<SampleIterator> NewIterator(int64_t min_time_ms, int64_t max_time_ms) const;
};

class HeadAppender;
class SeriesPool;
struct MappedChunk;

class Head {
 public:
  // Opens the head of data directory `dir`: replays chunks_head/ and the
  // WAL (using every core for samples), then opens the WAL for writing.
  // `env` must outlive the head. Errors: DataLoss naming the segment and
  // offset if the WAL is damaged before its tail; the Env's errors.
  [[nodiscard]] static StatusOr<std::unique_ptr<Head>> Open(Env& env, const std::string& dir,
                                                            const HeadOptions& options,
                                                            HeadReplayStats* stats = nullptr);
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;
  ~Head();

  // One series; opaque outside the head (engine/internal/head_series.h).
  struct Series;
  // The spin lock of `s`, which guards most of it: what the annotations of
  // the *Locked methods name, as `s.mu` cannot be named while Series is
  // incomplete. Defined (with ABSL_LOCK_RETURNED(s.mu), which tells
  // clang's analysis that it is s.mu) in engine/internal/head_series.h.
  static SpinLock& LockOf(const Series& s);

  std::unique_ptr<HeadAppender> NewAppender();

  // Series selected by `matchers` with samples in [mint, maxt], sorted by
  // labels.
  [[nodiscard]] StatusOr<std::vector<HeadSeriesData>> Select(
      std::span<const index::Matcher> matchers, int64_t mint, int64_t maxt) const;
  // Sorted label names / values of the series `matchers` select (all if
  // empty). The head's range is not narrowed further, as in Prometheus.
  [[nodiscard]] StatusOr<std::vector<std::string>> LabelNames(
      std::span<const index::Matcher> matchers) const;
  [[nodiscard]] StatusOr<std::vector<std::string>> LabelValues(
      std::string_view name, std::span<const index::Matcher> matchers) const;

  // Deletes [mint, maxt] of the series `matchers` select: logged to the
  // WAL as tombstones, applied to reads and to the next block.
  [[nodiscard]] Status Delete(int64_t mint, int64_t maxt, std::span<const index::Matcher> matchers);

  // Writes the samples in [mint, maxt) into `writer` (series in label
  // order), tombstones applied, out-of-order samples merged; returns the
  // number of series written. REQUIRES: not concurrent with Truncate().
  [[nodiscard]] StatusOr<uint64_t> WriteBlock(BlockWriter& writer, int64_t mint,
                                              int64_t maxt) const;
  // Drops everything before `mint` (after it went into a block): chunks,
  // series left without samples (and their index entries), head chunk
  // files, and the WAL's older part (checkpointed). Samples before `mint`
  // are refused from now on. A failed WAL checkpoint (e.g. a damaged
  // segment) does not fail the truncation: it is counted and remembered
  // (wal_checkpoints_failed, last_checkpoint_error), the WAL is kept as it
  // is, and the next truncation tries again.
  [[nodiscard]] Status Truncate(int64_t mint);

  // Samples from the head's min time to max time; INT64_MAX / INT64_MIN
  // when empty.
  int64_t min_time_ms() const { return min_time_.load(std::memory_order_relaxed); }
  int64_t max_time_ms() const { return max_time_.load(std::memory_order_relaxed); }
  int64_t min_valid_time_ms() const { return min_valid_time_.load(std::memory_order_relaxed); }
  uint64_t num_series() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t num_chunks() const;
  uint64_t wal_bytes() const;
  // The WAL writer's counters (zero when read-only).
  wal::WriterStats wal_stats() const;
  uint64_t head_chunk_bytes() const;
  const HeadOptions& options() const { return options_; }
  // Samples refused by appenders for `why`.
  uint64_t refused(Refusal why) const {
    return refused_[static_cast<size_t>(why)].load(std::memory_order_relaxed);
  }
  uint64_t wal_checkpoints_failed() const {
    return wal_checkpoints_failed_.load(std::memory_order_relaxed);
  }
  // The last failed checkpoint's error; OK if none failed.
  Status last_checkpoint_error() const;

  // Flushes head chunk files and syncs and closes the WAL.
  [[nodiscard]] Status Close();

 private:
  friend class HeadAppender;
  // Ref -> series (which live in pool_).
  struct RefStripe {
    mutable Mutex mu;
    absl::flat_hash_map<uint64_t, Series*> series ABSL_GUARDED_BY(mu);
  };
  // Label hash -> series. Two label sets with the same 64-bit hash are
  // astronomically rare, so the second one goes to `collisions` instead
  // of making every entry a list (16 bytes per series less).
  struct HashStripe {
    mutable Mutex mu;
    absl::flat_hash_map<uint64_t, Series*> series ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<uint64_t, std::vector<Series*>> collisions ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kStripes = 1 << 12;  // Prometheus' DefaultStripeSize is 1 << 14

  // What WAL replay carries from record to record (head_wal.cc).
  struct WalReplay;

  Head(Env& env, std::string dir, const HeadOptions& options);

  // Replay (head_wal.cc), the steps of Open(). Single-threaded apart from
  // the sample workers; no appender or query runs yet.
  [[nodiscard]] Status Replay(HeadReplayStats* stats);
  // Reads chunks_head/ into r.mapped (by series ref): chunks ending before
  // the min valid time are skipped, chunks starting beyond r.max_valid are
  // dropped and counted. Changes nothing in the head.
  [[nodiscard]] Status LoadHeadChunks(WalReplay& r);
  // Starts one sample worker per core; each applies the samples of the
  // series whose ref falls on it, under the series' lock.
  void StartReplayWorkers(WalReplay& r);
  // Applies one WAL record (series, samples or tombstones; others are
  // skipped). Errors: the record's decoding error (DataLoss).
  [[nodiscard]] Status ReplayRecord(std::string_view record, WalReplay& r);
  // Creates (or finds) each declared series, marks it logged, attaches its
  // chunks from r.mapped and notes its WAL ref in r.refs. Takes the stripe
  // locks (GetOrCreate) and then the series' lock.
  [[nodiscard]] Status ReplaySeriesRecord(std::string_view record, WalReplay& r);
  // Sends each sample of a declared series that is within the valid range
  // and newer than its mapped chunks to its worker's batch; counts the
  // others. Reads r.refs only (no lock): the hot loop of replay.
  [[nodiscard]] Status ReplaySamplesRecord(std::string_view record, WalReplay& r);
  // Adds the record's tombstones of declared series to tombstones_; takes
  // meta_mu_.
  [[nodiscard]] Status ReplayTombstonesRecord(std::string_view record, WalReplay& r);
  // Hands over the batches left, waits for every worker and adds their
  // counts to r.stats.
  void FinishReplayWorkers(WalReplay& r);
  // The result of Replay given wal::Replay's: OK for a missing WAL (a new
  // directory); for a damaged one, OK after cutting the WAL at the damage
  // (or, read-only, leaving it), noted in stats->wal_damage; else the
  // error, annotated.
  [[nodiscard]] Status EndWalReplay(Status replayed, const wal::ReplayStats& wstats,
                                    HeadReplayStats* stats);

  // Truncate's steps, in order (head.cc). All run on the one compaction
  // thread; each takes the locks it names.
  // Samples before `mint` are refused from now on (min_valid_time_ only
  // grows). Lock-free.
  void RaiseMinValidTime(int64_t mint);
  // Drops every series' chunks and out-of-order samples wholly before
  // `mint`, recomputes the head's min/max time and mapped chunk count,
  // and returns the series left empty with no appender holding them.
  // Takes each ref stripe's lock, then each series' lock.
  std::vector<Series*> DropDataBefore(int64_t mint);
  // DropDataBefore for one series; returns its min time after (INT64_MAX
  // if empty).
  int64_t DropDataBeforeLocked(Series& s, int64_t mint) ABSL_EXCLUSIVE_LOCKS_REQUIRED(LockOf(s));
  // Removes those of `emptied` that are still empty and unheld from the
  // hash and ref stripes and frees them to the pool; returns their refs.
  // Takes hash stripe, ref stripe, series lock, the order of GetOrCreate.
  absl::flat_hash_set<uint64_t> RemoveEmptySeries(const std::vector<Series*>& emptied);
  // A label index of the live series, built under the ref stripe locks
  // only; from here until InstallIndexLocked GetOrCreate notes the series
  // it creates in created_while_rebuilding_. Takes meta_mu_ briefly.
  std::shared_ptr<index::MemIndex> BuildIndexOfLiveSeries();
  // Adds the series created meanwhile to `fresh` and makes it the index.
  void InstallIndexLocked(std::shared_ptr<index::MemIndex> fresh)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(meta_mu_);
  // Replaces tombstones_ by those of series not `removed` that reach
  // `mint` or later.
  void DropTombstonesLocked(int64_t mint, const absl::flat_hash_set<uint64_t>& removed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(meta_mu_);
  // Checkpoints the older part of the WAL (see Truncate for failures).
  [[nodiscard]] Status TruncateWal(int64_t mint);

  RefStripe& ref_stripe(uint64_t ref) const { return ref_stripes_[ref & (kStripes - 1)]; }
  // Whether series `ref` is in the head.
  bool Contains(uint64_t ref) const;
  // Finds or creates the series whose canonical label encoding is
  // `encoded` (hash `hash`) and adds one to its pending count, which keeps
  // it alive until the caller takes it off; `*created` tells which.
  // `ref_hint` (WAL replay) is the ref to give a new series, 0 for the next.
  // A new series beyond max_series (never on replay, ref_hint != 0) is
  // refused with InvalidArgument (counted).
  [[nodiscard]] StatusOr<Series*> GetOrCreate(std::string_view encoded, uint64_t hash,
                                              uint64_t ref_hint, bool* created);
  // Appends under the series' lock; false if refused (reason in `*why`).
  // Cuts and maps chunks as needed. The caller updates the head's min and
  // max time (UpdateMinMax) for what was accepted.
  bool AppendLocked(Series& s, int64_t t, double v, Refusal* why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(LockOf(s));
  // The InvalidArgument an appender returns for a sample refused for `why`,
  // naming the sample's time, the bound it broke and the series.
  Status RefusalError(Refusal why, const index::Labels& labels, int64_t t) const;
  void CountRefusal(Refusal why) {
    refused_[static_cast<size_t>(why)].fetch_add(1, std::memory_order_relaxed);
  }
  // Takes one of the max_series places for a new series; false if none is
  // left. Without a limit, just counts the series.
  bool ReserveSeries();
  void CutChunkLocked(Series& s, int64_t t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(LockOf(s));
  // Gives a series replayed from the WAL its chunks from chunks_head/.
  void AttachMappedLocked(Series& s, std::vector<MappedChunk> chunks)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(LockOf(s));
  void UpdateMinMax(int64_t t);
  void SnapshotLocked(const Series& s, int64_t mint, int64_t maxt, HeadSeriesData* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(LockOf(s));
  std::shared_ptr<const index::MemIndex> index() const;
  std::shared_ptr<const Tombstones> tombstones() const;

  // Constant after construction.
  Env& env_;
  const std::string dir_;
  const HeadOptions options_;

  std::unique_ptr<wal::Writer> wal_;
  std::unique_ptr<HeadChunkStore> chunks_;
  std::unique_ptr<SeriesPool> pool_;  // before the stripes, which point into it
  std::unique_ptr<RefStripe[]> ref_stripes_;
  std::unique_ptr<HashStripe[]> hash_stripes_;

  mutable Mutex meta_mu_;  // guards the two snapshots below
  // Replaced (not changed in place) by Truncate; readers copy the pointer.
  std::shared_ptr<index::MemIndex> index_ ABSL_GUARDED_BY(meta_mu_);
  std::shared_ptr<const Tombstones> tombstones_ ABSL_GUARDED_BY(meta_mu_);
  // While Truncate rebuilds the index: the series created meanwhile.
  bool rebuilding_index_ ABSL_GUARDED_BY(meta_mu_) = false;
  std::vector<uint64_t> created_while_rebuilding_ ABSL_GUARDED_BY(meta_mu_);

  std::atomic<uint64_t> next_ref_{1};
  std::atomic<int64_t> min_time_{INT64_MAX};
  std::atomic<int64_t> max_time_{INT64_MIN};
  std::atomic<int64_t> min_valid_time_;
  std::atomic<uint64_t> num_series_{0};
  std::atomic<uint64_t> num_mmapped_chunks_{0};
  std::array<std::atomic<uint64_t>, kNumRefusals> refused_{};
  std::atomic<uint64_t> wal_checkpoints_failed_{0};
  mutable Mutex checkpoint_mu_;
  Status last_checkpoint_error_ ABSL_GUARDED_BY(checkpoint_mu_);
  Status chunk_write_error_;  // first failure to map a chunk (kept in RAM then)
};

// Statistics of one Commit(); intentionally copyable.
struct CommitStats {
  uint64_t samples = 0;
  uint64_t refused = 0;
};

// A transaction on the head (see strata::Appender for the contract).
// Not thread-safe.
class HeadAppender {
 public:
  explicit HeadAppender(Head& head) : head_(head) {}
  HeadAppender(const HeadAppender&) = delete;
  HeadAppender& operator=(const HeadAppender&) = delete;
  ~HeadAppender() { Rollback(); }

  // Adds a sample to the series with `labels` (any order). Errors:
  // InvalidArgument for a bad label set, or for a sample that is out of
  // bounds, out of order or a duplicate with another value (the message
  // names the series); the sample is then not added.
  // Returns the series' handle for the faster overload.
  [[nodiscard]] StatusOr<uint64_t> Append(std::span<const LabelView> labels, int64_t t, double v);
  // Adds a sample to the series whose handle an Append by labels
  // returned (not its ref in the WAL and index). NotFound if there is no
  // such series.
  [[nodiscard]] Status Append(uint64_t handle, int64_t t, double v);
  // Appends each sample (by handle) as the overload above, fetching the
  // series a few samples ahead. See strata::Appender for the result;
  // `stats->refused` counts the InvalidArgument refusals among those left out.
  [[nodiscard]] Status Append(std::span<const RefSample> samples, size_t* left_out,
                              CommitStats* stats);
  // Logs and applies. See strata::Appender::Commit.
  [[nodiscard]] Status Commit(CommitStats* stats = nullptr);
  void Rollback();

 private:
  // A sample waiting for Commit; its ref, timestamp and value are in
  // samples_ at the same index, in the form the WAL record takes.
  struct Pending {
    Head::Series* series;
    // The series' open chunk as Append saw it, prefetched by Commit (at a
    // million series it is not in any cache). Maybe stale; only a hint.
    const void* chunk_header;
    const void* chunk_tail;
    // Whether the series had no WAL series record yet when Append saw it.
    bool unlogged;
  };
  // Whether `s` takes the sample (`*duplicate`: it holds it already).
  [[nodiscard]] Status Check(Head::Series& s, int64_t t, double v, bool* duplicate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(Head::LockOf(s));
  // Whether `t` is beyond the clock plus max_future_ms. The bound is read
  // from the clock once per transaction (a clock read per sample would
  // cost the hot path) and again only for a sample beyond it.
  bool TooNew(int64_t t);
  // Append by handle to `s`, what SeriesPool::Find gave for it.
  [[nodiscard]] Status AppendTo(Head::Series* s, uint64_t handle, int64_t t, double v);

  Head& head_;
  // Adds a sample to the transaction, reading what Commit needs of the
  // series now, while its memory is in the cache.
  void AddPending(Head::Series& s, int64_t t, double v)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(Head::LockOf(s));
  static void Prefetch(const Pending& p) {
    __builtin_prefetch(p.series, 1);
    if (p.chunk_header != nullptr) {
      __builtin_prefetch(p.chunk_header, 1);
      __builtin_prefetch(p.chunk_tail, 1);
    }
  }

  std::vector<Pending> pending_;
  std::vector<wal::RefSample> samples_;  // one for each of pending_
  int64_t max_valid_time_ = 0;
  bool max_valid_time_set_ = false;  // reset by Commit and Rollback, to re-read the clock
  std::vector<LabelView> sorted_;
  std::string encoded_;
  std::string record_;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_HEAD_H_
