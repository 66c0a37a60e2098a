// What `strata inspect` computes: per-block and head summaries, series
// churn between consecutive blocks, and a detailed analysis of one block or
// the head (top metrics by series and samples, label names by cardinality
// and by series, label pairs by series; what `promtool tsdb analyze`
// shows). Everything is read-only: blocks through engine::Block, the head
// by replaying the WAL without cutting a torn tail and counting the head
// chunk files.
//
// Memory: a block is streamed series by series; the churn comparison keeps
// one 8-byte hash per series of two blocks at a time; the analysis keeps
// one counter per distinct label pair (as the index reader does); the head
// keeps its series' labels (as the server would).
//
// Thread-safety: not thread-safe.
#ifndef STRATA_TOOLS_INSPECT_STATS_H_
#define STRATA_TOOLS_INSPECT_STATS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/block.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::tools::inspect {

// Counts per metric and label, fed one series at a time.
class Analysis {
 public:
  void AddSeries(const std::vector<std::pair<std::string_view, std::string_view>>& labels,
                 uint64_t samples);

  struct Count {
    std::string name;
    uint64_t count;
  };
  // The `n` largest, count descending then name ascending.
  std::vector<Count> TopMetricsBySeries(size_t n) const;
  std::vector<Count> TopMetricsBySamples(size_t n) const;
  std::vector<Count> TopLabelNamesByCardinality(size_t n) const;
  std::vector<Count> TopLabelNamesBySeries(size_t n) const;
  // Names are "name=value".
  std::vector<Count> TopLabelPairsBySeries(size_t n) const;

  uint64_t series() const { return series_; }
  uint64_t samples() const { return samples_; }
  uint64_t label_names() const { return pairs_.size(); }
  uint64_t label_pairs() const;          // distinct (name, value)
  uint64_t label_pair_entries() const {  // over all series
    return label_pair_entries_;
  }

 private:
  struct Metric {
    uint64_t series = 0;
    uint64_t samples = 0;
  };
  std::map<std::string, Metric, std::less<>> metrics_;
  // name -> value -> series
  std::map<std::string, std::map<std::string, uint64_t, std::less<>>, std::less<>> pairs_;
  uint64_t series_ = 0;
  uint64_t samples_ = 0;
  uint64_t label_pair_entries_ = 0;
};

// A block or the head, summarised; intentionally copyable.
struct PartSummary {
  std::string name;  // ULID or "head"
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;  // exclusive for blocks; the last sample + 1 for the head
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t chunks = 0;
  uint64_t bytes = 0;            // chunk bytes (blocks: chunks/; head: chunks_head/ + WAL)
  std::string note;              // e.g. an error opening it
  std::vector<uint64_t> hashes;  // sorted label-set hashes, for churn; dropped after use
};

struct Churn {
  std::string from, to;
  uint64_t appeared = 0, disappeared = 0, kept = 0;
};
Churn CompareSeries(const PartSummary& from, const PartSummary& to);

// Summarises `block`; with `analysis` non-null also walks every series'
// chunks to count samples per metric. `with_hashes` fills `hashes`.
[[nodiscard]] Status InspectBlock(const engine::Block& block, bool with_hashes, Analysis* analysis,
                                  PartSummary* out);

// The head as the WAL (checkpoint + segments) and chunks_head/ describe it:
// samples at or after `min_valid_time_ms` (the end of the newest block).
struct HeadSummary {
  bool present = false;
  PartSummary part;
  uint32_t wal_segments = 0;
  uint64_t wal_records = 0;
  uint64_t wal_series_records = 0;
  uint32_t head_chunk_files = 0;
  uint64_t head_chunks = 0;
  std::string problem;  // why the replay stopped early, if it did
};
HeadSummary InspectHead(Env& env, const std::string& root, int64_t min_valid_time_ms,
                        bool with_hashes, Analysis* analysis);

// "2023-08-01T10:00:00.000Z".
std::string FormatTime(int64_t ms);

}  // namespace strata::tools::inspect

#endif  // STRATA_TOOLS_INSPECT_STATS_H_
