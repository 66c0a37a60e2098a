// Checkpoint: compacts the start of a WAL so the head can be truncated.
//
// A checkpoint is a directory checkpoint.NNNNNNNN inside the WAL directory
// holding a WAL (segments 00000000, ...) that replaces the previous
// checkpoint and segments up to NNNNNNNN: it keeps the series records of
// series still alive and the samples, exemplars and tombstones at or after
// a cutoff time, as Prometheus' tsdb/wlog/checkpoint.go does. It is built in
// checkpoint.NNNNNNNN.tmp, synced, and renamed into place; only then are
// the covered segments and older checkpoints deleted, so a crash at any
// point leaves a replayable WAL.
//
// Records of types this module cannot decode (native histograms, mmap
// markers, unknown) are dropped and counted in CheckpointStats.
//
// Thread-safety: a function; the caller keeps other checkpoints and
// truncations of `dir` from running concurrently. A Writer may keep
// appending to segments after `last_segment`.
#ifndef STRATA_WAL_CHECKPOINT_H_
#define STRATA_WAL_CHECKPOINT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "strata/env.h"
#include "strata/status.h"

namespace strata::wal {

struct CheckpointOptions {
  // Snappy-compress the checkpoint's records (as the WAL does).
  bool compress = false;
};

// What the checkpoint kept and dropped; intentionally copyable.
struct CheckpointStats {
  uint64_t series_kept = 0, series_dropped = 0;
  uint64_t samples_kept = 0, samples_dropped = 0;
  uint64_t tombstones_kept = 0, tombstones_dropped = 0;
  uint64_t exemplars_kept = 0, exemplars_dropped = 0;
  uint64_t metadata_kept = 0;
  uint64_t records_dropped_undecodable = 0;  // histogram, mmap-marker, unknown records
};

// Creates checkpoint.<last_segment> from the newest existing checkpoint and
// the segments up to `last_segment`, keeping series (and their metadata)
// for which `keep(ref)` is true and samples, exemplars and tombstone
// intervals with a time >= `mint_ms`; then deletes those segments and older
// checkpoints. Fails with DataLoss (nothing deleted) if a covered segment
// is damaged, FailedPrecondition if `last_segment` is older than the newest
// checkpoint, or the Env's error.
// REQUIRES: no writer appends to segments <= last_segment any more.
[[nodiscard]] StatusOr<CheckpointStats> Checkpoint(Env& env, const std::string& dir,
                                                   uint32_t last_segment,
                                                   const std::function<bool(uint64_t ref)>& keep,
                                                   int64_t mint_ms,
                                                   const CheckpointOptions& options = {});

}  // namespace strata::wal

#endif  // STRATA_WAL_CHECKPOINT_H_
