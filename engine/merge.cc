#include "engine/merge.h"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <memory>
#include <span>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/chunk.h"
#include "compression/xor_chunk.h"

namespace strata::engine {
namespace {

using compression::ChunkIterator;

constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

// Samples decoded per refill. 128 x 16 bytes stays in L1; NextBatch's
// per-call overhead is amortised well before that.
constexpr size_t kBatch = 128;
// Samples each chunk of a merged run decodes ahead.
constexpr size_t kSubBatch = 32;

// Iterates over chunks grouped into runs: a run is one chunk, or a set of
// chunks that overlap transitively. Single-chunk runs are batch-decoded;
// multi-chunk runs are merged through a heap of chunk iterators. Either
// way the samples land in a small buffer, already filtered by range,
// tombstones and order, from which Next/Seek serve.
//
// Chunk iterators come from the chunk interface (compression/chunk.h) by
// encoding and are reused from chunk to chunk, so a query allocates a
// handful per series, not one per chunk. Both paths decode through
// NextBatch, one virtual call per batch: a single chunk straight into the
// buffer, each chunk of a merged run into a small buffer of its own.
class ChunkSampleIterator final : public SampleIterator {
 public:
  ChunkSampleIterator(std::vector<TimedChunk> chunks, const Intervals* deleted, int64_t min_time_ms,
                      int64_t max_time_ms)
      : hi_(max_time_ms), lo_(min_time_ms) {
    if (deleted != nullptr) {
      tombs_ = deleted->list();  // a view: *deleted outlives us
    }
    if (!std::is_sorted(chunks.begin(), chunks.end(), ByMinTime)) {
      std::stable_sort(chunks.begin(), chunks.end(), ByMinTime);
    }
    chunks_.reserve(chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) {
      const TimedChunk& c = chunks[i];
      if (c.max_time_ms < lo_ || c.min_time_ms > hi_ || FullyDeleted(c)) {
        continue;
      }
      if (Status s = compression::CheckChunkEncoding(c.encoding); !s.ok()) {
        status_ = absl::DataLossError(
            StrCat("chunk ", i, " [", c.min_time_ms, ", ", c.max_time_ms, "]: ", s.message()));
        finished_ = true;
        return;
      }
      chunks_.push_back(c);
    }
    size_t widest = 1;
    for (size_t i = 0; i < chunks_.size();) {
      Run run{i, i + 1, chunks_[i].max_time_ms};
      while (run.end < chunks_.size() && chunks_[run.end].min_time_ms <= run.max_time_ms) {
        run.max_time_ms = std::max(run.max_time_ms, chunks_[run.end].max_time_ms);
        ++run.end;
      }
      widest = std::max(widest, run.end - run.begin);
      runs_.push_back(run);
      i = run.end;
    }
    heap_.reserve(widest);
  }

  bool Next() override {
    if (valid_) {
      ++pos_;
    }
    valid_ = pos_ < n_ || Fill();
    return valid_;
  }

  bool Seek(int64_t t_ms) override {
    if (valid_ && ts_[pos_] >= t_ms) {
      return true;
    }
    lo_ = std::max(lo_, t_ms);
    if (pos_ < n_ && ts_[n_ - 1] >= lo_) {
      pos_ = static_cast<size_t>(std::lower_bound(ts_.begin() + pos_, ts_.begin() + n_, lo_) -
                                 ts_.begin());
      valid_ = true;
      return true;
    }
    pos_ = n_ = 0;
    if (run_open_) {
      SeekOpenRun();
    }
    valid_ = Fill();
    return valid_;
  }

  int64_t timestamp_ms() const override { return ts_[pos_]; }
  double value() const override { return std::bit_cast<double>(vs_[pos_]); }
  Status status() const override { return status_; }

