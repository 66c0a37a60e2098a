// Writer: appends record batches to a WAL directory in the Prometheus
// format (wal/format.h), with group commit and an fsync policy.
//
// Each Log() call is one batch: its records are framed into 32 KiB pages
// in order and reach the operating system together with the batches of
// other threads that were waiting at the same time. One of the waiting
// threads, the leader (the one at the front of the queue), writes the whole
// group with one write and, if the policy asks for it, one fsync, and then
// wakes the others (LevelDB's DBImpl::Write). Log() returns only after its
// batch was handed to the OS (kill -9 cannot lose it) and, with
// SyncPolicy::kAlways, synced (power loss cannot lose it either). With
// kInterval a background thread syncs every `sync_interval`; with kNever
// only segment roll-over and Close() sync.
//
// Records may span pages but never segments: a record that does not fit in
// the rest of the segment starts the next one (segments are numbered
// 00000000, 00000001, ...). Open() always starts a new segment after the
// existing ones, as Prometheus does, so replay (wal/reader.h) must run
// before Open() on an existing directory.
//
// A failed write (a full disk, an I/O error) fails the batches of its
// group and is undone: the segment is cut back to where the group started,
// so none of those batches is stored, even in part, and a later Log()
// tries again (and succeeds once space returns). Only if undoing fails is
// the error sticky: every later call returns it, and the WAL must be
// replayed (reopened) before writing again.
//
// A failed fsync is different: after it, Linux may have dropped the dirty
// pages of the segment and marked them clean, so a later fsync that
// succeeds proves nothing about them (the "fsyncgate" of PostgreSQL 2018).
// Every batch acknowledged since the last good sync may be gone, and no
// retry of the sync can bring it back. So a failed fsync (with any policy:
// the sync of a Log() under kAlways, the interval flusher's, the one at
// segment roll-over or Close()) puts the writer into its failed state:
//   - Every Log(), Sync() and NextSegment() returns Unavailable naming the
//     segment and the OS error (remote write answers 503, so Prometheus
//     retries), the failure is logged to stderr and counted in stats()
//     (sync_failures, failed).
//   - The batches of the group whose sync failed are not acknowledged and
//     are dropped (they may not reach a later segment, or a client that
//     writes the same timestamp again could see its value replaced by one
//     it was told failed).
//   - The writer recovers only by writing the records it acknowledged since
//     the last good sync again, into a new segment: it cuts the damaged
//     segment back to the last good sync (and syncs that), removes any
//     segment after it, creates the next segment, frames the records into
//     it, syncs it and the directory. Replay then reads the good prefix of
//     the old segment followed by the new one, which Prometheus reads too
//     (a short segment is read as if zero-padded). If any step fails the
//     writer stays failed, and the next attempt starts over.
//   - It attempts that at the first call (Log, Sync, NextSegment) at least
//     `recovery_backoff` after the last attempt, at Recover(), and at
//     Close(); while failed the interval flusher's Sync() makes the
//     attempts even when nobody writes.
//
// Where the records to rewrite come from: the writer keeps the framed bytes
// it wrote since the last good sync in memory (the buffer it frames into is
// simply not cleared until the sync succeeds, so the normal path copies
// nothing more), and re-frames them for the new segment. That is at most
// one sync interval of data; to keep it bounded whatever the policy, a
// group that leaves more than `max_unsynced_bytes` unsynced syncs at once
// (so with kNever a sync happens at least every max_unsynced_bytes, not
// only at roll-over). Getting them from the head instead would tie the WAL
// to the head (which keeps samples, not the records as logged), against the
// direction of dependencies.
//
// Thread-safety: Log(), Sync(), NextSegment(), Recover() and Close() are
// safe to call from many threads at once.
#ifndef STRATA_WAL_WRITER_H_
#define STRATA_WAL_WRITER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "absl/time/time.h"
#include "base/mutex.h"
#include "strata/env.h"
#include "strata/status.h"
#include "wal/format.h"

