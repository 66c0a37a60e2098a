// Group commit, page framing and segment roll-over (see writer.h and
// Prometheus tsdb/wlog/wlog.go).
#include "wal/writer.h"

#include <snappy.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/check.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "wal/reader.h"

namespace strata::wal {
namespace {

// Splits bytes that Writer::FrameRecord() framed, starting at `offset` of
// a segment, back into records: (payload as framed, snappy flag). The
// bytes never left this process, so their framing is trusted.
std::vector<std::pair<std::string, bool>> Deframe(std::string_view framed, uint64_t offset) {
  std::vector<std::pair<std::string, bool>> records;
  std::string record;
  while (!framed.empty()) {
    const uint64_t page_left = kPageSize - offset % kPageSize;
    if (page_left < kFragmentHeaderSize || framed[0] == '\0') {
      const size_t n = std::min<uint64_t>(page_left, framed.size());  // page padding
      framed.remove_prefix(n);
      offset += n;
      continue;
    }
    STRATA_CHECK(framed.size() >= kFragmentHeaderSize);
    const uint8_t head = static_cast<uint8_t>(framed[0]);
    const size_t n = compression::LoadBE16(framed.data() + 1);
    STRATA_CHECK(framed.size() >= kFragmentHeaderSize + n);
    record.append(framed.substr(kFragmentHeaderSize, n));
    const auto type = static_cast<FragmentType>(head & kFragmentTypeMask);
    if (type == FragmentType::kFull || type == FragmentType::kLast) {
      records.emplace_back(std::move(record), (head & kSnappyFlag) != 0);
      record.clear();
    }
    framed.remove_prefix(kFragmentHeaderSize + n);
    offset += kFragmentHeaderSize + n;
  }
  return records;
}

}  // namespace

// One caller of Submit(): its request, and its result once done.
struct Writer::Waiter {
  Op op = Op::kLog;
  std::span<const std::string_view> records;
  // Parallel to records; empty if not compressed. Views into the calling
  // thread's scratch buffers, which stay put while it waits in Submit.
  absl::InlinedVector<std::string_view, 2> compressed;
  bool sync = false;
  Status status;
  uint32_t new_segment = 0;  // the result of kRoll
  bool done = false;
  CondVar cv;
};

Writer::Writer(Env& env, std::string dir, WriterOptions options)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      max_record_bytes_(options.segment_size / kPageSize * kMaxFragmentData) {}

StatusOr<std::unique_ptr<Writer>> Writer::Open(Env& env, std::string dir, WriterOptions options) {
  if (options.segment_size % kPageSize != 0 || options.segment_size < 2 * kPageSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("WAL segment size %d is not a multiple of %d bytes of at least two pages",
                        options.segment_size, kPageSize));
  }
  if (options.sync_policy == SyncPolicy::kInterval &&
      options.sync_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("WAL sync interval must be positive");
  }
  STRATA_RETURN_IF_ERROR(env.CreateDirs(dir));
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> segments, ListSegments(env, dir));
  STRATA_ASSIGN_OR_RETURN(std::optional<uint32_t> checkpoint, LastCheckpoint(env, dir));
  uint32_t next = 0;
  if (!segments.empty()) next = segments.back() + 1;
  if (checkpoint && *checkpoint >= next) next = *checkpoint + 1;

  std::unique_ptr<Writer> w(new Writer(env, std::move(dir), options));
  STRATA_RETURN_IF_ERROR(w->StartSegment(next));
  {
    MutexLock l(&w->mu_);
    w->segment_index_ = next;
  }
  if (options.sync_policy == SyncPolicy::kInterval) {
    w->flusher_ = std::thread([p = w.get()] { p->FlushLoop(); });
  }
  return w;
}

Writer::~Writer() {
  bool closed;
  {
    MutexLock l(&mu_);
    closed = closed_;
  }
  if (!closed) Close().IgnoreError();  // errors are reported by an explicit Close()
}

void Writer::StopFlusher() {
  std::call_once(stop_flusher_once_, [this] {
    if (!flusher_.joinable()) return;
    stop_flusher_.Notify();
    flusher_.join();
  });
}

void Writer::FlushLoop() {
  while (!stop_flusher_.WaitForNotificationWithTimeout(options_.sync_interval)) {
    // A failed sync puts the writer in its failed state, which is logged,
    // counted and returned by every later call; while failed, this Sync()
    // attempts the recovery.
    Sync().IgnoreError();
  }
}