 private:
  struct Run {
    size_t begin, end;  // indexes into chunks_
    int64_t max_time_ms;
  };
  // One chunk of a merged run: its iterator and the samples it decoded
  // ahead, [pos, n) of ts/vs, of which the first is (t, v). Decoding in
  // batches keeps the per-sample cost of a merge free of calls into the
  // chunk's iterator.
  struct Sub {
    std::unique_ptr<ChunkIterator> it;  // kept for reuse when the run ends
    int64_t t = 0;
    uint64_t v = 0;
    uint32_t prio = 0;  // position in chunks_; lower wins ties
    uint32_t pos = 0, n = 0;
    std::array<int64_t, kSubBatch> ts;
    std::array<uint64_t, kSubBatch> vs;
  };

  static bool ByMinTime(const TimedChunk& a, const TimedChunk& b) {
    return a.min_time_ms < b.min_time_ms;
  }

  bool FullyDeleted(const TimedChunk& c) const {
    // First interval ending at or after the chunk start.
    auto it = std::lower_bound(tombs_.begin(), tombs_.end(), c.min_time_ms,
                               [](const Interval& iv, int64_t t) { return iv.max_time_ms < t; });
    return it != tombs_.end() && it->min_time_ms <= c.min_time_ms &&
           it->max_time_ms >= c.max_time_ms;
  }

  // Heap order: smallest timestamp on top, then the earliest chunk.
  bool HeapLess(uint32_t a, uint32_t b) const {
    const Sub& x = subs_[a];
    const Sub& y = subs_[b];
    if (x.t != y.t) {
      return x.t > y.t;
    }
    return x.prio > y.prio;
  }
  auto HeapCmp() const {
    return [this](uint32_t a, uint32_t b) { return HeapLess(a, b); };
  }

  // Sets status_ from a failed chunk iterator; returns false.
  bool ChunkError(const Status& error, size_t chunk) {
    const TimedChunk& c = chunks_[chunk];
    status_ = Annotate(error, StrCat("chunk [", c.min_time_ms, ", ", c.max_time_ms, "]"));
    finished_ = true;
    run_open_ = false;
    return false;
  }

  // Points `*it` at chunk `chunk`, reusing the iterator it holds. False
  // (with status_ set) if the chunk's encoding has no implementation.
  bool OpenChunk(size_t chunk, std::unique_ptr<ChunkIterator>* it) {
    const TimedChunk& c = chunks_[chunk];
    StatusOr<std::unique_ptr<ChunkIterator>> opened =
        compression::NewChunkIterator(c.encoding, c.data, std::move(*it));
    if (!opened.ok()) {
      return ChunkError(absl::DataLossError(opened.status().message()), chunk);
    }
    *it = std::move(*opened);
    return true;
  }

  // Decodes the next batch of sub `s`; false at its end or on an error
  // (then status_ is set).
  bool Refill(Sub& s) {
    s.pos = 0;
    s.n = static_cast<uint32_t>(s.it->NextBatch(s.ts.data(), s.vs.data(), kSubBatch));
    if (s.n == 0) {
      if (!s.it->status().ok()) ChunkError(s.it->status(), s.prio);
      return false;
    }
    s.t = s.ts[0];
    s.v = s.vs[0];
    return true;
  }

  // Moves sub `s` to its first sample >= `t_ms`; false if it has none (or
  // on an error, then status_ is set).
  bool SeekSub(Sub& s, int64_t t_ms) {
    while (s.pos < s.n && s.ts[s.pos] < t_ms) ++s.pos;
    if (s.pos < s.n) {
      s.t = s.ts[s.pos];
      s.v = s.vs[s.pos];
      return true;
    }
    // The iterator stands on the last buffered sample, before t_ms.
    if (!s.it->Seek(t_ms)) {
      if (!s.it->status().ok()) ChunkError(s.it->status(), s.prio);
      return false;
    }
    s.pos = 0;
    s.n = 1;
    s.t = s.ts[0] = s.it->timestamp_ms();
    s.v = s.vs[0] = s.it->value_bits();
    return true;
  }

