#include "tools/inspect_stats.h"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "absl/time/time.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/chunk.h"
#include "engine/filenames.h"
#include "engine/head_chunk_file.h"
#include "index/labels.h"
#include "wal/reader.h"
#include "wal/records.h"

namespace strata::tools::inspect {
namespace {

using Count = Analysis::Count;

std::vector<Count> Top(std::vector<Count> all, size_t n) {
  const auto by_count = [](const Count& a, const Count& b) {
    return a.count != b.count ? a.count > b.count : a.name < b.name;
  };
  if (all.size() > n) {
    std::partial_sort(all.begin(), all.begin() + n, all.end(), by_count);
    all.resize(n);
  } else {
    std::sort(all.begin(), all.end(), by_count);
  }
  return all;
}

// The samples of a chunk, as its encoding's implementation counts them
// (compression/chunk.h). Prometheus' histogram chunks, not implemented
// yet, start with their count as a BE16 like XOR (chunkenc: NumSamples
// reads the first two bytes); the block's chunk reader has already turned
// away unknown encoding bytes.
uint64_t ChunkSamples(const engine::ChunkView& c) {
  StatusOr<std::unique_ptr<compression::Chunk>> chunk =
      compression::ChunkFromData(c.encoding, c.data);
  if (chunk.ok()) return (*chunk)->num_samples();
  return c.data.size() < 2 ? 0 : compression::LoadBE16(c.data.data());
}

}  // namespace

void Analysis::AddSeries(const std::vector<std::pair<std::string_view, std::string_view>>& labels,
                         uint64_t samples) {
  ++series_;
  samples_ += samples;
  label_pair_entries_ += labels.size();
  for (const auto& [name, value] : labels) {
    if (name == index::kMetricName) {
      auto it = metrics_.find(value);
      if (it == metrics_.end()) it = metrics_.emplace(std::string(value), Metric{}).first;
      ++it->second.series;
      it->second.samples += samples;
    }
    auto n = pairs_.find(name);
    if (n == pairs_.end()) n = pairs_.emplace(std::string(name), decltype(n->second){}).first;
    auto v = n->second.find(value);
    if (v == n->second.end()) v = n->second.emplace(std::string(value), 0).first;
    ++v->second;
  }
}

uint64_t Analysis::label_pairs() const {
  uint64_t n = 0;
  for (const auto& [name, values] : pairs_) n += values.size();
  return n;
}

std::vector<Count> Analysis::TopMetricsBySeries(size_t n) const {
  std::vector<Count> all;
  for (const auto& [name, m] : metrics_) all.push_back(Count{name, m.series});
  return Top(std::move(all), n);
}

std::vector<Count> Analysis::TopMetricsBySamples(size_t n) const {
  std::vector<Count> all;
  for (const auto& [name, m] : metrics_) all.push_back(Count{name, m.samples});
  return Top(std::move(all), n);
}

std::vector<Count> Analysis::TopLabelNamesByCardinality(size_t n) const {
  std::vector<Count> all;
  for (const auto& [name, values] : pairs_) all.push_back(Count{name, values.size()});
  return Top(std::move(all), n);
}

std::vector<Count> Analysis::TopLabelNamesBySeries(size_t n) const {
  std::vector<Count> all;
  for (const auto& [name, values] : pairs_) {
    uint64_t series = 0;
    for (const auto& [value, count] : values) series += count;
    all.push_back(Count{name, series});
  }
  return Top(std::move(all), n);
}

std::vector<Count> Analysis::TopLabelPairsBySeries(size_t n) const {
  std::vector<Count> all;
  for (const auto& [name, values] : pairs_) {
    for (const auto& [value, count] : values) all.push_back(Count{StrCat(name, "=", value), count});
  }
  return Top(std::move(all), n);
}

Churn CompareSeries(const PartSummary& from, const PartSummary& to) {
  Churn c{from.name, to.name};
  size_t i = 0, j = 0;
  const std::vector<uint64_t>& a = from.hashes;
  const std::vector<uint64_t>& b = to.hashes;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++c.kept, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++c.disappeared, ++i;
    } else {
      ++c.appeared, ++j;
    }
  }
  c.disappeared += a.size() - i;
  c.appeared += b.size() - j;
  return c;
}

