// Parser internals shared by parser.cc and type_check.cc: error formatting
// and the post-parse type check (Prometheus' checkAST).
//
// Thread-safety: stateless.
#ifndef STRATA_QUERY_INTERNAL_PARSE_ERROR_H_
#define STRATA_QUERY_INTERNAL_PARSE_ERROR_H_

#include <string_view>

#include "query/ast.h"
#include "strata/status.h"

namespace strata::query::internal {

// InvalidArgument "<line>:<col>: parse error: <message>" for byte offset
// `pos` of `input` (line and column 1-based; column in bytes).
Status ParseError(std::string_view input, int pos, std::string_view message);

// Whether a label matcher accepts the empty string (an unset label).
// REQUIRES: a regex matcher's value compiles (checked while parsing).
bool MatchesEmpty(const LabelMatcher& matcher);

// Type-checks a syntactically valid tree as Prometheus' checkAST does and
// normalises its vector matching (set operators become many-to-many;
// matching is dropped when a side is not an instant vector). Returns the
// first error, formatted with ParseError. `input` is the parsed text.
[[nodiscard]] Status CheckTypes(Expr& root, std::string_view input);

}  // namespace strata::query::internal

#endif  // STRATA_QUERY_INTERNAL_PARSE_ERROR_H_
