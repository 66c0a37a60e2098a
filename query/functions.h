// The PromQL function registry: one entry per function of Prometheus 2.42
// with its signature, as in Prometheus' promql/parser/functions.go. The
// parser uses it to resolve names and type-check calls; the evaluator will
// attach implementations to the same entries (issue #6).
//
// Thread-safety: the registry is immutable after static initialisation.
#ifndef STRATA_QUERY_FUNCTIONS_H_
#define STRATA_QUERY_FUNCTIONS_H_

#include <span>
#include <string_view>
#include <vector>

#include "query/value_type.h"

namespace strata::query {

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
  // Native-histogram functions that 2.42 marks experimental.
  bool experimental = false;
};

// Returns the function named `name` (case-sensitive), or nullptr. The
// pointer stays valid for the life of the process.
const Function* LookupFunction(std::string_view name);

// All functions, sorted by name.
std::span<const Function> AllFunctions();

}  // namespace strata::query

#endif  // STRATA_QUERY_FUNCTIONS_H_
