// Group commit, page framing and segment roll-over (see writer.h and
// Prometheus tsdb/wlog/wlog.go).
#include "wal/writer.h"

#include <snappy.h>

#include <algorithm>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "wal/reader.h"

namespace strata::wal {

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
    // A failed sync is sticky: the next Log() reports it.
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
    const uint32_t start_index = file_index_;
    const uint64_t start_offset = segment_offset_;
    s = WriteGroup(group);
    if (!s.ok() && group.back()->op != Op::kClose) {
      // Take the group's bytes back out, so none of its batches is half
      // stored and the next group can try again (a full disk may free up).
      // Only if that fails too is the error sticky.
      const Status undone = Undo(start_index, start_offset);
      if (!undone.ok()) s = Annotate(s, StrCat("and undoing it failed (", undone.message(), ")"));
      mu_.Lock();
      if (!undone.ok()) error_ = s;
    } else {
      mu_.Lock();
      if (!s.ok()) error_ = s;
    }
    if (group.back()->op == Op::kClose) closed_ = true;
    segment_index_ = file_index_;
    for (Waiter* g : group) stats_.batches += g->op == Op::kLog ? 1 : 0;
    ++stats_.groups;
    stats_.syncs = leader_syncs_;
    stats_.bytes = leader_bytes_;
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
    if (g->op == Op::kClose) {
      if (segment_offset_ % kPageSize != 0)
        buf_.append(kPageSize - segment_offset_ % kPageSize, '\0');
      segment_offset_ = 0;
      continue;
    }
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
  if (sync && dirty_) {
    STRATA_RETURN_IF_ERROR(file_->Sync());
    ++leader_syncs_;
    dirty_ = false;
  }
  if (group.back()->op == Op::kClose) return file_->Close();
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

Status Writer::Undo(uint32_t index, uint64_t offset) {
  buf_.clear();
  if (file_ != nullptr) file_->Close().IgnoreError();  // its state is unknown; replaced below
  file_.reset();
  for (uint32_t i = file_index_; i > index; --i) {
    const Status removed = env_.RemoveFile(StrCat(dir_, "/", SegmentName(i)));
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
  }
  const std::string path = StrCat(dir_, "/", SegmentName(index));
  STRATA_RETURN_IF_ERROR(env_.Truncate(path, offset));
  STRATA_ASSIGN_OR_RETURN(file_, env_.NewAppendableFile(path));
  file_index_ = index;
  segment_offset_ = offset;
  dirty_ = true;
  return absl::OkStatus();
}

Status Writer::WriteOut() {
  if (buf_.empty()) return absl::OkStatus();
  const std::string_view where = "write WAL segment ";
  STRATA_RETURN_IF_ERROR(
      Annotate(file_->Append(buf_), StrCat(where, dir_, "/", SegmentName(file_index_))));
  STRATA_RETURN_IF_ERROR(
      Annotate(file_->Flush(), StrCat(where, dir_, "/", SegmentName(file_index_))));
  leader_bytes_ += buf_.size();
  buf_.clear();
  dirty_ = true;
  return absl::OkStatus();
}

// Pads the last page, writes, syncs and closes the segment. Every policy
// syncs here (once per segment), so a closed segment is always durable.
Status Writer::FinishSegment() {
  if (segment_offset_ % kPageSize != 0) buf_.append(kPageSize - segment_offset_ % kPageSize, '\0');
  STRATA_RETURN_IF_ERROR(WriteOut());
  STRATA_RETURN_IF_ERROR(file_->Sync());
  ++leader_syncs_;
  dirty_ = false;
  return file_->Close();
}

Status Writer::StartSegment(uint32_t index) {
  const std::string path = StrCat(dir_, "/", SegmentName(index));
  STRATA_ASSIGN_OR_RETURN(file_, env_.NewWritableFile(path));
  file_index_ = index;
  segment_offset_ = 0;
  return Annotate(env_.SyncDir(dir_), "create WAL segment");
}

}  // namespace strata::wal
