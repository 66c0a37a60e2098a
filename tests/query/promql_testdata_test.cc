// Parses every query of Prometheus' own PromQL test scripts
// (../shared/promql-testdata, see FORMAT.md there): the expression after
// `eval[_fail|_ordered|...] instant at <t>` or `... range from <a> to <b>
// step <s>`. All of them are syntactically valid for their Prometheus
// version, so every v2.42 query must parse; the newest set also uses
// features newer than 2.42, and the test reports how many of those parse.
// It also checks that every function of the table (query/functions.h) is
// called by an eval that runs.
#include "tests/query/promql_testdata.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "query/ast.h"
#include "query/functions.h"
#include "query/parser.h"
#include "query/printer.h"

namespace strata::query {
namespace {

namespace fs = std::filesystem;

struct EvalQuery {
  std::string location;  // file:line
  std::string file;      // file name
  int line = 0;
  std::string expr;
};

std::string Trim(std::string s) {
  const char* ws = " \t\r";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

// Returns the expression of an eval command line, or "" for other lines.
std::string EvalExpression(const std::string& line) {
  std::istringstream in(line);
  std::string command, kind;
  in >> command >> kind;
  if (command.rfind("eval", 0) != 0) return "";
  int words_before_expr = 0;
  if (kind == "instant") words_before_expr = 2;  // at <time>
  if (kind == "range") words_before_expr = 6;    // from <a> to <b> step <s>
  for (int i = 0; i < words_before_expr; ++i) {
    std::string word;
    in >> word;
  }
  std::string rest;
  std::getline(in, rest);
  return Trim(rest);
}

fs::path TestdataDir() { return testdata::SharedDir(); }

std::vector<EvalQuery> QueriesIn(const fs::path& dir) {
  std::vector<EvalQuery> out;
  for (const fs::path& file : testdata::ScriptsIn(dir)) {
    std::ifstream in(file);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::string expr = EvalExpression(Trim(line));
      if (expr.empty()) continue;
      const std::string name = file.filename().string();
      out.push_back({name + ":" + std::to_string(n), name, n, expr});
    }
  }
  return out;
}

TEST(PromqlTestdataTest, ExtractsTheExpressionOfEvalLines) {
  EXPECT_EQ(EvalExpression("eval instant at 50m sum(x) by (job)"), "sum(x) by (job)");
  EXPECT_EQ(EvalExpression("eval_fail instant at 0m ceil(x)"), "ceil(x)");
  EXPECT_EQ(EvalExpression("eval range from 0 to 10m step 1m  rate(x[5m]) "), "rate(x[5m])");
  EXPECT_EQ(EvalExpression("load 5m"), "");
}

TEST(PromqlTestdataTest, EveryV242QueryParsesAndRoundTrips) {
  const fs::path dir = TestdataDir() / "v2.42";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " not found";
  const std::vector<EvalQuery> queries = QueriesIn(dir);
  ASSERT_GT(queries.size(), 500u);
  int parsed = 0;
  for (const EvalQuery& q : queries) {
    auto expr = ParseExpr(q.expr);
    if (!expr.ok()) {
      ADD_FAILURE() << q.location << ": " << q.expr << "\n  " << expr.status();
      continue;
    }
    const std::string printed = Print(**expr);
    auto again = ParseExpr(printed);
    ASSERT_TRUE(again.ok()) << q.location << ": " << printed << "\n  " << again.status();
    EXPECT_EQ(Print(**again), printed) << q.location;
    ++parsed;
  }
  std::cout << "v2.42 set: " << parsed << " of " << queries.size() << " queries parse\n";
  RecordProperty("v242_parsed", parsed);
  EXPECT_EQ(parsed, static_cast<int>(queries.size()));
}

TEST(PromqlTestdataTest, CountsNewestSetQueriesThatParse) {
  const fs::path dir = TestdataDir();
  if (!fs::exists(dir / "functions.test")) GTEST_SKIP() << dir << " not found";
  const std::vector<EvalQuery> queries = QueriesIn(dir);
  ASSERT_GT(queries.size(), 1000u);
  int parsed = 0;
  for (const EvalQuery& q : queries) {
    auto expr = ParseExpr(q.expr);
    if (expr.ok()) {
      ++parsed;
    } else {
      std::cout << "  newer than 2.42? " << q.location << ": " << q.expr << "\n    "
                << expr.status().message() << "\n";
    }
  }
  std::cout << "newest set: " << parsed << " of " << queries.size() << " queries parse\n";
  RecordProperty("newest_parsed", parsed);
  // The rest use syntax added after 2.42: numbers and arithmetic as
  // durations, `anchored`/`smoothed`, fill modifiers, info(), limitk(), ...
  EXPECT_GE(parsed * 10, static_cast<int>(queries.size()) * 7);
}

// Adds the name of every function called in `e` to `out`.
void CollectCalls(const Expr& e, std::set<std::string>* out) {
  switch (e.kind()) {
    case ExprKind::kCall: {
      const auto& c = static_cast<const Call&>(e);
      out->emplace(c.func->name);
      for (const ExprPtr& a : c.args) CollectCalls(*a, out);
      break;
    }
    case ExprKind::kAggregate: {
      const auto& a = static_cast<const AggregateExpr&>(e);
      CollectCalls(*a.expr, out);
      if (a.param) CollectCalls(*a.param, out);
      break;
    }
    case ExprKind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      CollectCalls(*b.lhs, out);
      CollectCalls(*b.rhs, out);
      break;
    }
    case ExprKind::kParen:
      CollectCalls(*static_cast<const ParenExpr&>(e).expr, out);
      break;
    case ExprKind::kUnary:
      CollectCalls(*static_cast<const UnaryExpr&>(e).expr, out);
      break;
    case ExprKind::kSubquery:
      CollectCalls(*static_cast<const SubqueryExpr&>(e).expr, out);
      break;
    case ExprKind::kMatrixSelector:
    case ExprKind::kVectorSelector:
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
      break;
  }
}

TEST(PromqlTestdataTest, CollectsTheCalledFunctions) {
  std::set<std::string> calls;
  auto e = ParseExpr("sum(rate(x[5m])) / -(abs(y) + scalar(max_over_time(z[1h:1m])))");
  ASSERT_TRUE(e.ok()) << e.status();
  CollectCalls(**e, &calls);
  EXPECT_EQ(calls, (std::set<std::string>{"abs", "max_over_time", "rate", "scalar"}));
}

// Adding a function is one table entry plus a `.test` case: every function
// of the table is called by at least one eval that the conformance run
// executes and expects to pass, in Prometheus' scripts (not a skipped
// native-histogram eval, not a listed failure) or in Strata's own
// (tests/query/testdata, see promql_testdata.h).
TEST(PromqlTestdataTest, EveryFunctionOfTheTableHasATestCase) {
  if (!fs::exists(TestdataDir() / "functions.test")) GTEST_SKIP() << TestdataDir() << " not found";
  const std::map<std::string, std::string> failing = testdata::ExpectedFailures();
  const std::map<std::string, std::set<int>> native = testdata::NativeHistogramEvals();
  std::map<std::string, int> cases;          // function -> evals that test it
  std::map<std::string, int> skipped_cases;  // function -> evals that do not run or fail
  const std::pair<std::string, fs::path> sets[] = {
      {"head", TestdataDir()}, {"v2.42", TestdataDir() / "v2.42"}, {"own", testdata::OwnDir()}};
  for (const auto& [set, dir] : sets) {
    for (const EvalQuery& q : QueriesIn(dir)) {
      auto expr = ParseExpr(q.expr);
      if (!expr.ok()) continue;  // syntax newer than 2.42 (listed as failing)
      std::set<std::string> calls;
      CollectCalls(**expr, &calls);
      auto nh = native.find(q.file);
      const bool runs = failing.count(set + "/" + q.location) == 0 &&
                        !(set == "head" && nh != native.end() && nh->second.count(q.line) > 0);
      for (const std::string& f : calls) ++(runs ? cases : skipped_cases)[f];
    }
  }
  for (const Function& f : AllFunctions()) {
    const std::string name(f.name);
    EXPECT_GT(cases[name], 0) << name << " has no eval in the PromQL test scripts that runs ("
                              << skipped_cases[name]
                              << " skipped or failing); add one to tests/query/testdata/";
  }
}

}  // namespace
}  // namespace strata::query
