// Head::Series, one series in the head, shared by head.cc,
// head_append.cc and head_wal.cc and by nothing else.
//
// Thread-safety: `ref`, `labels`, `hash` are constant; `logged` is
// atomic; every other field is guarded by the lock of the series' ref
// stripe (Head::ref_stripe(ref).mu).
#ifndef STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_
#define STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compression/chunk_encoding.h"
#include "compression/xor_chunk.h"
#include "engine/head.h"
#include "index/labels.h"

namespace strata::engine {

inline constexpr compression::ChunkEncoding kXor = compression::ChunkEncoding::kXor;

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

struct Head::Series {
  Series(uint64_t r, index::Labels l, uint64_t h) : ref(r), labels(std::move(l)), hash(h) {}

  // What few series ever need: chunks kept in RAM after a failed write to
  // chunks_head/, and out-of-order samples. Allocated on first use, so a
  // series costs 192 bytes (one jemalloc size class) without them.
  struct Rare {
    std::vector<RamChunk> in_memory;  // by time
    std::vector<OooSample> ooo;       // sorted by t
  };
  Rare& rare() {
    if (rare_ == nullptr) rare_ = std::make_unique<Rare>();
    return *rare_;
  }
  const std::vector<RamChunk>& in_memory() const { return rare_ ? rare_->in_memory : kNoRam; }
  const std::vector<OooSample>& ooo() const { return rare_ ? rare_->ooo : kNoOoo; }
  // Frees the Rare part once it is empty again.
  void TrimRare() {
    if (rare_ != nullptr && rare_->in_memory.empty() && rare_->ooo.empty()) rare_.reset();
  }

  bool Empty() const {
    return mapped.empty() && in_memory().empty() && ooo().empty() &&
           !(open.has_value() && open->num_samples() > 0);
  }
  // The oldest sample's timestamp, INT64_MAX if none.
  int64_t MinTime() const {
    int64_t t = INT64_MAX;
    if (!mapped.empty()) t = mapped.front().min_time_ms;
    if (!in_memory().empty()) t = std::min(t, in_memory().front().min_time_ms);
    if (open.has_value() && open->num_samples() > 0) t = std::min(t, open_min_time);
    if (!ooo().empty()) t = std::min(t, ooo().front().t);
    return t;
  }

  const uint64_t ref;
  const index::Labels labels;
  const uint64_t hash;

  std::vector<MappedChunk> mapped;  // by time
  std::optional<compression::XorChunk> open;
  int64_t open_min_time = 0;
  int64_t max_time = INT64_MIN;  // of the in-order samples
  uint64_t last_bits = 0;        // value of the sample at max_time
  int64_t next_at = INT64_MIN;   // cut the open chunk at or after this
  std::unique_ptr<Rare> rare_;   // null for almost every series
  // Appenders holding this series; it is not removed while > 0.
  int32_t pending = 0;
  // Whether a WAL series record for this series was written (so samples
  // need no new one).
  std::atomic<bool> logged{false};

 private:
  static inline const std::vector<RamChunk> kNoRam;
  static inline const std::vector<OooSample> kNoOoo;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_
