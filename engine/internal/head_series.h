// Head::Series, one series in the head, and SeriesPool, where series
// live; shared by head.cc, head_append.cc and head_wal.cc and by nothing
// else.
//
// Thread-safety: a series' fields are guarded by its own spin lock `mu`
// (ABSL_GUARDED_BY; Head::LockOf(s) names it in the head's annotations),
// except `ref` and `labels`, which are constant while the series is live
// (a holder of `pending`, or of the stripe lock it was found under, may
// read them without the lock), `slot`, constant, and `logged`, which is
// atomic. Lock order: hash stripe, ref stripe, series.
#ifndef STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_
#define STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/small_buffers.h"
#include "base/spin_lock.h"
#include "compression/chunk_encoding.h"
#include "compression/xor_chunk.h"
#include "engine/head.h"
#include "index/labels.h"
#include "xxhash.h"

namespace strata::engine {

inline constexpr compression::ChunkEncoding kXor = compression::ChunkEncoding::kXor;

// The hash that finds a series by its canonical label encoding.
inline uint64_t LabelsHash(std::string_view encoded) {
  return XXH3_64bits(encoded.data(), encoded.size());
}

// A full chunk written to chunks_head/.
struct MappedChunk {
  uint64_t ref;
  int64_t min_time_ms;
  int64_t max_time_ms;
};

// A full chunk kept in RAM because writing it to chunks_head/ failed.
struct RamChunk {
  int64_t min_time_ms;
  int64_t max_time_ms;
  std::string data;
};

struct OooSample {
  int64_t t;
  double v;
};

struct alignas(64) Head::Series {
  // What few series ever need: chunks kept in RAM after a failed write to
  // chunks_head/, and out-of-order samples. Allocated on first use.
  struct Rare {
    std::vector<RamChunk> in_memory;  // by time
    std::vector<OooSample> ooo;       // sorted by t
  };
  Rare& rare() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (rare_ == nullptr) rare_ = std::make_unique<Rare>();
    return *rare_;
  }
  const std::vector<RamChunk>& in_memory() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return rare_ ? rare_->in_memory : kNoRam;
  }
  const std::vector<OooSample>& ooo() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return rare_ ? rare_->ooo : kNoOoo;
  }
  // Frees the Rare part once it is empty again.
  void TrimRare() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (rare_ != nullptr && rare_->in_memory.empty() && rare_->ooo.empty()) rare_.reset();
  }

  bool Empty() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return mapped.empty() && in_memory().empty() && ooo().empty() &&
           !(open.has_value() && open->num_samples() > 0);
  }
  // The oldest sample's timestamp, INT64_MAX if none.
  int64_t MinTime() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    int64_t t = INT64_MAX;
    if (!mapped.empty()) t = mapped.front().min_time_ms;
    if (!in_memory().empty()) t = std::min(t, in_memory().front().min_time_ms);
    if (open.has_value() && open->num_samples() > 0) t = std::min(t, open_min_time);
    if (!ooo().empty()) t = std::min(t, ooo().front().t);
    return t;
  }

  // The handle appenders get for this series (SeriesPool::Find).
  uint64_t handle() const { return (static_cast<uint64_t>(slot) + 1) << 32 | (ref & 0xffffffff); }

  // Makes a free series the live series `r`, and back.
  void Start(uint64_t r, index::Labels l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ref = r;
    labels = std::move(l);
  }
  void Clear() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ref = 0;
    labels = {};
    mapped = {};
    open.reset();
    open_min_time = 0;
    max_time = INT64_MIN;
    last_bits = 0;
    next_at = INT64_MIN;
    rare_.reset();
    pending = 0;
    logged.store(false, std::memory_order_relaxed);
  }

  // What an append touches comes first, in two cache lines (the struct is
  // aligned to them); labels, mapped chunks and the rest follow.
  mutable SpinLock mu;
  // Whether a WAL series record for this series was written (so samples
  // need no new one).
  std::atomic<bool> logged{false};
  // Appenders holding this series; it is not removed while > 0.
  int32_t pending ABSL_GUARDED_BY(mu) = 0;
  uint32_t slot = 0;  // in the SeriesPool; constant
  // 0 while free. Written under mu (Start, Clear), read without it (see
  // the file comment), so not annotated.
  uint64_t ref = 0;
  int64_t max_time ABSL_GUARDED_BY(mu) = INT64_MIN;  // of the in-order samples
  uint64_t last_bits ABSL_GUARDED_BY(mu) = 0;        // value of the sample at max_time
  int64_t next_at ABSL_GUARDED_BY(mu) = INT64_MIN;   // cut the open chunk at or after this
  int64_t open_min_time ABSL_GUARDED_BY(mu) = 0;
  std::optional<compression::XorChunk> open ABSL_GUARDED_BY(mu);

  index::Labels labels;                                 // as `ref`
  std::vector<MappedChunk> mapped ABSL_GUARDED_BY(mu);  // by time
  std::unique_ptr<Rare> rare_ ABSL_GUARDED_BY(mu);      // null for almost every series

 private:
  static inline const std::vector<RamChunk> kNoRam;
  static inline const std::vector<OooSample> kNoOoo;
};

inline SpinLock& Head::LockOf(const Series& s) ABSL_LOCK_RETURNED(s.mu) { return s.mu; }

