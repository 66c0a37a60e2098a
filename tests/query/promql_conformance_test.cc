// Runs Prometheus' own PromQL test scripts (../shared/promql-testdata, see
// FORMAT.md there) through query::RunTestScript against a real strata::DB:
// the v2.42 set with Compat::kPrometheus2 and the newest set with
// Compat::kPrometheus3, and Strata's own scripts (tests/query/testdata/
// *.test) with both.
//
// tests/query/testdata_expected_failures.txt lists the evals known to fail
// ("<set>/<file>:<line> <reason>", set = v2.42 or head). Every eval not
// listed must pass; listed evals that now pass are reported so the list can
// shrink. Native-histogram evals of the newest set (group B of
// eval-index.tsv) are skipped and counted as skipped.
//
// STRATA_PROMQL_WRITE_FAILURES=<file> writes the current failures in the
// list's format (to regenerate the list after a deliberate change).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "query/test_script.h"
#include "strata/db.h"
#include "tests/query/promql_testdata.h"

namespace strata::query {
namespace {

namespace fs = std::filesystem;

using testdata::ExpectedFailures;
using testdata::NativeHistogramEvals;
using testdata::ScriptsIn;

fs::path TestdataDir() { return testdata::SharedDir(); }

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "strata_promql_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct SetResult {
  int passed = 0, failed = 0, skipped = 0;
  int unexpected = 0;  // failures not in the list
  int fixed = 0;       // listed but passing
};

SetResult RunSet(const std::string& set, const fs::path& dir, Compat compat) {
  const std::map<std::string, std::string> expected = ExpectedFailures();
  const std::map<std::string, std::set<int>> native =
      set == "head" ? NativeHistogramEvals() : std::map<std::string, std::set<int>>();
  const std::vector<fs::path> files = ScriptsIn(dir);
  TempDir tmp;
  const std::string db_dir = tmp.path() + "/db";
  DBFactory factory = [&]() -> StatusOr<std::unique_ptr<DB>> {
    std::error_code ec;
    fs::remove_all(db_dir, ec);
    Options o;
    o.background_compaction = false;
    o.retention_ms = 0;
    o.wal_sync = WalSyncPolicy::kNever;
    o.out_of_order_window_ms = 10 * 365 * 24 * 3600 * 1000ll;
    return DB::Open(o, db_dir);
  };
  std::ofstream write_failures;
  if (const char* p = std::getenv("STRATA_PROMQL_WRITE_FAILURES")) {
    write_failures.open(p, std::ios::app);
  }
  SetResult total;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    ScriptOptions options;
    options.engine.compat = compat;
    // Several threads, so that the parallel series loops run too.
    options.engine.threads = 3;
    options.v242_tolerance = set == "v2.42";
    options.range_check = true;
    options.at_variants = true;
    const std::string name = file.filename().string();
    auto nh = native.find(name);
    if (nh != native.end()) {
      const std::set<int>* lines = &nh->second;
      options.skip = [lines](int line) -> std::string {
        return lines->count(line) ? "native histograms" : "";
      };
    }
    StatusOr<ScriptReport> report = RunTestScript(text.str(), factory, options);
    if (!report.ok()) {
      ADD_FAILURE() << set << "/" << name << ": " << report.status();
      continue;
    }
    int unexpected = 0, fixed = 0;
    for (const EvalOutcome& e : report->evals) {
      const std::string key = set + "/" + name + ":" + std::to_string(e.line);
      const bool listed = expected.count(key) > 0;
      if (e.status == EvalOutcome::Status::kFail) {
        if (write_failures.is_open()) {
          std::string msg = e.message.substr(0, e.message.find('\n'));
          if (msg.size() > 160) msg = msg.substr(0, 160) + "...";
          write_failures << key << " " << msg << "\n";
        }
        if (!listed) {
          ++unexpected;
          ADD_FAILURE() << key << ": " << e.expr << "\n  " << e.message;
        }
      } else if (e.status == EvalOutcome::Status::kPass && listed) {
        ++fixed;
        std::cout << "  listed as failing but passes now: " << key << ": " << e.expr << "\n";
      }
    }
    std::cout << set << "/" << name << ": pass " << report->passed << " fail " << report->failed
              << " skip " << report->skipped << "\n";
    total.passed += report->passed;
    total.failed += report->failed;
    total.skipped += report->skipped;
    total.unexpected += unexpected;
    total.fixed += fixed;
  }
  std::cout << set << " total: pass " << total.passed << " fail " << total.failed << " skip "
            << total.skipped << " (unexpected failures " << total.unexpected
            << ", listed but passing " << total.fixed << ")\n";
  return total;
}

TEST(PromqlConformanceTest, V242SetWithPrometheus2Semantics) {
  const fs::path dir = TestdataDir() / "v2.42";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " not found";
  const SetResult r = RunSet("v2.42", dir, Compat::kPrometheus2);
  RecordProperty("passed", r.passed);
  RecordProperty("failed", r.failed);
  EXPECT_GT(r.passed, 0);
}

TEST(PromqlConformanceTest, NewestSetWithPrometheus3Semantics) {
  const fs::path dir = TestdataDir();
  if (!fs::exists(dir / "functions.test")) GTEST_SKIP() << dir << " not found";
  const SetResult r = RunSet("head", dir, Compat::kPrometheus3);
  RecordProperty("passed", r.passed);
  RecordProperty("failed", r.failed);
  EXPECT_GT(r.passed, 0);
}

// Strata's own scripts (tests/query/testdata/*.test, e.g. cases for
// functions that Prometheus' scripts test only on native histograms) hold
// for both dialects.
TEST(PromqlConformanceTest, OwnScriptsWithBothSemantics) {
  const fs::path dir = testdata::OwnDir();
  ASSERT_FALSE(ScriptsIn(dir).empty()) << dir;
  for (Compat compat : {Compat::kPrometheus2, Compat::kPrometheus3}) {
    const SetResult r = RunSet("own", dir, compat);
    EXPECT_GT(r.passed, 0);
    EXPECT_EQ(r.failed, 0);
  }
}

}  // namespace
}  // namespace strata::query
