// The PromQL function table: one entry per function of Prometheus 2.42 with
// its name, its signature and its implementation, as Prometheus' `Functions`
// (promql/parser/functions.go) and `FunctionCalls` (promql/functions.go)
// together. Every part of the query module that needs to know a function
// reads its entry:
//   - the parser resolves a call's name to its entry once (Call::func), so
//     nothing compares names after parsing;
//   - the type checker (type_check.cc) checks the call's arguments against
//     arg_types / variadic and gives the call return_type;
//   - the evaluator runs the entry's `call` over all steps of the query at
//     once (an instant query is a grid of one step).
// Adding a function is one entry in functions.cc, its implementation (see
// query/internal/function_calls.h) and a `.test` case; docs/promql.md.
//
// Thread-safety: the table is immutable after static initialisation.
#ifndef STRATA_QUERY_FUNCTIONS_H_
#define STRATA_QUERY_FUNCTIONS_H_

#include <span>
#include <string_view>
#include <vector>

#include "query/value_type.h"
#include "strata/status.h"

namespace strata::query {

struct Call;
namespace internal {
class Evaluator;
struct Grid;
struct Value;
}  // namespace internal

// The implementation of a function: evaluates `call`, whose arguments the
// type checker has matched against the entry's signature, over every step
// of `grid`, evaluating the arguments itself through `ev`. Returns a value
// of the entry's return_type; errors are the query's errors (a bad regex in
// label_replace, a sample limit, a deadline).
using FunctionCall = StatusOr<internal::Value> (*)(internal::Evaluator& ev, const Call& call,
                                                   const internal::Grid& grid);

// Properties of a function beyond its signature (bits of Function::flags).
enum FunctionFlag : unsigned {
  // Native-histogram functions that 2.42 marks experimental.
  kExperimental = 1u << 0,
  // The result depends on the evaluation time itself, not only on the
  // samples an `@` modifier pins (Prometheus' AtModifierUnsafeFunctions).
  kAtModifierUnsafe = 1u << 1,
};

struct Function {
  std::string_view name;
  // Types of the arguments in order. When variadic != 0 the last type is
  // repeated for the optional arguments.
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() arguments. n > 0: the last argument may be
  // omitted or given up to n times. -1: the last argument any number of
  // times (label_join).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  // Never null in the table (checked in tests/query/functions_test.cc).
  FunctionCall call = nullptr;
  unsigned flags = 0;  // FunctionFlag bits

  bool has(FunctionFlag flag) const { return (flags & flag) != 0; }
  // The fewest and the most arguments a call takes; max_args() is -1 when
  // there is no limit.
  int min_args() const { return static_cast<int>(arg_types.size()) - (variadic != 0 ? 1 : 0); }
  int max_args() const {
    if (variadic < 0) return -1;
    return min_args() + (variadic != 0 ? variadic : 0);
  }
};

// Returns the function named `name` (case-sensitive), or nullptr. The
// pointer stays valid for the life of the process.
const Function* LookupFunction(std::string_view name);

// All functions, sorted by name.
std::span<const Function> AllFunctions();

}  // namespace strata::query

#endif  // STRATA_QUERY_FUNCTIONS_H_