namespace strata::wal {

// When written data is made durable (`--wal.fsync`).
enum class SyncPolicy {
  kAlways,    // every Log() syncs before it returns (shared by a group)
  kInterval,  // a background thread syncs every sync_interval
  kNever,     // only segment roll-over and Close() sync
};

struct WriterOptions {
  // Bytes per segment. REQUIRES: a multiple of kPageSize, at least 2 pages.
  uint64_t segment_size = kDefaultSegmentSize;
  // Snappy-compress each record when that makes it smaller (Prometheus'
  // --storage.tsdb.wal-compression).
  bool compress = false;
  SyncPolicy sync_policy = SyncPolicy::kInterval;
  absl::Duration sync_interval = absl::Seconds(1);
  // Written but unsynced bytes kept for a rewrite after a failed fsync;
  // a group that leaves more syncs at once (see the file comment). The
  // buffer keeps its capacity (up to twice this) between syncs. 16 MiB is
  // more than a second of 1M samples/s (about 12 bytes a sample in a
  // samples record), so the interval policy is unchanged in practice.
  uint64_t max_unsynced_bytes = 16ull << 20;
  // Least time between two attempts to recover from a failed fsync that a
  // Log(), Sync() or NextSegment() starts (Recover() and Close() do not wait).
  absl::Duration recovery_backoff = absl::Seconds(1);
};

// Counters since Open(); intentionally copyable.
struct WriterStats {
  uint64_t batches = 0;        // Log() calls written
  uint64_t groups = 0;         // leader writes (batches / groups = group-commit factor)
  uint64_t syncs = 0;          // fsyncs of segment files
  uint64_t bytes = 0;          // bytes written to segments, framing and padding included
  uint64_t sync_failures = 0;  // fsyncs of segment files that failed
  uint64_t recoveries = 0;     // rewrites after a failed fsync that succeeded
  bool failed = false;         // in the failed state now (see the file comment)
};

class Writer {
 public:
  // Opens `dir` (creating it if needed) and starts a new segment after the
  // last one there. Fails with InvalidArgument for bad options, or with the
  // Env's error. `env` must outlive the writer.
  [[nodiscard]] static StatusOr<std::unique_ptr<Writer>> Open(Env& env, std::string dir,
                                                              WriterOptions options);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Closes the writer if Close() was not called, ignoring errors.
  ~Writer();

  // Appends `records` as one batch (see the file comment for when it
  // returns). An empty span is a no-op. Fails with InvalidArgument if a
  // record is larger than a segment can hold (nothing is written then),
  // FailedPrecondition after Close(), Unavailable after a failed fsync
  // until the writer recovered, or the error of a failed write (sticky if
  // it could not be undone).
  [[nodiscard]] Status Log(std::span<const std::string_view> records);
  [[nodiscard]] Status Log(std::string_view record) { return Log({&record, 1}); }

  // Makes everything logged so far durable. Fails with Unavailable if the
  // fsync fails (the writer is failed then) or the writer is failed.
  [[nodiscard]] Status Sync();

  // In the failed state, attempts the rewrite now (without the backoff);
  // OK if the writer is not failed (any more). Fails with Unavailable if
  // the writer stays failed.
  [[nodiscard]] Status Recover();

  // Pads, syncs and closes the current segment and starts the next one;
  // returns its index. Used before a checkpoint so that it covers only
  // closed segments.
  [[nodiscard]] StatusOr<uint32_t> NextSegment();

  // Pads the last page, syncs and closes. Later calls fail with
  // FailedPrecondition. Returns the first error of the final write. In the
  // failed state (or if its own sync fails) it attempts the rewrite first
  // and returns Unavailable if that fails: records since the last good
  // sync may then be lost.
  [[nodiscard]] Status Close();

  // Index of the segment being written.
  uint32_t current_segment() const;
  WriterStats stats() const;

 private:
  enum class Op { kLog, kSync, kRoll, kRecover, kClose };
  struct Waiter;

