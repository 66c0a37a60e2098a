// Strata's embedding API: open a data directory, append samples, query
// them back.
//
// A DB is a Prometheus-compatible time-series database in a directory
// (DESIGN.md §2): a write-ahead log, an in-memory head with the newest
// samples, and immutable blocks that background compaction writes from the
// head and merges into larger ones. Prometheus 2.42 and its tools read the
// directory, and Strata opens one that Prometheus wrote.
//
//   strata::Options options;
//   absl::StatusOr<std::unique_ptr<strata::DB>> db = strata::DB::Open(options, "data");
//   std::unique_ptr<strata::Appender> app = (*db)->NewAppender();
//   app->Append({{"__name__", "up"}, {"job", "api"}}, now_ms, 1).IgnoreError();
//   app->Commit().IgnoreError();  // durable in the WAL once this returns OK
//
// See docs/embedding.md for a complete, compiled example.
//
// Thread-safety: DB and Querier are safe for concurrent use from any number
// of threads. An Appender or a SeriesSet belongs to one thread at a time.
// Nothing here throws; every failure is a Status.
#ifndef STRATA_DB_H_
#define STRATA_DB_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"

namespace strata {

// A label of a series, owned. A series' labels are sorted by name, names
// are unique, values are non-empty, and the metric name is the label
// `__name__`. Intentionally copyable.
struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};
using Labels = std::vector<Label>;

// A label borrowed from the caller, for appending without copies.
struct LabelView {
  std::string_view name;
  std::string_view value;
};

// Prometheus' staleness marker: a NaN with this bit pattern marks the end
// of a series; it is stored bit-exactly like any other value.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

// A label matcher of a selector, with Prometheus semantics: regexes are
// RE2, fully anchored, and a matcher that matches "" also selects series
// without the label. Intentionally copyable.
struct LabelMatcher {
  enum class Type { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };
  Type type = Type::kEqual;
  std::string name;
  std::string value;
};

// When WAL writes reach stable storage (`--wal.fsync`).
enum class WalSyncPolicy {
  kAlways,    // before Commit() returns
  kInterval,  // every Options::wal_sync_interval_ms (default)
  kNever,     // on segment roll-over and Close() only
};

// Options of DB::Open. Intentionally copyable.
struct Options {
  // File system and clock; null means Env::Default(). Must outlive the DB.
  Env* env = nullptr;
  // Span of the head's blocks: the head is compacted into a block once it
  // spans 1.5 times this; larger blocks are ×3 steps up to 31 d or 10 % of
  // the retention (Prometheus' --storage.tsdb.min-block-duration).
  int64_t block_range_ms = 2 * 3600 * 1000;
  // Blocks entirely older than this (relative to the newest sample) are
  // deleted; 0 keeps data forever (--retention.time, default 15 d).
  int64_t retention_ms = 15 * 24 * 3600 * 1000ll;
  // Oldest blocks are deleted while blocks, WAL and head chunks take more
  // bytes than this; 0 means no limit (--retention.size).
  uint64_t retention_bytes = 0;
  // Samples older than the newest sample of their series by at most this
  // much are accepted out of order; 0 (Prometheus' default) refuses them
  // (--storage.ooo-window).
  int64_t out_of_order_window_ms = 0;
  // Samples more than this ahead of the Env's clock are refused, so that
  // no client can move the head's window into the future (Prometheus'
  // scraper allows 10 minutes; --storage.max-future). Must be >= 0.
  int64_t max_future_ms = 10 * 60 * 1000;
  // A sample that would create a series beyond this many series in the
  // head is refused; 0 means no limit (--storage.max-series).
  uint64_t max_series = 0;
  WalSyncPolicy wal_sync = WalSyncPolicy::kInterval;
  int64_t wal_sync_interval_ms = 1000;
  // Snappy-compress WAL records (Prometheus' --storage.tsdb.wal-compression).
  bool wal_compression = true;
  // Run compaction and retention in a background thread. When false the
  // embedder calls DB::Compact() itself.
  bool background_compaction = true;
  // Open without changing anything in the directory, for offline tools on
  // a directory a server may hold open, or on a copy (Prometheus'
  // OpenDBReadOnly): no lock file, no background work, leftovers of an
  // interrupted compaction skipped rather than removed, a torn or damaged
  // WAL or chunks_head/ read up to the damage and left as it is (reported
  // in Stats().warnings). The WAL is replayed into memory, so the head's
  // samples are queryable. Appends, Delete and Compact fail with
  // FailedPrecondition; NewQuerier and Snapshot (which writes only into
  // its target) work.
  bool read_only = false;
};

using SeriesRef = uint64_t;

// A sample for a series that an earlier Append by labels returned.
struct RefSample {
  SeriesRef ref;
  int64_t timestamp_ms;
  double value;
};

// Appends samples as one transaction: nothing is visible to queries or
// durable until Commit(), and Rollback() (or destroying the appender)
// discards what was appended. Not thread-safe; use one per thread.
class Appender {
 public:
  virtual ~Appender() = default;

