// The post-parse type check of Prometheus 2.42 (parse.go checkAST): operand
// types of operators, calls and aggregations, vector-matching rules and
// selector sanity. Runs only on trees that parsed without syntax errors.
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "query/internal/parse_error.h"
#include "query/literals.h"
#include "re2/re2.h"

namespace strata::query::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Checker {
 public:
  explicit Checker(std::string_view input) : input_(input) {}

  // Returns the type of `e` after checking it and its children.
  ValueType Check(Expr& e);

  Status result() const {
    if (!error_) return absl::OkStatus();
    return ParseError(input_, error_->first, error_->second);
  }

 private:
  void Add(int pos, std::string message) {
    if (!error_) error_.emplace(pos, std::move(message));
  }
  void ExpectType(Expr& e, ValueType want, std::string_view context) {
    const ValueType got = Check(e);
    if (got != want) {
      Add(e.range.start, absl::StrFormat("expected type %s in %s, got %s", DocumentedTypeName(want),
                                         context, DocumentedTypeName(got)));
    }
  }
  // Start of the operator between the operands (Prometheus' opRange).
  int OperatorPos(const BinaryExpr& b) const {
    size_t pos = b.lhs->range.end;
    while (pos < input_.size() && IsSpace(input_[pos])) ++pos;
    return static_cast<int>(pos);
  }
  void CheckAggregate(AggregateExpr& a);
  void CheckBinary(BinaryExpr& b);
  void CheckCall(Call& c);
  void CheckVectorSelector(const VectorSelector& vs);

  const std::string_view input_;
  std::optional<std::pair<int, std::string>> error_;
};

ValueType Checker::Check(Expr& e) {
  switch (e.kind()) {
    case ExprKind::kAggregate:
      CheckAggregate(static_cast<AggregateExpr&>(e));
      break;
    case ExprKind::kBinary:
      CheckBinary(static_cast<BinaryExpr&>(e));
      break;
    case ExprKind::kCall:
      CheckCall(static_cast<Call&>(e));
      break;
    case ExprKind::kParen:
      Check(*static_cast<ParenExpr&>(e).expr);
      break;
    case ExprKind::kUnary: {
      const ValueType t = Check(*static_cast<UnaryExpr&>(e).expr);
      if (t != ValueType::kScalar && t != ValueType::kVector) {
        Add(e.range.start, absl::StrFormat("unary expression only allowed on expressions of type "
                                           "scalar or instant vector, got %s",
                                           Quote(DocumentedTypeName(t))));
      }
      break;
    }
    case ExprKind::kSubquery: {
      const ValueType t = Check(*static_cast<SubqueryExpr&>(e).expr);
      if (t != ValueType::kVector) {
        Add(e.range.start,
            StrCat("subquery is only allowed on instant vector, got ", ValueTypeName(t)));
      }
      break;
    }
    case ExprKind::kMatrixSelector:
      Check(*static_cast<MatrixSelector&>(e).selector);
      break;
    case ExprKind::kVectorSelector:
      CheckVectorSelector(static_cast<VectorSelector&>(e));
      break;
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
      break;
  }
  return e.type();
}

void Checker::CheckAggregate(AggregateExpr& a) {
  ExpectType(*a.expr, ValueType::kVector, "aggregation expression");
  if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk ||
      a.op == AggregateOp::kQuantile) {
    ExpectType(*a.param, ValueType::kScalar, "aggregation parameter");
  }
  if (a.op == AggregateOp::kCountValues) {
    ExpectType(*a.param, ValueType::kString, "aggregation parameter");
  }
}

