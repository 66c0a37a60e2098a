#include "engine/compaction_plan.h"

#include <algorithm>
#include <limits>

namespace strata::engine {
namespace {

using Metas = std::vector<const BlockMeta*>;

// Groups `ds` (sorted by min time) into runs that fit one aligned range of
// width `tr`, the ranges starting at multiples of `tr` (tsdb/compact.go
// splitByRange). A block that does not fit its aligned range (misaligned,
// or itself wider) is left out. E.g. blocks [0,10) [10,20) [50,60)
// [90,100) with tr 30 give {[0,10) [10,20)}, {[50,60)}, {[90,100)}.
std::vector<Metas> SplitByRange(const Metas& ds, int64_t tr) {
  std::vector<Metas> groups;
  for (size_t i = 0; i < ds.size();) {
    const int64_t mint = ds[i]->min_time_ms;
    // Floored: the aligned range holding mint.
    int64_t t0 = tr * (mint / tr);
    if (mint < 0 && mint % tr != 0) {
      t0 -= tr;
    }
    if (ds[i]->max_time_ms > t0 + tr) {
      ++i;
      continue;
    }
    Metas group;
    for (; i < ds.size() && ds[i]->max_time_ms <= t0 + tr; ++i) {
      group.push_back(ds[i]);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

// tsdb/compact.go selectDirs: the first group of >= 2 blocks in one range
// of ranges[1..] that is complete or lies before the newest block.
Metas SelectLeveled(const Metas& ds, std::span<const int64_t> ranges, int64_t high_time) {
  if (ranges.size() < 2 || ds.empty()) {
    return {};
  }
  for (size_t r = 1; r < ranges.size(); ++r) {
    const int64_t iv = ranges[r];
    if (iv <= 0) {
      continue;
    }
    for (const Metas& p : SplitByRange(ds, iv)) {
      const bool failed =
          std::any_of(p.begin(), p.end(), [](const BlockMeta* m) { return m->compaction.failed; });
      if (failed) {
        continue;
      }
      const int64_t mint = p.front()->min_time_ms;
      const int64_t maxt = p.back()->max_time_ms;
      if ((maxt - mint == iv || maxt <= high_time) && p.size() > 1) {
        return p;
      }
    }
  }
  return {};
}

// tsdb/compact.go selectOverlappingDirs: the first run of blocks (sorted
// by min time) that overlap transitively.
Metas SelectOverlapping(const Metas& ds) {
  Metas res;
  if (ds.size() < 2) {
    return res;
  }
  int64_t global_max = ds[0]->max_time_ms;
  for (size_t i = 1; i < ds.size(); ++i) {
    if (ds[i]->min_time_ms < global_max) {
      if (res.empty()) {
        res.push_back(ds[i - 1]);
      }
      res.push_back(ds[i]);
    } else if (!res.empty()) {
      break;
    }
    global_max = std::max(global_max, ds[i]->max_time_ms);
  }
  return res;
}

std::vector<Ulid> Ulids(const Metas& ms) {
  std::vector<Ulid> out;
  out.reserve(ms.size());
  for (const BlockMeta* m : ms) {
    out.push_back(m->ulid);
  }
  return out;
}

}  // namespace

std::vector<int64_t> ExponentialBlockRanges(int64_t min_size_ms, int steps, int step_size) {
  std::vector<int64_t> ranges;
  if (steps <= 0) {
    return ranges;
  }
  ranges.reserve(static_cast<size_t>(steps));
  int64_t cur = min_size_ms;
  for (int i = 0; i < steps; ++i) {
    ranges.push_back(cur);
    if (step_size > 0 && cur > std::numeric_limits<int64_t>::max() / step_size) {
      break;  // the next step would overflow; Prometheus would wrap
    }
    cur *= step_size;
  }
  return ranges;
}

int64_t MaxBlockDurationFor(int64_t retention_ms) {
  int64_t max_ms = kDefaultMaxBlockDurationMs;
  if (retention_ms > 0 && retention_ms / 10 < max_ms) {
    max_ms = retention_ms / 10;
  }
  return max_ms;
}

std::vector<int64_t> BlockRangesFor(int64_t min_block_ms, int64_t retention_ms) {
  if (min_block_ms <= 0) {
    min_block_ms = kDefaultBlockDurationMs;
  }
  const int64_t max_ms = std::max(MaxBlockDurationFor(retention_ms), min_block_ms);
  std::vector<int64_t> ranges = ExponentialBlockRanges(min_block_ms, 10, 3);
  auto cut = std::find_if(ranges.begin(), ranges.end(), [&](int64_t r) { return r > max_ms; });
  ranges.erase(cut, ranges.end());
  return ranges;
}

std::vector<Ulid> PlanCompaction(std::span<const BlockMeta> metas,
                                 std::span<const int64_t> ranges) {
  if (ranges.empty()) {
    return {};
  }
  Metas ds;
  ds.reserve(metas.size());
  for (const BlockMeta& m : metas) {
    if (!m.compaction.deletable) {
      ds.push_back(&m);
    }
  }
  if (ds.empty()) {
    return {};
  }
  std::sort(ds.begin(), ds.end(), [](const BlockMeta* a, const BlockMeta* b) {
    if (a->min_time_ms != b->min_time_ms) {
      return a->min_time_ms < b->min_time_ms;
    }
    return a->ulid < b->ulid;
  });

  Metas overlapping = SelectOverlapping(ds);
  if (!overlapping.empty()) {
    return Ulids(overlapping);
  }

  // Leave out the block cut last from the head (largest min time).
  ds.pop_back();
  if (ds.empty()) {
    return {};
  }
  Metas leveled = SelectLeveled(ds, ranges, ds.back()->min_time_ms);
  if (!leveled.empty()) {
    return Ulids(leveled);
  }

  // A single block with many tombstones is rewritten alone.
  const int64_t big = ranges[ranges.size() / 2];
  for (size_t i = ds.size(); i-- > 0;) {
    const BlockMeta& m = *ds[i];
    if (m.max_time_ms - m.min_time_ms < big) {
      // Entirely deleted (assuming one tombstone per series, as Prometheus
      // does): worth compacting however small.
      if (m.stats.num_tombstones > 0 && m.stats.num_tombstones >= m.stats.num_series) {
        return {m.ulid};
      }
      break;
    }
    if (static_cast<double>(m.stats.num_tombstones) / static_cast<double>(m.stats.num_series + 1) >
        0.05) {
      return {m.ulid};
    }
  }
  return {};
}

std::vector<Ulid> BlocksBeyondRetention(std::span<const BlockMeta> metas,
                                        std::span<const uint64_t> sizes, int64_t retention_ms,
                                        uint64_t retention_bytes, uint64_t other_bytes) {
  // Newest first, by max time.
  std::vector<size_t> order(metas.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const BlockMeta& x = metas[a];
    const BlockMeta& y = metas[b];
    if (x.max_time_ms != y.max_time_ms) {
      return x.max_time_ms > y.max_time_ms;
    }
    if (x.min_time_ms != y.min_time_ms) {
      return x.min_time_ms > y.min_time_ms;
    }
    return x.ulid > y.ulid;
  });

  std::vector<bool> del(metas.size(), false);
  for (size_t i = 0; i < metas.size(); ++i) {
    del[i] = metas[i].compaction.deletable;
  }

  if (!order.empty() && retention_ms > 0) {
    const int64_t newest_max = metas[order[0]].max_time_ms;
    for (size_t k = 1; k < order.size(); ++k) {
      // Subtracting in unsigned space avoids overflow on extreme times.
      const uint64_t gap =
          static_cast<uint64_t>(newest_max) - static_cast<uint64_t>(metas[order[k]].max_time_ms);
      if (gap > static_cast<uint64_t>(retention_ms)) {
        for (size_t j = k; j < order.size(); ++j) {
          del[order[j]] = true;
        }
        break;
      }
    }
  }

  if (retention_bytes > 0) {
    uint64_t total = other_bytes;
    for (size_t k = 0; k < order.size(); ++k) {
      const size_t i = order[k];
      const uint64_t size = i < sizes.size() ? sizes[i] : 0;
      total = size > std::numeric_limits<uint64_t>::max() - total
                  ? std::numeric_limits<uint64_t>::max()
                  : total + size;
      if (total > retention_bytes) {
        for (size_t j = k; j < order.size(); ++j) {
          del[order[j]] = true;
        }
        break;
      }
    }
  }

  std::vector<Ulid> out;
  for (size_t i = 0; i < metas.size(); ++i) {
    if (del[i]) {
      out.push_back(metas[i].ulid);
    }
  }
  return out;
}

}  // namespace strata::engine
