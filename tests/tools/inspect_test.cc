// Tests of `strata inspect`: the real binary on a directory the engine
// wrote (numbers checked against what was written), on the Prometheus 2.42
// fixture, and against `promtool tsdb analyze` where promtool is installed.
#include <regex>
#include <string>

#include "base/json.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/testing/prometheus_fixture.h"
#include "tests/tools/verify_inspect_fixture.h"

namespace strata::tools {
namespace {

using testutil::RunStrata;

uint64_t Int(const JsonValue& v, std::string_view key) {
  const JsonValue* f = v.Find(key);
  EXPECT_NE(f, nullptr) << key;
  if (f == nullptr) return 0;
  auto n = f->AsUint64();
  EXPECT_TRUE(n.ok()) << key;
  return n.ok() ? *n : 0;
}

class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path() + "/data";
    written_ = testutil::MakeDataDir(dir_);
  }
  testing::TempDir tmp_{"strata_inspect_test"};
  std::string dir_;
  testutil::Written written_;
};

TEST_F(InspectTest, NumbersMatchWhatWasWritten) {
  const auto before = testutil::Snapshot(dir_);
  const auto r = RunStrata("inspect --json " + dir_);
  ASSERT_EQ(r.exit_code, 0) << r.all;
  EXPECT_EQ(testutil::Snapshot(dir_), before);  // read-only
  auto json = ParseJson(r.out);
  ASSERT_TRUE(json.ok()) << json.status() << r.out;
  const auto& blocks = json->Find("blocks")->array();
  ASSERT_FALSE(blocks.empty());
  uint64_t samples = 0;
  for (const JsonValue& b : blocks) {
    EXPECT_EQ(Int(b, "series"), 8u);
    samples += Int(b, "samples");
  }
  const JsonValue* head = json->Find("head");
  ASSERT_NE(head, nullptr);
  ASSERT_FALSE(head->is_null());
  EXPECT_EQ(Int(*head, "series"), 8u);
  // Every sample is either in a block or in the head.
  EXPECT_EQ(samples + Int(*head, "samples"), written_.samples);

  // The newest block is analysed by default.
  const JsonValue* a = json->Find("analysis");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->Find("target")->string_value(), blocks.back().Find("name")->string_value());
  EXPECT_EQ(Int(*a, "series"), 8u);
  EXPECT_EQ(Int(*a, "samples"), Int(blocks.back(), "samples"));
  const auto& by_series = a->Find("topMetricsBySeries")->array();
  ASSERT_EQ(by_series.size(), 3u);
  EXPECT_EQ(by_series[0].Find("name")->string_value(), "m_a");
  EXPECT_EQ(Int(by_series[0], "count"), 5u);
  EXPECT_EQ(by_series[1].Find("name")->string_value(), "m_b");
  EXPECT_EQ(Int(by_series[1], "count"), 2u);
  // m_c has 1 series at twice the rate: fewer samples than m_a's 5.
  const auto& by_samples = a->Find("topMetricsBySamples")->array();
  EXPECT_EQ(by_samples[0].Find("name")->string_value(), "m_a");
  const auto& names = a->Find("labelNamesByCardinality")->array();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0].Find("name")->string_value(), "instance");
  EXPECT_EQ(Int(names[0], "count"), 5u);
}

TEST_F(InspectTest, HeadAnalysisAndTopFlag) {
  const auto r = RunStrata("inspect --json --block head --top 2 " + dir_);
  ASSERT_EQ(r.exit_code, 0) << r.all;
  auto json = ParseJson(r.out);
  ASSERT_TRUE(json.ok()) << json.status();
  const JsonValue* a = json->Find("analysis");
  EXPECT_EQ(a->Find("target")->string_value(), "head");
  EXPECT_EQ(Int(*a, "series"), 8u);
  const auto& by_series = a->Find("topMetricsBySeries")->array();
  ASSERT_EQ(by_series.size(), 2u);
  EXPECT_EQ(by_series[0].Find("name")->string_value(), "m_a");
  // Churn: the same 8 series in the block and the head.
  const auto& churn = json->Find("churn")->array();
  ASSERT_FALSE(churn.empty());
  EXPECT_EQ(Int(churn.back(), "kept"), 8u);
  EXPECT_EQ(Int(churn.back(), "appeared"), 0u);
}

TEST_F(InspectTest, HumanOutput) {
  const auto r = RunStrata("inspect " + dir_);
  ASSERT_EQ(r.exit_code, 0) << r.all;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(time range: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(\d+\) \.\. )")))
      << r.out;
  EXPECT_NE(r.out.find("Top 10 metrics by series:"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n +5  m_a\n)"))) << r.out;
  EXPECT_NE(r.out.find("bytes/sample"), std::string::npos);
}

TEST(InspectFixtureTest, PrometheusFixture) {
  const std::string dir = testing::PrometheusFixtureDataDir();
  const auto r = RunStrata("inspect " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.all;
  EXPECT_NE(r.out.find("01M7YPV46F54AXX6DEH8JV1N2G"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("series 11, samples 5778, chunks 49"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nhead\n"), std::string::npos) << r.out;
}

TEST(InspectFixtureTest, AgreesWithPromtool) {
  if (!testing::HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  const std::string dir = testing::PrometheusFixtureDataDir();
  const std::string block = "01M7YPV46F54AXX6DEH8JV1N2G";
  const auto p = testing::RunCommand("promtool tsdb analyze " + dir + " " + block + " 2>&1");
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const auto value = [&](const std::string& label) -> uint64_t {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(p.output, m, std::regex(label + R"(: (\d+))"))) << label;
    return m.empty() ? 0 : std::stoull(m[1]);
  };
  const auto r = RunStrata("inspect --json --block " + block + " " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.all;
  auto json = ParseJson(r.out);
  ASSERT_TRUE(json.ok()) << json.status();
  const JsonValue& a = *json->Find("analysis");
  EXPECT_EQ(Int(a, "series"), value("Series"));
  EXPECT_EQ(Int(a, "labelNames"), value("Label names"));
  EXPECT_EQ(Int(a, "labelPairs"), value(R"(Postings \(unique label pairs\))"));
  EXPECT_EQ(Int(a, "labelPairEntries"), value(R"(Postings entries \(total label pairs\))"));
  // promtool's "Highest cardinality metric names" starts with our top metric.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(p.output, m,
                                std::regex(R"(Highest cardinality metric names:\n(\d+) (\S+))")))
      << p.output;
  const JsonValue& top = a.Find("topMetricsBySeries")->array()[0];
  EXPECT_EQ(Int(top, "count"), std::stoull(m[1]));
  EXPECT_EQ(top.Find("name")->string_value(), m[2].str());
}

TEST(InspectUsageTest, Errors) {
  auto r = RunStrata("inspect /nonexistent/strata-dir");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.all.find("strata inspect:"), std::string::npos) << r.all;
  r = RunStrata("inspect --bogus /tmp");
  EXPECT_EQ(r.exit_code, 2);
  r = RunStrata("inspect --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--top"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace strata::tools