// Asks for the two cache lines of `s` that an append reads (see above).
inline void PrefetchForAppend(const Head::Series* s) {
  __builtin_prefetch(s, 1);
  __builtin_prefetch(reinterpret_cast<const char*>(s) + 64, 1);
}

// The memory of every series of a head: slabs that are never freed while
// the head lives, a free series going back to a free list for the next new
// one. So a Series* stays a Series*: whoever found one without a lock
// (an appender by handle, a query by ref) takes its spin lock and checks
// that it is still the series it wanted (`ref`), instead of the head
// needing a lock (or a hash lookup, a cache miss at a million series) per
// sample to know whether it was freed.
//
// A handle is slot + 1 in the upper and the ref's lower 32 bits in the
// lower half: what an appender passes back to find the series in two
// loads, and non-zero.
// Asks for the open chunk of `s` (its header and its tail), which the
// caller will append to. Reads `open` without the lock, so not analysed: a
// stale answer costs a wasted prefetch, nothing else. REQUIRES: the caller
// is the only one changing `s.open` (a WAL replay worker with its series).
inline void PrefetchOpenChunk(const Head::Series* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (const auto& open = s->open; open.has_value()) {
    __builtin_prefetch(open->header_address(), 1);
    __builtin_prefetch(open->tail_address(), 1);
  }
}

class SeriesPool {
 public:
  SeriesPool() {
    MutexLock l(&mu_);
    dir_.store(NewDir(16), std::memory_order_release);
  }
  SeriesPool(const SeriesPool&) = delete;
  SeriesPool& operator=(const SeriesPool&) = delete;
  ~SeriesPool() {
    MutexLock l(&mu_);
    for (uint32_t slot = 0; slot < next_slot_; ++slot) At(slot)->~Series();
    const Dir& d = *dir_.load(std::memory_order_relaxed);
    for (size_t k = 0; k < d.n; ++k) {
      if (Head::Series* slab = d.slabs[k].load(std::memory_order_relaxed); slab != nullptr) {
        FreeHugePageSlab(slab);
      }
    }
  }

  // A free series (ref 0). Its slot stays its own.
  Head::Series* Allocate() {
    MutexLock l(&mu_);
    if (!free_.empty()) {
      Head::Series* s = free_.back();
      free_.pop_back();
      return s;
    }
    STRATA_CHECK(next_slot_ < UINT32_MAX) << "more than 2^32 series";
    const uint32_t slot = next_slot_;
    const size_t k = slot / kSlab;
    const Dir* d = dir_.load(std::memory_order_relaxed);
    if (k == d->n) d = Grow(*d);
    if (slot % kSlab == 0) {
      // Raw memory, each series constructed when first handed out. One
      // huge page if the kernel has them: at a million series every append
      // touches another series, and 4 KiB pages made that a TLB miss too.
      void* raw = AllocateHugePageSlab(kSlabBytes);
      d->slabs[k].store(static_cast<Head::Series*>(raw), std::memory_order_release);
    }
    Head::Series* s = new (At(slot)) Head::Series();
    s->slot = slot;
    next_slot_ = slot + 1;
    published_.store(next_slot_, std::memory_order_release);
    return s;
  }
  // Gives back a series that was Clear()ed.
  void Free(Head::Series* s) {
    MutexLock l(&mu_);
    free_.push_back(s);
  }
  // The series the slot of `handle` holds, or null if there is no such
  // slot. The caller must lock it and check Matches().
  Head::Series* Find(uint64_t handle) const {
    const uint64_t slot1 = handle >> 32;
    if (slot1 == 0 || slot1 > published_.load(std::memory_order_acquire)) return nullptr;
    return At(static_cast<uint32_t>(slot1 - 1));
  }
  static bool Matches(const Head::Series& s, uint64_t handle) {
    return s.ref != 0 && s.handle() == handle;
  }

 private:
  static constexpr size_t kSlabBytes = kHugePageBytes;
  static constexpr uint32_t kSlab = kSlabBytes / sizeof(Head::Series);
  // The slab directory. It grows by replacement; old ones stay until the
  // pool goes, so a reader's pointer to one stays valid (they add up to
  // less than the newest).
  struct Dir {
    size_t n;
    std::unique_ptr<std::atomic<Head::Series*>[]> slabs;
  };
  Dir* NewDir(size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto d = std::make_unique<Dir>(Dir{n, std::make_unique<std::atomic<Head::Series*>[]>(n)});
    dirs_.push_back(std::move(d));
    return dirs_.back().get();
  }
  const Dir* Grow(const Dir& old) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Dir* d = NewDir(old.n * 2);
    for (size_t k = 0; k < old.n; ++k) {
      d->slabs[k].store(old.slabs[k].load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    dir_.store(d, std::memory_order_release);
    return d;
  }
  // REQUIRES: slot < published_.
  Head::Series* At(uint32_t slot) const {
    const Dir* d = dir_.load(std::memory_order_acquire);
    return d->slabs[slot / kSlab].load(std::memory_order_acquire) + slot % kSlab;
  }

  mutable Mutex mu_;
  std::vector<Head::Series*> free_ ABSL_GUARDED_BY(mu_);
  uint32_t next_slot_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<Dir>> dirs_ ABSL_GUARDED_BY(mu_);
  std::atomic<Dir*> dir_{nullptr};
  std::atomic<uint32_t> published_{0};  // slots below are constructed
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_
