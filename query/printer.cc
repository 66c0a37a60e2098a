// AST -> PromQL text, following Prometheus 2.42's printer.go String().
#include "query/printer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "query/literals.h"

namespace strata::query {
namespace {

void PrintTo(const Expr& e, std::string* out);

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out;
}

// " @ 12.345 offset 5m", in Prometheus' order.
void AppendModifiers(const TimeModifiers& m, std::string* out) {
  if (m.at_ms) {
    StrAppend(out, absl::StrFormat(" @ %.3f", static_cast<double>(*m.at_ms) / 1000.0));
  } else if (m.at_preprocessor == AtPreprocessor::kStart) {
    StrAppend(out, " @ start()");
  } else if (m.at_preprocessor == AtPreprocessor::kEnd) {
    StrAppend(out, " @ end()");
  }
  if (m.offset_ms > 0) StrAppend(out, " offset ", FormatDuration(m.offset_ms));
  if (m.offset_ms < 0) StrAppend(out, " offset -", FormatDuration(-m.offset_ms));
}

// The selector without its modifiers: name{sorted matchers}.
void AppendSelector(const VectorSelector& vs, std::string* out) {
  std::vector<std::string> matchers;
  for (const LabelMatcher& m : vs.matchers) {
    if (m.name == "__name__" && m.type == MatchType::kEqual && m.value == vs.name) continue;
    std::string s;
    AppendMatcher(m, &s);
    matchers.push_back(std::move(s));
  }
  out->append(vs.name);
  if (matchers.empty()) return;
  std::sort(matchers.begin(), matchers.end());
  out->push_back('{');
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(matchers[i]);
  }
  out->push_back('}');
}

// Whether `e` prints with a leading sign ("+Inf", "-1"). As the left operand
// of `^` that sign would be re-read as a unary operator binding looser than
// `^` (Prometheus prints `+Inf ^ 1`, which parses as `+(Inf ^ 1)`), so such
// an operand is parenthesised to keep the printed form stable.
bool PrintsWithSign(const Expr& e) {
  if (e.kind() != ExprKind::kNumberLiteral) return false;
  const double v = static_cast<const NumberLiteral&>(e).value;
  return std::signbit(v) || std::isinf(v);
}

void PrintBinary(const BinaryExpr& b, std::string* out) {
  if (b.op == BinaryOp::kPow && PrintsWithSign(*b.lhs)) {
    out->push_back('(');
    PrintTo(*b.lhs, out);
    out->push_back(')');
  } else {
    PrintTo(*b.lhs, out);
  }
  StrAppend(out, " ", BinaryOpString(b.op));
  if (b.return_bool) out->append(" bool");
  const std::optional<VectorMatching>& m = b.matching;
  if (m && (!m->matching_labels.empty() || m->on)) {
    StrAppend(out, m->on ? " on (" : " ignoring (", Join(m->matching_labels), ")");
    if (m->card == Cardinality::kManyToOne || m->card == Cardinality::kOneToMany) {
      StrAppend(out, m->card == Cardinality::kManyToOne ? " group_left (" : " group_right (",
                Join(m->include), ")");
    }
  }
  out->push_back(' ');
  PrintTo(*b.rhs, out);
}

void PrintAggregate(const AggregateExpr& a, std::string* out) {
  out->append(AggregateOpString(a.op));
  if (a.without) {
    StrAppend(out, " without (", Join(a.grouping), ") ");
  } else if (!a.grouping.empty()) {
    StrAppend(out, " by (", Join(a.grouping), ") ");
  }
  out->push_back('(');
  if (a.param) {
    PrintTo(*a.param, out);
    out->append(", ");
  }
  PrintTo(*a.expr, out);
  out->push_back(')');
}

void PrintTo(const Expr& e, std::string* out) {
  switch (e.kind()) {
    case ExprKind::kNumberLiteral:
      out->append(FormatFloat(static_cast<const NumberLiteral&>(e).value));
      return;
    case ExprKind::kStringLiteral:
      out->append(Quote(static_cast<const StringLiteral&>(e).value));
      return;
    case ExprKind::kVectorSelector: {
      const auto& vs = static_cast<const VectorSelector&>(e);
      AppendSelector(vs, out);
      AppendModifiers(vs.modifiers, out);
      return;
    }
    case ExprKind::kMatrixSelector: {
      const auto& m = static_cast<const MatrixSelector&>(e);
      AppendSelector(*m.selector, out);
      StrAppend(out, "[", FormatDuration(m.range_ms), "]");
      AppendModifiers(m.selector->modifiers, out);
      return;
    }
    case ExprKind::kSubquery: {
      const auto& s = static_cast<const SubqueryExpr&>(e);
      PrintTo(*s.expr, out);
      StrAppend(out, "[", FormatDuration(s.range_ms), ":",
                s.step_ms != 0 ? FormatDuration(s.step_ms) : std::string(), "]");
      AppendModifiers(s.modifiers, out);
      return;
    }
    case ExprKind::kCall: {
      const auto& c = static_cast<const Call&>(e);
      StrAppend(out, c.func->name, "(");
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) out->append(", ");
        PrintTo(*c.args[i], out);
      }
      out->push_back(')');
      return;
    }
    case ExprKind::kAggregate:
      PrintAggregate(static_cast<const AggregateExpr&>(e), out);
      return;
    case ExprKind::kBinary:
      PrintBinary(static_cast<const BinaryExpr&>(e), out);
      return;
    case ExprKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(e);
      out->push_back(u.op == UnaryOp::kSub ? '-' : '+');
      PrintTo(*u.expr, out);
      return;
    }
    case ExprKind::kParen:
      out->push_back('(');
      PrintTo(*static_cast<const ParenExpr&>(e).expr, out);
      out->push_back(')');
      return;
  }
}

}  // namespace

void AppendMatcher(const LabelMatcher& m, std::string* out) {
  StrAppend(out, m.name, MatchTypeString(m.type), Quote(m.value));
}

std::string Print(const Expr& expr) {
  std::string out;
  PrintTo(expr, &out);
  return out;
}

}  // namespace strata::query
