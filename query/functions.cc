// The function table of Prometheus 2.42: the signatures of
// promql/parser/functions.go and the implementations of promql/functions.go
// (query/internal/function_calls.h), one entry per function.
#include "query/functions.h"

#include <algorithm>

#include "query/internal/function_calls.h"

namespace strata::query {
namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType Str = ValueType::kString;

// One entry per function: name, argument types, variadic, return type,
// implementation, flags (see Function). Kept sorted by name:
// LookupFunction binary-searches it (checked in
// tests/query/functions_test.cc).
const std::vector<Function>& Registry() {
  static const auto* const registry = new std::vector<Function>{
      {"abs", {V}, 0, V, &internal::FuncAbs},
      {"absent", {V}, 0, V, &internal::FuncAbsent},
      {"absent_over_time", {M}, 0, V, &internal::FuncAbsentOverTime},
      {"acos", {V}, 0, V, &internal::FuncAcos},
      {"acosh", {V}, 0, V, &internal::FuncAcosh},
      {"asin", {V}, 0, V, &internal::FuncAsin},
      {"asinh", {V}, 0, V, &internal::FuncAsinh},
      {"atan", {V}, 0, V, &internal::FuncAtan},
      {"atanh", {V}, 0, V, &internal::FuncAtanh},
      {"avg_over_time", {M}, 0, V, &internal::FuncAvgOverTime},
      {"ceil", {V}, 0, V, &internal::FuncCeil},
      {"changes", {M}, 0, V, &internal::FuncChanges},
      {"clamp", {V, S, S}, 0, V, &internal::FuncClamp},
      {"clamp_max", {V, S}, 0, V, &internal::FuncClampMax},
      {"clamp_min", {V, S}, 0, V, &internal::FuncClampMin},
      {"cos", {V}, 0, V, &internal::FuncCos},
      {"cosh", {V}, 0, V, &internal::FuncCosh},
      {"count_over_time", {M}, 0, V, &internal::FuncCountOverTime},
      {"day_of_month", {V}, 1, V, &internal::FuncDayOfMonth, kAtModifierUnsafe},
      {"day_of_week", {V}, 1, V, &internal::FuncDayOfWeek, kAtModifierUnsafe},
      {"day_of_year", {V}, 1, V, &internal::FuncDayOfYear, kAtModifierUnsafe},
      {"days_in_month", {V}, 1, V, &internal::FuncDaysInMonth, kAtModifierUnsafe},
      {"deg", {V}, 0, V, &internal::FuncDeg},
      {"delta", {M}, 0, V, &internal::FuncDelta},
      {"deriv", {M}, 0, V, &internal::FuncDeriv},
      {"exp", {V}, 0, V, &internal::FuncExp},
      {"floor", {V}, 0, V, &internal::FuncFloor},
      {"histogram_count", {V}, 0, V, &internal::FuncHistogramCount, kExperimental},
      {"histogram_fraction", {S, S, V}, 0, V, &internal::FuncHistogramFraction, kExperimental},
      {"histogram_quantile", {S, V}, 0, V, &internal::FuncHistogramQuantile},
      {"histogram_sum", {V}, 0, V, &internal::FuncHistogramSum, kExperimental},
      {"holt_winters", {M, S, S}, 0, V, &internal::FuncHoltWinters},
      {"hour", {V}, 1, V, &internal::FuncHour, kAtModifierUnsafe},
      {"idelta", {M}, 0, V, &internal::FuncIdelta},
      {"increase", {M}, 0, V, &internal::FuncIncrease},
      {"irate", {M}, 0, V, &internal::FuncIrate},
      {"label_join", {V, Str, Str, Str}, -1, V, &internal::FuncLabelJoin},
      {"label_replace", {V, Str, Str, Str, Str}, 0, V, &internal::FuncLabelReplace},
      {"last_over_time", {M}, 0, V, &internal::FuncLastOverTime},
      {"ln", {V}, 0, V, &internal::FuncLn},
      {"log10", {V}, 0, V, &internal::FuncLog10},
      {"log2", {V}, 0, V, &internal::FuncLog2},
      {"max_over_time", {M}, 0, V, &internal::FuncMaxOverTime},
      {"min_over_time", {M}, 0, V, &internal::FuncMinOverTime},
      {"minute", {V}, 1, V, &internal::FuncMinute, kAtModifierUnsafe},
      {"month", {V}, 1, V, &internal::FuncMonth, kAtModifierUnsafe},
      {"pi", {}, 0, S, &internal::FuncPi},
      {"predict_linear", {M, S}, 0, V, &internal::FuncPredictLinear, kAtModifierUnsafe},
      {"present_over_time", {M}, 0, V, &internal::FuncPresentOverTime},
      {"quantile_over_time", {S, M}, 0, V, &internal::FuncQuantileOverTime},
      {"rad", {V}, 0, V, &internal::FuncRad},
      {"rate", {M}, 0, V, &internal::FuncRate},
      {"resets", {M}, 0, V, &internal::FuncResets},
      {"round", {V, S}, 1, V, &internal::FuncRound},
      {"scalar", {V}, 0, S, &internal::FuncScalar},
      {"sgn", {V}, 0, V, &internal::FuncSgn},
      {"sin", {V}, 0, V, &internal::FuncSin},
      {"sinh", {V}, 0, V, &internal::FuncSinh},
      {"sort", {V}, 0, V, &internal::FuncSort},
      {"sort_desc", {V}, 0, V, &internal::FuncSortDesc},
      {"sqrt", {V}, 0, V, &internal::FuncSqrt},
      {"stddev_over_time", {M}, 0, V, &internal::FuncStddevOverTime},
      {"stdvar_over_time", {M}, 0, V, &internal::FuncStdvarOverTime},
      {"sum_over_time", {M}, 0, V, &internal::FuncSumOverTime},
      {"tan", {V}, 0, V, &internal::FuncTan},
      {"tanh", {V}, 0, V, &internal::FuncTanh},
      {"time", {}, 0, S, &internal::FuncTime, kAtModifierUnsafe},
      {"timestamp", {V}, 0, V, &internal::FuncTimestamp, kAtModifierUnsafe},
      {"vector", {S}, 0, V, &internal::FuncVector},
      {"year", {V}, 1, V, &internal::FuncYear, kAtModifierUnsafe},
  };
  return *registry;
}

}  // namespace

const Function* LookupFunction(std::string_view name) {
  const auto& r = Registry();
  auto it = std::lower_bound(r.begin(), r.end(), name,
                             [](const Function& f, std::string_view n) { return f.name < n; });
  if (it == r.end() || it->name != name) return nullptr;
  return &*it;
}

std::span<const Function> AllFunctions() { return Registry(); }

}  // namespace strata::query