  // Adds a sample to the series with `labels` (any order; empty values are
  // dropped as in Prometheus) and returns its reference, which later calls
  // may pass to the faster overload while the DB is open. The sample is
  // checked at once against what is stored. Errors (the sample is then not
  // added; the appender stays usable): InvalidArgument for an empty label
  // set or a repeated or empty label name, and InvalidArgument naming the
  // series for a sample that is out of bounds (older than the head, whose
  // older data is in blocks), out of order beyond the out-of-order window,
  // or a duplicate timestamp with another value (the same value again is
  // accepted and ignored), more than Options::max_future_ms ahead of the
  // Env's clock, or a new series beyond Options::max_series.
  // FailedPrecondition if the DB is closed.
  [[nodiscard]] virtual StatusOr<SeriesRef> Append(std::span<const LabelView> labels,
                                                   int64_t timestamp_ms, double value) = 0;
  [[nodiscard]] StatusOr<SeriesRef> Append(std::initializer_list<LabelView> labels,
                                           int64_t timestamp_ms, double value) {
    return Append(std::span<const LabelView>(labels.begin(), labels.size()), timestamp_ms, value);
  }
  // Adds a sample to the series `ref` returned by an earlier Append.
  // Errors: NotFound if no such series exists (it may have been removed
  // after all its data left the head; append by labels then).
  [[nodiscard]] virtual Status Append(SeriesRef ref, int64_t timestamp_ms, double value) = 0;
  // Adds each of `samples` in turn as Append(ref, timestamp_ms, value)
  // would. With many series this is faster than a call per sample (a
  // scrape of cached refs, a bulk load): the appender fetches the series of
  // later samples from memory while it checks earlier ones. A refused
  // sample is left out and the others are added; the result is then the
  // first refusal's error (InvalidArgument naming the series and why, or
  // NotFound for an unknown ref) with the count of samples left out.
  // FailedPrecondition, with nothing added, on a read-only DB. `*refused`,
  // if given, is the number of samples not added (0 when all were).
  [[nodiscard]] virtual Status Append(std::span<const RefSample> samples, size_t* refused) = 0;
  [[nodiscard]] Status Append(std::span<const RefSample> samples) {
    return Append(samples, nullptr);
  }

  // Logs the appended samples to the WAL and makes them visible. A sample
  // that became unstorable after it was appended (another appender stored a
  // newer sample of its series first, or the head moved past it) is
  // refused and the rest are kept: the result is then InvalidArgument
  // naming the first refused series and why, with the count of refused
  // samples. Other errors (a failed WAL write; ResourceExhausted when the
  // disk is full; Unavailable after a failed WAL fsync, until the WAL
  // recovered, see DBStats::wal_failed) mean nothing of this transaction
  // was stored. The appender is empty afterwards and can be reused.
  [[nodiscard]] virtual Status Commit() = 0;
  // Discards everything appended since the last Commit or Rollback.
  virtual void Rollback() = 0;
};

// The samples of one series, in time order, each timestamp once.
class SeriesIterator {
 public:
  virtual ~SeriesIterator() = default;
  // Advances to the next sample; false at the end or on error.
  virtual bool Next() = 0;
  // Advances to the first sample at or after `timestamp_ms`; stays put if
  // the current one qualifies. False if there is none (or on error).
  virtual bool Seek(int64_t timestamp_ms) = 0;
  // The current sample. REQUIRES: the last Next/Seek returned true.
  virtual int64_t timestamp_ms() const = 0;
  virtual double value() const = 0;
  // DataLoss naming the file if stored data was found damaged.
  virtual Status status() const = 0;
};

// The series a Select found, sorted by labels.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  // Advances to the next series; false at the end or on error.
  virtual bool Next() = 0;
  // The current series' labels, valid until the next Next().
  virtual const Labels& labels() const = 0;
  // A new iterator over the current series' samples inside the querier's
  // time range. It stays usable after Next() while the querier lives.
  virtual std::unique_ptr<SeriesIterator> NewIterator() const = 0;
  virtual Status status() const = 0;
};

// A consistent read view of the DB over [min_time_ms, max_time_ms]
// (inclusive): the blocks it uses stay readable until it is destroyed,
// even if compaction or retention replaces them meanwhile. Thread-safe.
class Querier {
 public:
  virtual ~Querier() = default;
  // The series selected by `matchers` that have samples in the range.
  // Errors (also reported by the set's status()): InvalidArgument for a bad
  // regex or a selector whose every matcher matches the empty string.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<SeriesSet>> Select(
      std::span<const LabelMatcher> matchers) const = 0;
  // Sorted label names of the series selected by `matchers` (all series if
  // empty) in the range.
  [[nodiscard]] virtual StatusOr<std::vector<std::string>> LabelNames(
      std::span<const LabelMatcher> matchers) const = 0;
  // Sorted values of label `name` over the series selected by `matchers`.
  [[nodiscard]] virtual StatusOr<std::vector<std::string>> LabelValues(
      std::string_view name, std::span<const LabelMatcher> matchers) const = 0;
  int64_t min_time_ms() const { return min_time_ms_; }
  int64_t max_time_ms() const { return max_time_ms_; }

 protected:
  Querier(int64_t min_time_ms, int64_t max_time_ms)
      : min_time_ms_(min_time_ms), max_time_ms_(max_time_ms) {}

 private:
  const int64_t min_time_ms_;
  const int64_t max_time_ms_;
};

