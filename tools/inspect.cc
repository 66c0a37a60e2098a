// `strata inspect DIR`: what a data directory holds, read-only: blocks and
// head with time ranges, series, samples, chunks and bytes per sample;
// series churn between consecutive blocks; and for one block (or the
// head) the top metrics by series and samples and the label names by
// cardinality and series, like `promtool tsdb analyze`. The numbers come
// from inspect_stats.h; this file is the command and its output.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/json.h"
#include "base/strings.h"
#include "engine/block.h"
#include "engine/filenames.h"
#include "engine/ulid.h"
#include "strata/env.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"
#include "tools/inspect_stats.h"
#include "tools/progress.h"

namespace strata::tools {
namespace {

using inspect::Analysis;
using inspect::Churn;
using inspect::PartSummary;

double BytesPerSample(const PartSummary& p) {
  return p.samples == 0 ? 0 : static_cast<double>(p.bytes) / static_cast<double>(p.samples);
}

std::string Duration(int64_t ms) { return absl::FormatDuration(absl::Milliseconds(ms)); }

void PrintPart(const PartSummary& p) {
  std::printf("%s\n", p.name.c_str());
  if (!p.note.empty()) std::printf("  %s\n", p.note.c_str());
  if (p.samples > 0 || p.name != "head") {
    std::printf("  time range: %s (%lld) .. %s (%lld), %s\n",
                inspect::FormatTime(p.min_time_ms).c_str(), static_cast<long long>(p.min_time_ms),
                inspect::FormatTime(p.max_time_ms).c_str(), static_cast<long long>(p.max_time_ms),
                Duration(p.max_time_ms - p.min_time_ms).c_str());
  }
  std::printf("  series %llu, samples %llu, chunks %llu, bytes %llu, %.2f bytes/sample\n",
              static_cast<unsigned long long>(p.series), static_cast<unsigned long long>(p.samples),
              static_cast<unsigned long long>(p.chunks), static_cast<unsigned long long>(p.bytes),
              BytesPerSample(p));
}

void PrintTop(std::string_view title, const std::vector<Analysis::Count>& top) {
  std::printf("\n%s:\n", std::string(title).c_str());
  for (const Analysis::Count& c : top) {
    std::printf("  %10llu  %s\n", static_cast<unsigned long long>(c.count), c.name.c_str());
  }
}

void AppendPartJson(std::string* out, const PartSummary& p) {
  *out += "{\"name\":";
  AppendJsonString(out, p.name);
  StrAppend(out, ",\"minTime\":", p.min_time_ms, ",\"maxTime\":", p.max_time_ms,
            ",\"series\":", p.series, ",\"samples\":", p.samples, ",\"chunks\":", p.chunks,
            ",\"bytes\":", p.bytes,
            ",\"bytesPerSample\":", absl::StrFormat("%.4f", BytesPerSample(p)));
  if (!p.note.empty()) {
    *out += ",\"note\":";
    AppendJsonString(out, p.note);
  }
  *out += "}";
}

void AppendTopJson(std::string* out, std::string_view key,
                   const std::vector<Analysis::Count>& top) {
  StrAppend(out, ",\"", key, "\":[");
  for (size_t i = 0; i < top.size(); ++i) {
    *out += i == 0 ? "{\"name\":" : ",{\"name\":";
    AppendJsonString(out, top[i].name);
    StrAppend(out, ",\"count\":", top[i].count, "}");
  }
  *out += "]";
}

struct Report {
  std::vector<PartSummary> blocks;
  std::optional<inspect::HeadSummary> head;
  std::vector<Churn> churn;
  std::string target;
  Analysis analysis;
  size_t top = 10;
};

void PrintJson(const Report& r) {
  std::string out = "{\"blocks\":[";
  for (size_t i = 0; i < r.blocks.size(); ++i) {
    if (i > 0) out += ",";
    AppendPartJson(&out, r.blocks[i]);
  }
  out += "],\"head\":";
  if (r.head && r.head->present) {
    AppendPartJson(&out, r.head->part);
    out.pop_back();
    StrAppend(&out, ",\"walSegments\":", r.head->wal_segments,
              ",\"walRecords\":", r.head->wal_records,
              ",\"headChunkFiles\":", r.head->head_chunk_files,
              ",\"headChunks\":", r.head->head_chunks, ",\"problem\":");
    AppendJsonString(&out, r.head->problem);
    out += "}";
  } else {
    out += "null";
  }
  out += ",\"churn\":[";
  for (size_t i = 0; i < r.churn.size(); ++i) {
    const Churn& c = r.churn[i];
    out += i == 0 ? "{\"from\":" : ",{\"from\":";
    AppendJsonString(&out, c.from);
    out += ",\"to\":";
    AppendJsonString(&out, c.to);
    StrAppend(&out, ",\"appeared\":", c.appeared, ",\"disappeared\":", c.disappeared,
              ",\"kept\":", c.kept, "}");
  }
  out += "],\"analysis\":{\"target\":";
  AppendJsonString(&out, r.target);
  const Analysis& a = r.analysis;
  StrAppend(&out, ",\"series\":", a.series(), ",\"samples\":", a.samples(),
            ",\"labelNames\":", a.label_names(), ",\"labelPairs\":", a.label_pairs(),
            ",\"labelPairEntries\":", a.label_pair_entries());
  AppendTopJson(&out, "topMetricsBySeries", a.TopMetricsBySeries(r.top));
  AppendTopJson(&out, "topMetricsBySamples", a.TopMetricsBySamples(r.top));
  AppendTopJson(&out, "labelNamesByCardinality", a.TopLabelNamesByCardinality(r.top));
  AppendTopJson(&out, "labelNamesBySeries", a.TopLabelNamesBySeries(r.top));
  AppendTopJson(&out, "labelPairsBySeries", a.TopLabelPairsBySeries(r.top));
  out += "}}\n";
  std::fputs(out.c_str(), stdout);
}

void PrintHuman(const Report& r) {
  for (const PartSummary& b : r.blocks) PrintPart(b);
  if (r.head && r.head->present) {
    const inspect::HeadSummary& h = *r.head;
    PrintPart(h.part);
    std::printf("  WAL: %u segments, %llu records; chunks_head: %u files, %llu chunks\n",
                h.wal_segments, static_cast<unsigned long long>(h.wal_records), h.head_chunk_files,
                static_cast<unsigned long long>(h.head_chunks));
    if (!h.problem.empty()) std::printf("  WAL replay stopped early: %s\n", h.problem.c_str());
  }
  uint64_t series = 0, samples = 0, bytes = 0;
  for (const PartSummary& b : r.blocks) series += b.series, samples += b.samples, bytes += b.bytes;
  std::printf(
      "\nTotal: %zu blocks, %llu samples in blocks (%llu series summed over blocks), "
      "%.2f bytes/sample\n",
      r.blocks.size(), static_cast<unsigned long long>(samples),
      static_cast<unsigned long long>(series),
      samples == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(samples));
  if (!r.churn.empty()) {
    std::printf("\nChurn between consecutive parts:\n");
    for (const Churn& c : r.churn) {
      std::printf("  %s -> %s: %llu series appeared, %llu disappeared, %llu kept\n", c.from.c_str(),
                  c.to.c_str(), static_cast<unsigned long long>(c.appeared),
                  static_cast<unsigned long long>(c.disappeared),
                  static_cast<unsigned long long>(c.kept));
    }
  }
  if (r.target.empty()) return;
  const Analysis& a = r.analysis;
  std::printf("\nAnalysis of %s:\n", r.target.c_str());
  std::printf(
      "  series %llu, samples %llu, label names %llu, label pairs %llu, "
      "label pair entries %llu\n",
      static_cast<unsigned long long>(a.series()), static_cast<unsigned long long>(a.samples()),
      static_cast<unsigned long long>(a.label_names()),
      static_cast<unsigned long long>(a.label_pairs()),
      static_cast<unsigned long long>(a.label_pair_entries()));
  const std::string n = StrCat(r.top);
  PrintTop(StrCat("Top ", n, " metrics by series"), a.TopMetricsBySeries(r.top));
  PrintTop(StrCat("Top ", n, " metrics by samples"), a.TopMetricsBySamples(r.top));
  PrintTop(StrCat("Top ", n, " label names by cardinality (distinct values)"),
           a.TopLabelNamesByCardinality(r.top));
  PrintTop(StrCat("Top ", n, " label names by series"), a.TopLabelNamesBySeries(r.top));
  PrintTop(StrCat("Top ", n, " label pairs by series"), a.TopLabelPairsBySeries(r.top));
}

}  // namespace

int RunInspect(const std::vector<std::string>& args) {
  bool json = false;
  int64_t top = 10;
  std::string target;
  bool churn = true;
  FlagParser flags("strata inspect [flags] DIR",
                   "Shows what a data directory holds, without changing it: each block and the\n"
                   "head (from the WAL and chunks_head/) with time range, series, samples, chunks\n"
                   "and bytes per sample; series churn between consecutive blocks; and for one\n"
                   "block (--block) the top metrics by series and by samples and the label names\n"
                   "by cardinality and by series, as `promtool tsdb analyze` does.");
  flags.Bool("json", &json, "Print one JSON object.");
  flags.Int("top", &top, "Entries in each top list.");
  flags.String("block", &target,
               "Block (ULID) or \"head\" to analyse in detail; default the newest block, or "
               "the head if there is none.");
  flags.Bool("churn", &churn, "Compare the series of consecutive blocks (reads every index).");
  std::vector<std::string> positional;
  if (auto exit = flags.ParseCommand(args, 1, "one data directory", &positional)) return *exit;
  if (top < 1) return flags.UsageError("--top must be at least 1");
  Env& env = *Env::Default();
  const std::string root = positional[0];
  StatusOr<std::vector<std::string>> children = env.GetChildren(root);
  if (!env.IsDirectory(root) || !children.ok()) {
    std::fprintf(stderr, "strata inspect: %s is not a readable directory\n", root.c_str());
    return kExitUsage;
  }
  std::vector<std::string> names;
  for (const std::string& c : *children) {
    if (engine::ParseUlid(c).ok() && env.IsDirectory(engine::JoinPath(root, c))) {
      names.push_back(c);
    }
  }
  std::sort(names.begin(), names.end());
  if (target.empty()) target = names.empty() ? "head" : names.back();
  if (target != "head" && std::find(names.begin(), names.end(), target) == names.end()) {
    std::fprintf(stderr, "strata inspect: no block %s in %s\n", target.c_str(), root.c_str());
    return kExitUsage;
  }

  Report r;
  r.top = static_cast<size_t>(top);
  r.target = target;
  bool damaged = false;
  int64_t newest_max = INT64_MIN;
  Progress progress("inspect", "blocks", names.size());
  for (const std::string& name : names) {
    PartSummary p;
    p.name = name;
    StatusOr<std::shared_ptr<engine::Block>> block =
        engine::Block::Open(env, engine::JoinPath(root, name));
    if (!block.ok()) {
      p.note = StrCat("cannot open: ", block.status().message());
      damaged = true;
    } else {
      Status s = inspect::InspectBlock(**block, churn, name == target ? &r.analysis : nullptr, &p);
      if (!s.ok()) {
        p.note = StrCat("damaged: ", s.message());
        damaged = true;
      }
      newest_max = std::max(newest_max, (*block)->meta().max_time_ms);
    }
    if (churn && !r.blocks.empty() && !r.blocks.back().hashes.empty() && !p.hashes.empty()) {
      r.churn.push_back(inspect::CompareSeries(r.blocks.back(), p));
    }
    if (!r.blocks.empty()) r.blocks.back().hashes = {};  // keep two blocks' hashes at most
    r.blocks.push_back(std::move(p));
    progress.Add(1);
  }
  progress.Done();
  r.head =
      inspect::InspectHead(env, root, newest_max, churn, target == "head" ? &r.analysis : nullptr);
  if (churn && r.head->present && !r.blocks.empty() && !r.blocks.back().hashes.empty()) {
    r.churn.push_back(inspect::CompareSeries(r.blocks.back(), r.head->part));
  }
  if (json) {
    PrintJson(r);
  } else {
    PrintHuman(r);
  }
  return damaged ? kExitProblems : kExitOk;
}

}  // namespace strata::tools
