// Tests for the errors of query/parser.h: positions ("line:column") and
// Prometheus' message texts, ported from promql/parser/parse_test.go.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/parser.h"

namespace strata::query {
namespace {

std::string ErrorOf(std::string_view input) {
  auto e = ParseExpr(input);
  if (e.ok()) return "<parsed>";
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(e.status().message());
}

struct ErrorCase {
  const char* input;
  const char* want;  // the whole message
};

void ExpectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) EXPECT_EQ(ErrorOf(c.input), c.want) << "input: " << c.input;
}

TEST(ParserErrorsTest, Syntax) {
  ExpectErrors({
      {"", "1:1: parse error: no expression found in input"},
      {"# just a comment", "1:1: parse error: no expression found in input"},
      {"1+", "1:3: parse error: unexpected end of input"},
      {".", "1:1: parse error: unexpected character: '.'"},
      {"2.5.", "1:4: parse error: unexpected character: '.'"},
      {"100..4", "1:5: parse error: unexpected number \".4\""},
      {"0deadbeef", "1:1: parse error: bad number or duration syntax: \"0de\""},
      {"1 /", "1:4: parse error: unexpected end of input"},
      {"*1", "1:1: parse error: unexpected <op:*>"},
      {"(1))", "1:5: parse error: unexpected right parenthesis ')'"},
      {"((1)", "1:5: parse error: unclosed left parenthesis"},
      {"999e999",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing "
       "\"999e999\": value out of range"},
      {"(", "1:2: parse error: unclosed left parenthesis"},
      {"1 and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"1 or 1", "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
      {"1 unless 1",
       "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
      {"1 !~ 1", "1:3: parse error: unexpected character after '!': '~'"},
      {"1 =~ 1", "1:3: parse error: unexpected character after '=': '~'"},
      {"-\"string\"",
       "1:1: parse error: unary expression only allowed on expressions of type "
       "scalar or instant vector, got \"string\""},
      {"-test[5m]",
       "1:1: parse error: unary expression only allowed on expressions of type "
       "scalar or instant vector, got \"range vector\""},
      {"*test", "1:1: parse error: unexpected <op:*>"},
      {"1 offset 1d",
       "1:1: parse error: offset modifier must be preceded by an instant vector "
       "selector or range vector selector or a subquery"},
      {"foo offset 1s offset 2s", "1:1: parse error: offset may not be set multiple times"},
      {"a - on(b) ignoring(c) d", "1:11: parse error: unexpected <ignoring>"},
      {"-=", "1:2: parse error: unexpected \"=\""},
      {"foo bar", "1:5: parse error: unexpected identifier \"bar\""},
      {"foo(", "1:5: parse error: unclosed left parenthesis"},
  });
}

TEST(ParserErrorsTest, BinaryOperandTypes) {
  ExpectErrors({
      {"foo and 1",
       "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"1 and foo",
       "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"foo or 1", "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
      {"foo unless 1",
       "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression"},
      {"1 or on(bar) foo",
       "1:1: parse error: vector matching only allowed between instant vectors"},
      {"foo == on(bar) 10",
       "1:1: parse error: vector matching only allowed between instant vectors"},
      {"foo + bool bar",
       "1:5: parse error: bool modifier can only be used on comparison operators"},
      {"foo + bool 10", "1:5: parse error: bool modifier can only be used on comparison operators"},
      {"foo and bool 10",
       "1:5: parse error: bool modifier can only be used on comparison operators"},
      {"foo and on(bar) group_left(baz) bar",
       "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"foo and on(bar) group_right(baz) bar",
       "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"foo or on(bar) group_left(baz) bar",
       "1:1: parse error: no grouping allowed for \"or\" operation"},
      {"foo unless on(bar) group_left(baz) bar",
       "1:1: parse error: no grouping allowed for \"unless\" operation"},
      {"http_requests{group=\"production\"} + on(instance) group_left(job,instance) "
       "cpu_count{type=\"smp\"}",
       "1:35: parse error: label \"instance\" must not occur in ON and GROUP clause at once"},
      {"foo + rate(bar[5m])[5m:1m]",
       "1:7: parse error: binary expression must contain only scalar and instant vector types"},
      {"foo[5m] + 1",
       "1:1: parse error: binary expression must contain only scalar and instant vector types"},
      {"\"a\" + 1",
       "1:1: parse error: binary expression must contain only scalar and instant vector types"},
  });
}

TEST(ParserErrorsTest, Selectors) {
  ExpectErrors({
      {"foo{", "1:5: parse error: unexpected end of input inside braces"},
      {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x=~\".*\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x!~\".+\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"foo{gibberish}",
       "1:14: parse error: unexpected \"}\" in label matching, expected label matching operator"},
      {"foo{1}", "1:5: parse error: unexpected character inside braces: '1'"},
      {"foo{__name__=\"bar\"}",
       "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
      {"foo{__name__= =}",
       "1:15: parse error: unexpected \"=\" in label matching, expected string"},
      {"foo{,}",
       "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
      {"foo{__name__ == \"bar\"}",
       "1:15: parse error: unexpected \"=\" in label matching, expected string"},
      {"foo{__name__=\"bar\" lol}",
       "1:20: parse error: unexpected identifier \"lol\" in label matching, expected \",\" or "
       "\"}\""},
      {"foo{a=\"b\"} bar", "1:12: parse error: unexpected identifier \"bar\""},
      {"foo{a=~\"(\"}", "1:5: parse error: error parsing regexp: missing ): ^(?:()$"},
      {"foo[5mm]", "1:5: parse error: bad duration syntax: \"5mm\""},
      {"foo[5m1]", "1:5: parse error: bad duration syntax: \"5m1\""},
      {"foo[5m:1m1]", "1:8: parse error: bad number or duration syntax: \"1m1\""},
      {"foo[5y1hs]", "1:5: parse error: not a valid duration string: \"5y1hs\""},
      {"foo[5m1h]", "1:5: parse error: not a valid duration string: \"5m1h\""},
      {"foo[5m1m]", "1:5: parse error: not a valid duration string: \"5m1m\""},
      {"foo[0m]", "1:5: parse error: duration must be greater than 0"},
      {"foo[]", "1:5: parse error: missing unit character in duration"},
      {"foo[1]", "1:5: parse error: missing unit character in duration"},
      {"some_metric[5m] OFFSET 1",
       "1:24: parse error: unexpected number \"1\" in offset, expected duration"},
      {"some_metric[5m] OFFSET 1mm", "1:24: parse error: bad number or duration syntax: \"1mm\""},
      {"some_metric[5m] OFFSET",
       "1:23: parse error: unexpected end of input in offset, expected duration"},
      {"some_metric OFFSET 1m[5m]", "1:22: parse error: no offset modifiers allowed before range"},
      {"some_metric[5m] @ 1m",
       "1:19: parse error: unexpected duration \"1m\" in @, expected timestamp"},
      {"some_metric[5m] @", "1:18: parse error: unexpected end of input in @, expected timestamp"},
      {"some_metric @ 1234 [5m]", "1:20: parse error: no @ modifiers allowed before range"},
      {"(foo + bar)[5m]", "1:12: parse error: ranges only allowed for vector selectors"},
      {"foo @ start() @ end()", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"foo @ Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
      {"foo @ -Inf", "1:1: parse error: timestamp out of bounds for @ modifier: -Inf"},
      {"foo @ NaN", "1:1: parse error: timestamp out of bounds for @ modifier: NaN"},
      {"rate(some_metric[5m]) @ 1234",
       "1:1: parse error: @ modifier must be preceded by an "
       "instant vector selector or range vector selector or a "
       "subquery"},
      {"start()", "1:6: parse error: unexpected \"(\""},
  });
}

TEST(ParserErrorsTest, Subqueries) {
  ExpectErrors({
      {"test[5d] OFFSET 10s [10m:5s]",
       "1:1: parse error: subquery is only allowed on instant vector, got matrix"},
      {"(foo + bar{nm=\"val\"})[5m:][10m:5s]",
       "1:1: parse error: subquery is only allowed on instant vector, got matrix"},
      {"rate(food[1m])[1h] offset 1h",
       "1:15: parse error: ranges only allowed for vector selectors"},
      {"rate(food[1m])[1h] @ 100", "1:15: parse error: ranges only allowed for vector selectors"},
      {"foo[5m:1m", "1:10: parse error: unclosed left bracket"},
      {"foo[5m:1m 1m]",
       "1:11: parse error: unexpected duration \"1m\" in subquery selector, "
       "expected \"]\""},
      {"foo[5m 1m]",
       "1:8: parse error: unexpected duration \"1m\" in subquery or range, expected \":\" or "
       "\"]\""},
      {"foo[5m:1]",
       "1:8: parse error: unexpected number \"1\" in subquery selector, expected duration or "
       "\"]\""},
      {"foo[5m:]]", "1:9: parse error: unexpected right bracket ']'"},
  });
}

TEST(ParserErrorsTest, Aggregations) {
  ExpectErrors({
      {"sum without(==)(some_metric)",
       "1:13: parse error: unexpected <op:==> in grouping opts, expected label"},
      {"sum without(,)(some_metric)",
       "1:13: parse error: unexpected \",\" in grouping opts, expected label"},
      {"sum without(foo,,)(some_metric)",
       "1:17: parse error: unexpected \",\" in grouping opts, expected label"},
      {"sum some_metric by (test)",
       "1:5: parse error: unexpected identifier \"some_metric\" in aggregation"},
      {"sum (some_metric) by test",
       "1:22: parse error: unexpected identifier \"test\" in grouping opts, expected \"(\""},
      {"sum () by (test)", "1:1: parse error: no arguments for aggregate expression provided"},
      {"MIN keep_common (some_metric)",
       "1:5: parse error: unexpected identifier \"keep_common\" in aggregation"},
      {"MIN (some_metric) keep_common", "1:19: parse error: unexpected identifier \"keep_common\""},
      {"sum (some_metric) without (test) by (test)", "1:34: parse error: unexpected <by>"},
      {"sum without (test) (some_metric) by (test)", "1:34: parse error: unexpected <by>"},
      {"topk(some_metric)",
       "1:1: parse error: wrong number of arguments for aggregate expression "
       "provided, expected 2, got 1"},
      {"topk(some_metric,)",
       "1:17: parse error: trailing commas not allowed in function call args"},
      {"topk(some_metric, other_metric)",
       "1:6: parse error: expected type scalar in aggregation parameter, got instant vector"},
      {"count_values(5, other_metric)",
       "1:14: parse error: expected type string in aggregation parameter, got scalar"},
      {"sum(foo[5m])",
       "1:5: parse error: expected type instant vector in aggregation expression, got range "
       "vector"},
      {"sum by (a:b) (foo)",
       "1:9: parse error: unexpected metric identifier \"a:b\" in grouping "
       "opts, expected label"},
      {"sum by (a b) (foo)",
       "1:11: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\""},
  });
}

TEST(ParserErrorsTest, FunctionCalls) {
  ExpectErrors({
      {"floor()", "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 0"},
      {"floor(some_metric, other_metric)",
       "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
      {"floor(some_metric, 1)",
       "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
      {"floor(1)",
       "1:7: parse error: expected type instant vector in call to function \"floor\", got scalar"},
      {"hour(some_metric, some_metric, some_metric)",
       "1:1: parse error: expected at most 1 argument(s) in call to \"hour\", got 3"},
      {"time(some_metric)", "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"},
      {"non_existent_function_far_bar()",
       "1:1: parse error: unknown function with name \"non_existent_function_far_bar\""},
      {"rate(some_metric)",
       "1:6: parse error: expected type range vector in call to function "
       "\"rate\", got instant vector"},
      {"label_replace(a, `b`, `c\xff`, `d`, `.*`)", "1:23: parse error: invalid UTF-8 rune"},
      {"label_join()",
       "1:1: parse error: expected at least 3 argument(s) in call to "
       "\"label_join\", got 0"},
      {"label_join(x, \"a\", \",\", 1)",
       "1:25: parse error: expected type string in call to "
       "function \"label_join\", got scalar"},
      {"round(x, 1, 2)",
       "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3"},
      {"histogram_quantile(x, y)",
       "1:20: parse error: expected type scalar in call to function "
       "\"histogram_quantile\", got instant vector"},
      {"rate(x[5m],)", "1:11: parse error: trailing commas not allowed in function call args"},
      {"rate(x[5m] x)", "1:12: parse error: unexpected identifier \"x\""},
  });
}

TEST(ParserErrorsTest, StringsAndEscapes) {
  ExpectErrors({
      {"\"\\q\"", "1:1: parse error: unknown escape sequence U+0071 'q'"},
      {"'abc", "1:1: parse error: unterminated quoted string"},
      {"`abc", "1:1: parse error: unterminated raw string"},
      {"foo{a=\"b\nc\"}", "1:7: parse error: unterminated quoted string"},
  });
}

TEST(ParserErrorsTest, ReportsLineAndColumnOnLaterLines) {
  EXPECT_EQ(ErrorOf("sum(\n  rate(foo[5m]\n)"), "3:2: parse error: unclosed left parenthesis");
  EXPECT_EQ(ErrorOf("sum(\n  rate(foo[5m]\n)\n)  )"),
            "4:5: parse error: unexpected right parenthesis ')'");
  EXPECT_EQ(ErrorOf("foo +\n\n  bar baz"), "3:7: parse error: unexpected identifier \"baz\"");
  EXPECT_EQ(ErrorOf("1 +\n# comment\n  rate(x)"),
            "3:8: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
}

TEST(ParserErrorsTest, RejectsNestingBeyondTheLimit) {
  const int n = kMaxNestingDepth + 1;
  const std::string want_prefix = "parse error: expression nested too deeply";
  EXPECT_THAT(ErrorOf(std::string(n, '(') + "1" + std::string(n, ')')),
              ::testing::HasSubstr(want_prefix));
  EXPECT_THAT(ErrorOf(std::string(100000, '-') + "1"), ::testing::HasSubstr(want_prefix));
  std::string chain = "1";
  for (int i = 0; i < 100000; ++i) chain += " + 1";
  EXPECT_THAT(ErrorOf(chain), ::testing::HasSubstr(want_prefix));
  std::string calls;
  for (int i = 0; i < 100000; ++i) calls += "abs(";
  EXPECT_THAT(ErrorOf(calls + "x" + std::string(100000, ')')), ::testing::HasSubstr(want_prefix));
  EXPECT_THAT(ErrorOf(std::string(100000, '(')), ::testing::HasSubstr(want_prefix));
}

}  // namespace
}  // namespace strata::query
