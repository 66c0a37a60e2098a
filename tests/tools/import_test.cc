// Tests of `strata import` (issue #9): the real binary on generated text
// files and on the Prometheus 2.42 fixture, read back with strata::DB and,
// when installed, compared with promtool's own backfill and dump.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/block_meta.h"
#include "engine/ulid.h"
#include "gtest/gtest.h"
#include "strata/db.h"
#include "strata/env.h"
#include "tests/testing/process.h"
#include "tests/testing/prometheus_fixture.h"
#include "tests/tools/import_compact_test_util.h"
#include "tools/text_parser.h"

namespace strata::tools {
namespace {

using testing::CommandResult;
using testing::HaveProgram;
using testing::RunCommand;
using testing::TempDir;

// 2023-01-01T00:00:00Z, aligned to 2h.
constexpr int64_t kBaseMs = 1672531200000;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> Children(const std::string& dir) {
  auto names = Env::Default()->GetChildren(dir);
  return names.ok() ? *names : std::vector<std::string>{};
}

// Three series over `hours` hours, one sample a minute, special values and
// escapes included; `om` picks OpenMetrics (seconds, # EOF) or the
// Prometheus format (ms). Fills `expected`.
std::string MakeInput(bool om, int hours, SampleMap* expected) {
  std::ostringstream s;
  s << "# HELP reqs Requests.\n# TYPE reqs counter\n";
  if (om) s << "# TYPE temp_celsius gauge\n# UNIT temp_celsius celsius\n";
  const std::string esc_key = "__name__=\"reqs_total\",path=\"/a \"b\" \\ \nc\"";
  for (int64_t t = kBaseMs; t < kBaseMs + hours * kHourMs; t += 60000) {
    const int64_t i = (t - kBaseMs) / 60000;
    auto ts = [&](int64_t ms) {
      if (!om) return std::to_string(ms);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                    static_cast<long long>(ms % 1000));
      return std::string(buf);
    };
    s << "reqs_total{path=\"/a \\\"b\\\" \\\\ \\nc\"} " << i << " " << ts(t);
    if (om) s << " # {trace_id=\"x\"} 1 " << ts(t);
    s << "\n";
    (*expected)[esc_key].emplace_back(t, Bits(static_cast<double>(i)));
    const double special = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
    s << "temp{room=\"1\",empty=\"\"} "
      << (i % 3 == 0   ? "NaN"
          : i % 3 == 1 ? "+Inf"
                       : "-Inf")
      << " " << ts(t + 7) << "\n";
    (*expected)["__name__=\"temp\",room=\"1\""].emplace_back(t + 7, Bits(special));
    s << "up " << (i % 2) << " " << ts(t + 13) << "\n";
    (*expected)["__name__=\"up\""].emplace_back(t + 13, Bits(i % 2));
  }
  if (om) s << "# EOF\n";
  return s.str();
}

// NaN payloads differ between writers; compare NaN as "a NaN".
void ExpectSameSamples(const SampleMap& got, const SampleMap& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [key, samples] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end()) << key;
    ASSERT_EQ(it->second.size(), samples.size()) << key;
    for (size_t i = 0; i < samples.size(); ++i) {
      ASSERT_EQ(it->second[i].first, samples[i].first) << key << " #" << i;
      double a, b;
      std::memcpy(&a, &it->second[i].second, 8);
      std::memcpy(&b, &samples[i].second, 8);
      if (std::isnan(b)) {
        ASSERT_TRUE(std::isnan(a)) << key << " #" << i;
      } else {
        ASSERT_EQ(it->second[i].second, samples[i].second) << key << " #" << i;
      }
    }
  }
}

TEST(ImportTest, OpenMetricsSpanningSeveralRangesReadsBack) {
  TempDir tmp;
  SampleMap want;
  WriteFile(tmp.path() + "/in.om", MakeInput(true, 7, &want));
  const CommandResult r =
      RunStrata("import openmetrics " + tmp.path() + "/in.om " + tmp.path() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectSameSamples(ReadAll(tmp.path() + "/out"), want);
  const auto blocks = Blocks(tmp.path() + "/out");
  ASSERT_EQ(blocks.size(), 4u);  // 7h in 2h ranges
  for (const auto& m : blocks) {
    // Each block lies in one aligned range: [first sample, last sample + 1).
    EXPECT_EQ((m.min_time_ms - kBaseMs) / (2 * kHourMs),
              (m.max_time_ms - 1 - kBaseMs) / (2 * kHourMs));
    EXPECT_EQ(m.compaction.level, 1);
  }
  EXPECT_EQ(blocks.front().min_time_ms, kBaseMs);
  for (const std::string& n : Children(tmp.path() + "/out")) {
    EXPECT_EQ(n.find(".tmp"), std::string::npos) << n;
  }
}

TEST(ImportTest, PrometheusFormatFromStdinWithExtraLabelsAndJson) {
  TempDir tmp;
  SampleMap want;
  WriteFile(tmp.path() + "/in.prom", MakeInput(false, 3, &want));
  const CommandResult r = RunStrata("import openmetrics --label env=prod --json - " + tmp.path() +
                                    "/out < " + tmp.path() + "/in.prom");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"blocks\":["), std::string::npos) << r.output;
  SampleMap with_env;
  for (auto& [key, samples] : want) {
    // env sorts after __name__ and before path/room.
    const size_t comma = key.find(',');
    std::string k = comma == std::string::npos
                        ? key + ",env=\"prod\""
                        : key.substr(0, comma) + ",env=\"prod\"" + key.substr(comma);
    with_env[k] = samples;
  }
  ExpectSameSamples(ReadAll(tmp.path() + "/out"), with_env);
  for (const std::string& n : Children(tmp.path() + "/out")) {
    EXPECT_EQ(n.find("stdin"), std::string::npos) << n;  // the spool file is gone
  }
}

