// PromQL parser: query text -> AST (ast.h), with the grammar, operator
// precedence, type checks and error messages of Prometheus 2.42.
//
//   STRATA_ASSIGN_OR_RETURN(ExprPtr expr, query::ParseExpr(text));
//
// Precedence, lowest first: `or`; `and` `unless`; `==` `!=` `<=` `<` `>=`
// `>`; `+` `-`; `*` `/` `%` `atan2`; `^` (right-associative). Unary minus
// binds like `*`, so `-1 ^ 2` is `-(1 ^ 2)`. `offset`, `@` and `[...]`
// bind tightest, to the selector or subquery before them.
//
// Thread-safety: stateless; any number of threads may parse at once.
#ifndef STRATA_QUERY_PARSER_H_
#define STRATA_QUERY_PARSER_H_

#include <string_view>
#include <vector>

#include "query/ast.h"
#include "strata/db.h"
#include "strata/status.h"

namespace strata::query {

// Expressions nested deeper than this (parentheses, operators, calls,
// unary signs) are rejected, so that parsing, printing, checking and
// destroying a tree never exhaust the stack on hostile input.
inline constexpr int kMaxNestingDepth = 256;

// Parses one PromQL expression. Comments (`# ...` to the end of the line)
// and whitespace are ignored.
// Errors: InvalidArgument "<line>:<column>: parse error: <what>" where the
// column counts bytes from 1, e.g.
//   `1:8: parse error: unexpected end of input`
//   `1:1: parse error: expected type range vector in call to function "rate", got instant vector`
// The message texts are Prometheus'; only the first error is reported.
[[nodiscard]] StatusOr<ExprPtr> ParseExpr(std::string_view input);

// Parses one series selector (`up`, `{job=~"a.*"}`, `http_requests_total{code!="200"}`)
// into the matchers of the public API, as match[] parameters and the tools'
// --match flags take them. Errors: InvalidArgument with the parser's message,
// or "expected a series selector ..." for any other expression.
[[nodiscard]] StatusOr<std::vector<strata::LabelMatcher>> ParseSeriesSelector(
    std::string_view text);

}  // namespace strata::query

#endif  // STRATA_QUERY_PARSER_H_
