// The PromQL test scripts that query_test runs and what it expects of their
// evals, shared by promql_conformance_test.cc (which runs them) and
// promql_testdata_test.cc (which parses them and checks that every
// function of the table has a case):
//   - ../shared/promql-testdata/*.test, Prometheus' newest set ("head"),
//     run with Compat::kPrometheus3; its native-histogram evals (group B of
//     eval-index.tsv) are skipped;
//   - ../shared/promql-testdata/v2.42/*.test ("v2.42"), run with
//     Compat::kPrometheus2;
//   - tests/query/testdata/*.test, Strata's own scripts in the same
//     language ("own"), run with both.
// tests/query/testdata_expected_failures.txt lists the evals known to fail.
#ifndef STRATA_TESTS_QUERY_PROMQL_TESTDATA_H_
#define STRATA_TESTS_QUERY_PROMQL_TESTDATA_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace strata::query::testdata {

inline std::filesystem::path SharedDir() {
  return std::filesystem::path(STRATA_SOURCE_DIR) / ".." / "shared" / "promql-testdata";
}

inline std::filesystem::path OwnDir() {
  return std::filesystem::path(STRATA_SOURCE_DIR) / "tests" / "query" / "testdata";
}

// The *.test files directly in `dir`, sorted by name.
inline std::vector<std::filesystem::path> ScriptsIn(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "<set>/<file>:<line>" -> reason, from testdata_expected_failures.txt.
inline std::map<std::string, std::string> ExpectedFailures() {
  std::map<std::string, std::string> out;
  std::ifstream in(std::filesystem::path(STRATA_SOURCE_DIR) / "tests" / "query" /
                   "testdata_expected_failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find(' ');
    out[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  return out;
}

// Lines of the newest set's evals that read native histograms (group B of
// eval-index.tsv), by file name.
inline std::map<std::string, std::set<int>> NativeHistogramEvals() {
  std::map<std::string, std::set<int>> out;
  std::ifstream in(SharedDir() / "eval-index.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() >= 7 && !cols[6].empty()) out[cols[0]].insert(std::stoi(cols[1]));
  }
  return out;
}

}  // namespace strata::query::testdata

#endif  // STRATA_TESTS_QUERY_PROMQL_TESTDATA_H_
