// Recursive-descent / precedence-climbing PromQL parser; see parser.h.
// Grammar and messages follow Prometheus 2.42's generated_parser.y and
// parse.go; the type checks live in type_check.cc.
#include "query/parser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "query/internal/parse_error.h"
#include "query/lexer.h"
#include "query/literals.h"
#include "re2/re2.h"

namespace strata::query {
namespace {

struct BinaryInfo {
  BinaryOp op;
  int precedence;
  bool right_assoc;
};

constexpr int kPowPrecedence = 6;

std::optional<BinaryInfo> BinaryInfoFor(TokenType t) {
  switch (t) {
    case TokenType::kLor:
      return BinaryInfo{BinaryOp::kOr, 1, false};
    case TokenType::kLand:
      return BinaryInfo{BinaryOp::kAnd, 2, false};
    case TokenType::kLunless:
      return BinaryInfo{BinaryOp::kUnless, 2, false};
    case TokenType::kEqlc:
      return BinaryInfo{BinaryOp::kEql, 3, false};
    case TokenType::kNeq:
      return BinaryInfo{BinaryOp::kNeq, 3, false};
    case TokenType::kLss:
      return BinaryInfo{BinaryOp::kLss, 3, false};
    case TokenType::kLte:
      return BinaryInfo{BinaryOp::kLte, 3, false};
    case TokenType::kGtr:
      return BinaryInfo{BinaryOp::kGtr, 3, false};
    case TokenType::kGte:
      return BinaryInfo{BinaryOp::kGte, 3, false};
    case TokenType::kAdd:
      return BinaryInfo{BinaryOp::kAdd, 4, false};
    case TokenType::kSub:
      return BinaryInfo{BinaryOp::kSub, 4, false};
    case TokenType::kMul:
      return BinaryInfo{BinaryOp::kMul, 5, false};
    case TokenType::kDiv:
      return BinaryInfo{BinaryOp::kDiv, 5, false};
    case TokenType::kMod:
      return BinaryInfo{BinaryOp::kMod, 5, false};
    case TokenType::kAtan2:
      return BinaryInfo{BinaryOp::kAtan2, 5, false};
    case TokenType::kPow:
      return BinaryInfo{BinaryOp::kPow, kPowPrecedence, true};
    default:
      return std::nullopt;
  }
}

// Keywords that may also name a metric (Prometheus' metric_identifier).
bool IsMetricNameKeyword(TokenType t) {
  return IsAggregator(t) || t == TokenType::kBy || t == TokenType::kWithout ||
         t == TokenType::kLand || t == TokenType::kLor || t == TokenType::kLunless ||
         t == TokenType::kOffset || t == TokenType::kStart || t == TokenType::kEnd;
}

// Tokens that may stand where a label name is expected in by(...),
// on(...) and group_left(...) (Prometheus' maybe_label).
bool IsMaybeLabel(TokenType t) {
  return IsAggregator(t) || t == TokenType::kIdentifier || t == TokenType::kMetricIdentifier ||
         t == TokenType::kBool || t == TokenType::kBy || t == TokenType::kGroupLeft ||
         t == TokenType::kGroupRight || t == TokenType::kIgnoring || t == TokenType::kLand ||
         t == TokenType::kLor || t == TokenType::kLunless || t == TokenType::kOffset ||
         t == TokenType::kOn || t == TokenType::kStart || t == TokenType::kEnd ||
         t == TokenType::kAtan2;
}

bool IsValidLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Tokens after which a keyword like `sum` is a metric name, not an
// aggregation: anything that may follow a complete expression.
bool CanFollowExpression(TokenType t) {
  return IsOperator(t) || t == TokenType::kOffset || t == TokenType::kLeftBracket ||
         t == TokenType::kRightParen || t == TokenType::kComma || t == TokenType::kEof ||
         t == TokenType::kLeftBrace;
}

// REQUIRES: IsAggregator(t).
AggregateOp AggregateOpFor(TokenType t) {
  switch (t) {
    case TokenType::kAvg:
      return AggregateOp::kAvg;
    case TokenType::kBottomk:
      return AggregateOp::kBottomk;
    case TokenType::kCount:
      return AggregateOp::kCount;
    case TokenType::kCountValues:
      return AggregateOp::kCountValues;
    case TokenType::kGroup:
      return AggregateOp::kGroup;
    case TokenType::kMax:
      return AggregateOp::kMax;
    case TokenType::kMin:
      return AggregateOp::kMin;
    case TokenType::kQuantile:
      return AggregateOp::kQuantile;
    case TokenType::kStddev:
      return AggregateOp::kStddev;
    case TokenType::kStdvar:
      return AggregateOp::kStdvar;
    case TokenType::kTopk:
      return AggregateOp::kTopk;
    default:
      return AggregateOp::kSum;
  }
}

int End(const Token& t) { return t.pos + static_cast<int>(t.text.size()); }

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  StatusOr<ExprPtr> Parse() {
    if (Peek().type == TokenType::kEof) return Error(0, "no expression found in input");
    STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParseBinary(0));
    if (Peek().type != TokenType::kEof) return Unexpected(Take(), "", "");
    STRATA_RETURN_IF_ERROR(internal::CheckTypes(*expr, input_));
    return expr;
  }

