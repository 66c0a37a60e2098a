// Tombstones: time ranges of series deleted from a block but not yet
// compacted away, and the block's `tombstones` file in Prometheus' format
// (tsdb/docs/format/tombstones.md):
//
//   magic 0x0130BA30 <4, BE> | version 1 <1> |
//   { series ref <uvarint> | mint <varint> | maxt <varint> } ... |
//   CRC32C of the tombstones (not the version byte) <4, BE>
//
// Intervals are closed, [mint, maxt], and kept sorted and merged per
// series as Prometheus' Intervals.Add does (adjacent ranges merge too).
//
// Thread-safety: value types; not thread-safe for concurrent mutation.
#ifndef STRATA_ENGINE_TOMBSTONES_H_
#define STRATA_ENGINE_TOMBSTONES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

inline constexpr uint32_t kTombstonesMagic = 0x0130BA30;
inline constexpr uint8_t kTombstonesVersion = 1;

struct Interval {
  int64_t min_time_ms;
  int64_t max_time_ms;  // inclusive
  bool Contains(int64_t t) const { return min_time_ms <= t && t <= max_time_ms; }
  bool operator==(const Interval&) const = default;
};

// Sorted, non-overlapping, non-adjacent closed intervals.
class Intervals {
 public:
  // Adds `iv`, merging it with every interval it overlaps or touches. An
  // empty interval (min_time_ms > max_time_ms) deletes nothing and is
  // ignored: Prometheus never writes one, but reads it from a file or a WAL
  // record without complaint, and kept here it would break the ordering
  // that Contains and Add rely on.
  void Add(Interval iv);
  // Whether `t` lies in any interval.
  bool Contains(int64_t t) const;
  // Whether all of [min_time_ms, max_time_ms] lies in one interval (a chunk
  // with that range has nothing left to read).
  bool Covers(int64_t min_time_ms, int64_t max_time_ms) const;
  const std::vector<Interval>& list() const { return list_; }
  bool operator==(const Intervals&) const = default;

 private:
  std::vector<Interval> list_;
};

class Tombstones {
 public:
  // As Intervals::Add; an empty interval adds no series either.
  void Add(uint64_t series_ref, Interval iv) {
    if (iv.min_time_ms > iv.max_time_ms) return;
    by_series_[series_ref].Add(iv);
  }
  // The deleted ranges of `series_ref`, or null if none.
  const Intervals* Get(uint64_t series_ref) const;
  // Number of intervals over all series (meta.json's numTombstones).
  uint64_t total() const;
  bool empty() const { return by_series_.empty(); }
  // In series order.
  const std::map<uint64_t, Intervals>& by_series() const { return by_series_; }
  bool operator==(const Tombstones&) const = default;

 private:
  std::map<uint64_t, Intervals> by_series_;
};

std::string EncodeTombstonesFile(const Tombstones& t);
// Fails with DataLoss saying what is wrong and at which byte offset.
[[nodiscard]] StatusOr<Tombstones> DecodeTombstonesFile(std::string_view bytes);

// Reads `block_dir`/tombstones; a missing file means no tombstones (as in
// Prometheus). Errors carry the path.
[[nodiscard]] StatusOr<Tombstones> ReadTombstones(Env& env, const std::string& block_dir);
// Writes `block_dir`/tombstones atomically.
[[nodiscard]] Status WriteTombstones(Env& env, const std::string& block_dir, const Tombstones& t);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_TOMBSTONES_H_