  Writer(Env& env, std::string dir, WriterOptions options);

  // Where the leader's state stood when it took a group.
  struct GroupStart {
    uint32_t index = 0;   // segment
    uint64_t offset = 0;  // framed into that segment
    size_t buffered = 0;  // buf_.size()
    uint64_t syncs = 0;   // leader_syncs_ (a change means a roll-over synced)
  };

  [[nodiscard]] Status Submit(Waiter* w);
  // The leader's work; touches only leader-owned state (below).
  [[nodiscard]] Status Lead(std::span<Waiter* const> group);
  // Writes the group; on failure undoes it or enters the failed state.
  [[nodiscard]] Status WriteOrUndo(std::span<Waiter* const> group);
  [[nodiscard]] Status WriteGroup(std::span<Waiter* const> group);
  [[nodiscard]] Status StartSegment(uint32_t index);
  [[nodiscard]] Status FinishSegment();
  [[nodiscard]] Status WriteOut();
  // fsyncs file_; on success the kept bytes go, on failure sync_failed_ is set.
  [[nodiscard]] Status SyncSegment();
  // After a failed group: removes segments after `start.index`, cuts that
  // segment back to `start.offset` and reopens it for appending.
  [[nodiscard]] Status Undo(const GroupStart& start);
  // After a failed fsync in the group that began at `start`.
  void EnterFailed(const Status& sync_error, const GroupStart& start);
  // Attempts the rewrite (see the file comment); leaves failure_ OK on
  // success and updated on failure.
  [[nodiscard]] Status Rewrite();
  [[nodiscard]] Status RewriteOnce(size_t* records);
  void FrameRecord(std::string_view record, bool compressed);
  bool FitsInSegment(size_t n) const;
  void FlushLoop();
  void StopFlusher();

  // Constant after construction.
  Env& env_;
  const std::string dir_;
  const WriterOptions options_;
  const uint64_t max_record_bytes_;

  mutable Mutex mu_;
  std::deque<Waiter*> queue_ ABSL_GUARDED_BY(mu_);
  Status error_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t segment_index_ ABSL_GUARDED_BY(mu_) = 0;
  WriterStats stats_ ABSL_GUARDED_BY(mu_);

  // Owned by the leader (the waiter at the front of queue_); only it, with
  // mu_ released, touches these.
  std::unique_ptr<WritableFile> file_;  // null in the failed state
  uint32_t file_index_ = 0;
  uint32_t highest_index_ = 0;   // the highest segment created
  uint64_t segment_offset_ = 0;  // bytes framed into the current segment
  // Framed bytes since the last good sync of the current segment, which
  // starts at `synced_offset_` of it; the first `written_` went to the OS.
  std::string buf_;
  size_t written_ = 0;
  uint64_t synced_offset_ = 0;
  bool dirty_ = false;        // written since the last sync
  bool sync_failed_ = false;  // the last SyncSegment() failed
  bool sticky_ = false;       // the last group's error is for good (error_)
  uint64_t leader_syncs_ = 0;
  uint64_t leader_bytes_ = 0;
  uint64_t leader_sync_failures_ = 0;
  uint64_t leader_recoveries_ = 0;
  // The failed state: OK, or the Unavailable error every call returns.
  // Recovery cuts segment keep_index_ back to keep_offset_ (synced), and
  // rewrites the records framed in rewrite_ (as they were framed at
  // keep_offset_) into segment keep_index_ + 1.
  Status failure_;
  std::string failure_cause_;  // failure_'s message at the failed fsync
  uint32_t keep_index_ = 0;
  uint64_t keep_offset_ = 0;
  std::string rewrite_;
  int64_t last_attempt_ms_ = 0;

  // The interval flusher; started by Open(), stopped once by Close().
  Notification stop_flusher_;
  std::once_flag stop_flusher_once_;
  std::thread flusher_;
};

}  // namespace strata::wal

#endif  // STRATA_WAL_WRITER_H_
