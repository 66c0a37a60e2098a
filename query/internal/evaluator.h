// The PromQL evaluator behind query::Engine: evaluates an AST over a grid
// of steps (an instant query is a grid of one step) and returns values in
// which every series holds its points for all steps.
//
// Evaluation is series-major where Prometheus allows it: selectors and
// range-vector functions process one series over all steps at a time and
// spread series over worker threads (ParallelFor); aggregations and binary
// operators, which combine series, work step by step over a transposed
// view (StepView).
//
// Semantics follow Prometheus 2.42 (promql/engine.go, functions.go), with
// the window edges of Compat::kPrometheus3 as the only dialect difference.
//
// Thread-safety: an Evaluator serves one query; its helpers may call
// Context's thread-safe members (CheckDeadline, AddSamples) from workers.
#ifndef STRATA_QUERY_INTERNAL_EVALUATOR_H_
#define STRATA_QUERY_INTERNAL_EVALUATOR_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "index/labels.h"
#include "query/ast.h"
#include "query/engine.h"
#include "strata/db.h"
#include "strata/status.h"

namespace strata::query::internal {

// Subquery step when none is given (Prometheus' global evaluation
// interval, whose default is 1m; the .test harness also uses 1m).
inline constexpr int64_t kDefaultSubqueryStepMs = 60 * 1000;

// The evaluation steps start, start+step, ..., <= end.
struct Grid {
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 1;
  int64_t size() const { return (end - start) / step + 1; }
  int64_t T(int64_t i) const { return start + i * step; }
  int64_t Index(int64_t t) const { return (t - start) / step; }
};

// A series with points. In an instant-vector value the points sit on the
// grid's timestamps; in a range-vector value they are raw samples.
struct Series {
  index::Labels labels;
  std::vector<Point> points;
};

struct Value {
  ValueType type = ValueType::kVector;
  std::vector<double> scalar;  // kScalar: one value per step
  std::vector<Series> series;  // kVector, kMatrix
  std::string str;             // kString
};

// State shared by all nodes of one query. Thread-safe where noted.
class Context {
 public:
  Context(DB& db, const EngineOptions& options, int64_t query_start, int64_t query_end);

  DB& db() const { return db_; }
  const EngineOptions& options() const { return options_; }
  bool left_open() const { return options_.compat == Compat::kPrometheus3; }
  int64_t query_start() const { return query_start_; }
  int64_t query_end() const { return query_end_; }
  int threads() const { return threads_; }

  // DeadlineExceeded once the query ran longer than the timeout.
  // Thread-safe.
  [[nodiscard]] Status CheckDeadline() const;
  // Counts samples loaded from storage; ResourceExhausted past the limit.
  // Thread-safe.
  [[nodiscard]] Status AddSamples(int64_t n);
  int64_t samples_loaded() const { return samples_.load(); }

 private:
  DB& db_;
  const EngineOptions& options_;
  const int64_t query_start_;
  const int64_t query_end_;
  int threads_;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<int64_t> samples_{0};
};

// Runs fn(0..n-1) on up to `threads` threads; returns the first error.
[[nodiscard]] Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn);

// The points of each step: steps[i] lists (series index, value) of the
// series that have a point at grid step i, in series order.
struct StepView {
  using Entry = std::pair<uint32_t, double>;
  std::span<const Entry> Step(int64_t i) const {
    return std::span<const Entry>(entries.data() + offsets[i], offsets[i + 1] - offsets[i]);
  }
  std::vector<size_t> offsets;  // size steps + 1; step i is [offsets[i], offsets[i+1])
  std::vector<Entry> entries;
};
StepView Transpose(const std::vector<Series>& series, const Grid& grid);

// Collects output points per label set, in increasing step order per
// series. Two points of one label set at one step are an error, as in
// Prometheus ("vector cannot contain metrics with the same labelset").
class SeriesBuilder {
 public:
  // Returns the index of the output series with `labels`, creating it.
  int Intern(const index::Labels& labels);
  [[nodiscard]] Status Add(int index, int64_t t, double v);
  std::vector<Series> Finish();