Status Writer::Log(std::span<const std::string_view> records) {
  if (records.empty()) return absl::OkStatus();
  Waiter w;
  w.records = records;
  w.sync = options_.sync_policy == SyncPolicy::kAlways;
  // Scratch space for compression, kept per thread at its largest size up
  // to a limit (no allocation and no zero-filling per call); a larger
  // record gets a buffer of its own.
  constexpr size_t kMaxKeptScratch = 4 << 20;
  thread_local std::vector<std::string> scratch;
  std::vector<std::string> oversized;
  if (options_.compress) {
    w.compressed.resize(records.size());
    if (scratch.size() < records.size()) scratch.resize(records.size());
  }
  for (size_t i = 0; i < records.size(); ++i) {
    size_t framed = records[i].size();
    if (options_.compress && !records[i].empty()) {
      // Compressed outside the lock, in parallel across appenders; kept
      // only when smaller, as Prometheus does.
      const size_t max = snappy::MaxCompressedLength(records[i].size());
      std::string* buf = &scratch[i];
      if (max > kMaxKeptScratch) {
        oversized.reserve(records.size());  // so the views below stay valid
        buf = &oversized.emplace_back();
      }
      if (buf->size() < max) buf->resize(max);
      size_t n = 0;
      snappy::RawCompress(records[i].data(), records[i].size(), buf->data(), &n);
      if (n < records[i].size()) {
        w.compressed[i] = std::string_view(buf->data(), n);
        framed = n;
      }
    }
    if (framed > max_record_bytes_) {
      return absl::InvalidArgumentError(
          absl::StrFormat("WAL record of %d bytes does not fit in a segment of %d bytes", framed,
                          options_.segment_size));
    }
  }
  return Submit(&w);
}

Status Writer::Sync() {
  Waiter w;
  w.op = Op::kSync;
  w.sync = true;
  return Submit(&w);
}

Status Writer::Recover() {
  Waiter w;
  w.op = Op::kRecover;
  return Submit(&w);
}

StatusOr<uint32_t> Writer::NextSegment() {
  Waiter w;
  w.op = Op::kRoll;
  STRATA_RETURN_IF_ERROR(Submit(&w));
  return w.new_segment;
}

Status Writer::Close() {
  StopFlusher();
  Waiter w;
  w.op = Op::kClose;
  w.sync = true;
  return Submit(&w);
}

uint32_t Writer::current_segment() const {
  MutexLock l(&mu_);
  return segment_index_;
}

WriterStats Writer::stats() const {
  MutexLock l(&mu_);
  return stats_;
}

Status Writer::Submit(Waiter* w) {
  MutexLock l(&mu_);
  queue_.push_back(w);
  while (!w->done && queue_.front() != w) w->cv.Wait(&mu_);
  if (w->done) return w->status;

  // Leader: take the waiting group, up to and including a Close().
  std::vector<Waiter*> group;
  Status s;
  if (closed_) {
    s = absl::FailedPreconditionError(StrCat("WAL writer for ", dir_, " is closed"));
  } else if (!error_.ok()) {
    s = error_;
  } else {
    for (Waiter* g : queue_) {
      group.push_back(g);
      if (g->op == Op::kClose) break;
    }
    mu_.Unlock();
    s = Lead(group);
    mu_.Lock();
    if (sticky_) error_ = s;
    if (group.back()->op == Op::kClose) closed_ = true;
    segment_index_ = file_index_;
    for (Waiter* g : group) stats_.batches += g->op == Op::kLog && s.ok() ? 1 : 0;
    ++stats_.groups;
    stats_.syncs = leader_syncs_;
    stats_.bytes = leader_bytes_;
    stats_.sync_failures = leader_sync_failures_;
    stats_.recoveries = leader_recoveries_;
    stats_.failed = !failure_.ok();
  }
  if (group.empty()) group.push_back(w);
  for (Waiter* g : group) {
    queue_.pop_front();
    g->status = s;
    g->done = true;
    if (g != w) g->cv.Signal();
  }
  if (!queue_.empty()) queue_.front()->cv.Signal();
  return s;
}

