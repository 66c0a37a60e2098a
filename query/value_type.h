// The four types a PromQL expression can have (Prometheus' ValueType).
//
// Thread-safety: plain values.
#ifndef STRATA_QUERY_VALUE_TYPE_H_
#define STRATA_QUERY_VALUE_TYPE_H_

#include <string_view>

namespace strata::query {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };

// "none", "scalar", "vector", "matrix", "string" (Prometheus' ValueType).
std::string_view ValueTypeName(ValueType t);

// The user-facing name: "scalar", "instant vector", "range vector",
// "string" (Prometheus' DocumentedType).
std::string_view DocumentedTypeName(ValueType t);

}  // namespace strata::query

#endif  // STRATA_QUERY_VALUE_TYPE_H_
