// Implementations of the instant-vector and scalar functions of Prometheus
// 2.42 (promql/functions.go): math, clamping, rounding, dates, labels,
// sorting, absent, scalar/vector/time, timestamp, histogram_quantile. The
// function table (functions.cc) points to them; the range-vector functions
// live in range_functions.cc.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "query/internal/evaluator.h"
#include "query/internal/function_calls.h"
#include "re2/re2.h"

namespace strata::query::internal {
namespace {

// Go's math.Max / math.Min: NaN wins.
double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a > b ? a : b;
}
double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a < b ? a : b;
}

// Civil date of a Unix time in seconds (UTC), Howard Hinnant's algorithm.
struct Civil {
  int64_t year;
  int month, day, hour, minute, weekday, yday;
};
Civil ToCivil(int64_t secs) {
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c;
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  static const int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  c.yday = kCum[c.month - 1] + c.day + (leap && c.month > 2 ? 1 : 0);
  return c;
}

int DaysInMonth(int64_t year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Value Scalar(const Grid& grid, double v) {
  Value out;
  out.type = ValueType::kScalar;
  out.scalar.assign(grid.size(), v);
  return out;
}

Value VectorOfScalar(const Grid& grid, const std::vector<double>& values) {
  Value out;
  out.type = ValueType::kVector;
  Series s;
  for (int64_t i = 0; i < grid.size(); ++i) s.points.push_back(Point{grid.T(i), values[i]});
  out.series.push_back(std::move(s));
  return out;
}

// Applies fn(value, step) -> optional value to every point; the labels
// lose their name when `drop_name`.
template <typename Fn>
StatusOr<Value> MapPoints(Value in, const Grid& grid, bool drop_name, Fn fn) {
  SeriesBuilder out;
  for (Series& s : in.series) {
    int idx = -1;
    for (const Point& p : s.points) {
      const std::optional<double> v = fn(p.v, grid.Index(p.t));
      if (!v) continue;
      if (idx < 0) idx = out.Intern(drop_name ? DropMetricName(s.labels) : s.labels);
      STRATA_RETURN_IF_ERROR(out.Add(idx, p.t, *v));
    }
  }
  in.series = out.Finish();
  return in;
}

// Prometheus' createLabelsForAbsentFunction.
index::Labels AbsentLabelsOf(const Expr& arg_in) {
  const Expr& arg = UnwrapParens(arg_in);
  if (arg.kind() == ExprKind::kVectorSelector) {
    return AbsentLabels(static_cast<const VectorSelector*>(&arg));
  }
  return index::Labels();
}

// Go's regexp.Expand for a template with $1, ${1}, $name, ${name}, $$.
std::string Expand(const RE2& re, std::string_view tmpl,
                   const std::vector<re2::StringPiece>& groups) {
  const auto& named = re.NamedCapturingGroups();
  auto group = [&](std::string_view name) -> std::string {
    int index = -1;
    if (!name.empty() &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (name.size() > 9) return "";
      index = std::stoi(std::string(name));
    } else {
      auto it = named.find(std::string(name));
      if (it != named.end()) index = it->second;
    }
    if (index < 0 || index >= static_cast<int>(groups.size()) || groups[index].data() == nullptr) {
      return "";
    }
    return std::string(groups[index].data(), groups[index].size());
  };
  auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out.push_back(tmpl[i++]);
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out.push_back('$');
      i += 2;
      continue;
    }
    if (tmpl[i + 1] == '{') {
      const size_t close = tmpl.find('}', i + 2);
      std::string_view name =
          close == std::string_view::npos ? std::string_view() : tmpl.substr(i + 2, close - i - 2);
      if (close == std::string_view::npos || name.empty() ||
          !std::all_of(name.begin(), name.end(), is_word)) {
        out.push_back(tmpl[i++]);  // malformed: keep the `$` literally
        continue;
      }
      out += group(name);
      i = close + 1;
      continue;
    }
    size_t j = i + 1;
    while (j < tmpl.size() && is_word(tmpl[j])) ++j;
    if (j == i + 1) {
      out.push_back(tmpl[i++]);
      continue;
    }
    out += group(tmpl.substr(i + 1, j - i - 1));
    i = j;
  }
  return out;
}