  // Opens the next run that may hold samples >= lo_. False at the end.
  bool OpenRun() {
    while (next_run_ < runs_.size() && runs_[next_run_].max_time_ms < lo_) {
      ++next_run_;
    }
    if (next_run_ >= runs_.size()) {
      return false;
    }
    const Run& run = runs_[next_run_++];
    run_open_ = true;
    if (run.end - run.begin == 1) {
      single_chunk_ = run.begin;
      if (!OpenChunk(run.begin, &single_)) return false;
      single_active_ = true;
      single_has_current_ = false;
      if (chunks_[run.begin].min_time_ms < lo_) {
        SeekOpenRun();
      }
      return true;
    }
    single_active_ = false;
    heap_.clear();
    if (subs_.size() < run.end - run.begin) subs_.resize(run.end - run.begin);
    for (size_t i = run.begin; i < run.end; ++i) {
      Sub& s = subs_[i - run.begin];
      if (!OpenChunk(i, &s.it)) return false;
      s.prio = static_cast<uint32_t>(i);
      s.pos = s.n = 0;
      const bool ok = chunks_[i].min_time_ms < lo_ ? SeekSub(s, lo_) : Refill(s);
      if (!ok) {
        if (!status_.ok()) return false;
        continue;
      }
      heap_.push_back(static_cast<uint32_t>(i - run.begin));
    }
    std::make_heap(heap_.begin(), heap_.end(), HeapCmp());
    return true;
  }

  // Moves the open run's decoders to the first sample >= lo_.
  void SeekOpenRun() {
    if (single_active_) {
      single_has_current_ = single_->Seek(lo_);
      if (!single_has_current_) {
        if (!single_->status().ok()) {
          ChunkError(single_->status(), single_chunk_);
          return;
        }
        run_open_ = false;
      }
      return;
    }
    size_t kept = 0;
    for (uint32_t idx : heap_) {
      Sub& s = subs_[idx];
      if (s.t < lo_ && !SeekSub(s, lo_)) {
        if (!status_.ok()) return;
        continue;
      }
      heap_[kept++] = idx;
    }
    heap_.resize(kept);
    std::make_heap(heap_.begin(), heap_.end(), HeapCmp());
  }

  // Decodes up to kBatch raw samples of the open run into ts_/vs_; closes
  // the run when it is exhausted.
  size_t Decode() {
    if (single_active_) {
      size_t n = 0;
      if (single_has_current_) {  // left by a Seek, not yet buffered
        ts_[0] = single_->timestamp_ms();
        vs_[0] = single_->value_bits();
        n = 1;
        single_has_current_ = false;
      }
      const size_t got = single_->NextBatch(ts_.data() + n, vs_.data() + n, kBatch - n);
      if (got < kBatch - n) {
        if (!single_->status().ok()) {
          ChunkError(single_->status(), single_chunk_);
          return 0;
        }
        run_open_ = false;
      }
      return n + got;
    }
    size_t n = 0;
    while (n < kBatch && !heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), HeapCmp());
      const uint32_t top = heap_.back();
      const int64_t t = subs_[top].t;
      ts_[n] = t;
      vs_[n] = subs_[top].v;
      ++n;
      if (!Advance(top)) {
        return 0;
      }
      // Drop the same timestamp from later chunks.
      while (!heap_.empty() && subs_[heap_.front()].t == t) {
        std::pop_heap(heap_.begin(), heap_.end(), HeapCmp());
        if (!Advance(heap_.back())) {
          return 0;
        }
      }
    }
    if (heap_.empty()) {
      run_open_ = false;
    }
    return n;
  }

  // Steps sub `idx` (just popped to heap_.back()) and pushes it back, or
  // drops it at its end. False on a decoding error.
  bool Advance(uint32_t idx) {
    Sub& s = subs_[idx];
    if (++s.pos < s.n) {
      s.t = s.ts[s.pos];
      s.v = s.vs[s.pos];
    } else if (!Refill(s)) {
      heap_.pop_back();
      return status_.ok();
    }
    std::push_heap(heap_.begin(), heap_.end(), HeapCmp());
    return true;
  }

