// Compaction: writing blocks from the head and from other blocks
// (Prometheus' tsdb/compact.go LeveledCompactor.Write and Compact).
//
// Merging blocks streams series by series in label order, so memory is
// bounded by one series' chunks whatever the blocks' sizes. A series that
// only one source holds, without tombstones, keeps its chunk bytes as they
// are; overlapping sources (vertical compaction) and deleted ranges are
// decoded, merged and re-encoded into chunks of at most 120 samples.
//
// Every new block is written into `<ulid>.tmp-for-creation` and renamed
// into place only when complete (BlockWriter), so a crash leaves either
// the sources or the sources plus the finished block — never half a block.
//
// Thread-safety: functions; the caller runs one compaction at a time.
#ifndef STRATA_ENGINE_COMPACTOR_H_
#define STRATA_ENGINE_COMPACTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "engine/block.h"
#include "engine/block_meta.h"
#include "engine/head.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

// Writes the head's samples in [mint, maxt) as a level-1 block into
// `data_dir`. Returns its meta, or nullopt if the range held no samples
// (no block is written then, as in Prometheus).
[[nodiscard]] StatusOr<std::optional<BlockMeta>> WriteHeadBlock(Env& env,
                                                                const std::string& data_dir,
                                                                const Head& head, int64_t mint,
                                                                int64_t maxt);

// Merges `blocks` (at least one) into one new block in `data_dir`:
// range the union of theirs, level one more than the highest, sources the
// union, parents the inputs. Tombstones are applied. Returns nullopt if
// nothing is left (every sample deleted); the caller then just deletes the
// inputs. If reading an input's index or chunks fails (DataLoss for
// damage), nothing is written, the error names the block, and `*damaged`
// (if given) is set to that input, for the caller to mark it
// compaction.failed; it is left null for other errors (e.g. a full disk).
[[nodiscard]] StatusOr<std::optional<BlockMeta>> CompactBlocks(
    Env& env, const std::string& data_dir, std::span<const std::shared_ptr<Block>> blocks,
    const Block** damaged = nullptr);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_COMPACTOR_H_