Status Writer::Lead(std::span<Waiter* const> group) {
  const bool closing = group.back()->op == Op::kClose;
  if (!failure_.ok()) {
    const bool now = closing || std::any_of(group.begin(), group.end(),
                                            [](Waiter* g) { return g->op == Op::kRecover; });
    const int64_t since = env_.NowMillis() - last_attempt_ms_;
    if (!now && since < absl::ToInt64Milliseconds(options_.recovery_backoff)) return failure_;
    if (!Rewrite().ok()) return failure_;
  }
  Status s = WriteOrUndo(group);
  if (s.ok() || !closing || failure_.ok()) return s;
  // Close()'s own sync failed: one rewrite, and the new segment is closed.
  // The batches of the group itself failed all the same.
  if (!Rewrite().ok()) return failure_;
  STRATA_RETURN_IF_ERROR(FinishSegment());
  const bool logs =
      std::any_of(group.begin(), group.end(), [](Waiter* g) { return g->op == Op::kLog; });
  return logs ? s : absl::OkStatus();
}

Status Writer::WriteOrUndo(std::span<Waiter* const> group) {
  const GroupStart start{file_index_, segment_offset_, buf_.size(), leader_syncs_};
  sync_failed_ = false;
  Status s = WriteGroup(group);
  if (s.ok()) return s;
  if (sync_failed_) {
    EnterFailed(s, start);
    return failure_;
  }
  if (group.back()->op == Op::kClose) {
    sticky_ = true;
    return s;
  }
  // Take the group's bytes back out, so none of its batches is half
  // stored and the next group can try again (a full disk may free up).
  // Only if that fails too is the error sticky.
  const Status undone = Undo(start);
  if (undone.ok()) return s;
  sticky_ = true;
  return Annotate(s, StrCat("and undoing it failed (", undone.message(), ")"));
}

Status Writer::WriteGroup(std::span<Waiter* const> group) {
  bool sync = false;
  for (Waiter* g : group) {
    sync |= g->sync;
    if (g->op == Op::kRoll) {
      STRATA_RETURN_IF_ERROR(FinishSegment());
      STRATA_RETURN_IF_ERROR(StartSegment(file_index_ + 1));
      g->new_segment = file_index_;
      continue;
    }
    if (g->op == Op::kClose) return FinishSegment();
    for (size_t i = 0; i < g->records.size(); ++i) {
      const bool compressed = !g->compressed.empty() && !g->compressed[i].empty();
      const std::string_view rec = compressed ? g->compressed[i] : g->records[i];
      if (!FitsInSegment(rec.size())) {
        STRATA_RETURN_IF_ERROR(FinishSegment());
        STRATA_RETURN_IF_ERROR(StartSegment(file_index_ + 1));
      }
      FrameRecord(rec, compressed);
    }
  }
  STRATA_RETURN_IF_ERROR(WriteOut());
  // What is kept for a rewrite stays bounded (see max_unsynced_bytes).
  if (buf_.size() >= options_.max_unsynced_bytes) sync = true;
  if (sync && dirty_) STRATA_RETURN_IF_ERROR(SyncSegment());
  return absl::OkStatus();
}

// True if a record of `n` bytes fits in the rest of this segment: the rest
// of this page and all later pages, less one header each (wlog.go log()).
bool Writer::FitsInSegment(size_t n) const {
  if (segment_offset_ >= options_.segment_size) return false;
  const uint64_t page_used = segment_offset_ % kPageSize;
  const uint64_t pages_left = (options_.segment_size - segment_offset_ + page_used) / kPageSize;
  return n <= (kPageSize - page_used - kFragmentHeaderSize) + (pages_left - 1) * kMaxFragmentData;
}

// Appends `record` to buf_ as full/first/middle/last fragments, padding a
// page whose free space drops below a header (wlog.go log()). A zero-length
// record still gets one (full) fragment.
void Writer::FrameRecord(std::string_view record, bool compressed) {
  for (int i = 0; i == 0 || !record.empty(); ++i) {
    const uint64_t page_used = segment_offset_ % kPageSize;
    const size_t n = std::min<size_t>(record.size(), kPageSize - page_used - kFragmentHeaderSize);
    const bool last = n == record.size();
    FragmentType type = last ? (i == 0 ? FragmentType::kFull : FragmentType::kLast)
                             : (i == 0 ? FragmentType::kFirst : FragmentType::kMiddle);
    const std::string_view part = record.substr(0, n);
    buf_.push_back(static_cast<char>(static_cast<uint8_t>(type) | (compressed ? kSnappyFlag : 0)));
    compression::PutBE16(&buf_, static_cast<uint16_t>(n));
    compression::PutBE32(&buf_, compression::crc32c::Value(part));
    buf_.append(part);
    segment_offset_ += kFragmentHeaderSize + n;
    const uint64_t page_free = kPageSize - segment_offset_ % kPageSize;
    if (page_free < kFragmentHeaderSize) {
      buf_.append(page_free, '\0');
      segment_offset_ += page_free;
    }
    record.remove_prefix(n);
  }
}