  // Keeps the samples of ts_/vs_[0, n) that are in [lo_, hi_], not
  // deleted and after the last one kept; returns how many.
  size_t Filter(size_t n) {
    size_t out = 0;
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = ts_[i];
      if (t < lo_ || (t <= last_t_ && have_last_)) {
        continue;
      }
      if (t > hi_) {
        finished_ = true;
        break;
      }
      while (tomb_pos_ < tombs_.size() && tombs_[tomb_pos_].max_time_ms < t) {
        ++tomb_pos_;
      }
      if (tomb_pos_ < tombs_.size() && tombs_[tomb_pos_].min_time_ms <= t) {
        continue;
      }
      ts_[out] = t;
      vs_[out] = vs_[i];
      ++out;
      last_t_ = t;
      have_last_ = true;
    }
    return out;
  }

  // Refills the buffer; false when no sample is left.
  bool Fill() {
    pos_ = n_ = 0;
    while (n_ == 0) {
      if (finished_) {
        return false;
      }
      if (!run_open_ && !OpenRun()) {
        finished_ = true;
        return false;
      }
      if (!run_open_) {
        continue;  // the run had nothing at or after lo_
      }
      const size_t raw = Decode();
      if (!status_.ok()) {
        return false;
      }
      n_ = Filter(raw);
    }
    return true;
  }

  // Constant after construction.
  std::vector<TimedChunk> chunks_;
  std::vector<Run> runs_;
  std::span<const Interval> tombs_;
  const int64_t hi_;

  // Iteration state.
  int64_t lo_;          // nothing before this is yielded (raised by Seek)
  int64_t last_t_ = 0;  // the last sample buffered, if have_last_
  bool have_last_ = false;
  size_t tomb_pos_ = 0;  // first tombstone that may still matter
  size_t next_run_ = 0;
  bool run_open_ = false;
  bool finished_ = false;
  std::unique_ptr<ChunkIterator> single_;  // kept for reuse when the run ends
  bool single_active_ = false;             // the open run is single_'s chunk
  size_t single_chunk_ = 0;
  bool single_has_current_ = false;
  std::vector<Sub> subs_;       // the first run.end - run.begin are the open run's
  std::vector<uint32_t> heap_;  // indexes into subs_

  std::array<int64_t, kBatch> ts_;
  std::array<uint64_t, kBatch> vs_;
  size_t pos_ = 0, n_ = 0;
  bool valid_ = false;
  Status status_;
};

class MergeSampleIterator final : public SampleIterator {
 public:
  explicit MergeSampleIterator(std::vector<std::unique_ptr<SampleIterator>> its)
      : its_(std::move(its)) {
    heap_.reserve(its_.size());
  }

  bool Next() override {
    if (!started_) {
      return Start(false, 0);
    }
    if (!valid_) {
      return false;
    }
    // Step every input that sits at the current timestamp.
    const int64_t t = cur_t_;
    while (!heap_.empty() && heap_.front().t == t) {
      std::pop_heap(heap_.begin(), heap_.end(), Cmp);
      const size_t idx = heap_.back().idx;
      heap_.pop_back();
      if (its_[idx]->Next()) {
        Push(idx);
      } else if (!Check(idx)) {
        return valid_ = false;
      }
    }
    return Settle();
  }

  bool Seek(int64_t t_ms) override {
    if (!started_) {
      return Start(true, t_ms);
    }
    if (valid_ && cur_t_ >= t_ms) {
      return true;
    }
    if (!valid_ && heap_.empty()) {
      return false;
    }
    size_t kept = 0;
    for (size_t i = 0; i < heap_.size(); ++i) {
      Entry e = heap_[i];
      if (e.t < t_ms) {
        if (!its_[e.idx]->Seek(t_ms)) {
          if (!Check(e.idx)) {
            return valid_ = false;
          }
          continue;
        }
        e.t = its_[e.idx]->timestamp_ms();
      }
      heap_[kept++] = e;
    }
    heap_.resize(kept);
    std::make_heap(heap_.begin(), heap_.end(), Cmp);
    return Settle();
  }

