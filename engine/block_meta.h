// meta.json of a block: its ULID, time range [min_time_ms, max_time_ms),
// statistics and compaction history, read and written exactly as
// Prometheus does (tsdb/block.go BlockMeta; json.MarshalIndent with tabs),
// so promtool and Prometheus read Strata's blocks and Strata round-trips
// Prometheus' files byte for byte.
//
// Thread-safety: value types and stateless functions.
#ifndef STRATA_ENGINE_BLOCK_META_H_
#define STRATA_ENGINE_BLOCK_META_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ulid.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

// The only meta.json version there is (Prometheus' metaVersion1).
inline constexpr int kBlockMetaVersion = 1;

struct BlockDesc {
  Ulid ulid;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  bool operator==(const BlockDesc&) const = default;
};

struct BlockMeta {
  Ulid ulid;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;  // exclusive

  struct Stats {
    uint64_t num_samples = 0;
    uint64_t num_series = 0;
    uint64_t num_chunks = 0;
    uint64_t num_tombstones = 0;
    bool operator==(const Stats&) const = default;
  } stats;

  struct Compaction {
    int level = 1;
    std::vector<Ulid> sources;
    bool deletable = false;
    std::vector<BlockDesc> parents;
    bool failed = false;
    std::vector<std::string> hints;
    bool operator==(const Compaction&) const = default;
  } compaction;

  int version = kBlockMetaVersion;

  bool operator==(const BlockMeta&) const = default;
};

// The JSON text of `meta`, as Prometheus writes it.
std::string EncodeBlockMeta(const BlockMeta& meta);

// Parses meta.json text. Fails with InvalidArgument naming the field for
// malformed JSON, a missing or mistyped field, or a version other than 1.
[[nodiscard]] StatusOr<BlockMeta> DecodeBlockMeta(std::string_view json);

// Reads `block_dir`/meta.json; errors carry the path, and damage is DataLoss.
[[nodiscard]] StatusOr<BlockMeta> ReadBlockMeta(Env& env, const std::string& block_dir);

// Writes `block_dir`/meta.json atomically (tmp file, sync, rename, sync dir).
[[nodiscard]] Status WriteBlockMeta(Env& env, const std::string& block_dir, const BlockMeta& meta);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_BLOCK_META_H_
