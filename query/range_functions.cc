// Range-vector functions (rate, increase, delta, irate, idelta, deriv,
// predict_linear, holt_winters, changes, resets, the *_over_time family,
// absent_over_time), each evaluated over all steps of one series at a time
// with a sliding window, series spread over worker threads. The function
// table (functions.cc) points to the Func* entry points; each instantiates
// the window loop with its kernel. Arithmetic as
// Prometheus 2.42's promql/functions.go (extrapolatedRate, instantValue,
// linearRegression with Kahan-Neumaier sums, funcHoltWinters).
#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "query/internal/evaluator.h"
#include "query/internal/function_calls.h"

namespace strata::query::internal {
namespace {

// What a kernel sees for one step of one series.
struct Window {
  std::span<const Point> pts;  // non-empty
  int64_t range_start;         // ms, the window's lower edge
  int64_t range_end;           // ms, the window's upper edge
  int64_t range_ms;
  int64_t t;        // evaluation time of the step
  double arg = 0;   // the scalar argument (predict_linear, quantile_over_time)
  double arg2 = 0;  // holt_winters' trend factor
};

// Returns false when the step has no output.
using Kernel = bool (*)(const Window& w, double* out);

void KahanInc(double inc, double& sum, double& c) {
  const double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

bool ExtrapolatedRate(const Window& w, double* out, bool is_counter, bool is_rate) {
  const auto& s = w.pts;
  if (s.size() < 2) return false;
  double result = s.back().v - s.front().v;
  if (is_counter) {
    double prev = s.front().v;
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i].v < prev) result += prev;
      prev = s[i].v;
    }
  }
  double to_start = static_cast<double>(s.front().t - w.range_start) / 1000;
  const double to_end = static_cast<double>(w.range_end - s.back().t) / 1000;
  const double sampled = static_cast<double>(s.back().t - s.front().t) / 1000;
  const double avg_between = sampled / static_cast<double>(s.size() - 1);
  if (is_counter && result > 0 && s.front().v >= 0) {
    const double to_zero = sampled * (s.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  const double threshold = avg_between * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_between / 2;
  interval += to_end < threshold ? to_end : avg_between / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= static_cast<double>(w.range_ms) / 1000;
  *out = result * factor;
  return true;
}

bool InstantValue(const Window& w, double* out, bool is_rate) {
  const auto& s = w.pts;
  if (s.size() < 2) return false;
  const Point& last = s[s.size() - 1];
  const Point& prev = s[s.size() - 2];
  double result = (is_rate && last.v < prev.v) ? last.v : last.v - prev.v;
  const int64_t interval = last.t - prev.t;
  if (interval == 0) return false;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  *out = result;
  return true;
}

void LinearRegression(std::span<const Point> s, int64_t intercept_t, double* slope,
                      double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  const double init_y = s[0].v;
  bool const_y = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (const_y && i > 0 && s[i].v != init_y) const_y = false;
    n += 1;
    const double x = static_cast<double>(s[i].t - intercept_t) / 1e3;
    KahanInc(x, sx, cx);
    KahanInc(s[i].v, sy, cy);
    KahanInc(x * s[i].v, sxy, cxy);
    KahanInc(x * x, sx2, cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = NAN;
      return;
    }
    *slope = 0;
    *intercept = init_y;
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const double cov = sxy - sx * sy / n;
  const double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

bool Rate(const Window& w, double* o) { return ExtrapolatedRate(w, o, true, true); }
bool Increase(const Window& w, double* o) { return ExtrapolatedRate(w, o, true, false); }
bool Delta(const Window& w, double* o) { return ExtrapolatedRate(w, o, false, false); }
bool Irate(const Window& w, double* o) { return InstantValue(w, o, true); }
bool Idelta(const Window& w, double* o) { return InstantValue(w, o, false); }

bool Deriv(const Window& w, double* o) {
  if (w.pts.size() < 2) return false;
  double slope, intercept;
  LinearRegression(w.pts, w.pts[0].t, &slope, &intercept);
  *o = slope;
  return true;
}

bool PredictLinear(const Window& w, double* o) {
  if (w.pts.size() < 2) return false;
  double slope, intercept;
  LinearRegression(w.pts, w.t, &slope, &intercept);
  *o = slope * w.arg + intercept;
  return true;
}

bool HoltWinters(const Window& w, double* o) {
  const auto& s = w.pts;
  if (s.size() < 2) return false;
  const double sf = w.arg, tf = w.arg2;
  double s0 = 0, s1 = s[0].v, b = s[1].v - s[0].v;
  for (size_t i = 1; i < s.size(); ++i) {
    const double x = sf * s[i].v;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  *o = s1;
  return true;
}

bool Changes(const Window& w, double* o) {
  int n = 0;
  double prev = w.pts[0].v;
  for (size_t i = 1; i < w.pts.size(); ++i) {
    const double cur = w.pts[i].v;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++n;
    prev = cur;
  }
  *o = n;
  return true;
}

bool Resets(const Window& w, double* o) {
  int n = 0;
  double prev = w.pts[0].v;
  for (size_t i = 1; i < w.pts.size(); ++i) {
    if (w.pts[i].v < prev) ++n;
    prev = w.pts[i].v;
  }
  *o = n;
  return true;
}

bool AvgOverTime(const Window& w, double* o) {
  double mean = 0, count = 0, c = 0;
  for (const Point& p : w.pts) {
    count += 1;
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    KahanInc(p.v / count - mean / count, mean, c);
  }
  *o = std::isinf(mean) ? mean : mean + c;
  return true;
}

bool SumOverTime(const Window& w, double* o) {
  double sum = 0, c = 0;
  for (const Point& p : w.pts) KahanInc(p.v, sum, c);
  *o = std::isinf(sum) ? sum : sum + c;
  return true;
}

bool CountOverTime(const Window& w, double* o) {
  *o = static_cast<double>(w.pts.size());
  return true;
}

bool MaxOverTime(const Window& w, double* o) {
  double m = w.pts[0].v;
  for (const Point& p : w.pts) {
    if (p.v > m || std::isnan(m)) m = p.v;
  }
  *o = m;
  return true;
}

bool MinOverTime(const Window& w, double* o) {
  double m = w.pts[0].v;
  for (const Point& p : w.pts) {
    if (p.v < m || std::isnan(m)) m = p.v;
  }
  *o = m;
  return true;
}

bool LastOverTime(const Window& w, double* o) {
  *o = w.pts.back().v;
  return true;
}

bool PresentOverTime(const Window&, double* o) {
  *o = 1;
  return true;
}

double Variance(std::span<const Point> pts) {
  double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
  for (const Point& p : pts) {
    count += 1;
    const double delta = p.v - (mean + cmean);
    KahanInc(delta / count, mean, cmean);
    KahanInc(delta * (p.v - (mean + cmean)), aux, caux);
  }
  return (aux + caux) / count;
}

bool StdvarOverTime(const Window& w, double* o) {
  *o = Variance(w.pts);
  return true;
}

bool StddevOverTime(const Window& w, double* o) {
  *o = std::sqrt(Variance(w.pts));
  return true;
}

bool QuantileOverTime(const Window& w, double* o) {
  std::vector<double> values;
  values.reserve(w.pts.size());
  for (const Point& p : w.pts) values.push_back(p.v);
  *o = Quantile(w.arg, values);
  return true;
}

// Checks the scalar arguments of a step that has samples; null for none.
using ArgCheck = Status (*)(const Window& w);

Status CheckHoltWintersFactors(const Window& w) {
  if (w.arg <= 0 || w.arg >= 1) {
    return absl::FailedPreconditionError(
        absl::StrFormat("invalid smoothing factor. Expected: 0 < sf < 1, got: %f", w.arg));
  }
  if (w.arg2 <= 0 || w.arg2 >= 1) {
    return absl::FailedPreconditionError(
        absl::StrFormat("invalid trend factor. Expected: 0 < tf < 1, got: %f", w.arg2));
  }
  return absl::OkStatus();
}

// The output points of kKernel for every series of the call's range-vector
// argument (results[i] belongs to src.labels[i]).
struct WindowResults {
  Evaluator::RangeSource src;
  std::vector<std::vector<Point>> results;
};

// Evaluates kKernel over the window of every step, one series at a time
// over all steps with a sliding window, series spread over worker threads.
// The kernel and the check are template arguments so that the step loop
// calls neither through a pointer.
template <Kernel kKernel, ArgCheck kCheck = nullptr>
StatusOr<WindowResults> EvalWindows(Evaluator& ev, const Call& e, const Grid& grid) {
  size_t matrix_arg = 0;
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (e.args[i]->type() == ValueType::kMatrix) matrix_arg = i;
  }
  std::vector<std::vector<double>> scalars;
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (i == matrix_arg) continue;
    STRATA_ASSIGN_OR_RETURN(Value v, ev.Eval(*e.args[i], grid));
    if (v.type != ValueType::kScalar) {
      return absl::InvalidArgumentError(
          absl::StrFormat("expected scalar argument in %s", e.func->name));
    }
    scalars.push_back(std::move(v.scalar));
  }
  WindowResults r;
  STRATA_ASSIGN_OR_RETURN(r.src, ev.MakeRangeSource(*e.args[matrix_arg], grid));
  const Evaluator::RangeSource& src = r.src;
  Context& ctx = ev.ctx();
  const bool left_open = ctx.left_open();
  r.results.resize(src.labels.size());
  STRATA_RETURN_IF_ERROR(ParallelFor(src.labels.size(), ctx.threads(), [&](size_t i) -> Status {
    STRATA_RETURN_IF_ERROR(ctx.CheckDeadline());
    std::vector<Point> buf;
    STRATA_RETURN_IF_ERROR(src.load(i, &buf));
    size_t lo = 0, hi = 0;
    std::vector<Point>& out = r.results[i];
    for (int64_t step = 0; step < grid.size(); ++step) {
      const int64_t t = grid.T(step);
      Window w;
      w.range_end = (src.at_ms ? *src.at_ms : t) - src.offset_ms;
      w.range_start = w.range_end - src.range_ms;
      w.range_ms = src.range_ms;
      w.t = t;
      while (hi < buf.size() && buf[hi].t <= w.range_end) ++hi;
      while (lo < hi && (left_open ? buf[lo].t <= w.range_start : buf[lo].t < w.range_start)) ++lo;
      if (lo == hi) continue;
      w.pts = std::span<const Point>(buf.data() + lo, hi - lo);
      if (!scalars.empty()) w.arg = scalars[0][step];
      if (scalars.size() > 1) w.arg2 = scalars[1][step];
      if constexpr (kCheck != nullptr) STRATA_RETURN_IF_ERROR(kCheck(w));
      double v;
      if (kKernel(w, &v)) out.push_back(Point{t, v});
    }
    return absl::OkStatus();
  }));
  return r;
}

// The instant vector of the windows' results: one series per input series
// with points, without the metric name unless `keep_name`.
StatusOr<Value> VectorOf(const WindowResults& r, bool keep_name) {
  Value value;
  value.type = ValueType::kVector;
  SeriesBuilder builder;
  for (size_t i = 0; i < r.results.size(); ++i) {
    if (r.results[i].empty()) continue;
    const int idx = builder.Intern(keep_name ? r.src.labels[i] : DropMetricName(r.src.labels[i]));
    for (const Point& p : r.results[i]) STRATA_RETURN_IF_ERROR(builder.Add(idx, p.t, p.v));
  }
  value.series = builder.Finish();
  return value;
}

// A range function whose result drops the metric name (all but
// last_over_time and absent_over_time).
template <Kernel kKernel, ArgCheck kCheck = nullptr>
StatusOr<Value> RangeCall(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(WindowResults r, (EvalWindows<kKernel, kCheck>(ev, e, grid)));
  return VectorOf(r, /*keep_name=*/false);
}

}  // namespace

StatusOr<Value> FuncRate(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Rate>(ev, e, grid);
}
StatusOr<Value> FuncIncrease(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Increase>(ev, e, grid);
}
StatusOr<Value> FuncDelta(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Delta>(ev, e, grid);
}
StatusOr<Value> FuncIrate(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Irate>(ev, e, grid);
}
StatusOr<Value> FuncIdelta(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Idelta>(ev, e, grid);
}
StatusOr<Value> FuncDeriv(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Deriv>(ev, e, grid);
}
StatusOr<Value> FuncPredictLinear(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&PredictLinear>(ev, e, grid);
}
StatusOr<Value> FuncHoltWinters(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&HoltWinters, &CheckHoltWintersFactors>(ev, e, grid);
}
StatusOr<Value> FuncChanges(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Changes>(ev, e, grid);
}
StatusOr<Value> FuncResets(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&Resets>(ev, e, grid);
}
StatusOr<Value> FuncAvgOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&AvgOverTime>(ev, e, grid);
}
StatusOr<Value> FuncSumOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&SumOverTime>(ev, e, grid);
}
StatusOr<Value> FuncCountOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&CountOverTime>(ev, e, grid);
}
StatusOr<Value> FuncMinOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&MinOverTime>(ev, e, grid);
}
StatusOr<Value> FuncMaxOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&MaxOverTime>(ev, e, grid);
}
StatusOr<Value> FuncPresentOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&PresentOverTime>(ev, e, grid);
}
StatusOr<Value> FuncQuantileOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&QuantileOverTime>(ev, e, grid);
}
StatusOr<Value> FuncStddevOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&StddevOverTime>(ev, e, grid);
}
StatusOr<Value> FuncStdvarOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  return RangeCall<&StdvarOverTime>(ev, e, grid);
}

// The only range function that keeps the metric name.
StatusOr<Value> FuncLastOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(WindowResults r, EvalWindows<&LastOverTime>(ev, e, grid));
  return VectorOf(r, /*keep_name=*/true);
}

// 1 at the steps where no series of the argument has a sample in the
// window, with the labels of the selector's `=` matchers.
StatusOr<Value> FuncAbsentOverTime(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(WindowResults r, EvalWindows<&PresentOverTime>(ev, e, grid));
  std::vector<char> present(grid.size(), 0);
  for (const auto& pts : r.results) {
    for (const Point& p : pts) present[grid.Index(p.t)] = 1;
  }
  Value value;
  value.type = ValueType::kVector;
  Series s;
  s.labels = AbsentLabels(r.src.selector);
  for (int64_t i = 0; i < grid.size(); ++i) {
    if (!present[i]) s.points.push_back(Point{grid.T(i), 1});
  }
  if (!s.points.empty()) value.series.push_back(std::move(s));
  return value;
}

}  // namespace strata::query::internal