  int64_t timestamp_ms() const override { return cur_t_; }
  double value() const override { return its_[heap_.front().idx]->value(); }
  Status status() const override { return status_; }

 private:
  struct Entry {
    int64_t t;
    size_t idx;
  };
  // Max-heap comparator turned into a min-heap on (t, idx).
  static bool Cmp(const Entry& a, const Entry& b) {
    if (a.t != b.t) {
      return a.t > b.t;
    }
    return a.idx > b.idx;
  }

  bool Start(bool seek, int64_t t_ms) {
    started_ = true;
    for (size_t i = 0; i < its_.size(); ++i) {
      const bool ok = seek ? its_[i]->Seek(t_ms) : its_[i]->Next();
      if (ok) {
        heap_.push_back(Entry{its_[i]->timestamp_ms(), i});
      } else if (!Check(i)) {
        return valid_ = false;
      }
    }
    std::make_heap(heap_.begin(), heap_.end(), Cmp);
    return Settle();
  }

  void Push(size_t idx) {
    heap_.push_back(Entry{its_[idx]->timestamp_ms(), idx});
    std::push_heap(heap_.begin(), heap_.end(), Cmp);
  }

  // After input `idx` returned false: OK if it just ended.
  bool Check(size_t idx) {
    Status s = its_[idx]->status();
    if (s.ok()) {
      return true;
    }
    status_ = std::move(s);
    heap_.clear();
    return false;
  }

  bool Settle() {
    valid_ = !heap_.empty();
    if (valid_) {
      cur_t_ = heap_.front().t;
    }
    return valid_;
  }

  std::vector<std::unique_ptr<SampleIterator>> its_;
  std::vector<Entry> heap_;
  int64_t cur_t_ = 0;
  bool started_ = false;
  bool valid_ = false;
  Status status_;
};

// Inputs whose time ranges are disjoint and in order, read one after
// another: what MergeSampleIterator yields for them, without a heap step
// per sample.
class ConcatSampleIterator final : public SampleIterator {
 public:
  explicit ConcatSampleIterator(std::vector<std::unique_ptr<SampleIterator>> its)
      : its_(std::move(its)) {}

  bool Next() override {
    while (cur_ < its_.size()) {
      if (its_[cur_]->Next()) return true;
      if (!its_[cur_]->status().ok()) return Fail();
      ++cur_;
    }
    return false;
  }
  bool Seek(int64_t t_ms) override {
    while (cur_ < its_.size()) {
      if (its_[cur_]->Seek(t_ms)) return true;
      if (!its_[cur_]->status().ok()) return Fail();
      ++cur_;
    }
    return false;
  }
  int64_t timestamp_ms() const override { return its_[cur_]->timestamp_ms(); }
  double value() const override { return its_[cur_]->value(); }
  Status status() const override { return status_; }

 private:
  bool Fail() {
    status_ = its_[cur_]->status();
    cur_ = its_.size();
    return false;
  }

  std::vector<std::unique_ptr<SampleIterator>> its_;
  size_t cur_ = 0;
  Status status_;
};

class VectorSampleIterator final : public SampleIterator {
 public:
  VectorSampleIterator(std::vector<int64_t> ts, std::vector<double> vs)
      : ts_(std::move(ts)), vs_(std::move(vs)), size_(std::min(ts_.size(), vs_.size())) {}

