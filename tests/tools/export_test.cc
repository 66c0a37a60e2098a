// Tests of `strata export`, driven as the real binary: blocks that promtool
// and Strata read with the same samples (head and deletions included), the
// source left byte-for-byte alone, OpenMetrics equal to `strata dump`'s,
// and usage errors.
#include <cmath>

#include "gtest/gtest.h"
#include "tests/testing/prometheus_fixture.h"
#include "tests/tools/dump_export_test_util.h"

namespace strata::tools::test {
namespace {

using testing::CommandResult;
using testing::HaveProgram;
using testing::RunCommand;
using testing::TempDir;

// Every sample of `dir` through Strata's own reader, as "labels t bits".
std::vector<std::string> ReadWithStrata(const std::string& dir) {
  std::vector<std::string> out;
  Options options;
  options.read_only = true;
  options.background_compaction = false;
  options.retention_ms = 0;
  auto db = DB::Open(options, dir);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return out;
  auto q = (*db)->NewQuerier(INT64_MIN, INT64_MAX);
  EXPECT_TRUE(q.ok());
  std::vector<LabelMatcher> all = {{LabelMatcher::Type::kRegexMatch, "__name__", ".+"}};
  auto set = (*q)->Select(all);
  EXPECT_TRUE(set.ok());
  while ((*set)->Next()) {
    std::string labels;
    for (const Label& l : (*set)->labels()) labels += l.name + "=" + l.value + ",";
    auto it = (*set)->NewIterator();
    while (it->Next()) {
      const double v = it->value();
      uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      out.push_back(labels + " " + std::to_string(it->timestamp_ms()) + " " + std::to_string(bits));
    }
  }
  return out;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = tmp_.path() + "/data";
    WriteStrataDir(src_, &expected_);
    // A deletion in a block (job="db" before 30m) and in the head (job="web"
    // after 3h10m): export must apply both.
    Options options;
    options.background_compaction = false;
    options.block_range_ms = kHourMs;
    options.retention_ms = 0;
    auto db = DB::Open(options, src_);
    ASSERT_TRUE(db.ok());
    std::vector<LabelMatcher> db_job = {{LabelMatcher::Type::kEqual, "job", "db"}};
    std::vector<LabelMatcher> web_job = {{LabelMatcher::Type::kEqual, "job", "web"}};
    ASSERT_TRUE((*db)->Delete(0, 30 * 60 * 1000, db_job).ok());
    ASSERT_TRUE((*db)->Delete(3 * kHourMs + 10 * 60 * 1000, INT64_MAX, web_job).ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  TempDir tmp_{"strata_export_test"};
  std::string src_;
  ExpectedSeries expected_;
};

TEST_F(ExportTest, ToBlocksIsReadByPromtoolAndStrataAndLeavesTheSourceAlone) {
  const CommandResult dump = Strata("dump " + src_);
  ASSERT_EQ(dump.exit_code, 0);
  // The deletions show in what dump reads.
  EXPECT_EQ(dump.output.find("job=\"db\"} 5 300000\n"), std::string::npos);
  EXPECT_NE(dump.output.find("job=\"db\"} 31 1860000\n"), std::string::npos);
  EXPECT_EQ(dump.output.find("job=\"web\"} 195 11700000\n"), std::string::npos);
  EXPECT_NE(dump.output.find("job=\"api\"} 195 11700000\n"), std::string::npos);

  const std::string before = TreeFingerprint(src_);
  const std::string out = tmp_.path() + "/out";
  const CommandResult r = Strata("export " + src_ + " --to-blocks " + out + " --json 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"blocks\":"), std::string::npos) << r.output;
  EXPECT_EQ(TreeFingerprint(src_), before);
  // An empty WAL, so Prometheus and promtool take OUT as a data directory.
  EXPECT_TRUE(std::filesystem::is_directory(out + "/wal"));
  EXPECT_TRUE(std::filesystem::is_empty(out + "/wal"));

  EXPECT_EQ(ReadWithStrata(out), ReadWithStrata(src_));
  EXPECT_EQ(Strata("dump " + out).output, dump.output);
  if (!HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  EXPECT_EQ(RunCommand("promtool tsdb analyze " + out + " >/dev/null 2>&1").exit_code, 0);
  const CommandResult promtool = RunCommand("promtool tsdb dump " + out);
  ASSERT_EQ(promtool.exit_code, 0);
  EXPECT_TRUE(promtool.output == dump.output) << "promtool tsdb dump of the export differs";
}

// Hard links cannot cross file systems; the blocks are copied instead.
TEST_F(ExportTest, ToBlocksOnAnotherFileSystemCopies) {
  struct stat src_stat, shm_stat;
  if (::stat(src_.c_str(), &src_stat) != 0 || ::stat("/dev/shm", &shm_stat) != 0 ||
      src_stat.st_dev == shm_stat.st_dev) {
    GTEST_SKIP() << "no second file system at /dev/shm";
  }
  char shm_template[] = "/dev/shm/strata_export_test_XXXXXX";
  ASSERT_NE(::mkdtemp(shm_template), nullptr);
  const std::string out = std::string(shm_template) + "/out";
  const std::string before = TreeFingerprint(src_);
  const CommandResult r = Strata("export " + src_ + " --to-blocks " + out + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"files_linked\":0,"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("\"files_copied\":0,"), std::string::npos) << r.output;
  EXPECT_EQ(TreeFingerprint(src_), before);
  EXPECT_EQ(ReadWithStrata(out), ReadWithStrata(src_));
  std::filesystem::remove_all(shm_template);
}

TEST(ExportFixtureTest, PrometheusDirectoryToBlocksKeepsEverySample) {
  TempDir tmp("strata_export_test");
  const std::string src = tmp.path() + "/data", out = tmp.path() + "/out";
  CopyTree(testing::PrometheusFixtureDataDir(), src);
  const std::string before = TreeFingerprint(src);
  const CommandResult dump = Strata("dump " + src);
  ASSERT_EQ(dump.exit_code, 0);
  ASSERT_EQ(Strata("export " + src + " --to-blocks " + out + " 2>/dev/null").exit_code, 0);
  EXPECT_EQ(TreeFingerprint(src), before);
  EXPECT_TRUE(Strata("dump " + out).output == dump.output);
  if (!HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  const CommandResult promtool = RunCommand("promtool tsdb dump " + out);
  ASSERT_EQ(promtool.exit_code, 0);
  EXPECT_TRUE(promtool.output == dump.output) << "promtool tsdb dump of the export differs";
}

TEST_F(ExportTest, ToOpenMetricsEqualsDump) {
  const std::string selectors = " --match requests_total --min-time 0 --max-time 3600s";
  const CommandResult dump =
      Strata("dump --format openmetrics " + src_ + selectors + " 2>/dev/null");
  ASSERT_EQ(dump.exit_code, 0);
  EXPECT_NE(dump.output.find("requests_total{job=\"web\"} 60 3600\n# EOF\n"), std::string::npos);
  const std::string before = TreeFingerprint(src_);
  const std::string file = tmp_.path() + "/export.om";
  ASSERT_EQ(
      Strata("export " + src_ + " --to-openmetrics " + file + selectors + " 2>/dev/null").exit_code,
      0);
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), dump.output);
  EXPECT_FALSE(std::filesystem::exists(file + ".tmp"));
  const CommandResult to_stdout =
      Strata("export " + src_ + " --to-openmetrics -" + selectors + " 2>/dev/null");
  EXPECT_EQ(to_stdout.exit_code, 0);
  EXPECT_EQ(to_stdout.output, dump.output);
  EXPECT_EQ(TreeFingerprint(src_), before);
}

TEST_F(ExportTest, BadUsageExitsTwo) {
  const std::string out = tmp_.path() + "/out";
  struct Case {
    std::string args, message;
  };
  std::filesystem::create_directories(tmp_.path() + "/full/x");
  for (const Case& c : std::vector<Case>{
           {src_, "exactly one of --to-blocks and --to-openmetrics"},
           {src_ + " --to-blocks " + out + " --to-openmetrics -", "exactly one"},
           {src_ + " --to-blocks " + src_ + "/sub", "inside the source directory"},
           {src_ + " --to-blocks " + tmp_.path() + "/full", "not an empty directory"},
           {src_ + " --to-blocks " + out + " --match up", "--to-openmetrics only"},
           {src_ + " --to-openmetrics - --match 'up{'", "--match \"up{\": 1:"},
           {src_ + " --to-openmetrics - --max-time never", "--max-time: bad time"},
           {tmp_.path() + "/missing --to-blocks " + out, "no such data directory"},
       }) {
    const CommandResult r = Strata("export " + c.args + " 2>&1");
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(src_ + "/sub"));
  EXPECT_EQ(Strata("export --help").exit_code, 0);
}

}  // namespace
}  // namespace strata::tools::test