 private:
  // Counts recursion and rejects input nested beyond kMaxNestingDepth.
  class DepthGuard {
   public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int* depth_;
  };

  const Token& Peek() {
    while (!lookahead_) {
      Token t = lexer_.Next();
      if (t.type != TokenType::kComment) lookahead_ = std::move(t);
    }
    return *lookahead_;
  }
  Token Take() {
    Peek();
    Token t = std::move(*lookahead_);
    lookahead_.reset();
    return t;
  }

  Status Error(int pos, std::string_view message) {
    return internal::ParseError(input_, pos, message);
  }
  // Prometheus' unexpected(): a lexer error is reported as it is.
  Status Unexpected(const Token& t, std::string_view context, std::string_view expected) {
    if (t.type == TokenType::kError) return Error(t.pos, t.text);
    std::string message = StrCat("unexpected ", DescribeToken(t));
    if (!context.empty()) StrAppend(&message, " in ", context);
    if (!expected.empty()) StrAppend(&message, ", expected ", expected);
    return Error(t.pos, message);
  }
  Status TooDeep(int pos) {
    return Error(pos, absl::StrFormat("expression nested too deeply (more than %d levels)",
                                      kMaxNestingDepth));
  }

  // Records the height of a new inner node from its children's heights.
  Status SetHeight(const Expr& node, const std::vector<const Expr*>& children) {
    int height = 1;
    for (const Expr* c : children) {
      if (c == nullptr) continue;
      auto it = heights_.find(c);
      height = std::max(height, (it == heights_.end() ? 1 : it->second) + 1);
    }
    if (height > kMaxNestingDepth) return TooDeep(node.range.start);
    heights_[&node] = height;
    return absl::OkStatus();
  }

  StatusOr<ExprPtr> ParseBinary(int min_precedence);
  StatusOr<ExprPtr> ParseUnary();
  StatusOr<ExprPtr> ParsePostfix();
  StatusOr<ExprPtr> ParsePrimary();
  StatusOr<ExprPtr> ParseParen();
  StatusOr<ExprPtr> ParseNumber(const Token& t);
  StatusOr<ExprPtr> ParseStringLiteral(const Token& t);
  StatusOr<ExprPtr> ParseVectorSelector(const Token* name);
  Status ParseLabelMatchers(VectorSelector* vs);
  Status ParseLabelMatcher(VectorSelector* vs);
  StatusOr<ExprPtr> ParseCall(const Token& name);
  StatusOr<ExprPtr> ParseAggregate(const Token& op);
  // '(' [expr {',' expr}] ')'; sets *end past the ')'.
  Status ParseArgs(std::vector<ExprPtr>* args, int* end);
  Status ParseGroupingLabels(std::vector<std::string>* labels);
  Status ParseBinaryModifiers(BinaryExpr* b);
  StatusOr<ExprPtr> ParseRangeOrSubquery(ExprPtr e);
  Status ParseOffset(Expr* e);
  Status ParseAt(Expr* e);
  StatusOr<int64_t> ParseDurationToken(const Token& t);
  StatusOr<std::string> UnquoteToken(const Token& t);
  // The offset/@ fields of a selector or subquery, or nullptr.
  static TimeModifiers* ModifiersOf(Expr* e);

