// Compaction and retention decisions: pure functions over block metas
// that decide which blocks to compact together next, which blocks
// retention deletes, and which block ranges to use. They follow
// Prometheus 2.42 tsdb/compact.go (ExponentialBlockRanges,
// LeveledCompactor.plan, selectOverlappingDirs, selectDirs, splitByRange),
// tsdb/db.go (deletableBlocks, BeyondTimeRetention, BeyondSizeRetention,
// the range set-up in open) and cmd/prometheus/main.go (the default
// max block duration), so a data directory compacts the same way under
// Strata and Prometheus.
//
// Where Prometheus breaks ties by an unstable sort, Strata orders by
// ULID, which is the order Prometheus reads block directories in.
//
// Thread-safety: stateless functions, thread-safe.
#ifndef STRATA_ENGINE_COMPACTION_PLAN_H_
#define STRATA_ENGINE_COMPACTION_PLAN_H_

#include <cstdint>
#include <span>
#include <vector>

#include "engine/block_meta.h"
#include "engine/ulid.h"

namespace strata::engine {

// Prometheus' defaults (tsdb/db.go DefaultBlockDuration; cmd/prometheus
// main.go: max block duration 31d, retention 15d when neither time nor
// size retention is set).
inline constexpr int64_t kDefaultBlockDurationMs = 2 * 3600 * 1000;
inline constexpr int64_t kDefaultMaxBlockDurationMs = 31LL * 24 * 3600 * 1000;
inline constexpr int64_t kDefaultRetentionMs = 15LL * 24 * 3600 * 1000;

// `steps` ranges starting at `min_size_ms`, each `step_size` times the one
// before: ExponentialBlockRanges(2h, 3, 5) = {2h, 10h, 50h}. Empty if
// steps <= 0.
std::vector<int64_t> ExponentialBlockRanges(int64_t min_size_ms, int steps, int step_size);

// The largest block range Prometheus lets compaction build for a time
// retention of `retention_ms` (0: none): 31 days, or 10 % of the
// retention if that is less.
int64_t MaxBlockDurationFor(int64_t retention_ms);

// The compaction ranges Prometheus uses: ExponentialBlockRanges(min, 10, 3)
// cut after the last range <= MaxBlockDurationFor(retention_ms), but at
// least {min}. `min_block_ms` <= 0 means kDefaultBlockDurationMs. The
// caller applies kDefaultRetentionMs when no retention at all is set, as
// Prometheus' main.go does; retention_ms == 0 here means "no time limit".
std::vector<int64_t> BlockRangesFor(int64_t min_block_ms, int64_t retention_ms);

// The blocks to compact together next, in min-time order; empty when there
// is nothing to do. `metas` are all blocks on disk, in any order; `ranges`
// the compaction ranges (ranges[0] is the head's block size). In order of
// preference (LeveledCompactor.plan):
//  1. overlapping blocks (vertical compaction): the first group of blocks,
//     by min time, whose time ranges overlap transitively;
//  2. otherwise, ignoring the block with the largest min time (just cut
//     from the head, so operators get one block-range of time to back it
//     up piecewise), the first group of at least two blocks that lies
//     within one aligned range of ranges[1..] (tried smallest first) and
//     either spans that whole range or ends before the newest block
//     starts; a group with a block whose compaction failed is skipped;
//  3. otherwise, again without the newest block, scanning from newest to
//     oldest: a block of at least ranges[size/2] whose tombstones exceed
//     5 % of its series + 1, or the first smaller block if its tombstones
//     cover every series (num_tombstones >= num_series > 0); the scan stops
//     at the first smaller block.
// Empty when `ranges` is empty. Blocks marked compaction.deletable are
// ignored: they are about to be deleted (Prometheus deletes them before it
// plans again, so this never changes a decision).
std::vector<Ulid> PlanCompaction(std::span<const BlockMeta> metas, std::span<const int64_t> ranges);

// The blocks retention deletes, in the order of `metas` (any order).
// With blocks ordered by max time, newest first (tsdb/db.go
// deletableBlocks):
//  - blocks marked compaction.deletable;
//  - if retention_ms > 0: blocks whose max_time_ms is more than
//    retention_ms before the largest max_time_ms (BeyondTimeRetention);
//  - if retention_bytes > 0: starting from `other_bytes` (WAL, checkpoint
//    and head chunk files, Prometheus' Head.Size), adding each block's
//    size newest first, the first block at which the total exceeds
//    retention_bytes and all older ones (BeyondSizeRetention). The newest
//    block is not exempt: a WAL bigger than the limit deletes every block.
// `sizes`[i] is the size in bytes of the block of `metas`[i]; missing
// entries count as 0.
std::vector<Ulid> BlocksBeyondRetention(std::span<const BlockMeta> metas,
                                        std::span<const uint64_t> sizes, int64_t retention_ms,
                                        uint64_t retention_bytes, uint64_t other_bytes);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_COMPACTION_PLAN_H_