TEST(ImportTest, FewSamplesInMemoryTakesMorePassesSameResult) {
  TempDir tmp;
  SampleMap want;
  WriteFile(tmp.path() + "/in.om", MakeInput(true, 9, &want));
  const CommandResult r = RunStrata("import openmetrics --max-samples-in-memory=10 " + tmp.path() +
                                    "/in.om " + tmp.path() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectSameSamples(ReadAll(tmp.path() + "/out"), want);
  EXPECT_EQ(Blocks(tmp.path() + "/out").size(), 5u);
}

TEST(ImportTest, LargerBlockDurationMakesFewerBlocks) {
  TempDir tmp;
  SampleMap want;
  WriteFile(tmp.path() + "/in.om", MakeInput(true, 9, &want));
  const CommandResult r = RunStrata("import openmetrics --block-duration=1d " + tmp.path() +
                                    "/in.om " + tmp.path() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Blocks(tmp.path() + "/out").size(), 1u);
  ExpectSameSamples(ReadAll(tmp.path() + "/out"), want);
}

struct BadInput {
  std::string text;
  std::string message;  // after "<file>"
};

TEST(ImportTest, BadInputExits2WithLineAndColumnAndLeavesNothing) {
  // The good lines span several ranges, so blocks would be written if the
  // error were not found first.
  const std::string good = "a 1 1672531200000\na 2 1672545600000\na 3 1672560000000\n";
  const std::vector<BadInput> cases = {
      {good + "b{c=\"d} 1 2\n", ":4:5: unterminated label value"},
      {good + "b 1x 2\n", ":4:3: bad value \"1x\""},
      {good + "b{c=\"d\"} 1\n", ":4:11: expected timestamp"},
      {good + "!!garbage\n", ":4:1: expected metric name"},
      {good + "b{c=\"d\" 1 2\n", ":4:9: expected ',' or '}'"},
      {good + "b 1 12x\n", ":4:5: bad timestamp \"12x\""},
  };
  for (const BadInput& c : cases) {
    TempDir tmp;
    const std::string in = tmp.path() + "/bad.prom";
    WriteFile(in, c.text);
    const CommandResult r = RunStrata("import openmetrics " + in + " " + tmp.path() + "/out");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(in + c.message), std::string::npos) << r.output;
    EXPECT_TRUE(Children(tmp.path() + "/out").empty()) << c.message;
  }
}

TEST(ImportTest, OpenMetricsWithoutEofIsAnError) {
  TempDir tmp;
  WriteFile(tmp.path() + "/in.om", "a 1 1672531200\n");
  const CommandResult r = RunStrata("import openmetrics --format=openmetrics " + tmp.path() +
                                    "/in.om " + tmp.path() + "/out");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("in.om:2:1: expected # EOF"), std::string::npos) << r.output;
}

TEST(ImportTest, ConflictingDuplicateInALaterRangeRemovesEarlierBlocks) {
  TempDir tmp;
  // The first range's block is written before the second range finds the
  // conflict; the run must take it back.
  WriteFile(tmp.path() + "/in.prom", "a 1 1672531200000\na 2 1672545600000\na 3 1672545600000\n");
  const CommandResult r = RunStrata("import openmetrics --max-samples-in-memory=1 " + tmp.path() +
                                    "/in.prom " + tmp.path() + "/out");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("two different values at timestamp 1672545600000"), std::string::npos)
      << r.output;
  EXPECT_TRUE(Children(tmp.path() + "/out").empty());
}

TEST(ImportTest, UsageErrorsExit2) {
  EXPECT_EQ(RunStrata("import").exit_code, 2);
  EXPECT_EQ(RunStrata("import openmetrics onlyone").exit_code, 2);
  EXPECT_EQ(RunStrata("import openmetrics --block-duration=xyz a b").exit_code, 2);
  EXPECT_EQ(RunStrata("import openmetrics --label =x a b").exit_code, 2);
  EXPECT_EQ(RunStrata("import nosuch a b").exit_code, 2);
  EXPECT_EQ(RunStrata("import openmetrics /nonexistent/file /tmp/x").exit_code, 2);
  const CommandResult help = RunStrata("import openmetrics --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--block-duration"), std::string::npos);
}

