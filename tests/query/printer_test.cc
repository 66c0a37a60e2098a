// Tests for query/printer.h: the printed form parses back to the same tree
// and prints identically.
#include "query/printer.h"

#include <string>

#include "gtest/gtest.h"
#include "query/parser.h"

namespace strata::query {
namespace {

constexpr const char* kExpressions[] = {
    "rate(http_requests_total[5m])",
    "sum by (status) (rate(http_requests_total[5m]))",
    "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "100 - (avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m])) * 100)",
    "(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100",
    "sum(increase(x_total[24h]))",
    "up == 0",
    "-1 ^ 2",
    "-(1) ^ 2",
    "2 ^ -3 ^ 2",
    "a - -b",
    "- - a",
    "a or b and c unless d",
    "foo + on(bar) group_left(baz) qux",
    "foo + ignoring() group_left() qux",
    "x > bool on(a) group_right y",
    "topk(5, sum without (instance) (rate(foo[1m])))",
    "count_values(\"va\\\"l\", foo)",
    "foo{a=\"b\", c!=\"d\", e=~\"f.*\", g!~'h\\n'}",
    "{__name__=~\"job:.*\", a=\"\\xff\"}",
    "foo offset -5m @ 1609746000.5",
    "foo @ start() offset 1h30m",
    "rate(foo[5m] @ end())[1h:5m] offset 1d",
    "min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]",
    "0x1F + 1e3 - .5 * Inf / NaN % -inf",
    "1e-7 + 123456789 + 0.1 + -0",
    "label_replace(up, \"dst\", \"$1\", \"src\", `(.*)`)",
    "\"a\\\"b\\\\c\\n\\u00e4\\x41\\101\\a\"",
    "sum(sum) + min + and + offset",
    "foo atan2 bar",
    "vector(time()) + pi()",
    "(foo)[5m:] @ 100",
    "Inf ^ 1",  // found by the fuzzer: printed "+Inf ^ 1" re-read as +(Inf ^ 1)
};

TEST(PrinterTest, OutputParsesBackAndPrintsIdentically) {
  for (const char* input : kExpressions) {
    auto first = ParseExpr(input);
    ASSERT_TRUE(first.ok()) << input << ": " << first.status();
    const std::string printed = Print(**first);
    auto second = ParseExpr(printed);
    ASSERT_TRUE(second.ok()) << printed << ": " << second.status();
    EXPECT_EQ(Print(**second), printed) << input;
  }
}

TEST(PrinterTest, PrintsCanonicalForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"sum(x) by (a,b)", "sum by (a, b) (x)"},
      {"a+b", "a + b"},
      {"foo{b=\"1\",a=\"2\"}", "foo{a=\"2\",b=\"1\"}"},
      {"foo @ 1609746000.5", "foo @ 1609746000.500"},
      {"x[90m]", "x[1h30m]"},
      {"x[7d]", "x[1w]"},
      {"x[8d]", "x[8d]"},
      {"'it''s'", "<error>"},
      {"Inf ^ 1", "(+Inf) ^ 1"},
      {"-Inf ^ 1", "-(+Inf) ^ 1"},  // -(Inf ^ 1)
  };
  for (const auto& [input, want] : cases) {
    auto e = ParseExpr(input);
    EXPECT_EQ(e.ok() ? Print(**e) : "<error>", want) << input;
  }
}

TEST(PrinterTest, AppendsMatchersWithGoQuoting) {
  std::string out;
  AppendMatcher({"job", MatchType::kRegexNoMatch, "a\"b\n"}, &out);
  EXPECT_EQ(out, "job!~\"a\\\"b\\n\"");
}

}  // namespace
}  // namespace strata::query