Status Writer::Undo(const GroupStart& start) {
  // A roll-over in the group synced the start segment whole, so nothing
  // before the group is unsynced any more; otherwise buf_ keeps its bytes
  // before the group (already written, still unsynced).
  if (leader_syncs_ != start.syncs) {
    buf_.clear();
    written_ = 0;
    synced_offset_ = start.offset;
  } else {
    buf_.resize(start.buffered);
    written_ = start.buffered;
  }
  if (file_ != nullptr) file_->Close().IgnoreError();  // its state is unknown; replaced below
  file_.reset();
  for (uint32_t i = file_index_; i > start.index; --i) {
    const Status removed = env_.RemoveFile(StrCat(dir_, "/", SegmentName(i)));
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
  }
  const std::string path = StrCat(dir_, "/", SegmentName(start.index));
  STRATA_RETURN_IF_ERROR(env_.Truncate(path, start.offset));
  STRATA_ASSIGN_OR_RETURN(file_, env_.NewAppendableFile(path));
  file_index_ = start.index;
  segment_offset_ = start.offset;
  dirty_ = true;
  return absl::OkStatus();
}

Status Writer::WriteOut() {
  if (written_ == buf_.size()) return absl::OkStatus();
  const std::string_view where = "write WAL segment ";
  const std::string_view out = std::string_view(buf_).substr(written_);
  STRATA_RETURN_IF_ERROR(
      Annotate(file_->Append(out), StrCat(where, dir_, "/", SegmentName(file_index_))));
  STRATA_RETURN_IF_ERROR(
      Annotate(file_->Flush(), StrCat(where, dir_, "/", SegmentName(file_index_))));
  leader_bytes_ += out.size();
  written_ = buf_.size();
  dirty_ = true;
  return absl::OkStatus();
}

Status Writer::SyncSegment() {
  const Status s = file_->Sync();
  if (!s.ok()) {
    sync_failed_ = true;
    ++leader_sync_failures_;
    return s;
  }
  ++leader_syncs_;
  dirty_ = false;
  synced_offset_ = segment_offset_;
  written_ = 0;
  // The buffer keeps its capacity: growing it again (page faults, copies)
  // after every sync cost up to 2.5 times the CPU per record in
  // bench/wal_bench.cc (BM_WalAppend, interval policy, 2000 samples). It
  // grows past max_unsynced_bytes by one group at most, and doubling may
  // overshoot that; anything bigger was a burst.
  if (buf_.capacity() > 2 * options_.max_unsynced_bytes) {
    std::string().swap(buf_);
  } else {
    buf_.clear();
  }
  return absl::OkStatus();
}

// Pads the last page, writes, syncs and closes the segment. Every policy
// syncs here (once per segment), so a closed segment is always durable.
Status Writer::FinishSegment() {
  if (segment_offset_ % kPageSize != 0) {
    const uint64_t pad = kPageSize - segment_offset_ % kPageSize;
    buf_.append(pad, '\0');
    segment_offset_ += pad;
  }
  STRATA_RETURN_IF_ERROR(WriteOut());
  if (dirty_) STRATA_RETURN_IF_ERROR(SyncSegment());
  return file_->Close();
}

Status Writer::StartSegment(uint32_t index) {
  const std::string path = StrCat(dir_, "/", SegmentName(index));
  STRATA_ASSIGN_OR_RETURN(file_, env_.NewWritableFile(path));
  file_index_ = index;
  highest_index_ = std::max(highest_index_, index);
  segment_offset_ = 0;
  synced_offset_ = 0;
  buf_.clear();
  written_ = 0;
  return Annotate(env_.SyncDir(dir_), "create WAL segment");
}

