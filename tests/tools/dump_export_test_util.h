// Helpers shared by dump_test.cc and export_test.cc (one test binary):
// run the strata binary, write a Strata data directory with blocks and a
// head, and fingerprint a directory tree to prove a tool left it alone.
#ifndef STRATA_TESTS_TOOLS_DUMP_EXPORT_TEST_UTIL_H_
#define STRATA_TESTS_TOOLS_DUMP_EXPORT_TEST_UTIL_H_

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "strata/db.h"
#include "tests/testing/process.h"

namespace strata::tools::test {

inline std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// Runs `strata <args>`; stdout only unless `args` redirects stderr.
inline testing::CommandResult Strata(const std::string& args) {
  return testing::RunCommand(std::string(STRATA_BINARY) + " " + args);
}

// "path size mtime_ns content-hash" per file, sorted: equal before and
// after means nothing was created, removed, grown, touched or rewritten.
inline std::string TreeFingerprint(const std::string& dir) {
  std::vector<std::string> lines;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0) continue;
    std::ostringstream line;
    line << std::filesystem::relative(e.path(), dir).string() << " " << st.st_mode << " ";
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      line << st.st_size << " " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " "
           << std::hash<std::string>()(content.str());
    }
    lines.push_back(line.str());
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

inline void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

// What WriteStrataDir stores: labels text as promtool prints it, then
// (timestamp, value) in order.
using ExpectedSeries = std::map<std::string, std::vector<std::pair<int64_t, double>>>;

inline constexpr int64_t kHourMs = 3600 * 1000;

// A data directory with blocks and a head: three `requests_total` series
// and one `special_values` series with values whose text formats are
// tricky (1e+06, 1.5e-05, -0.25, +Inf, a staleness marker). 0..3h go
// through Compact() into blocks; 3h..3.5h stay in the head (WAL). Fills
// `expected` with every stored sample.
inline void WriteStrataDir(const std::string& dir, ExpectedSeries* expected) {
  Options options;
  options.background_compaction = false;
  options.block_range_ms = kHourMs;
  options.retention_ms = 0;
  auto db = DB::Open(options, dir);
  ASSERT_TRUE(db.ok()) << db.status();
  const char* const jobs[] = {"api", "db", "web"};
  auto append = [&](int64_t from, int64_t to) {
    auto app = (*db)->NewAppender();
    for (int64_t t = from; t < to; t += 60 * 1000) {
      for (const char* job : jobs) {
        const double v = static_cast<double>(t / 60000 % 1000);
        ASSERT_TRUE(app->Append({{"__name__", "requests_total"}, {"job", job}}, t, v).ok());
        (*expected)[std::string("{__name__=\"requests_total\", job=\"") + job + "\"}"].push_back(
            {t, v});
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  };
  append(0, 3 * kHourMs);
  {
    double stale;
    const uint64_t bits = kStaleNaNBits;
    std::memcpy(&stale, &bits, sizeof stale);
    const std::vector<std::pair<int64_t, double>> special = {
        {1000, 1e6},   {2000, 1.5e-05},
        {3000, -0.25}, {4000, 123456},
        {5000, 1e21},  {6000, 0.1},
        {7000, stale}, {8000, std::numeric_limits<double>::infinity()},
        {9000, -0.0}};
    auto app = (*db)->NewAppender();
    for (const auto& [t, v] : special) {
      ASSERT_TRUE(app->Append({{"__name__", "special_values"}, {"path", "a\"b\\c"}}, t, v).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
    (*expected)["{__name__=\"special_values\", path=\"a\\\"b\\\\c\"}"] = special;
  }
  ASSERT_TRUE((*db)->Compact().ok());
  append(3 * kHourMs, 3 * kHourMs + kHourMs / 2);
  const DBStats stats = (*db)->Stats();
  EXPECT_GE(stats.blocks, 1u);
  EXPECT_GT(stats.head_series, 0u);
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace strata::tools::test

#endif  // STRATA_TESTS_TOOLS_DUMP_EXPORT_TEST_UTIL_H_
