// Tests of `strata compact` (issue #9): level-1 blocks written by
// `strata import`, compacted by the real binary, read back with strata::DB
// and engine::Block.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/block.h"
#include "engine/block_meta.h"
#include "engine/ulid.h"
#include "gtest/gtest.h"
#include "strata/db.h"
#include "strata/env.h"
#include "tests/testing/process.h"
#include "tests/tools/import_compact_test_util.h"

namespace strata::tools {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

// Imports two series, one sample a minute, over each [from, to) hour span
// (relative to kBaseMs) into `dir` as level-1 blocks of 2h.
void ImportHours(const std::string& dir, std::vector<std::pair<int, int>> spans) {
  std::ostringstream s;
  for (auto [from, to] : spans) {
    for (int64_t t = kBaseMs + from * kHourMs; t < kBaseMs + to * kHourMs; t += 60000) {
      s << "a{x=\"1\"} " << (t - kBaseMs) / 60000 << " " << t << "\n";
      s << "b " << 1 << " " << t << "\n";
    }
  }
  const std::string in = dir + ".prom";
  std::ofstream(in) << s.str();
  const CommandResult r = RunStrata("import openmetrics --format=prometheus " + in + " " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

// The directory's file names and contents, to see that nothing changed.
std::string Fingerprint(const std::string& dir) {
  return RunCommand("cd " + dir + " && find . -type f | sort | xargs md5sum").output;
}

TEST(CompactTest, SmallBlocksBecomeFewerLargerOnesWithTheSameSamples) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/data";
  ImportHours(dir, {{0, 13}});
  const auto before = Blocks(dir);
  ASSERT_EQ(before.size(), 7u);
  const SampleMap samples = ReadAll(dir);
  const CommandResult r = RunStrata("compact " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("merge "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bytes before"), std::string::npos) << r.output;
  const auto after = Blocks(dir);
  EXPECT_LT(after.size(), before.size());
  int max_level = 0;
  for (const auto& m : after) max_level = std::max(max_level, m.compaction.level);
  EXPECT_GE(max_level, 2);
  EXPECT_EQ(ReadAll(dir), samples);
  // Nothing left to do the second time.
  const CommandResult again = RunStrata("compact --json " + dir);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("\"actions\":[]"), std::string::npos) << again.output;
}

TEST(CompactTest, OverlappingBlocksAreMerged) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/data";
  ImportHours(dir, {{0, 2}});
  ImportHours(dir, {{1, 2}});  // same samples again: a second, overlapping block
  ASSERT_EQ(Blocks(dir).size(), 2u);
  const SampleMap samples = ReadAll(dir);
  const CommandResult r = RunStrata("compact " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(overlap)"), std::string::npos) << r.output;
  EXPECT_EQ(Blocks(dir).size(), 1u);
  EXPECT_EQ(ReadAll(dir), samples);
}

TEST(CompactTest, TombstonesAreAppliedToTheFiles) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/data";
  ImportHours(dir, {{0, 4}});
  {
    Options options;
    options.background_compaction = false;
    auto db = DB::Open(options, dir);
    ASSERT_TRUE(db.ok()) << db.status();
    LabelMatcher m{LabelMatcher::Type::kEqual, "__name__", "a"};
    ASSERT_TRUE((*db)->Delete(kBaseMs + kHourMs, kBaseMs + 3 * kHourMs - 1, {&m, 1}).ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  const SampleMap visible = ReadAll(dir);  // deletions already hide the samples
  uint64_t tombstones = 0;
  for (const auto& m : Blocks(dir)) tombstones += m.stats.num_tombstones;
  ASSERT_GT(tombstones, 0u);

  const CommandResult r = RunStrata("compact " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(tombstones)"), std::string::npos) << r.output;
  uint64_t samples_in_files = 0;
  for (const auto& meta : Blocks(dir)) {
    auto block = engine::Block::Open(*Env::Default(), dir + "/" + meta.ulid.ToString());
    ASSERT_TRUE(block.ok()) << block.status();
    EXPECT_TRUE((*block)->tombstones()->empty());
    EXPECT_EQ(meta.stats.num_tombstones, 0u);
    samples_in_files += meta.stats.num_samples;
  }
  // 4h of b, and a without its middle 2h.
  EXPECT_EQ(samples_in_files, 4u * 60 + 2u * 60);
  EXPECT_EQ(ReadAll(dir), visible);
}

TEST(CompactTest, RetentionDropsOldBlocks) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/data";
  ImportHours(dir, {{0, 2}, {72, 74}});
  ASSERT_EQ(Blocks(dir).size(), 2u);
  const CommandResult r = RunStrata("compact --retention.time=1d " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(retention)"), std::string::npos) << r.output;
  const auto after = Blocks(dir);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].min_time_ms, kBaseMs + 72 * kHourMs);
}

TEST(CompactTest, DryRunChangesNothing) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/data";
  ImportHours(dir, {{0, 13}, {72, 74}});
  const std::string before = Fingerprint(dir);
  const CommandResult r = RunStrata("compact --dry-run --retention.time=1d " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("would delete"), std::string::npos) << r.output;
  EXPECT_EQ(Fingerprint(dir), before);
}

TEST(CompactTest, LockedDirectoryExits2) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/data";
  ImportHours(dir, {{0, 13}});
  Options options;
  options.background_compaction = false;
  auto db = DB::Open(options, dir);
  ASSERT_TRUE(db.ok()) << db.status();
  const CommandResult r = RunStrata("compact " + dir);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("locked"), std::string::npos) << r.output;
  ASSERT_TRUE((*db)->Close().ok());
}

TEST(CompactTest, UsageErrorsExit2) {
  EXPECT_EQ(RunStrata("compact").exit_code, 2);
  EXPECT_EQ(RunStrata("compact /nonexistent/dir").exit_code, 2);
  EXPECT_EQ(RunStrata("compact --retention.time=abc /tmp").exit_code, 2);
  EXPECT_EQ(RunStrata("compact --help").exit_code, 0);
}

}  // namespace
}  // namespace strata::tools
