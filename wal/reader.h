// Replay and repair of a WAL directory.
//
// Replay reads what a Writer (wal/writer.h) or Prometheus left in a WAL
// directory, in the order Prometheus' head replays it: first the newest
// checkpoint.NNNNNNNN (itself a directory of segments), then the segments
// numbered above NNNNNNNN, each in full. Records of a type Prometheus 2.42
// does not define are skipped and counted, never handed on or dropped
// silently.
//
// What can go wrong, and what Replay does:
//   - The last segment ends inside a record (a crash while writing): a torn
//     tail. It is counted in ReplayStats, cut off (the file is truncated
//     after the last whole record) unless disabled, and replay succeeds.
//   - Anything else (checksum mismatch, bad framing, a missing segment,
//     damage before the last segment): DataLoss naming the segment and byte
//     offset; stats->damage tells Repair where the good prefix ends.
//
// Thread-safety: stateless functions. The caller must keep writers off the
// directory while they run.
#ifndef STRATA_WAL_READER_H_
#define STRATA_WAL_READER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"

namespace strata::wal {

// A byte position in segment `segment` of a WAL directory.
struct WalPosition {
  uint32_t segment = 0;
  uint64_t offset = 0;
  friend bool operator==(const WalPosition&, const WalPosition&) = default;
};

struct ReplayOptions {
  // Truncate a torn tail off the last segment (the file is changed).
  bool cut_torn_tail = true;
};

struct ReplayStats {
  std::optional<uint32_t> checkpoint;  // index of the checkpoint read, if any
  uint32_t segments = 0;               // segment files read (checkpoint's included)
  uint64_t records = 0;                // records handed to the visitor
  uint64_t unknown_records = 0;        // records skipped for an unknown type
  uint64_t torn_tail_bytes = 0;        // bytes of a torn tail found (and cut)
  // On DataLoss: where the good prefix of the WAL ends (the end of the last
  // whole record before the damage), for Repair.
  std::optional<WalPosition> damage;
};

// Called with each record in order. The view is valid only during the
// call. A non-OK result stops the replay and is returned, annotated with
// the record's position.
using RecordVisitor = std::function<Status(std::string_view record)>;

// Replays the WAL in `dir` (see the file comment). Returns OK if every
// record was read (a torn tail cut off counts as read), DataLoss on damage
// (with stats->damage set if Repair can fix it), NotFound if `dir` does not
// exist, or the first error of `visit` or of the Env.
[[nodiscard]] Status Replay(Env& env, const std::string& dir, const ReplayOptions& options,
                            const RecordVisitor& visit, ReplayStats* stats);

// Makes a damaged WAL replayable, as Prometheus' wlog.Repair does: cuts
// segment `good_end.segment` at `good_end.offset` and deletes every later
// segment. Records before the damage are kept; everything after it is lost.
// REQUIRES: no Writer is open on `dir`.
[[nodiscard]] Status Repair(Env& env, const std::string& dir, const WalPosition& good_end);

// Segment indexes in `dir`, ascending. Other entries are ignored.
[[nodiscard]] StatusOr<std::vector<uint32_t>> ListSegments(Env& env, const std::string& dir);
// The newest complete checkpoint in `dir`, if any.
[[nodiscard]] StatusOr<std::optional<uint32_t>> LastCheckpoint(Env& env, const std::string& dir);

}  // namespace strata::wal

#endif  // STRATA_WAL_READER_H_
