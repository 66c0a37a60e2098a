#include "tools/series_stream.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "query/parser.h"
#include "tools/progress.h"

namespace strata::tools {
namespace {

// Prometheus' labels.Compare: pair by pair, name then value; a prefix
// sorts first. The order SeriesSet returns series in.
int CompareLabels(const Labels& a, const Labels& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a[i].name.compare(b[i].name); c != 0) return c;
    if (int c = a[i].value.compare(b[i].value); c != 0) return c;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

void WriteSeries(const SeriesSet& set, SampleWriter& writer, Status* status) {
  if (!writer.BeginSeries(set.labels())) return;
  std::unique_ptr<SeriesIterator> it = set.NewIterator();
  while (it->Next()) writer.Sample(it->timestamp_ms(), it->value());
  writer.EndSeries();
  if (Status s = it->status(); !s.ok() && status->ok()) *status = s;
}

}  // namespace

StatusOr<SeriesFilter> ParseSeriesFilter(const std::vector<std::string>& matches,
                                         const std::string& min_time, const std::string& max_time) {
  SeriesFilter filter;
  for (const std::string& m : matches) {
    StatusOr<std::vector<LabelMatcher>> sel = query::ParseSeriesSelector(m);
    if (!sel.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--match \"%s\": %s", m, sel.status().message()));
    }
    filter.selectors.push_back(std::move(*sel));
  }
  if (filter.selectors.empty()) {
    filter.selectors.push_back({{LabelMatcher::Type::kRegexMatch, "__name__", ".+"}});
  }
  if (!min_time.empty()) {
    StatusOr<int64_t> t = ParseToolTime(min_time);
    if (!t.ok()) return absl::InvalidArgumentError(StrCat("--min-time: ", t.status().message()));
    filter.min_time_ms = *t;
  }
  if (!max_time.empty()) {
    StatusOr<int64_t> t = ParseToolTime(max_time);
    if (!t.ok()) return absl::InvalidArgumentError(StrCat("--max-time: ", t.status().message()));
    filter.max_time_ms = *t;
  }
  if (filter.min_time_ms > filter.max_time_ms) {
    return absl::InvalidArgumentError("--min-time is after --max-time");
  }
  return filter;
}

StatusOr<std::unique_ptr<DB>> OpenReadOnly(const std::string& dir, Env* env) {
  Options options;
  options.env = env;
  options.read_only = true;
  options.background_compaction = false;
  options.retention_ms = 0;  // show everything that is there
  StatusOr<std::unique_ptr<DB>> db = DB::Open(options, dir);
  if (!db.ok()) return Annotate(db.status(), StrCat("open ", dir));
  return db;
}

Status StreamSeries(DB& db, const SeriesFilter& filter, const std::string& what,
                    SampleWriter& writer) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Querier> querier,
                          db.NewQuerier(filter.min_time_ms, filter.max_time_ms));
  std::vector<std::unique_ptr<SeriesSet>> sets;
  for (const auto& selector : filter.selectors) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, querier->Select(selector));
    sets.push_back(std::move(set));
  }
  // A merge of the sorted sets: each series once, even if several
  // selectors pick it.
  std::vector<bool> live(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) live[i] = sets[i]->Next();
  Progress progress(what, "series", 0);
  Status status;
  Labels current;
  while (status.ok() && writer.status().ok()) {
    std::optional<size_t> min;
    for (size_t i = 0; i < sets.size(); ++i) {
      if (live[i] && (!min || CompareLabels(sets[i]->labels(), sets[*min]->labels()) < 0)) min = i;
    }
    if (!min) break;
    WriteSeries(*sets[*min], writer, &status);
    progress.Add(1);
    if (sets.size() == 1) {
      live[0] = sets[0]->Next();
      continue;
    }
    current = sets[*min]->labels();
    for (size_t i = 0; i < sets.size(); ++i) {
      if (live[i] && CompareLabels(sets[i]->labels(), current) == 0) live[i] = sets[i]->Next();
    }
  }
  progress.Done();
  for (const auto& set : sets) {
    if (Status s = set->status(); !s.ok() && status.ok()) status = s;
  }
  STRATA_RETURN_IF_ERROR(status);
  return writer.status();
}

size_t PrintOpenWarnings(const DB& db, const std::string& command) {
  const DBStats stats = db.Stats();
  for (const std::string& w : stats.warnings) {
    std::fprintf(stderr, "%s: warning: %s\n", command.c_str(), w.c_str());
  }
  return stats.warnings.size();
}

}  // namespace strata::tools