StatusOr<Value> LabelReplace(Context& ctx, Value in, const std::vector<Value>& args) {
  const std::string& dst = args[1].str;
  const std::string& repl = args[2].str;
  const std::string& src = args[3].str;
  const std::string& regex = args[4].str;
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_dot_nl(ctx.left_open());
  RE2 re("^(?:" + regex + ")$", opts);
  if (!re.ok()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("invalid regular expression in label_replace(): %s", regex));
  }
  if (!IsValidLabelName(dst)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("invalid destination label name in label_replace(): %s", dst));
  }
  SeriesBuilder out;
  std::vector<re2::StringPiece> groups(re.NumberOfCapturingGroups() + 1);
  for (Series& s : in.series) {
    const std::string value(s.labels.Get(src));
    index::Labels labels = s.labels;
    if (re.Match(value, 0, value.size(), RE2::UNANCHORED, groups.data(),
                 static_cast<int>(groups.size()))) {
      const std::string res = Expand(re, repl, groups);
      index::LabelsBuilder b(s.labels);
      b.Set(dst, res);  // an empty value deletes the label
      labels = b.Build();
    }
    const int idx = out.Intern(labels);
    for (const Point& p : s.points) STRATA_RETURN_IF_ERROR(out.Add(idx, p.t, p.v));
  }
  in.series = out.Finish();
  return in;
}

StatusOr<Value> LabelJoin(Value in, const std::vector<Value>& args) {
  const std::string& dst = args[1].str;
  const std::string& sep = args[2].str;
  for (size_t i = 3; i < args.size(); ++i) {
    if (!IsValidLabelName(args[i].str)) {
      return absl::FailedPreconditionError(
          absl::StrFormat("invalid source label name in label_join(): %s", args[i].str));
    }
  }
  if (!IsValidLabelName(dst)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("invalid destination label name in label_join(): %s", dst));
  }
  SeriesBuilder out;
  for (Series& s : in.series) {
    std::string joined;
    for (size_t i = 3; i < args.size(); ++i) {
      if (i > 3) joined += sep;
      joined += s.labels.Get(args[i].str);
    }
    index::LabelsBuilder b(s.labels);
    b.Set(dst, joined);
    const int idx = out.Intern(b.Build());
    for (const Point& p : s.points) STRATA_RETURN_IF_ERROR(out.Add(idx, p.t, p.v));
  }
  in.series = out.Finish();
  return in;
}

// sort / sort_desc: only an instant query's order is observable.
Value Sort(Value in, const Grid& grid, bool desc) {
  if (grid.size() != 1) return in;
  std::stable_sort(in.series.begin(), in.series.end(), [desc](const Series& a, const Series& b) {
    const double x = a.points[0].v, y = b.points[0].v;
    if (std::isnan(x)) return false;  // NaN last
    if (std::isnan(y)) return true;
    return desc ? x > y : x < y;
  });
  return in;
}

// The values of all arguments of `e`, in order.
StatusOr<std::vector<Value>> EvalArgs(Evaluator& ev, const Call& e, const Grid& grid) {
  std::vector<Value> args;
  args.reserve(e.args.size());
  for (const ExprPtr& a : e.args) {
    STRATA_ASSIGN_OR_RETURN(Value v, ev.Eval(*a, grid));
    args.push_back(std::move(v));
  }
  return args;
}

// fn(v) of every point of the first argument, without the metric name.
template <typename Fn>
StatusOr<Value> Math(Evaluator& ev, const Call& e, const Grid& grid, Fn fn) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  return MapPoints(std::move(args[0]), grid, true,
                   [fn](double v, int64_t) { return std::optional<double>(fn(v)); });
}

// field(civil date in UTC) of the Unix time in seconds of every point of
// the optional argument, or of every step's time (vector(time())).
template <typename Field>
StatusOr<Value> Date(Evaluator& ev, const Call& e, const Grid& grid, Field field) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  Value in;
  if (args.empty()) {
    std::vector<double> now(grid.size());
    for (int64_t i = 0; i < grid.size(); ++i) now[i] = static_cast<double>(grid.T(i)) / 1000;
    in = VectorOfScalar(grid, now);
  } else {
    in = std::move(args[0]);
  }
  return MapPoints(std::move(in), grid, true, [field](double v, int64_t) -> std::optional<double> {
    if (!std::isfinite(v) || std::fabs(v) > 1e15) return std::nullopt;
    return field(ToCivil(static_cast<int64_t>(v)));
  });
}

}  // namespace

