// The PromQL engine: evaluates a query text as an instant query at one
// time or a range query over [start, end] at a step, against any
// strata::DB (through strata::Querier), with Prometheus 2.42's semantics
// and result shapes (promql/engine.go). The server turns a Result into the
// Prometheus API's JSON; embedders use it directly.
//
//   query::Engine engine(query::EngineOptions{});
//   StatusOr<query::Result> r = engine.Instant(db, "sum by (job) (up)", now_ms);
//
// Errors carry Prometheus' error types so the server can map them to the
// API's `errorType` and HTTP status:
//   InvalidArgument   -> "bad_data"   (parse errors "1:5: parse error: ...",
//                                      bad parameters)
//   FailedPrecondition-> "execution"  (e.g. "vector cannot contain metrics
//                                      with the same labelset", many-to-many
//                                      matching)
//   DeadlineExceeded  -> "timeout"    ("query timed out in ...")
//   Cancelled         -> "canceled"
//   ResourceExhausted -> "execution"  ("query processing would load too many
//                                      samples into memory in ...")
//   DataLoss/Internal -> "internal"
//
// Thread-safety: an Engine is immutable after construction; any number of
// queries may run on it at once.
#ifndef STRATA_QUERY_ENGINE_H_
#define STRATA_QUERY_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "index/labels.h"
#include "strata/db.h"
#include "strata/status.h"

namespace strata::query {

// Which Prometheus the semantics follow (`--query.compat`).
enum class Compat {
  // Prometheus 2.x: range and lookback windows include both edges.
  kPrometheus2,
  // Prometheus 3: windows are left-open (a sample exactly at the lower edge
  // is excluded); regex `.` matches newlines.
  kPrometheus3,
};

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;  // --query.lookback-delta
  int64_t timeout_ms = 2 * 60 * 1000;         // --query.timeout
  int64_t max_samples = 50'000'000;           // --query.max-samples
  // A range query may have at most this many steps (Prometheus' 11,000).
  int64_t max_points_per_series = 11'000;
  Compat compat = Compat::kPrometheus3;
  // Threads that evaluate series of one range query in parallel; 0 = one
  // per core.
  int threads = 0;
};

// Limits of one query, tighter than the engine's (the HTTP API's `timeout`
// parameter). Intentionally copyable.
struct QueryOptions {
  int64_t timeout_ms = 0;  // 0: the engine's; otherwise the smaller of the two
};

// One point of a series. Intentionally copyable.
struct Point {
  int64_t t;  // milliseconds
  double v;
};

// A series of a matrix result (range query, or a range-vector expression
// in an instant query), points in time order.
struct SeriesResult {
  index::Labels labels;
  std::vector<Point> points;
};

// One element of an instant vector.
struct VectorElement {
  index::Labels labels;
  int64_t t;
  double v;
};

// The value of a query. Intentionally copyable.
struct Result {
  enum class Type { kScalar, kVector, kMatrix, kString };
  Type type = Type::kVector;
  std::vector<VectorElement> vector;  // kVector
  std::vector<SeriesResult> matrix;   // kMatrix (range queries always)
  Point scalar{0, 0};                 // kScalar
  std::string string_value;           // kString, with `t` in scalar.t
  int64_t t = 0;                      // evaluation time of an instant query
  // Non-fatal warnings Prometheus would return in `warnings`.
  std::vector<std::string> warnings;
  // Samples loaded from storage (for limits and statistics).
  int64_t samples_loaded = 0;
};

class Engine {
 public:
  explicit Engine(const EngineOptions& options);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  // Evaluates `query` at `time_ms`. Errors: see the file comment.
  [[nodiscard]] StatusOr<Result> Instant(DB& db, std::string_view query, int64_t time_ms,
                                         const QueryOptions& limits = {}) const;
  // Evaluates `query` at start, start+step, ..., <= end. The result is
  // always a matrix (a scalar query gives one series without labels).
  // Errors as Instant, plus InvalidArgument for step <= 0, end < start, or
  // more than max_points_per_series steps ("exceeded maximum resolution of
  // 11,000 points per timeseries. Try decreasing the query resolution
  // (?step=XX)").
  [[nodiscard]] StatusOr<Result> Range(DB& db, std::string_view query, int64_t start_ms,
                                       int64_t end_ms, int64_t step_ms,
                                       const QueryOptions& limits = {}) const;

  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions OptionsFor(const QueryOptions& limits) const;

  const EngineOptions options_;
};

}  // namespace strata::query

#endif  // STRATA_QUERY_ENGINE_H_