void Writer::EnterFailed(const Status& sync_error, const GroupStart& start) {
  const std::string path = StrCat(dir_, "/", SegmentName(file_index_));
  if (leader_syncs_ != start.syncs) {
    // A roll-over in the group synced the start segment whole: nothing
    // acknowledged is unsynced; the group's own bytes go with the cut.
    keep_index_ = start.index;
    keep_offset_ = start.offset;
    rewrite_.clear();
  } else {
    keep_index_ = file_index_;
    keep_offset_ = synced_offset_;
    rewrite_.assign(buf_, 0, start.buffered);
  }
  if (file_ != nullptr) file_->Close().IgnoreError();  // abandoned: cut back at the rewrite
  file_.reset();
  // The group's own bytes go at once, so that a crash before the rewrite
  // does not replay batches reported as failed. Best effort: the rewrite
  // cuts again, and checks.
  for (uint32_t i = file_index_; i > start.index; --i) {
    env_.RemoveFile(StrCat(dir_, "/", SegmentName(i))).IgnoreError();
  }
  env_.Truncate(StrCat(dir_, "/", SegmentName(start.index)), start.offset).IgnoreError();
  buf_.clear();
  written_ = 0;
  dirty_ = false;
  last_attempt_ms_ = env_.NowMillis();
  failure_cause_ = StrCat("WAL fsync of ", path, " failed (", sync_error.message(),
                          "); writes are refused until the ", rewrite_.size(),
                          " bytes logged since the last good fsync are rewritten to a new segment");
  failure_ = absl::UnavailableError(failure_cause_);
  log::Error("WAL fsync failed; refusing writes until the unsynced records are rewritten",
             {{"component", "wal"}, {"segment", path}, {"err", sync_error}});
}

Status Writer::Rewrite() {
  last_attempt_ms_ = env_.NowMillis();
  size_t records = 0;
  const Status s = RewriteOnce(&records);
  const std::string path = StrCat(dir_, "/", SegmentName(keep_index_ + 1));
  if (!s.ok()) {
    // The new segment is left as it is; the next attempt removes it.
    if (file_ != nullptr) file_->Close().IgnoreError();
    file_.reset();
    buf_.clear();
    written_ = 0;
    dirty_ = false;
    failure_ = absl::UnavailableError(
        StrCat(failure_cause_, "; rewriting to ", path, " failed too (", s.message(), ")"));
    log::Error("WAL rewrite after a failed fsync failed; still refusing writes",
               {{"component", "wal"}, {"segment", path}, {"err", s}});
    return failure_;
  }
  failure_ = absl::OkStatus();
  rewrite_.clear();
  ++leader_recoveries_;
  log::Info("WAL recovered from a failed fsync: unsynced records rewritten and synced",
            {{"component", "wal"}, {"segment", path}, {"records", records}});
  return absl::OkStatus();
}

Status Writer::RewriteOnce(size_t* records) {
  // Segments after the kept one hold only unacknowledged bytes, or an
  // earlier attempt's.
  for (uint32_t i = highest_index_; i > keep_index_; --i) {
    const Status removed = env_.RemoveFile(StrCat(dir_, "/", SegmentName(i)));
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
  }
  highest_index_ = keep_index_;
  // The damaged segment ends at its last good sync, durably: replay must
  // not meet a torn or zeroed tail before the new segment.
  const std::string kept = StrCat(dir_, "/", SegmentName(keep_index_));
  STRATA_RETURN_IF_ERROR(Annotate(env_.Truncate(kept, keep_offset_), "cut WAL segment"));
  {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_.NewAppendableFile(kept));
    const Status synced = f->Sync();
    if (!synced.ok()) {
      ++leader_sync_failures_;
      return Annotate(synced, StrCat("fsync ", kept));
    }
    STRATA_RETURN_IF_ERROR(Annotate(f->Close(), StrCat("close ", kept)));
  }
  // Creating the segment syncs the directory: the removals and the cut
  // are durable with it.
  STRATA_RETURN_IF_ERROR(StartSegment(keep_index_ + 1));
  const std::vector<std::pair<std::string, bool>> recs = Deframe(rewrite_, keep_offset_);
  for (const auto& [rec, compressed] : recs) {
    if (!FitsInSegment(rec.size())) {
      STRATA_RETURN_IF_ERROR(FinishSegment());
      STRATA_RETURN_IF_ERROR(StartSegment(file_index_ + 1));
    }
    FrameRecord(rec, compressed);
  }
  STRATA_RETURN_IF_ERROR(WriteOut());
  if (dirty_) STRATA_RETURN_IF_ERROR(SyncSegment());
  *records = recs.size();
  return absl::OkStatus();
}

}  // namespace strata::wal