  const std::string_view input_;
  Lexer lexer_;
  std::optional<Token> lookahead_;
  int depth_ = 0;
  std::unordered_map<const Expr*, int> heights_;
};

StatusOr<ExprPtr> Parser::ParseBinary(int min_precedence) {
  STRATA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary());
  while (true) {
    const std::optional<BinaryInfo> info = BinaryInfoFor(Peek().type);
    if (!info || info->precedence < min_precedence) return lhs;
    Take();
    auto b = std::make_unique<BinaryExpr>();
    b->op = info->op;
    STRATA_RETURN_IF_ERROR(ParseBinaryModifiers(b.get()));
    STRATA_ASSIGN_OR_RETURN(
        b->rhs, ParseBinary(info->right_assoc ? info->precedence : info->precedence + 1));
    b->range = {lhs->range.start, b->rhs->range.end};
    b->lhs = std::move(lhs);
    STRATA_RETURN_IF_ERROR(SetHeight(*b, {b->lhs.get(), b->rhs.get()}));
    lhs = std::move(b);
  }
}

StatusOr<ExprPtr> Parser::ParseUnary() {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxNestingDepth) return TooDeep(Peek().pos);
  const TokenType type = Peek().type;
  if (type != TokenType::kAdd && type != TokenType::kSub) return ParsePostfix();
  const Token op = Take();
  // The operand extends over `^` only: unary minus binds like `*`.
  STRATA_ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(kPowPrecedence));
  if (operand->kind() == ExprKind::kNumberLiteral) {
    auto* n = static_cast<NumberLiteral*>(operand.get());
    if (op.type == TokenType::kSub) n->value = -n->value;
    n->range.start = op.pos;
    return operand;
  }
  auto u = std::make_unique<UnaryExpr>();
  u->op = op.type == TokenType::kSub ? UnaryOp::kSub : UnaryOp::kAdd;
  u->range = {op.pos, operand->range.end};
  u->expr = std::move(operand);
  STRATA_RETURN_IF_ERROR(SetHeight(*u, {u->expr.get()}));
  return u;
}

StatusOr<ExprPtr> Parser::ParsePostfix() {
  STRATA_ASSIGN_OR_RETURN(ExprPtr e, ParsePrimary());
  while (true) {
    switch (Peek().type) {
      case TokenType::kLeftBracket: {
        STRATA_ASSIGN_OR_RETURN(e, ParseRangeOrSubquery(std::move(e)));
        break;
      }
      case TokenType::kOffset:
        STRATA_RETURN_IF_ERROR(ParseOffset(e.get()));
        break;
      case TokenType::kAt:
        STRATA_RETURN_IF_ERROR(ParseAt(e.get()));
        break;
      default:
        return e;
    }
  }
}

StatusOr<ExprPtr> Parser::ParsePrimary() {
  const TokenType type = Peek().type;
  switch (type) {
    case TokenType::kNumber:
      return ParseNumber(Take());
    case TokenType::kString:
      return ParseStringLiteral(Take());
    case TokenType::kLeftParen:
      return ParseParen();
    case TokenType::kLeftBrace:
      return ParseVectorSelector(nullptr);
    case TokenType::kMetricIdentifier: {
      const Token name = Take();
      return ParseVectorSelector(&name);
    }
    case TokenType::kIdentifier: {
      const Token name = Take();
      if (Peek().type == TokenType::kLeftParen) return ParseCall(name);
      return ParseVectorSelector(&name);
    }
    default:
      break;
  }
  if (IsAggregator(type)) {
    const Token op = Take();
    const TokenType next = Peek().type;
    if (next == TokenType::kLeftParen || next == TokenType::kBy || next == TokenType::kWithout) {
      return ParseAggregate(op);
    }
    if (!CanFollowExpression(next)) return Unexpected(Take(), "aggregation", "");
    return ParseVectorSelector(&op);
  }
  if (IsMetricNameKeyword(type)) {
    const Token name = Take();
    return ParseVectorSelector(&name);
  }
  return Unexpected(Take(), "", "");
}

