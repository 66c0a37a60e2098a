// The read side shared by `strata dump` and `strata export`: open a data
// directory without changing it, and stream the series that any of several
// selectors pick, in label order, one series at a time through the public
// Querier, so memory stays bounded by the largest series' labels and one
// chunk, not by the data.
//
// Thread-safety: stateless functions; the DB they return is thread-safe.
#ifndef STRATA_TOOLS_SERIES_STREAM_H_
#define STRATA_TOOLS_SERIES_STREAM_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "strata/db.h"
#include "strata/status.h"
#include "tools/sample_format.h"

namespace strata::tools {

// What to read: the union of the series the selectors pick (every series
// with a metric name if there are none), over [min_time_ms, max_time_ms].
struct SeriesFilter {
  std::vector<std::vector<LabelMatcher>> selectors;
  int64_t min_time_ms = std::numeric_limits<int64_t>::min();
  int64_t max_time_ms = std::numeric_limits<int64_t>::max();
};

// Builds a filter from the --match/--min-time/--max-time flag values.
// Errors: InvalidArgument naming the flag, with the parser's message (and
// its line:column position) for a bad selector.
[[nodiscard]] StatusOr<SeriesFilter> ParseSeriesFilter(const std::vector<std::string>& matches,
                                                       const std::string& min_time,
                                                       const std::string& max_time);

// Opens `dir` read-only (Options::read_only: no lock, nothing written, the
// WAL replayed into memory). `env` may be null for the default. Errors:
// NotFound if `dir` is not a directory; what DB::Open reports otherwise.
// Warnings (blocks set aside, a damaged WAL) are in the DB's Stats().
[[nodiscard]] StatusOr<std::unique_ptr<DB>> OpenReadOnly(const std::string& dir, Env* env);

// Writes every sample of the filtered series to `writer`, series by series
// in label order, showing progress on a terminal as `what`. Does not call
// writer.Finish(). Errors: what the querier reports (DataLoss for damaged
// data, InvalidArgument for a selector the index rejects) and the writer's
// I/O errors.
[[nodiscard]] Status StreamSeries(DB& db, const SeriesFilter& filter, const std::string& what,
                                  SampleWriter& writer);

// Prints the DB's open-time warnings to stderr as "<command>: warning: ...";
// returns how many there were.
size_t PrintOpenWarnings(const DB& db, const std::string& command);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_SERIES_STREAM_H_
