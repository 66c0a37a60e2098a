// Tests for query/parser.h on valid input: structure, precedence, value
// types and the canonical printed form. Cases are ported from Prometheus'
// promql/parser/parse_test.go and printer_test.go.
#include "query/parser.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "query/printer.h"

namespace strata::query {
namespace {

// Prints with every binary and unary expression parenthesised, to show
// how the parser grouped the operands.
std::string Tree(const Expr& e) {
  if (e.kind() == ExprKind::kBinary) {
    const auto& b = static_cast<const BinaryExpr&>(e);
    return "(" + Tree(*b.lhs) + " " + std::string(BinaryOpString(b.op)) + " " + Tree(*b.rhs) + ")";
  }
  if (e.kind() == ExprKind::kUnary) {
    const auto& u = static_cast<const UnaryExpr&>(e);
    return std::string("(") + (u.op == UnaryOp::kSub ? "-" : "+") + Tree(*u.expr) + ")";
  }
  return Print(e);
}

ExprPtr MustParse(std::string_view input) {
  auto e = ParseExpr(input);
  EXPECT_TRUE(e.ok()) << input << ": " << e.status();
  if (!e.ok()) return nullptr;
  return *std::move(e);
}

std::string Grouping(std::string_view input) {
  ExprPtr e = MustParse(input);
  return e ? Tree(*e) : "<error>";
}

std::string Printed(std::string_view input) {
  ExprPtr e = MustParse(input);
  return e ? Print(*e) : "<error>";
}

TEST(ParserTest, OperatorPrecedence) {
  const std::pair<const char*, const char*> cases[] = {
      {"1 + 2 * 3", "(1 + (2 * 3))"},
      {"1 * 2 + 3", "((1 * 2) + 3)"},
      {"a - b - c", "((a - b) - c)"},
      {"a / b % c", "((a / b) % c)"},
      {"a atan2 b * c", "((a atan2 b) * c)"},
      {"a + b atan2 c", "(a + (b atan2 c))"},
      {"a ^ b * c", "((a ^ b) * c)"},
      {"a * b ^ c", "(a * (b ^ c))"},
      {"2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"},
      {"a == b + c", "(a == (b + c))"},
      {"a + b == c", "((a + b) == c)"},
      {"a > b and c < d", "((a > b) and (c < d))"},
      {"a or b and c", "(a or (b and c))"},
      {"a and b or c", "((a and b) or c)"},
      {"a unless b and c", "((a unless b) and c)"},
      {"a or b unless c or d", "((a or (b unless c)) or d)"},
      {"a == b != c", "((a == b) != c)"},
      {"a >= b <= c > d < e", "((((a >= b) <= c) > d) < e)"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Grouping(input), want) << input;
}

TEST(ParserTest, UnaryMinusBindsLikeMultiplication) {
  const std::pair<const char*, const char*> cases[] = {
      {"-1 ^ 2", "(-(1 ^ 2))"},  // -1^2 == -1, as in Prometheus
      {"-a ^ b", "(-(a ^ b))"},
      {"-a * b", "((-a) * b)"},
      {"-1 * 2", "(-1 * 2)"},
      {"a - -b", "(a - (-b))"},
      {"2 * -1 ^ 2", "(2 * (-(1 ^ 2)))"},
      {"2 ^ -1", "(2 ^ -1)"},
      {"2 ^ -a ^ b", "(2 ^ (-(a ^ b)))"},
      {"+a", "(+a)"},
      {"- - 1", "1"},
      {"++-++-+-1", "-1"},
      {"-a offset 5m", "(-a offset 5m)"},
      {"a + b offset 5m", "(a + b offset 5m)"},
      {"-some_metric", "(-some_metric)"},
      {"+some_metric", "(+some_metric)"},
      {" +some_metric", "(+some_metric)"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Grouping(input), want) << input;
}

TEST(ParserTest, FoldsSignIntoNumberLiterals) {
  ExprPtr e = MustParse("-5");
  ASSERT_EQ(e->kind(), ExprKind::kNumberLiteral);
  EXPECT_EQ(static_cast<NumberLiteral&>(*e).value, -5);
  EXPECT_EQ(e->range.start, 0);
  e = MustParse("-(5)");
  EXPECT_EQ(e->kind(), ExprKind::kUnary);
}

TEST(ParserTest, NumberLiterals) {
  const std::pair<const char*, const char*> cases[] = {
      {"1", "1"},
      {"+Inf", "+Inf"},
      {"-Inf", "-Inf"},
      {"inf", "+Inf"},
      {"NaN", "NaN"},
      {".5", "0.5"},
      {"5.", "5"},
      {"123.4567", "123.4567"},
      {"5e-3", "0.005"},
      {"5e3", "5000"},
      {"0xc", "12"},
      {"0755", "493"},
      {"+5.5e-3", "0.0055"},
      {"-0755", "-493"},
      {"1e6", "1e+06"},
      {"0x1F + 1", "31 + 1"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  ExprPtr nan = MustParse("NaN");
  EXPECT_TRUE(std::isnan(static_cast<NumberLiteral&>(*nan).value));
}

TEST(ParserTest, StringLiterals) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("double-quoted string \" with escape")", R"("double-quoted string \" with escape")"},
      {R"('single-quoted string \' with escape')", R"("single-quoted string ' with escape")"},
      {"`backtick-quoted string`", R"("backtick-quoted string")"},
      {R"("\a\b\f\n\r\t\v\\\" - \xFF\377\u00e4\U0001F600")",
       "\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\" - \\xff\\xffä\xf0\x9f\x98\x80\""},
      {"`\\n`", R"("\\n")"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  ExprPtr s = MustParse(R"('a\tb')");
  ASSERT_EQ(s->kind(), ExprKind::kStringLiteral);
  EXPECT_EQ(static_cast<StringLiteral&>(*s).value, "a\tb");
  EXPECT_EQ(s->type(), ValueType::kString);
}

TEST(ParserTest, VectorSelectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"foo", "foo"},
      {"min", "min"},
      {"sum", "sum"},
      {"foo:bar:baz", "foo:bar:baz"},
      {"foo offset 5m", "foo offset 5m"},
      {"foo OFFSET 1h30m", "foo offset 1h30m"},
      {"foo offset -7m", "foo offset -7m"},
      {"foo offset 90d", "foo offset 90d"},
      {"foo offset 1y", "foo offset 1y"},
      {"foo:bar{a=\"bc\"}", "foo:bar{a=\"bc\"}"},
      {"foo{NaN='bc'}", "foo{NaN=\"bc\"}"},
      {"foo{bar='}'}", "foo{bar=\"}\"}"},
      {"foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\"}",
       "foo{a=\"b\",bar!~\"baz\",foo!=\"bar\",test=~\"test\"}"},
      {"foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\",}",
       "foo{a=\"b\",bar!~\"baz\",foo!=\"bar\",test=~\"test\"}"},
      {"{__name__=~\"foo.+\",__name__=~\".*bar\"}", "{__name__=~\".*bar\",__name__=~\"foo.+\"}"},
      {"{__name__=\"a\"}", "{__name__=\"a\"}"},
      {"{x!=\"\"}", "{x!=\"\"}"},
      {"{x=~\".+\"}", "{x=~\".+\"}"},
      {"foo{on='a', by='b', bool=\"c\", offset='d'}",
       "foo{bool=\"c\",by=\"b\",offset=\"d\",on=\"a\"}"},
      {"foo{}", "foo"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
}

TEST(ParserTest, VectorSelectorKeepsNameMatcherLast) {
  ExprPtr e = MustParse("foo{bar=\"baz\", x=~\"y.*\"}");
  ASSERT_EQ(e->kind(), ExprKind::kVectorSelector);
  const auto& vs = static_cast<VectorSelector&>(*e);
  EXPECT_EQ(vs.name, "foo");
  ASSERT_EQ(vs.matchers.size(), 3u);
  EXPECT_EQ(vs.matchers[0].name, "bar");
  EXPECT_EQ(vs.matchers[0].type, MatchType::kEqual);
  EXPECT_EQ(vs.matchers[0].value, "baz");
  EXPECT_EQ(vs.matchers[1].type, MatchType::kRegexMatch);
  EXPECT_EQ(vs.matchers[2].name, "__name__");
  EXPECT_EQ(vs.matchers[2].value, "foo");
  EXPECT_EQ(vs.range.start, 0);
  EXPECT_EQ(vs.range.end, 24);
}

TEST(ParserTest, AtAndOffsetModifiers) {
  const std::pair<const char*, const char*> cases[] = {
      {"foo @ 1603774568", "foo @ 1603774568.000"},
      {"foo @ -100", "foo @ -100.000"},
      {"foo @ .3", "foo @ 0.300"},
      {"foo @ 3.", "foo @ 3.000"},
      {"foo @ 3.33", "foo @ 3.330"},
      {"foo @ 3.3333", "foo @ 3.333"},
      {"foo @ 3.3335", "foo @ 3.334"},
      {"foo @ 3e2", "foo @ 300.000"},
      {"foo @ 3e-1", "foo @ 0.300"},
      {"foo @ 0xA", "foo @ 10.000"},
      {"foo @ -3.3e1", "foo @ -33.000"},
      {"foo @ +10", "foo @ 10.000"},
      {"foo @ start()", "foo @ start()"},
      {"foo @ end()", "foo @ end()"},
      {"foo offset 5m @ 10", "foo @ 10.000 offset 5m"},
      {"foo @ 10 offset -5m", "foo @ 10.000 offset -5m"},
      {"foo[5m] @ 10 offset 1m", "foo[5m] @ 10.000 offset 1m"},
      {"foo[5m] offset 1m @ start()", "foo[5m] @ start() offset 1m"},
      {"foo[5m:1m] @ end() offset 1w", "foo[5m:1m] @ end() offset 1w"},
      {"rate(foo[5m] @ 100)", "rate(foo[5m] @ 100.000)"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  ExprPtr e = MustParse("foo @ 1.5 offset -1m");
  const auto& m = static_cast<VectorSelector&>(*e).modifiers;
  EXPECT_EQ(m.at_ms, 1500);
  EXPECT_EQ(m.offset_ms, -60000);
  EXPECT_EQ(m.at_preprocessor, AtPreprocessor::kNone);
}

TEST(ParserTest, RangeSelectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"test[5s]", "test[5s]"},
      {"test[5m]", "test[5m]"},
      {"test[5m30s]", "test[5m30s]"},
      {"test[5h] OFFSET 5m", "test[5h] offset 5m"},
      {"test[5d] OFFSET 10s", "test[5d] offset 10s"},
      {"test[5w] offset 2w", "test[5w] offset 2w"},
      {"test{a=\"b\"}[5y] OFFSET 3d", "test{a=\"b\"}[5y] offset 3d"},
      {"test[1h30m]", "test[1h30m]"},
      {"test[500ms]", "test[500ms]"},
      {"test[ 5m ]", "test[5m]"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  ExprPtr e = MustParse("test[5m30s]");
  ASSERT_EQ(e->kind(), ExprKind::kMatrixSelector);
  EXPECT_EQ(static_cast<MatrixSelector&>(*e).range_ms, 330000);
  EXPECT_EQ(e->type(), ValueType::kMatrix);
}

TEST(ParserTest, Subqueries) {
  const std::pair<const char*, const char*> cases[] = {
      {"foo{bar=\"baz\"}[10m:6s]", "foo{bar=\"baz\"}[10m:6s]"},
      {"foo{bar=\"baz\"}[10m5s:1h6ms]", "foo{bar=\"baz\"}[10m5s:1h6ms]"},
      {"foo[10m:]", "foo[10m:]"},
      {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:5s])",
       "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:5s])"},
      {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]",
       "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]"},
      {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 4m)[4m:3s]",
       "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 4m)[4m:3s]"},
      {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ 1603775091)[4m:3s]",
       "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ 1603775091.000)[4m:3s]"},
      {"sum without(and, by, avg, count, alert, annotations)(some_metric) [30m:10s]",
       "sum without (and, by, avg, count, alert, annotations) (some_metric)[30m:10s]"},
      {"some_metric OFFSET 1m [10m:5s]", "some_metric offset 1m[10m:5s]"},
      {"some_metric @ 123 [10m:5s]", "some_metric @ 123.000[10m:5s]"},
      {"(foo + bar{nm=\"val\"})[5m:]", "(foo + bar{nm=\"val\"})[5m:]"},
      {"(foo + bar{nm=\"val\"})[5m:] offset 10m", "(foo + bar{nm=\"val\"})[5m:] offset 10m"},
      {"(foo + bar{nm=\"val\"} @ 1234)[5m:] @ 1603775019",
       "(foo + bar{nm=\"val\"} @ 1234.000)[5m:] @ 1603775019.000"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  ExprPtr e = MustParse("rate(foo[1m])[1h:5m] offset 1d");
  ASSERT_EQ(e->kind(), ExprKind::kSubquery);
  const auto& sq = static_cast<SubqueryExpr&>(*e);
  EXPECT_EQ(sq.range_ms, 3600000);
  EXPECT_EQ(sq.step_ms, 300000);
  EXPECT_EQ(sq.modifiers.offset_ms, 86400000);
  EXPECT_EQ(sq.expr->kind(), ExprKind::kCall);
}

TEST(ParserTest, Aggregations) {
  const std::pair<const char*, const char*> cases[] = {
      {"sum by (foo)(some_metric)", "sum by (foo) (some_metric)"},
      {"avg by (foo)(some_metric)", "avg by (foo) (some_metric)"},
      {"max by (foo)(some_metric)", "max by (foo) (some_metric)"},
      {"sum without (foo) (some_metric)", "sum without (foo) (some_metric)"},
      {"sum (some_metric) without (foo)", "sum without (foo) (some_metric)"},
      {"stddev(some_metric)", "stddev(some_metric)"},
      {"stdvar by (foo)(some_metric)", "stdvar by (foo) (some_metric)"},
      {"sum by ()(some_metric)", "sum(some_metric)"},
      {"sum by (foo,bar,)(some_metric)", "sum by (foo, bar) (some_metric)"},
      {"sum by (foo,)(some_metric)", "sum by (foo) (some_metric)"},
      {"topk(5, some_metric)", "topk(5, some_metric)"},
      {"count_values(\"value\", some_metric)", "count_values(\"value\", some_metric)"},
      {"sum without(and, by, avg, count, alert, annotations)(some_metric)",
       "sum without (and, by, avg, count, alert, annotations) (some_metric)"},
      {"sum without(on, ignoring, group_left, group_right, bool, offset, start, end, atan2)(x)",
       "sum without (on, ignoring, group_left, group_right, bool, offset, start, end, atan2) (x)"},
      {"sum(sum)", "sum(sum)"},
      {"sum(min)", "sum(min)"},
      {"quantile(0.9, foo) by (job)", "quantile by (job) (0.9, foo)"},
      {"bottomk(3, foo) without (a)", "bottomk without (a) (3, foo)"},
      {"group(foo)", "group(foo)"},
      {"SUM BY (group) (x)", "sum by (group) (x)"},
      {"COUNT(http_requests) BY (job)", "count by (job) (http_requests)"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  ExprPtr e = MustParse("topk(5, some_metric) by (a)");
  ASSERT_EQ(e->kind(), ExprKind::kAggregate);
  const auto& a = static_cast<AggregateExpr&>(*e);
  EXPECT_EQ(a.op, AggregateOp::kTopk);
  ASSERT_NE(a.param, nullptr);
  EXPECT_EQ(a.param->kind(), ExprKind::kNumberLiteral);
  EXPECT_EQ(a.grouping, std::vector<std::string>{"a"});
  EXPECT_FALSE(a.without);
  EXPECT_EQ(a.type(), ValueType::kVector);
}

TEST(ParserTest, FunctionCalls) {
  const std::pair<const char*, const char*> cases[] = {
      {"time()", "time()"},
      {"floor(some_metric{foo!=\"bar\"})", "floor(some_metric{foo!=\"bar\"})"},
      {"rate(some_metric[5m])", "rate(some_metric[5m])"},
      {"round(some_metric)", "round(some_metric)"},
      {"round(some_metric, 5)", "round(some_metric, 5)"},
      {"hour()", "hour()"},
      {"label_join(x, \"a\", \",\", \"b\", \"c\", \"d\")",
       "label_join(x, \"a\", \",\", \"b\", \"c\", \"d\")"},
      {"label_replace(up, \"d\", \"$1\", \"s\", `(.*)`)",
       "label_replace(up, \"d\", \"$1\", \"s\", \"(.*)\")"},
      {"histogram_quantile(0.9, rate(x_bucket[5m]))",
       "histogram_quantile(0.9, rate(x_bucket[5m]))"},
      {"holt_winters(x[5m], 0.5, 0.1)", "holt_winters(x[5m], 0.5, 0.1)"},
      {"vector(1) + pi()", "vector(1) + pi()"},
      {"clamp(x, 0, 1)", "clamp(x, 0, 1)"},
      {"quantile_over_time(0.5, x[1m])", "quantile_over_time(0.5, x[1m])"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  EXPECT_EQ(MustParse("time()")->type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("scalar(x)")->type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("rate(x[1m])")->type(), ValueType::kVector);
}

TEST(ParserTest, VectorMatching) {
  const std::pair<const char*, const char*> cases[] = {
      {"a - on() c", "a - on () c"},
      {"a - on(b) c", "a - on (b) c"},
      {"a - on(b) group_left(x) c", "a - on (b) group_left (x) c"},
      {"a - on(b) group_left(x, y) c", "a - on (b) group_left (x, y) c"},
      {"a - on(b) group_left c", "a - on (b) group_left () c"},
      {"a - on(b) group_left() (c)", "a - on (b) group_left () (c)"},
      {"a - ignoring(b) c", "a - ignoring (b) c"},
      {"a - ignoring() c", "a - c"},
      {"up > bool 0", "up > bool 0"},
      {"a and on(b) c", "a and on (b) c"},
      {"a or ignoring(b) c", "a or ignoring (b) c"},
      {"foo * ignoring(test,blub) group_right(bar) baz",
       "foo * ignoring (test, blub) group_right (bar) baz"},
      {"1 == bool 1", "1 == bool 1"},
      {"foo == bool 1", "foo == bool 1"},
      {"a > bool on(b) c", "a > bool on (b) c"},
  };
  for (const auto& [input, want] : cases) EXPECT_EQ(Printed(input), want) << input;
  ExprPtr e = MustParse("a + on(b) group_left(c) d");
  const auto& b = static_cast<BinaryExpr&>(*e);
  ASSERT_TRUE(b.matching.has_value());
  EXPECT_EQ(b.matching->card, Cardinality::kManyToOne);
  EXPECT_TRUE(b.matching->on);
  EXPECT_EQ(b.matching->matching_labels, std::vector<std::string>{"b"});
  EXPECT_EQ(b.matching->include, std::vector<std::string>{"c"});

  e = MustParse("a and b");
  EXPECT_EQ(static_cast<BinaryExpr&>(*e).matching->card, Cardinality::kManyToMany);
  e = MustParse("a * 2");
  EXPECT_FALSE(static_cast<BinaryExpr&>(*e).matching.has_value());
  EXPECT_EQ(e->type(), ValueType::kVector);
  e = MustParse("1 + 2");
  EXPECT_EQ(e->type(), ValueType::kScalar);
  e = MustParse("foo == bool 1");
  EXPECT_TRUE(static_cast<BinaryExpr&>(*e).return_bool);
}

TEST(ParserTest, ParenthesesAndComments) {
  EXPECT_EQ(Printed("(((foo)))"), "(((foo)))");
  EXPECT_EQ(Printed("(1 + 2) * 3"), "(1 + 2) * 3");
  EXPECT_EQ(Printed("sum(\n  rate(foo[5m]) # per second\n) by (job) # total"),
            "sum by (job) (rate(foo[5m]))");
  EXPECT_EQ(Printed("# leading comment\nfoo"), "foo");
  EXPECT_EQ(MustParse("(\"s\")")->type(), ValueType::kString);
}

TEST(ParserTest, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(Printed("a AND b OR c UNLESS d"), "a and b or c unless d");
  EXPECT_EQ(Printed("a + ON(b) GROUP_LEFT(c) d"), "a + on (b) group_left (c) d");
  EXPECT_EQ(Printed("a > BOOL b"), "a > bool b");
  EXPECT_EQ(Printed("SUM WITHOUT (x) (y)"), "sum without (x) (y)");
}

TEST(ParserTest, AcceptsNestingUpToTheLimit) {
  std::string deep =
      std::string(kMaxNestingDepth - 1, '(') + "1" + std::string(kMaxNestingDepth - 1, ')');
  EXPECT_TRUE(ParseExpr(deep).ok());
}

}  // namespace
}  // namespace strata::query