StatusOr<ExprPtr> Parser::ParseParen() {
  const Token open = Take();
  auto p = std::make_unique<ParenExpr>();
  STRATA_ASSIGN_OR_RETURN(p->expr, ParseBinary(0));
  const Token close = Take();
  if (close.type != TokenType::kRightParen) return Unexpected(close, "", "");
  p->range = {open.pos, End(close)};
  STRATA_RETURN_IF_ERROR(SetHeight(*p, {p->expr.get()}));
  return p;
}

StatusOr<ExprPtr> Parser::ParseNumber(const Token& t) {
  StatusOr<double> v = query::ParseNumber(t.text);
  if (!v.ok()) {
    return Error(t.pos, StrCat("error parsing number: ", std::string(v.status().message())));
  }
  auto n = std::make_unique<NumberLiteral>();
  n->value = *v;
  n->range = {t.pos, End(t)};
  return n;
}

StatusOr<std::string> Parser::UnquoteToken(const Token& t) {
  StatusOr<std::string> s = Unquote(t.text);
  if (!s.ok()) {
    return Error(t.pos, absl::StrFormat("error unquoting string %s: %s", Quote(t.text),
                                        std::string(s.status().message())));
  }
  return s;
}

StatusOr<ExprPtr> Parser::ParseStringLiteral(const Token& t) {
  auto s = std::make_unique<StringLiteral>();
  STRATA_ASSIGN_OR_RETURN(s->value, UnquoteToken(t));
  s->range = {t.pos, End(t)};
  return s;
}

StatusOr<ExprPtr> Parser::ParseVectorSelector(const Token* name) {
  auto vs = std::make_unique<VectorSelector>();
  vs->range.start = name != nullptr ? name->pos : Peek().pos;
  vs->range.end = name != nullptr ? End(*name) : vs->range.start;
  if (Peek().type == TokenType::kLeftBrace) STRATA_RETURN_IF_ERROR(ParseLabelMatchers(vs.get()));
  if (name != nullptr) {
    vs->name = name->text;
    vs->matchers.push_back({"__name__", MatchType::kEqual, name->text});
  }
  return vs;
}

Status Parser::ParseLabelMatchers(VectorSelector* vs) {
  Take();  // '{'
  if (Peek().type != TokenType::kRightBrace) {
    while (true) {
      STRATA_RETURN_IF_ERROR(ParseLabelMatcher(vs));
      const Token sep = Take();
      if (sep.type == TokenType::kRightBrace) {
        vs->range.end = End(sep);
        return absl::OkStatus();
      }
      if (sep.type != TokenType::kComma) {
        return Unexpected(sep, "label matching", "\",\" or \"}\"");
      }
      if (Peek().type == TokenType::kRightBrace) break;
    }
  }
  vs->range.end = End(Take());
  return absl::OkStatus();
}

Status Parser::ParseLabelMatcher(VectorSelector* vs) {
  const Token name = Take();
  if (name.type != TokenType::kIdentifier) {
    return Unexpected(name, "label matching", "identifier or \"}\"");
  }
  const Token op = Take();
  LabelMatcher m;
  m.name = name.text;
  switch (op.type) {
    case TokenType::kAssign:
      m.type = MatchType::kEqual;
      break;
    case TokenType::kNeq:
      m.type = MatchType::kNotEqual;
      break;
    case TokenType::kEqlRegex:
      m.type = MatchType::kRegexMatch;
      break;
    case TokenType::kNeqRegex:
      m.type = MatchType::kRegexNoMatch;
      break;
    default:
      return Unexpected(op, "label matching", "label matching operator");
  }
  const Token value = Take();
  if (value.type != TokenType::kString) return Unexpected(value, "label matching", "string");
  STRATA_ASSIGN_OR_RETURN(m.value, UnquoteToken(value));
  if (m.type == MatchType::kRegexMatch || m.type == MatchType::kRegexNoMatch) {
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 re(StrCat("^(?:", m.value, ")$"), options);
    if (!re.ok()) return Error(name.pos, StrCat("error parsing regexp: ", re.error()));
  }
  vs->matchers.push_back(std::move(m));
  return absl::OkStatus();
}