void Checker::CheckBinary(BinaryExpr& b) {
  const ValueType lt = Check(*b.lhs);
  const ValueType rt = Check(*b.rhs);
  const std::string op(BinaryOpString(b.op));
  if (b.return_bool && !IsComparison(b.op)) {
    Add(OperatorPos(b), "bool modifier can only be used on comparison operators");
  }
  if (IsComparison(b.op) && !b.return_bool && lt == ValueType::kScalar &&
      rt == ValueType::kScalar) {
    Add(OperatorPos(b), "comparisons between scalars must use BOOL modifier");
  }
  VectorMatching& m = *b.matching;
  if (IsSetOperator(b.op) && m.card == Cardinality::kOneToOne) m.card = Cardinality::kManyToMany;
  if (m.on) {
    for (const std::string& l1 : m.matching_labels) {
      for (const std::string& l2 : m.include) {
        if (l1 == l2) {
          Add(OperatorPos(b),
              absl::StrFormat("label %s must not occur in ON and GROUP clause at once", Quote(l1)));
        }
      }
    }
  }
  if (lt != ValueType::kScalar && lt != ValueType::kVector) {
    Add(b.lhs->range.start, "binary expression must contain only scalar and instant vector types");
  }
  if (rt != ValueType::kScalar && rt != ValueType::kVector) {
    Add(b.rhs->range.start, "binary expression must contain only scalar and instant vector types");
  }
  if (lt != ValueType::kVector || rt != ValueType::kVector) {
    if (!m.matching_labels.empty()) {
      Add(b.range.start, "vector matching only allowed between instant vectors");
    }
    b.matching.reset();
  } else if (IsSetOperator(b.op)) {
    if (m.card == Cardinality::kOneToMany || m.card == Cardinality::kManyToOne) {
      Add(b.range.start, absl::StrFormat("no grouping allowed for %s operation", Quote(op)));
    }
    if (m.card != Cardinality::kManyToMany) {
      Add(b.range.start, "set operations must always be many-to-many");
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOperator(b.op)) {
    Add(b.range.start,
        absl::StrFormat("set operator %s not allowed in binary scalar expression", Quote(op)));
  }
}

// Checks the arguments against the signature of the call's table entry
// (functions.h), with the messages of Prometheus' checkAST.
void Checker::CheckCall(Call& c) {
  const Function& f = *c.func;
  const int got = static_cast<int>(c.args.size());
  const std::string name = Quote(f.name);
  if (f.variadic == 0) {
    if (f.min_args() != got) {
      Add(c.range.start, absl::StrFormat("expected %d argument(s) in call to %s, got %d",
                                         f.min_args(), name, got));
    }
  } else if (f.min_args() > got) {
    Add(c.range.start, absl::StrFormat("expected at least %d argument(s) in call to %s, got %d",
                                       f.min_args(), name, got));
  } else if (f.max_args() >= 0 && f.max_args() < got) {
    Add(c.range.start, absl::StrFormat("expected at most %d argument(s) in call to %s, got %d",
                                       f.max_args(), name, got));
  }
  const std::string context = StrCat("call to function ", name);
  const int ntypes = static_cast<int>(f.arg_types.size());
  for (int i = 0; i < got; ++i) {
    int t = i;
    if (t >= ntypes) {
      if (f.variadic == 0) break;
      t = ntypes - 1;
    }
    ExpectType(*c.args[i], f.arg_types[t], context);
  }
}

void Checker::CheckVectorSelector(const VectorSelector& vs) {
  if (!vs.name.empty()) {
    // The last matcher is the one for the name written before the braces.
    for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
      if (vs.matchers[i].name == "__name__") {
        Add(vs.range.start, absl::StrFormat("metric name must not be set twice: %s or %s",
                                            Quote(vs.name), Quote(vs.matchers[i].value)));
      }
    }
    return;
  }
  for (const LabelMatcher& m : vs.matchers) {
    if (!MatchesEmpty(m)) return;
  }
  Add(vs.range.start, "vector selector must contain at least one non-empty matcher");
}

}  // namespace

Status ParseError(std::string_view input, int pos, std::string_view message) {
  int line = 1;
  int last_break = -1;
  for (int i = 0; i < pos && i < static_cast<int>(input.size()); ++i) {
    if (input[i] == '\n') {
      ++line;
      last_break = i;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("%d:%d: parse error: %s", line, pos - last_break, message));
}

bool MatchesEmpty(const LabelMatcher& m) {
  switch (m.type) {
    case MatchType::kEqual:
      return m.value.empty();
    case MatchType::kNotEqual:
      return !m.value.empty();
    case MatchType::kRegexMatch:
    case MatchType::kRegexNoMatch: {
      RE2::Options options;
      options.set_log_errors(false);
      const RE2 re(StrCat("^(?:", m.value, ")$"), options);
      const bool matches = re.ok() && RE2::FullMatch("", re);
      return m.type == MatchType::kRegexMatch ? matches : !matches;
    }
  }
  return false;
}

Status CheckTypes(Expr& root, std::string_view input) {
  Checker checker(input);
  checker.Check(root);
  return checker.result();
}

}  // namespace strata::query::internal
