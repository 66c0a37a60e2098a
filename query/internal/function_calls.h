// The implementations that the function table (query/functions.cc) points
// to, one per function, each a FunctionCall (query/functions.h): it
// evaluates its own arguments through the Evaluator and returns the call's
// value over all steps of the grid.
//
// Instant-vector and scalar functions live in functions_eval.cc and map
// points with an inlined kernel. Range-vector functions live in
// range_functions.cc: each is a kernel over one window (the samples of one
// series in the range of one step) instantiated into the series-major
// sliding-window loop (RangeCall), so the loop calls no function pointer
// per step.
//
// Thread-safety: stateless; see Evaluator.
#ifndef STRATA_QUERY_INTERNAL_FUNCTION_CALLS_H_
#define STRATA_QUERY_INTERNAL_FUNCTION_CALLS_H_

#include "query/internal/evaluator.h"

namespace strata::query::internal {

// The type of every implementation, to declare them in one line each.
using FunctionCallSignature = StatusOr<Value>(Evaluator& ev, const Call& call, const Grid& grid);

// functions_eval.cc: math.
FunctionCallSignature FuncAbs, FuncCeil, FuncExp, FuncFloor, FuncSqrt, FuncLn, FuncLog2, FuncLog10,
    FuncSgn, FuncRound, FuncClamp, FuncClampMax, FuncClampMin;
// functions_eval.cc: trigonometry.
FunctionCallSignature FuncSin, FuncCos, FuncTan, FuncAsin, FuncAcos, FuncAtan, FuncSinh, FuncCosh,
    FuncTanh, FuncAsinh, FuncAcosh, FuncAtanh, FuncDeg, FuncRad, FuncPi;
// functions_eval.cc: time and dates.
FunctionCallSignature FuncTime, FuncTimestamp, FuncMinute, FuncHour, FuncMonth, FuncYear,
    FuncDayOfMonth, FuncDayOfWeek, FuncDayOfYear, FuncDaysInMonth;
// functions_eval.cc: types, labels, order, absence, histograms.
FunctionCallSignature FuncVector, FuncScalar, FuncAbsent, FuncSort, FuncSortDesc, FuncLabelReplace,
    FuncLabelJoin, FuncHistogramQuantile, FuncHistogramCount, FuncHistogramSum,
    FuncHistogramFraction;

// range_functions.cc.
FunctionCallSignature FuncRate, FuncIncrease, FuncDelta, FuncIrate, FuncIdelta, FuncDeriv,
    FuncPredictLinear, FuncHoltWinters, FuncChanges, FuncResets, FuncAvgOverTime, FuncSumOverTime,
    FuncCountOverTime, FuncMinOverTime, FuncMaxOverTime, FuncLastOverTime, FuncPresentOverTime,
    FuncQuantileOverTime, FuncStddevOverTime, FuncStdvarOverTime, FuncAbsentOverTime;

}  // namespace strata::query::internal

#endif  // STRATA_QUERY_INTERNAL_FUNCTION_CALLS_H_