StatusOr<ExprPtr> Parser::ParseCall(const Token& name) {
  auto call = std::make_unique<Call>();
  call->range.start = name.pos;
  STRATA_RETURN_IF_ERROR(ParseArgs(&call->args, &call->range.end));
  call->func = LookupFunction(name.text);
  if (call->func == nullptr) {
    return Error(name.pos, StrCat("unknown function with name ", Quote(name.text)));
  }
  std::vector<const Expr*> children;
  for (const ExprPtr& arg : call->args) children.push_back(arg.get());
  STRATA_RETURN_IF_ERROR(SetHeight(*call, children));
  return call;
}

Status Parser::ParseArgs(std::vector<ExprPtr>* args, int* end) {
  Take();  // '('
  if (Peek().type != TokenType::kRightParen) {
    while (true) {
      STRATA_ASSIGN_OR_RETURN(ExprPtr arg, ParseBinary(0));
      args->push_back(std::move(arg));
      const Token sep = Take();
      if (sep.type == TokenType::kRightParen) {
        *end = End(sep);
        return absl::OkStatus();
      }
      if (sep.type != TokenType::kComma) return Unexpected(sep, "", "");
      if (Peek().type == TokenType::kRightParen) {
        return Error(sep.pos, "trailing commas not allowed in function call args");
      }
    }
  }
  *end = End(Take());
  return absl::OkStatus();
}

StatusOr<ExprPtr> Parser::ParseAggregate(const Token& op) {
  auto agg = std::make_unique<AggregateExpr>();
  agg->op = AggregateOpFor(op.type);
  agg->range.start = op.pos;
  const auto parse_modifier = [&]() -> Status {
    agg->without = Take().type == TokenType::kWithout;
    return ParseGroupingLabels(&agg->grouping);
  };
  const TokenType first = Peek().type;
  const bool modifier_first = first == TokenType::kBy || first == TokenType::kWithout;
  if (modifier_first) STRATA_RETURN_IF_ERROR(parse_modifier());
  std::vector<ExprPtr> args;
  const Token open = Peek();
  if (open.type != TokenType::kLeftParen) return Unexpected(Take(), "aggregation", "");
  STRATA_RETURN_IF_ERROR(ParseArgs(&args, &agg->range.end));
  const TokenType after = Peek().type;
  if (!modifier_first && (after == TokenType::kBy || after == TokenType::kWithout)) {
    STRATA_RETURN_IF_ERROR(parse_modifier());
  }
  if (args.empty()) return Error(op.pos, "no arguments for aggregate expression provided");
  const size_t want = HasParam(agg->op) ? 2 : 1;
  if (args.size() != want) {
    return Error(op.pos, absl::StrFormat("wrong number of arguments for aggregate expression "
                                         "provided, expected %d, got %d",
                                         want, args.size()));
  }
  if (want == 2) agg->param = std::move(args[0]);
  agg->expr = std::move(args[want - 1]);
  STRATA_RETURN_IF_ERROR(SetHeight(*agg, {agg->expr.get(), agg->param.get()}));
  return agg;
}

Status Parser::ParseGroupingLabels(std::vector<std::string>* labels) {
  const Token open = Take();
  if (open.type != TokenType::kLeftParen) return Unexpected(open, "grouping opts", "\"(\"");
  if (Peek().type == TokenType::kRightParen) {
    Take();
    return absl::OkStatus();
  }
  while (true) {
    const Token label = Take();
    if (!IsMaybeLabel(label.type) || !IsValidLabelName(label.text)) {
      return Unexpected(label, "grouping opts", "label");
    }
    labels->push_back(label.text);
    const Token sep = Take();
    if (sep.type == TokenType::kRightParen) return absl::OkStatus();
    if (sep.type != TokenType::kComma) {
      return Unexpected(sep, "grouping opts", "\",\" or \")\"");
    }
    if (Peek().type == TokenType::kRightParen) {
      Take();
      return absl::OkStatus();
    }
  }
}

