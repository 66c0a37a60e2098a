// query::Engine: parses a query, checks the request's limits, runs the
// evaluator (internal/evaluator.h) and shapes the result as Prometheus'
// instant and range query APIs do.
#include "query/engine.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "query/internal/evaluator.h"
#include "query/parser.h"

namespace strata::query {

Engine::Engine(const EngineOptions& options) : options_(options) {}
Engine::~Engine() = default;

EngineOptions Engine::OptionsFor(const QueryOptions& limits) const {
  EngineOptions o = options_;
  if (limits.timeout_ms > 0 && (o.timeout_ms <= 0 || limits.timeout_ms < o.timeout_ms)) {
    o.timeout_ms = limits.timeout_ms;
  }
  return o;
}

StatusOr<Result> Engine::Instant(DB& db, std::string_view query, int64_t time_ms,
                                 const QueryOptions& limits) const {
  STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParseExpr(query));
  const EngineOptions options = OptionsFor(limits);
  internal::Context ctx(db, options, time_ms, time_ms);
  internal::Evaluator ev(ctx);
  const internal::Grid grid{time_ms, time_ms, 1};
  STRATA_ASSIGN_OR_RETURN(internal::Value value, ev.Eval(*expr, grid));
  Result result;
  result.t = time_ms;
  result.samples_loaded = ctx.samples_loaded();
  switch (value.type) {
    case ValueType::kScalar:
      result.type = Result::Type::kScalar;
      result.scalar = Point{time_ms, value.scalar.empty() ? 0 : value.scalar[0]};
      break;
    case ValueType::kString:
      result.type = Result::Type::kString;
      result.string_value = std::move(value.str);
      result.scalar = Point{time_ms, 0};
      break;
    case ValueType::kMatrix:
      result.type = Result::Type::kMatrix;
      for (internal::Series& s : value.series) {
        result.matrix.push_back(SeriesResult{std::move(s.labels), std::move(s.points)});
      }
      break;
    default:
      result.type = Result::Type::kVector;
      for (internal::Series& s : value.series) {
        for (const Point& p : s.points) {
          result.vector.push_back(VectorElement{s.labels, p.t, p.v});
        }
      }
      break;
  }
  return result;
}

StatusOr<Result> Engine::Range(DB& db, std::string_view query, int64_t start_ms, int64_t end_ms,
                               int64_t step_ms, const QueryOptions& limits) const {
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. Try a positive "
        "integer");
  }
  if (end_ms < start_ms) {
    return absl::InvalidArgumentError("end timestamp must not be before start time");
  }
  const __int128 steps = (static_cast<__int128>(end_ms) - start_ms) / step_ms + 1;
  if (steps > options_.max_points_per_series) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "exceeded maximum resolution of %d points per timeseries. Try decreasing the query "
        "resolution (?step=XX)",
        options_.max_points_per_series));
  }
  STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParseExpr(query));
  const ValueType type = expr->type();
  if (type != ValueType::kScalar && type != ValueType::kVector) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid expression type \"%s\" for range query, must be Scalar or instant Vector",
        DocumentedTypeName(type)));
  }
  const EngineOptions options = OptionsFor(limits);
  internal::Context ctx(db, options, start_ms, end_ms);
  internal::Evaluator ev(ctx);
  const internal::Grid grid{start_ms, end_ms, step_ms};
  STRATA_ASSIGN_OR_RETURN(internal::Value value, ev.Eval(*expr, grid));
  Result result;
  result.type = Result::Type::kMatrix;
  result.t = end_ms;
  result.samples_loaded = ctx.samples_loaded();
  if (value.type == ValueType::kScalar) {
    SeriesResult s;
    for (int64_t i = 0; i < grid.size(); ++i) s.points.push_back(Point{grid.T(i), value.scalar[i]});
    result.matrix.push_back(std::move(s));
    return result;
  }
  for (internal::Series& s : value.series) {
    result.matrix.push_back(SeriesResult{std::move(s.labels), std::move(s.points)});
  }
  index::SortByLabels(result.matrix,
                      [](const SeriesResult& s) -> const index::Labels& { return s.labels; });
  return result;
}

}  // namespace strata::query
