// Parses every query of Prometheus' own PromQL test scripts
// (../shared/promql-testdata, see FORMAT.md there): the expression after
// `eval[_fail|_ordered|...] instant at <t>` or `... range from <a> to <b>
// step <s>`. All of them are syntactically valid for their Prometheus
// version, so every v2.42 query must parse; the newest set also uses
// features newer than 2.42, and the test reports how many of those parse.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "query/parser.h"
#include "query/printer.h"

namespace strata::query {
namespace {

namespace fs = std::filesystem;

struct EvalQuery {
  std::string location;  // file:line
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

fs::path TestdataDir() { return fs::path(STRATA_SOURCE_DIR) / ".." / "shared" / "promql-testdata"; }

std::vector<EvalQuery> QueriesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<EvalQuery> out;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::string expr = EvalExpression(Trim(line));
      if (!expr.empty()) out.push_back({file.filename().string() + ":" + std::to_string(n), expr});
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

}  // namespace
}  // namespace strata::query