StatusOr<Value> FuncAbs(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::fabs(v); });
}
StatusOr<Value> FuncCeil(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::ceil(v); });
}
StatusOr<Value> FuncExp(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::exp(v); });
}
StatusOr<Value> FuncFloor(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::floor(v); });
}
StatusOr<Value> FuncSqrt(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::sqrt(v); });
}
StatusOr<Value> FuncLn(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::log(v); });
}
StatusOr<Value> FuncLog2(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::log2(v); });
}
StatusOr<Value> FuncLog10(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::log10(v); });
}
StatusOr<Value> FuncSgn(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) {
    if (v < 0) return -1.0;
    if (v > 0) return 1.0;
    return v;  // 0, -0 and NaN stay
  });
}

StatusOr<Value> FuncRound(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  const Value* to = args.size() > 1 ? &args[1] : nullptr;
  return MapPoints(std::move(args[0]), grid, true, [to](double v, int64_t step) {
    const double nearest = to ? to->scalar[step] : 1;
    const double inv = 1.0 / nearest;
    return std::optional<double>(std::floor(v * inv + 0.5) / inv);
  });
}

StatusOr<Value> FuncClamp(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  const Value& lo = args[1];
  const Value& hi = args[2];
  return MapPoints(std::move(args[0]), grid, true,
                   [&](double v, int64_t step) -> std::optional<double> {
                     if (hi.scalar[step] < lo.scalar[step]) return std::nullopt;
                     return GoMax(lo.scalar[step], GoMin(hi.scalar[step], v));
                   });
}

StatusOr<Value> FuncClampMax(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  const Value& hi = args[1];
  return MapPoints(std::move(args[0]), grid, true, [&](double v, int64_t step) {
    return std::optional<double>(GoMin(v, hi.scalar[step]));
  });
}

StatusOr<Value> FuncClampMin(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  const Value& lo = args[1];
  return MapPoints(std::move(args[0]), grid, true, [&](double v, int64_t step) {
    return std::optional<double>(GoMax(v, lo.scalar[step]));
  });
}

StatusOr<Value> FuncSin(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::sin(v); });
}
StatusOr<Value> FuncCos(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::cos(v); });
}
StatusOr<Value> FuncTan(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::tan(v); });
}
StatusOr<Value> FuncAsin(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::asin(v); });
}
StatusOr<Value> FuncAcos(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::acos(v); });
}
StatusOr<Value> FuncAtan(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::atan(v); });
}
StatusOr<Value> FuncSinh(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::sinh(v); });
}
StatusOr<Value> FuncCosh(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::cosh(v); });
}
StatusOr<Value> FuncTanh(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::tanh(v); });
}
StatusOr<Value> FuncAsinh(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::asinh(v); });
}
StatusOr<Value> FuncAcosh(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::acosh(v); });
}
StatusOr<Value> FuncAtanh(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return std::atanh(v); });
}
StatusOr<Value> FuncDeg(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return v * 180 / std::numbers::pi; });
}
StatusOr<Value> FuncRad(Evaluator& ev, const Call& e, const Grid& grid) {
  return Math(ev, e, grid, [](double v) { return v * std::numbers::pi / 180; });
}
StatusOr<Value> FuncPi(Evaluator&, const Call&, const Grid& grid) {
  return Scalar(grid, std::numbers::pi);
}

StatusOr<Value> FuncTime(Evaluator&, const Call&, const Grid& grid) {
  Value out = Scalar(grid, 0);
  for (int64_t i = 0; i < grid.size(); ++i) out.scalar[i] = static_cast<double>(grid.T(i)) / 1000;
  return out;
}