// Sorted `promtool tsdb dump` lines of `dir`.
std::vector<std::string> PromtoolDump(const std::string& dir) {
  // promtool 2.42's dump opens the directory as a DB and wants a wal/.
  const CommandResult r =
      RunCommand("mkdir -p " + dir + "/wal && promtool tsdb dump " + dir + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0);
  std::vector<std::string> lines;
  std::istringstream in(r.output);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(ImportTest, SameBlocksAndSamplesAsPromtool) {
  if (!HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  TempDir tmp;
  SampleMap want;
  WriteFile(tmp.path() + "/in.om", MakeInput(true, 7, &want));
  ASSERT_EQ(
      RunStrata("import openmetrics " + tmp.path() + "/in.om " + tmp.path() + "/strata").exit_code,
      0);
  const CommandResult p = RunCommand("promtool tsdb create-blocks-from openmetrics " + tmp.path() +
                                     "/in.om " + tmp.path() + "/prom 2>&1");
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const auto ours = Blocks(tmp.path() + "/strata");
  const auto theirs = Blocks(tmp.path() + "/prom");
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].min_time_ms, theirs[i].min_time_ms) << i;
    EXPECT_EQ(ours[i].max_time_ms, theirs[i].max_time_ms) << i;
    EXPECT_EQ(ours[i].stats.num_samples, theirs[i].stats.num_samples) << i;
    EXPECT_EQ(ours[i].stats.num_series, theirs[i].stats.num_series) << i;
  }
  const auto dump_ours = PromtoolDump(tmp.path() + "/strata");
  EXPECT_EQ(dump_ours.size(), 3u * 7 * 60);
  EXPECT_EQ(dump_ours, PromtoolDump(tmp.path() + "/prom"));
}

TEST(ImportTest, PrometheusDataDirectoryEverySampleArrives) {
  TempDir tmp;
  const std::string src = tmp.path() + "/src";
  ASSERT_EQ(RunCommand("cp -r " + testing::PrometheusFixtureDataDir() + " " + src).exit_code, 0);
  const std::string before =
      RunCommand("cd " + src + " && find . -type f | sort | xargs md5sum").output;
  const CommandResult r = RunStrata("import prometheus " + src + " " + tmp.path() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(RunCommand("cd " + src + " && find . -type f | sort | xargs md5sum").output, before)
      << "the source changed";
  const SampleMap got = ReadAll(tmp.path() + "/out");
  size_t checked = 0;
  for (const testing::FixtureSample& s : testing::PrometheusFixtureSamples()) {
    auto it = got.find(s.labels);
    ASSERT_NE(it, got.end()) << s.labels;
    const auto& v = it->second;
    auto pos = std::lower_bound(v.begin(), v.end(), std::make_pair(s.timestamp_ms, uint64_t{0}));
    ASSERT_TRUE(pos != v.end() && pos->first == s.timestamp_ms)
        << s.labels << " " << s.timestamp_ms;
    EXPECT_EQ(pos->second, s.value_bits) << s.labels << " " << s.timestamp_ms;
    ++checked;
  }
  EXPECT_GT(checked, 10000u);
  // The fixture's block came across under its own ULID, the head as more.
  EXPECT_GE(Blocks(tmp.path() + "/out").size(), 2u);
  // Importing twice collides with the blocks already there.
  const CommandResult again = RunStrata("import prometheus " + src + " " + tmp.path() + "/out");
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;
}

// The parser on its own: what the binary's errors are built from.
TEST(TextParserTest, ParsesEscapesSpecialValuesAndOpenMetricsTimestamps) {
  TextParser p("x", TextFormat::kOpenMetrics);
  TextSample s;
  auto k = p.ParseLine(R"(m{a="q\"\\\n\t"} -Inf 1.5 # {t="1"} 2 3)", 1, &s);
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_EQ(*k, TextParser::LineKind::kSample);
  ASSERT_EQ(s.num_labels, 2u);
  EXPECT_EQ(s.labels[0].second, "m");
  EXPECT_EQ(s.labels[1].second, "q\"\\\n\\t");
  EXPECT_TRUE(std::isinf(s.value) && s.value < 0);
  EXPECT_EQ(s.timestamp_ms, 1500);
  EXPECT_EQ(*p.ParseLine("# EOF", 2, &s), TextParser::LineKind::kEof);
  EXPECT_FALSE(p.ParseLine("m 1 2", 3, &s).ok());
  double v;
  EXPECT_FALSE(ParseTextFloat("0x1p3", &v));
  EXPECT_FALSE(ParseTextFloat("1_000", &v));
  EXPECT_FALSE(ParseTextFloat("--1", &v));
  EXPECT_TRUE(ParseTextFloat("1e3", &v) && v == 1000);
  EXPECT_TRUE(ParseTextFloat("-.5", &v) && v == -0.5);
}

}  // namespace
}  // namespace strata::tools
