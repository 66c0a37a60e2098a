// The PromQL abstract syntax tree, as produced by ParseExpr (parser.h) and
// printed by Print (printer.h). Node kinds, fields and value types follow
// Prometheus 2.42's promql/parser/ast.go.
//
// Nodes own their children through std::unique_ptr; a tree is a value that
// one thread builds and any number of threads may then read.
//
// Label matchers are plain (name, type, value) records here, with the
// index's MatchType; the evaluator turns them into index matchers
// (index/matcher.h).
#ifndef STRATA_QUERY_AST_H_
#define STRATA_QUERY_AST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/matcher.h"
#include "query/functions.h"
#include "query/value_type.h"

namespace strata::query {

// Byte offsets [start, end) of a node in the query text.
struct PositionRange {
  int start = 0;
  int end = 0;
};

using index::MatchType;
using index::MatchTypeString;  // "=", "!=", "=~", "!~"

struct LabelMatcher {
  std::string name;
  MatchType type = MatchType::kEqual;
  std::string value;  // unquoted
};

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
};
std::string_view BinaryOpString(BinaryOp op);  // "+", "==", "and", ...
bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);

enum class AggregateOp {
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
};
std::string_view AggregateOpString(AggregateOp op);  // "sum", "topk", ...
// topk, bottomk, quantile and count_values take a parameter first.
bool HasParam(AggregateOp op);

enum class UnaryOp { kAdd, kSub };

// The @ modifier's special forms.
enum class AtPreprocessor { kNone, kStart, kEnd };

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

enum class ExprKind {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kCall,
  kAggregate,
  kBinary,
  kUnary,
  kParen,
};

class Expr {
 public:
  explicit Expr(ExprKind kind) : kind_(kind) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  ExprKind kind() const { return kind_; }
  // The type of the expression's result, computed as Prometheus' Type().
  virtual ValueType type() const = 0;

  PositionRange range;

 private:
  const ExprKind kind_;
};
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral final : Expr {
  NumberLiteral() : Expr(ExprKind::kNumberLiteral) {}
  ValueType type() const override { return ValueType::kScalar; }
  double value = 0;
};

struct StringLiteral final : Expr {
  StringLiteral() : Expr(ExprKind::kStringLiteral) {}
  ValueType type() const override { return ValueType::kString; }
  std::string value;
};

// Fields shared by the nodes that take `offset` and `@`.
struct TimeModifiers {
  int64_t offset_ms = 0;         // as written; negative for "offset -5m"
  std::optional<int64_t> at_ms;  // "@ <seconds>", rounded to milliseconds
  AtPreprocessor at_preprocessor = AtPreprocessor::kNone;
  bool has_at() const { return at_ms.has_value() || at_preprocessor != AtPreprocessor::kNone; }
};

struct VectorSelector final : Expr {
  VectorSelector() : Expr(ExprKind::kVectorSelector) {}
  ValueType type() const override { return ValueType::kVector; }
  std::string name;  // empty when only matchers were given
  // Matchers in source order; when `name` is set the last one is
  // __name__="<name>", as in Prometheus.
  std::vector<LabelMatcher> matchers;
  TimeModifiers modifiers;
};

struct MatrixSelector final : Expr {
  MatrixSelector() : Expr(ExprKind::kMatrixSelector) {}
  ValueType type() const override { return ValueType::kMatrix; }
  // Holds the offset and @ of the whole selector (written after the range).
  std::unique_ptr<VectorSelector> selector;
  int64_t range_ms = 0;
};

struct SubqueryExpr final : Expr {
  SubqueryExpr() : Expr(ExprKind::kSubquery) {}
  ValueType type() const override { return ValueType::kMatrix; }
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: the evaluation's default step
  TimeModifiers modifiers;
};

struct Call final : Expr {
  Call() : Expr(ExprKind::kCall) {}
  ValueType type() const override { return func->return_type; }
  const Function* func = nullptr;  // from the registry; never null in a parsed tree
  std::vector<ExprPtr> args;
};

struct AggregateExpr final : Expr {
  AggregateExpr() : Expr(ExprKind::kAggregate) {}
  ValueType type() const override { return ValueType::kVector; }
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // only when HasParam(op)
  std::vector<std::string> grouping;
  bool without = false;
};

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // on(...) or ignoring(...)
  bool on = false;
  std::vector<std::string> include;  // group_left(...) / group_right(...)
};

struct BinaryExpr final : Expr {
  BinaryExpr() : Expr(ExprKind::kBinary) {}
  ValueType type() const override;
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;
  // Present only when both sides are instant vectors (set-operator
  // matching is then kManyToMany).
  std::optional<VectorMatching> matching;
};

struct UnaryExpr final : Expr {
  UnaryExpr() : Expr(ExprKind::kUnary) {}
  ValueType type() const override { return expr->type(); }
  UnaryOp op = UnaryOp::kSub;
  ExprPtr expr;
};

struct ParenExpr final : Expr {
  ParenExpr() : Expr(ExprKind::kParen) {}
  ValueType type() const override { return expr->type(); }
  ExprPtr expr;
};

}  // namespace strata::query

#endif  // STRATA_QUERY_AST_H_
