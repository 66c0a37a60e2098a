// Head::Series, one series in the head, shared by head.cc,
// head_append.cc and head_wal.cc and by nothing else.
//
// Thread-safety: `ref`, `labels`, `hash` are constant; `logged` is
// atomic; every other field is guarded by the lock of the series' ref
// stripe (Head::ref_stripe(ref).mu).
#ifndef STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_
#define STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_

#include <atomic>
#include <cstdint>
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

  bool Empty() const {
    return mapped.empty() && in_memory.empty() && ooo.empty() &&
           !(open.has_value() && open->num_samples() > 0);
  }
  // The oldest sample's timestamp, INT64_MAX if none.
  int64_t MinTime() const {
    int64_t t = INT64_MAX;
    if (!mapped.empty()) t = mapped.front().min_time_ms;
    if (!in_memory.empty()) t = std::min(t, in_memory.front().min_time_ms);
    if (open.has_value() && open->num_samples() > 0) t = std::min(t, open_min_time);
    if (!ooo.empty()) t = std::min(t, ooo.front().t);
    return t;
  }

  const uint64_t ref;
  const index::Labels labels;
  const uint64_t hash;
  // Whether a WAL series record for this series was written (so samples
  // need no new one).
  std::atomic<bool> logged{false};

  std::vector<MappedChunk> mapped;  // by time
  std::vector<RamChunk> in_memory;  // rare: chunks the store refused
  std::optional<compression::XorChunk> open;
  int64_t open_min_time = 0;
  int64_t max_time = INT64_MIN;  // of the in-order samples
  uint64_t last_bits = 0;        // value of the sample at max_time
  int64_t next_at = INT64_MIN;   // cut the open chunk at or after this
  std::vector<OooSample> ooo;    // out-of-order samples, sorted by t
  // Appenders holding this series; it is not removed while > 0.
  int pending = 0;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_INTERNAL_HEAD_SERIES_H_
