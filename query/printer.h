// Prints a PromQL AST back as text, exactly as Prometheus 2.42's String()
// methods do (promql/parser/printer.go): `sum by (job) (rate(x[5m]))`,
// `a + on (b) group_left (c) d`, `x{a="b"} @ 100.000 offset 5m`.
//
// The output parses back to an equivalent tree, and printing that tree
// gives the same text (the fuzz target promql_parser checks this).
//
// Thread-safety: stateless.
#ifndef STRATA_QUERY_PRINTER_H_
#define STRATA_QUERY_PRINTER_H_

#include <string>

#include "query/ast.h"

namespace strata::query {

// Returns the canonical PromQL text of `expr` (a tree from ParseExpr).
std::string Print(const Expr& expr);

// Appends a label matcher as Prometheus prints it: name, operator and the
// value quoted like Go's %q, e.g. `job=~"api.*"`.
void AppendMatcher(const LabelMatcher& matcher, std::string* out);

}  // namespace strata::query

#endif  // STRATA_QUERY_PRINTER_H_
