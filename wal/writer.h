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
// Thread-safety: Log(), Sync(), NextSegment() and Close() are safe to call
// from many threads at once.
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
};

// Counters since Open(); intentionally copyable.
struct WriterStats {
  uint64_t batches = 0;  // Log() calls written
  uint64_t groups = 0;   // leader writes (batches / groups = group-commit factor)
  uint64_t syncs = 0;    // fsyncs of segment files
  uint64_t bytes = 0;    // bytes written to segments, framing and padding included
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
  // FailedPrecondition after Close(), or the error of a failed write (sticky).
  [[nodiscard]] Status Log(std::span<const std::string_view> records);
  [[nodiscard]] Status Log(std::string_view record) { return Log({&record, 1}); }

  // Makes everything logged so far durable.
  [[nodiscard]] Status Sync();

  // Pads, syncs and closes the current segment and starts the next one;
  // returns its index. Used before a checkpoint so that it covers only
  // closed segments.
  [[nodiscard]] StatusOr<uint32_t> NextSegment();

  // Pads the last page, syncs and closes. Later calls fail with
  // FailedPrecondition. Returns the first error of the final write.
  [[nodiscard]] Status Close();

  // Index of the segment being written.
  uint32_t current_segment() const;
  WriterStats stats() const;

 private:
  enum class Op { kLog, kSync, kRoll, kClose };
  struct Waiter;

  Writer(Env& env, std::string dir, WriterOptions options);

  [[nodiscard]] Status Submit(Waiter* w);
  // The leader's work; touches only leader-owned state (below).
  [[nodiscard]] Status WriteGroup(std::span<Waiter* const> group);
  [[nodiscard]] Status StartSegment(uint32_t index);
  [[nodiscard]] Status FinishSegment();
  [[nodiscard]] Status WriteOut();
  // After a failed group: removes segments after `index`, cuts segment
  // `index` back to `offset` and reopens it for appending.
  [[nodiscard]] Status Undo(uint32_t index, uint64_t offset);
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
  std::unique_ptr<WritableFile> file_;
  uint32_t file_index_ = 0;
  uint64_t segment_offset_ = 0;  // bytes framed into the current segment
  std::string buf_;              // framed bytes not yet written
  bool dirty_ = false;           // written since the last sync
  uint64_t leader_syncs_ = 0;
  uint64_t leader_bytes_ = 0;

  // The interval flusher; started by Open(), stopped once by Close().
  Notification stop_flusher_;
  std::once_flag stop_flusher_once_;
  std::thread flusher_;
};

}  // namespace strata::wal

#endif  // STRATA_WAL_WRITER_H_
