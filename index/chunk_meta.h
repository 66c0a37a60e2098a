// ChunkMeta: what the v2 index records about one chunk of a series — its
// time range and its reference into the block's chunk files
// (tsdb/docs/format/index.md "Series"; the ref layout is chunks.md's).
//
// Thread-safety: value type, intentionally copyable.
#ifndef STRATA_INDEX_CHUNK_META_H_
#define STRATA_INDEX_CHUNK_META_H_

#include <cstdint>

namespace strata::index {

struct ChunkMeta {
  int64_t min_time_ms = 0;  // timestamp of the first sample
  int64_t max_time_ms = 0;  // timestamp of the last sample
  uint64_t ref = 0;         // (segment file << 32) | offset, as chunks.md defines
  friend bool operator==(const ChunkMeta&, const ChunkMeta&) = default;
};

}  // namespace strata::index

#endif  // STRATA_INDEX_CHUNK_META_H_