  bool Next() override {
    if (started_ && pos_ < size_) {
      ++pos_;
    }
    started_ = true;
    return pos_ < size_;
  }
  bool Seek(int64_t t_ms) override {
    started_ = true;
    if (pos_ < size_ && ts_[pos_] < t_ms) {
      const int64_t* data = ts_.data();
      pos_ = static_cast<size_t>(std::lower_bound(data + pos_, data + size_, t_ms) - data);
    }
    return pos_ < size_;
  }
  int64_t timestamp_ms() const override { return ts_[pos_]; }
  double value() const override { return vs_[pos_]; }
  Status status() const override { return absl::OkStatus(); }

 private:
  std::vector<int64_t> ts_;
  std::vector<double> vs_;
  size_t size_;
  size_t pos_ = 0;
  bool started_ = false;
};

// The first multiple of `range` after `t` (floored division), saturating.
int64_t NextBoundary(int64_t t, int64_t range) {
  int64_t q = t / range;
  if (t % range != 0 && t < 0) {
    --q;
  }
  const int64_t start = q * range;
  if (start > kMaxTime - range) {
    return kMaxTime;
  }
  return start + range;
}

}  // namespace

std::unique_ptr<SampleIterator> NewChunkSampleIterator(std::vector<TimedChunk> chunks,
                                                       const Intervals* deleted,
                                                       int64_t min_time_ms, int64_t max_time_ms) {
  return std::make_unique<ChunkSampleIterator>(std::move(chunks), deleted, min_time_ms,
                                               max_time_ms);
}

std::unique_ptr<SampleIterator> NewMergeSampleIterator(
    std::vector<std::unique_ptr<SampleIterator>> its, std::span<const TimeRange> ranges) {
  if (its.size() == 1) {
    return std::move(its.front());
  }
  if (!ranges.empty() && ranges.size() == its.size()) {
    bool disjoint = true;
    for (size_t i = 1; i < ranges.size() && disjoint; ++i) {
      disjoint = ranges[i - 1].max_time_ms < ranges[i].min_time_ms;
    }
    if (disjoint) return std::make_unique<ConcatSampleIterator>(std::move(its));
  }
  return std::make_unique<MergeSampleIterator>(std::move(its));
}

std::unique_ptr<SampleIterator> NewVectorSampleIterator(std::vector<int64_t> ts,
                                                        std::vector<double> vs) {
  return std::make_unique<VectorSampleIterator>(std::move(ts), std::move(vs));
}

Status EncodeChunks(SampleIterator& it, int64_t chunk_range_ms, std::vector<EncodedChunk>* out) {
  compression::XorChunk chunk;
  int64_t min_t = 0;
  int64_t max_t = 0;
  int64_t boundary = kMaxTime;
  auto flush = [&] {
    out->push_back(
        EncodedChunk{min_t, max_t, compression::ChunkEncoding::kXor, std::string(chunk.bytes())});
    chunk = compression::XorChunk();
  };
  while (it.Next()) {
    const int64_t t = it.timestamp_ms();
    if (chunk.num_samples() > 0 &&
        (chunk.num_samples() >= static_cast<uint32_t>(kSamplesPerChunk) ||
         (chunk_range_ms > 0 && t >= boundary))) {
      flush();
    }
    if (chunk.num_samples() == 0) {
      min_t = t;
      boundary = chunk_range_ms > 0 ? NextBoundary(t, chunk_range_ms) : kMaxTime;
    }
    const Status s = chunk.Append(t, it.value());
    if (!s.ok()) {
      return Annotate(s, StrCat("encode chunks: sample at ", t));
    }
    max_t = t;
  }
  if (chunk.num_samples() > 0) {
    flush();
  }
  return it.status();
}

bool ChunksOverlap(std::span<const TimedChunk> chunks) {
  if (chunks.empty()) {
    return false;
  }
  int64_t max_t = chunks[0].max_time_ms;
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].min_time_ms <= max_t) {
      return true;
    }
    max_t = std::max(max_t, chunks[i].max_time_ms);
  }
  return false;
}

}  // namespace strata::engine