Status Parser::ParseBinaryModifiers(BinaryExpr* b) {
  b->matching.emplace();
  if (Peek().type == TokenType::kBool) {
    Take();
    b->return_bool = true;
  }
  const TokenType t = Peek().type;
  if (t != TokenType::kOn && t != TokenType::kIgnoring) return absl::OkStatus();
  Take();
  b->matching->on = t == TokenType::kOn;
  STRATA_RETURN_IF_ERROR(ParseGroupingLabels(&b->matching->matching_labels));
  const TokenType g = Peek().type;
  if (g != TokenType::kGroupLeft && g != TokenType::kGroupRight) return absl::OkStatus();
  Take();
  b->matching->card =
      g == TokenType::kGroupLeft ? Cardinality::kManyToOne : Cardinality::kOneToMany;
  if (Peek().type == TokenType::kLeftParen) return ParseGroupingLabels(&b->matching->include);
  return absl::OkStatus();
}

StatusOr<int64_t> Parser::ParseDurationToken(const Token& t) {
  StatusOr<int64_t> d = ParseDuration(t.text);
  if (!d.ok()) return Error(t.pos, std::string(d.status().message()));
  if (*d == 0) return Error(t.pos, "duration must be greater than 0");
  return d;
}

StatusOr<ExprPtr> Parser::ParseRangeOrSubquery(ExprPtr e) {
  const Token open = Take();  // '['
  const Token range = Take();
  if (range.type != TokenType::kDuration) return Unexpected(range, "subquery selector", "duration");
  STRATA_ASSIGN_OR_RETURN(const int64_t range_ms, ParseDurationToken(range));
  const Token next = Take();
  if (next.type == TokenType::kRightBracket) {
    if (e->kind() != ExprKind::kVectorSelector) {
      return Error(open.pos, "ranges only allowed for vector selectors");
    }
    auto* vs = static_cast<VectorSelector*>(e.get());
    if (vs->modifiers.offset_ms != 0)
      return Error(open.pos, "no offset modifiers allowed before range");
    if (vs->modifiers.has_at()) return Error(open.pos, "no @ modifiers allowed before range");
    auto m = std::make_unique<MatrixSelector>();
    m->range = {e->range.start, End(next)};
    m->range_ms = range_ms;
    m->selector.reset(static_cast<VectorSelector*>(e.release()));
    STRATA_RETURN_IF_ERROR(SetHeight(*m, {m->selector.get()}));
    return m;
  }
  if (next.type != TokenType::kColon) {
    return Unexpected(next, "subquery or range", "\":\" or \"]\"");
  }
  auto sq = std::make_unique<SubqueryExpr>();
  sq->range_ms = range_ms;
  Token close = Take();
  if (close.type == TokenType::kDuration) {
    STRATA_ASSIGN_OR_RETURN(sq->step_ms, ParseDurationToken(close));
    close = Take();
    if (close.type != TokenType::kRightBracket) {
      return Unexpected(close, "subquery selector", "\"]\"");
    }
  } else if (close.type != TokenType::kRightBracket) {
    return Unexpected(close, "subquery selector", "duration or \"]\"");
  }
  sq->range = {e->range.start, End(close)};
  sq->expr = std::move(e);
  STRATA_RETURN_IF_ERROR(SetHeight(*sq, {sq->expr.get()}));
  return sq;
}

TimeModifiers* Parser::ModifiersOf(Expr* e) {
  switch (e->kind()) {
    case ExprKind::kVectorSelector:
      return &static_cast<VectorSelector*>(e)->modifiers;
    case ExprKind::kMatrixSelector:
      return &static_cast<MatrixSelector*>(e)->selector->modifiers;
    case ExprKind::kSubquery:
      return &static_cast<SubqueryExpr*>(e)->modifiers;
    default:
      return nullptr;
  }
}

Status Parser::ParseOffset(Expr* e) {
  Take();  // offset
  const bool negative = Peek().type == TokenType::kSub;
  if (negative) Take();
  const Token d = Take();
  if (d.type != TokenType::kDuration) return Unexpected(d, "offset", "duration");
  STRATA_ASSIGN_OR_RETURN(const int64_t offset_ms, ParseDurationToken(d));
  TimeModifiers* mods = ModifiersOf(e);
  if (mods == nullptr) {
    return Error(e->range.start,
                 "offset modifier must be preceded by an instant vector selector or range "
                 "vector selector or a subquery");
  }
  if (mods->offset_ms != 0) return Error(e->range.start, "offset may not be set multiple times");
  mods->offset_ms = negative ? -offset_ms : offset_ms;
  e->range.end = End(d);
  return absl::OkStatus();
}