// Figures for /api/v1/status/tsdb and self-monitoring. Intentionally
// copyable.
struct DBStats {
  uint64_t head_series = 0;
  uint64_t head_chunks = 0;
  int64_t head_min_time_ms = 0;  // meaningless when the head is empty
  int64_t head_max_time_ms = 0;
  uint64_t blocks = 0;
  uint64_t block_bytes = 0;
  uint64_t wal_bytes = 0;
  // fsyncs of WAL segments that failed. After one the WAL refuses writes
  // (Commit fails with Unavailable) until it rewrote what it acknowledged
  // since the last good fsync into a new segment: `wal_failed` meanwhile.
  uint64_t wal_fsync_failures = 0;
  bool wal_failed = false;
  uint64_t samples_appended = 0;
  // Refused at Append or Commit: out of bounds, out of order, or a
  // duplicate timestamp with another value.
  uint64_t samples_refused = 0;
  // samples_refused by reason (a bad label set counts only above).
  uint64_t samples_refused_too_new = 0;        // beyond Options::max_future_ms
  uint64_t samples_refused_out_of_bounds = 0;  // older than the head accepts
  uint64_t samples_refused_out_of_order = 0;   // beyond the out-of-order window
  uint64_t samples_refused_duplicate = 0;      // same timestamp, another value
  uint64_t samples_refused_series_limit = 0;   // a new series beyond Options::max_series
  uint64_t compactions = 0;
  // Failed attempts; background compaction then backs off (1 s doubling
  // to 1 min) while retention keeps running.
  uint64_t compactions_failed = 0;
  // Blocks whose chunks or index could not be read by a compaction: their
  // meta.json says compaction.failed and compaction leaves them alone.
  uint64_t blocks_compaction_failed = 0;
  uint64_t retention_runs = 0;
  uint64_t retention_failed = 0;
  // WAL checkpoints that failed (e.g. a damaged segment): the head is
  // truncated anyway and the WAL kept until a checkpoint succeeds.
  uint64_t wal_checkpoints_failed = 0;
  // Problems found at Open that did not stop it, e.g. a damaged block set
  // aside ("block 01H...: index: checksum mismatch at offset 4096"), and
  // the latest failures of background work (a block marked
  // compaction.failed, a failed WAL checkpoint).
  std::vector<std::string> warnings;
};

class DB {
 public:
  // Opens the database in `dir`, creating it if missing: takes the
  // directory's lock, removes leftovers of interrupted compactions, opens
  // the blocks (a damaged block is reported and set aside), replays the WAL
  // into the head and starts background compaction. Returns only when the
  // DB is ready to serve. Errors: FailedPrecondition if another process
  // holds the lock; InvalidArgument for bad options; DataLoss if the WAL is
  // damaged before its tail (the message says where; Prometheus' repair
  // would drop everything after it, Strata does that only when asked to).
  [[nodiscard]] static StatusOr<std::unique_ptr<DB>> Open(const Options& options,
                                                          const std::string& dir);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the DB if Close() was not called, ignoring errors.
  virtual ~DB() = default;

  // A new appender. It must be destroyed before the DB.
  virtual std::unique_ptr<Appender> NewAppender() = 0;
  // A read view over [min_time_ms, max_time_ms]. It must be destroyed
  // before the DB.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<Querier>> NewQuerier(int64_t min_time_ms,
                                                                      int64_t max_time_ms) = 0;
  // Deletes the samples in [min_time_ms, max_time_ms] of the series
  // `matchers` select: at once for queries, from disk at the next
  // compaction (tombstones).
  [[nodiscard]] virtual Status Delete(int64_t min_time_ms, int64_t max_time_ms,
                                      std::span<const LabelMatcher> matchers) = 0;
  // Runs what background compaction would: writes the head's old part into
  // a block, merges blocks, applies retention (even if compaction failed).
  // Returns when done, with the first error (a block compaction could not
  // read is marked compaction.failed and left out from then on).
  [[nodiscard]] virtual Status Compact() = 0;
  // Writes a copy of the DB into the new directory `dir`: blocks as hard
  // links and, if `with_head`, the head's samples as one more block.
  [[nodiscard]] virtual Status Snapshot(const std::string& dir, bool with_head) = 0;
  virtual DBStats Stats() const = 0;
  // Stops compaction, syncs and closes the WAL, releases the lock. Later
  // calls on the DB or its appenders fail with FailedPrecondition.
  [[nodiscard]] virtual Status Close() = 0;
};

}  // namespace strata

#endif  // STRATA_DB_H_