 private:
  std::vector<Series> out_;
  absl::flat_hash_map<std::string, int> index_;  // by encoded labels
};

index::Labels DropMetricName(const index::Labels& labels);
bool IsStaleNaN(double v);
// Go's strconv.FormatFloat(v, 'f', -1, 64).
std::string FormatValueLabel(double v);
// Go's model.LabelName.IsValid: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(std::string_view name);
// Prometheus' quantile() over `values` (sorted in place).
double Quantile(double q, std::vector<double>& values);

// Evaluates expressions of one query (eval.cc). Not thread-safe; the
// helpers it calls parallelise internally.
class Evaluator {
 public:
  // A range-vector argument (matrix selector or subquery): per series, the
  // samples that the windows of all steps need.
  struct RangeSource {
    std::vector<index::Labels> labels;
    // Loads the samples of series i into *buf (non-stale, in time order).
    // Thread-safe for distinct i.
    std::function<Status(size_t i, std::vector<Point>* buf)> load;
    // The window of the step at t: [ref - range_ms, ref] with ref = (at_ms
    // or t) - offset_ms; left-open in Prometheus 3.
    int64_t range_ms = 0;
    int64_t offset_ms = 0;
    std::optional<int64_t> at_ms;
    // The selector of a matrix selector (absent_over_time() labels); null
    // for a subquery.
    const VectorSelector* selector = nullptr;
    // Keeps the querier or the subquery's points alive.
    std::shared_ptr<void> keep_alive;
  };

  explicit Evaluator(Context& ctx) : ctx_(ctx) {}

  [[nodiscard]] StatusOr<Value> Eval(const Expr& expr, const Grid& grid);
  // With `timestamps`, values are the samples' timestamps in seconds
  // (timestamp() of a selector).
  [[nodiscard]] StatusOr<Value> EvalVectorSelector(const VectorSelector& vs, const Grid& grid,
                                                   bool timestamps);
  [[nodiscard]] StatusOr<RangeSource> MakeRangeSource(const Expr& expr, const Grid& grid);
  // The reference time (before offset) of the step at t for a node with
  // `mods`: t, or the time its `@` names.
  int64_t RefTime(const TimeModifiers& mods, int64_t t) const;
  Context& ctx() { return ctx_; }

 private:
  // Instant query on a range-vector expression: the raw samples.
  StatusOr<Value> EvalMatrix(const Expr& expr, const Grid& grid);
  StatusOr<Value> EvalUnary(const UnaryExpr& e, const Grid& grid);

  Context& ctx_;
};

// Binary operators (eval_binary.cc).
StatusOr<Value> EvalBinaryOp(Context& ctx, const BinaryExpr& e, Value lhs, Value rhs,
                             const Grid& grid);
// Aggregations (eval_aggregate.cc). `param` is a scalar or string value or
// null.
StatusOr<Value> EvalAggregateOp(Context& ctx, const AggregateExpr& e, const Value* param,
                                Value input, const Grid& grid);
// Function calls: Call::func->call (functions.h, internal/function_calls.h).
// histogram_quantile over one step's buckets (histogram_quantile.cc).
struct Bucket {
  double upper_bound;
  double count;
};
double BucketQuantile(double q, std::vector<Bucket>& buckets);
StatusOr<Value> HistogramQuantile(Context& ctx, const Value& q, const Value& input,
                                  const Grid& grid);

const Expr& UnwrapParens(const Expr& e);
// The labels absent() and absent_over_time() give their result: the `=`
// matchers of `vs` (other than the name) unless a name is matched twice or
// otherwise. Empty for a null selector (any other argument).
index::Labels AbsentLabels(const VectorSelector* vs);

}  // namespace strata::query::internal

#endif  // STRATA_QUERY_INTERNAL_EVALUATOR_H_
