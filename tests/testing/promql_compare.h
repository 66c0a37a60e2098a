// Differential comparison of PromQL results between the real Prometheus
// and Strata (issues #6 and #7): parses the Prometheus HTTP API's JSON
// (`/api/v1/query`, `/api/v1/query_range`, `/api/v1/series`, `/api/v1/labels`,
// `/api/v1/label/<name>/values`) into plain values, and compares two
// results series by series and point by point with a relative tolerance
// (NaN equals NaN, +Inf equals +Inf).
//
// Results compare as sets of series keyed by their label set, since
// Prometheus does not define the order of an instant vector; `ordered`
// additionally checks the order (for `sort`, `sort_desc`).
//
// Part of the strata_testing library; needs only strata_base (base/json.h).
//
// Thread-safety: value types (intentionally copyable) and stateless
// functions.
#ifndef STRATA_TESTS_TESTING_PROMQL_COMPARE_H_
#define STRATA_TESTS_TESTING_PROMQL_COMPARE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::testing {

// A label set, sorted by name. Intentionally copyable.
using PromLabels = std::vector<std::pair<std::string, std::string>>;

// One series of a result: an instant vector element has one point, a
// matrix series many; a scalar is one series without labels.
struct PromSeries {
  PromLabels labels;
  std::vector<std::pair<int64_t, double>> points;  // (milliseconds, value)
};

// A query result, normalized. Intentionally copyable.
struct PromResult {
  std::string type;  // "vector", "matrix", "scalar" or "string"
  std::vector<PromSeries> series;
  std::string string_value;  // "string" results only
};

// Parses a `/api/v1/query` or `/api/v1/query_range` answer. An answer
// with `"status":"error"` gives FailedPrecondition carrying
// "<errorType>: <error>"; JSON that is not a query answer gives
// InvalidArgument.
[[nodiscard]] StatusOr<PromResult> ParsePromQueryResponse(std::string_view json);

// Parses a `/api/v1/series` answer into its label sets, sorted.
[[nodiscard]] StatusOr<std::vector<PromLabels>> ParsePromSeriesResponse(std::string_view json);

// Parses a `/api/v1/labels` or `/api/v1/label/<name>/values` answer into its
// strings, sorted.
[[nodiscard]] StatusOr<std::vector<std::string>> ParsePromStringListResponse(std::string_view json);

// A Prometheus API timestamp ("1672531200.123" or 1672531200.123) in
// milliseconds, rounded to the nearest millisecond.
int64_t PromTimestampMs(std::string_view seconds_text);

// Formats milliseconds as the API's seconds parameter ("1672531200.123").
std::string PromTimeParam(int64_t ms);

// The queries of a query list file (tests/query/testdata/*.txt): one per
// line, surrounding white space trimmed, empty lines and lines starting
// with `#` skipped. Errors: NotFound if the file cannot be read.
[[nodiscard]] StatusOr<std::vector<std::string>> ReadQueryFile(const std::string& path);

// `{a="1", b="2"}`.
std::string FormatPromLabels(const PromLabels& labels);

struct CompareOptions {
  double relative_tolerance = 1e-9;
  // Also require the series in the same order.
  bool ordered = false;
};

// True if `a` and `b` are both NaN, equal (infinities included), or differ
// by at most `relative_tolerance` times the larger magnitude.
bool SameValue(double a, double b, double relative_tolerance);

// Compares `want` (Prometheus) with `got` (Strata). Returns one line per
// difference ("missing series {...}", "{...} t=... want 1 got 2", ...),
// at most `max_diffs` of them plus a count of the rest; empty if equal.
std::vector<std::string> ComparePromResults(const PromResult& want, const PromResult& got,
                                            const CompareOptions& options, size_t max_diffs = 10);

}  // namespace strata::testing

#endif  // STRATA_TESTS_TESTING_PROMQL_COMPARE_H_