Status InspectBlock(const engine::Block& block, bool with_hashes, Analysis* analysis,
                    PartSummary* out) {
  const engine::BlockMeta& meta = block.meta();
  out->name = meta.ulid.ToString();
  out->min_time_ms = meta.min_time_ms;
  out->max_time_ms = meta.max_time_ms;
  out->series = meta.stats.num_series;
  out->samples = meta.stats.num_samples;
  out->chunks = meta.stats.num_chunks;
  out->bytes = block.chunks().total_bytes();
  if (!with_hashes && analysis == nullptr) return absl::OkStatus();
  StatusOr<std::vector<uint64_t>> refs = block.index().AllPostings();
  if (!refs.ok()) return refs.status();
  if (with_hashes) out->hashes.reserve(refs->size());
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  for (uint64_t ref : *refs) {
    StatusOr<index::SeriesEntry> s = block.index().Series(ref);
    if (!s.ok()) return s.status();
    if (with_hashes) out->hashes.push_back(s->labels.Hash());
    if (analysis == nullptr) continue;
    uint64_t samples = 0;
    for (const index::ChunkMeta& c : s->chunks) {
      StatusOr<engine::ChunkView> chunk = block.chunks().Chunk(c.ref);
      if (!chunk.ok()) return chunk.status();
      samples += ChunkSamples(*chunk);
    }
    labels.clear();
    for (const index::Label& l : s->labels) labels.emplace_back(l.name, l.value);
    analysis->AddSeries(labels, samples);
  }
  std::sort(out->hashes.begin(), out->hashes.end());
  return absl::OkStatus();
}

HeadSummary InspectHead(Env& env, const std::string& root, int64_t min_valid_time_ms,
                        bool with_hashes, Analysis* analysis) {
  HeadSummary h;
  h.part.name = "head";
  const std::string wal_dir = engine::JoinPath(root, engine::kWalDir);
  if (!env.IsDirectory(wal_dir)) return h;
  h.present = true;

  struct Series {
    wal::Labels labels;
    uint64_t samples = 0;
  };
  std::unordered_map<uint64_t, Series> series;
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  std::vector<wal::RefSeries> series_buf;
  std::vector<wal::RefSample> sample_buf;
  wal::ReplayOptions options;
  options.cut_torn_tail = false;  // read-only
  wal::ReplayStats stats;
  const Status replay = wal::Replay(
      env, wal_dir, options,
      [&](std::string_view record) -> Status {
        switch (wal::GetRecordType(record)) {
          case wal::RecordType::kSeries:
            series_buf.clear();
            if (Status s = wal::DecodeSeries(record, &series_buf); !s.ok()) return s;
            for (wal::RefSeries& s : series_buf) {
              ++h.wal_series_records;
              series[s.ref].labels = std::move(s.labels);
            }
            return absl::OkStatus();
          case wal::RecordType::kSamples:
            sample_buf.clear();
            if (Status s = wal::DecodeSamples(record, &sample_buf); !s.ok()) return s;
            for (const wal::RefSample& s : sample_buf) {
              if (s.t < min_valid_time_ms) continue;  // already in a block
              ++series[s.ref].samples;
              min_t = std::min(min_t, s.t);
              max_t = std::max(max_t, s.t);
            }
            return absl::OkStatus();
          default:
            return absl::OkStatus();
        }
      },
      &stats);
  if (!replay.ok()) h.problem = std::string(replay.message());
  h.wal_segments = stats.segments;
  h.wal_records = stats.records;

  std::vector<std::pair<std::string_view, std::string_view>> labels;
  index::LabelsBuilder builder;
  for (const auto& [ref, s] : series) {
    if (s.samples == 0 || s.labels.empty()) continue;
    ++h.part.series;
    h.part.samples += s.samples;
    if (with_hashes) {
      builder.Reset();
      for (const wal::Label& l : s.labels) builder.Set(l.first, l.second);
      h.part.hashes.push_back(builder.Build().Hash());
    }
    if (analysis != nullptr) {
      labels.clear();
      for (const wal::Label& l : s.labels) labels.emplace_back(l.first, l.second);
      analysis->AddSeries(labels, s.samples);
    }
  }
  std::sort(h.part.hashes.begin(), h.part.hashes.end());
  if (h.part.samples > 0) {
    h.part.min_time_ms = min_t;
    h.part.max_time_ms = max_t + 1;
  }

  const std::string chunks_dir = engine::JoinPath(root, engine::kHeadChunksDir);
  StatusOr<std::unique_ptr<engine::HeadChunkReader>> reader =
      engine::HeadChunkReader::Open(env, chunks_dir);
  if (reader.ok()) {
    h.head_chunk_files = static_cast<uint32_t>((*reader)->files().size());
    Status s = (*reader)->ForEach([&](const engine::HeadChunk&) { ++h.head_chunks; });
    if (!s.ok() && h.problem.empty()) h.problem = std::string(s.message());
  }
  h.part.chunks = h.head_chunks;
  for (const std::string& dir : {wal_dir, chunks_dir}) {
    StatusOr<std::vector<std::string>> children = env.GetChildren(dir);
    if (!children.ok()) continue;
    for (const std::string& c : *children) {
      StatusOr<uint64_t> size = env.GetFileSize(engine::JoinPath(dir, c));
      if (size.ok()) h.part.bytes += *size;
    }
  }
  return h;
}

std::string FormatTime(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace strata::tools::inspect