StatusOr<Value> FuncTimestamp(Evaluator& ev, const Call& e, const Grid& grid) {
  const Expr& arg = UnwrapParens(*e.args[0]);
  Value in;
  if (arg.kind() == ExprKind::kVectorSelector) {
    STRATA_ASSIGN_OR_RETURN(
        in, ev.EvalVectorSelector(static_cast<const VectorSelector&>(arg), grid, true));
    return MapPoints(std::move(in), grid, true, [](double v, int64_t) { return v; });
  }
  STRATA_ASSIGN_OR_RETURN(in, ev.Eval(arg, grid));
  return MapPoints(std::move(in), grid, true, [&grid](double, int64_t step) {
    return std::optional<double>(static_cast<double>(grid.T(step)) / 1000);
  });
}

StatusOr<Value> FuncMinute(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid, [](const Civil& c) { return static_cast<double>(c.minute); });
}
StatusOr<Value> FuncHour(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid, [](const Civil& c) { return static_cast<double>(c.hour); });
}
StatusOr<Value> FuncMonth(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid, [](const Civil& c) { return static_cast<double>(c.month); });
}
StatusOr<Value> FuncYear(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid, [](const Civil& c) { return static_cast<double>(c.year); });
}
StatusOr<Value> FuncDayOfMonth(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid, [](const Civil& c) { return static_cast<double>(c.day); });
}
StatusOr<Value> FuncDayOfWeek(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid, [](const Civil& c) { return static_cast<double>(c.weekday); });
}
StatusOr<Value> FuncDayOfYear(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid, [](const Civil& c) { return static_cast<double>(c.yday); });
}
StatusOr<Value> FuncDaysInMonth(Evaluator& ev, const Call& e, const Grid& grid) {
  return Date(ev, e, grid,
              [](const Civil& c) { return static_cast<double>(DaysInMonth(c.year, c.month)); });
}

StatusOr<Value> FuncVector(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  return VectorOfScalar(grid, args[0].scalar);
}

StatusOr<Value> FuncScalar(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  Value out = Scalar(grid, NAN);
  std::vector<int> count(grid.size(), 0);
  for (const Series& s : args[0].series) {
    for (const Point& p : s.points) {
      const int64_t i = grid.Index(p.t);
      if (++count[i] == 1) out.scalar[i] = p.v;
    }
  }
  for (int64_t i = 0; i < grid.size(); ++i) {
    if (count[i] != 1) out.scalar[i] = NAN;
  }
  return out;
}

StatusOr<Value> FuncAbsent(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  std::vector<char> present(grid.size(), 0);
  for (const Series& s : args[0].series) {
    for (const Point& p : s.points) present[grid.Index(p.t)] = 1;
  }
  Value out;
  Series s;
  s.labels = AbsentLabelsOf(*e.args[0]);
  for (int64_t i = 0; i < grid.size(); ++i) {
    if (!present[i]) s.points.push_back(Point{grid.T(i), 1});
  }
  if (!s.points.empty()) out.series.push_back(std::move(s));
  return out;
}

StatusOr<Value> FuncSort(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  return Sort(std::move(args[0]), grid, false);
}

StatusOr<Value> FuncSortDesc(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  return Sort(std::move(args[0]), grid, true);
}

StatusOr<Value> FuncLabelReplace(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  return LabelReplace(ev.ctx(), std::move(args[0]), args);
}

StatusOr<Value> FuncLabelJoin(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  return LabelJoin(std::move(args[0]), args);
}

StatusOr<Value> FuncHistogramQuantile(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> args, EvalArgs(ev, e, grid));
  return HistogramQuantile(ev.ctx(), args[0], args[1], grid);
}

// histogram_count, histogram_sum and histogram_fraction read native
// histograms only: float samples give no result, as in Prometheus.
StatusOr<Value> FuncHistogramCount(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_RETURN_IF_ERROR(EvalArgs(ev, e, grid).status());
  return Value{};
}
StatusOr<Value> FuncHistogramSum(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_RETURN_IF_ERROR(EvalArgs(ev, e, grid).status());
  return Value{};
}
StatusOr<Value> FuncHistogramFraction(Evaluator& ev, const Call& e, const Grid& grid) {
  STRATA_RETURN_IF_ERROR(EvalArgs(ev, e, grid).status());
  return Value{};
}

}  // namespace strata::query::internal