Status Parser::ParseAt(Expr* e) {
  Take();  // @
  std::optional<double> seconds;
  AtPreprocessor preprocessor = AtPreprocessor::kNone;
  Token t = Take();
  int end = End(t);
  if (t.type == TokenType::kStart || t.type == TokenType::kEnd) {
    preprocessor = t.type == TokenType::kStart ? AtPreprocessor::kStart : AtPreprocessor::kEnd;
    const Token open = Take();
    if (open.type != TokenType::kLeftParen) return Unexpected(open, "@", "timestamp");
    const Token close = Take();
    if (close.type != TokenType::kRightParen) return Unexpected(close, "@", "timestamp");
    end = End(close);
  } else {
    double sign = 1;
    if (t.type == TokenType::kAdd || t.type == TokenType::kSub) {
      sign = t.type == TokenType::kSub ? -1 : 1;
      t = Take();
    }
    if (t.type != TokenType::kNumber) return Unexpected(t, "@", "timestamp");
    STRATA_ASSIGN_OR_RETURN(ExprPtr n, ParseNumber(t));
    seconds = sign * static_cast<NumberLiteral*>(n.get())->value;
    end = End(t);
    constexpr double kMax = static_cast<double>(std::numeric_limits<int64_t>::max());
    if (!std::isfinite(*seconds) || *seconds >= kMax || *seconds <= -kMax) {
      return Error(e->range.start, StrCat("timestamp out of bounds for @ modifier: ",
                                          std::isfinite(*seconds) ? absl::StrFormat("%f", *seconds)
                                                                  : FormatFloat(*seconds)));
    }
  }
  TimeModifiers* mods = ModifiersOf(e);
  if (mods == nullptr) {
    return Error(e->range.start,
                 "@ modifier must be preceded by an instant vector selector or range vector "
                 "selector or a subquery");
  }
  if (mods->has_at()) return Error(e->range.start, "@ <timestamp> may not be set multiple times");
  mods->at_preprocessor = preprocessor;
  if (seconds) {
    // Go converts out-of-range floats without failing; clamp instead of UB.
    const double ms = std::round(*seconds * 1000);
    constexpr double kLimit = 9.2e18;
    mods->at_ms = ms >= kLimit    ? std::numeric_limits<int64_t>::max()
                  : ms <= -kLimit ? std::numeric_limits<int64_t>::min()
                                  : static_cast<int64_t>(ms);
  }
  e->range.end = end;
  return absl::OkStatus();
}

}  // namespace

StatusOr<ExprPtr> ParseExpr(std::string_view input) { return Parser(input).Parse(); }

StatusOr<std::vector<strata::LabelMatcher>> ParseSeriesSelector(std::string_view text) {
  STRATA_ASSIGN_OR_RETURN(query::ExprPtr expr, query::ParseExpr(text));
  if (expr->kind() != query::ExprKind::kVectorSelector) {
    return absl::InvalidArgumentError("expected a series selector such as up or {job=\"node\"}");
  }
  const auto& sel = static_cast<const query::VectorSelector&>(*expr);
  std::vector<strata::LabelMatcher> out;
  out.reserve(sel.matchers.size());
  for (const query::LabelMatcher& m : sel.matchers) {
    strata::LabelMatcher lm;
    lm.name = m.name;
    lm.value = m.value;
    switch (m.type) {
      case query::MatchType::kEqual:
        lm.type = strata::LabelMatcher::Type::kEqual;
        break;
      case query::MatchType::kNotEqual:
        lm.type = strata::LabelMatcher::Type::kNotEqual;
        break;
      case query::MatchType::kRegexMatch:
        lm.type = strata::LabelMatcher::Type::kRegexMatch;
        break;
      case query::MatchType::kRegexNoMatch:
        lm.type = strata::LabelMatcher::Type::kRegexNoMatch;
        break;
    }
    out.push_back(std::move(lm));
  }
  return out;
}

}  // namespace strata::query
