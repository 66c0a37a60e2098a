// Tests of `strata dump`, driven as the real binary: promtool's format
// against promtool itself on the Prometheus 2.42 fixture, selectors and
// time limits on a Strata directory with blocks and a head, the JSON and
// OpenMetrics formats read back, the source left untouched, bad input.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <set>
#include <tuple>

#include "base/json.h"
#include "gtest/gtest.h"
#include "tests/testing/prometheus_fixture.h"
#include "tests/tools/dump_export_test_util.h"

namespace strata::tools::test {
namespace {

using testing::CommandResult;
using testing::HaveProgram;
using testing::RunCommand;
using testing::TempDir;

// Go's %g for the values WriteStrataDir stores.
std::string GoG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 1e6) return "1e+06";
  if (v == 1.5e-05) return "1.5e-05";
  if (v == 1e21) return "1e+21";
  if (v == 0.1) return "0.1";
  if (v == -0.25) return "-0.25";
  if (v == 0 && std::signbit(v)) return "-0";
  EXPECT_EQ(v, std::floor(v)) << "no expected text for " << v;
  return std::to_string(static_cast<int64_t>(v));
}

// The promtool-format text of `expected` within [mint, maxt] for the
// series whose labels text contains any of `series_filter` (all if empty).
std::string ExpectedPromtool(const ExpectedSeries& expected, int64_t mint, int64_t maxt,
                             const std::vector<std::string>& series_filter = {}) {
  std::string out;
  for (const auto& [labels, samples] : expected) {
    bool keep = series_filter.empty();
    for (const std::string& f : series_filter) keep |= labels.find(f) != std::string::npos;
    if (!keep) continue;
    for (const auto& [t, v] : samples) {
      if (t < mint || t > maxt) continue;
      out += labels + " " + GoG(v) + " " + std::to_string(t) + "\n";
    }
  }
  return out;
}

class DumpStrataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/data";
    WriteStrataDir(dir_, &expected_);
  }
  TempDir tmp_{"strata_dump_test"};
  std::string dir_;
  ExpectedSeries expected_;
};

TEST(DumpTest, FixtureEqualsPromtoolDump) {
  if (!HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  TempDir tmp("strata_dump_test");
  CopyTree(testing::PrometheusFixtureDataDir(), tmp.path() + "/promtool");
  CopyTree(testing::PrometheusFixtureDataDir(), tmp.path() + "/strata");
  const CommandResult want = RunCommand("promtool tsdb dump " + tmp.path() + "/promtool");
  ASSERT_EQ(want.exit_code, 0);
  const std::string before = TreeFingerprint(tmp.path() + "/strata");
  const CommandResult got = Strata("dump " + tmp.path() + "/strata");
  ASSERT_EQ(got.exit_code, 0);
  EXPECT_GT(want.output.size(), 100000u);
  EXPECT_TRUE(got.output == want.output) << "strata dump differs from promtool tsdb dump";
  EXPECT_EQ(TreeFingerprint(tmp.path() + "/strata"), before);
}

// samples.tsv records what was sent to Prometheus; without promtool this
// still proves every sample is printed with its exact value.
TEST(DumpTest, FixtureEqualsSamplesTsv) {
  TempDir tmp("strata_dump_test");
  CopyTree(testing::PrometheusFixtureDataDir(), tmp.path() + "/data");
  const CommandResult got = Strata("dump " + tmp.path() + "/data");
  ASSERT_EQ(got.exit_code, 0);
  using Row = std::tuple<std::string, int64_t, uint64_t>;
  auto canonical_bits = [](uint64_t bits) {
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return std::isnan(v) ? uint64_t{0x7ff8000000000001} : bits;  // %g keeps no NaN payload
  };
  std::multiset<Row> want, have;
  for (const testing::FixtureSample& s : testing::PrometheusFixtureSamples()) {
    want.insert({s.labels, s.timestamp_ms, canonical_bits(s.value_bits)});
  }
  std::istringstream lines(got.output);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t close = line.rfind("} ");
    ASSERT_NE(close, std::string::npos) << line;
    std::string labels = line.substr(1, close - 1);
    for (size_t p; (p = labels.find("\", ")) != std::string::npos;) labels.erase(p + 2, 1);
    std::istringstream rest(line.substr(close + 2));
    std::string value;
    int64_t t;
    rest >> value >> t;
    const double v = std::strtod(value.c_str(), nullptr);
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    have.insert({labels, t, canonical_bits(bits)});
  }
  EXPECT_EQ(have.size(), want.size());
  std::vector<Row> missing;
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                      std::back_inserter(missing));
  EXPECT_TRUE(missing.empty()) << missing.size() << " samples missing or different, first "
                               << std::get<0>(missing[0]) << " " << std::get<1>(missing[0]);
}

TEST_F(DumpStrataDirTest, EverythingByDefault) {
  const std::string before = TreeFingerprint(dir_);
  const CommandResult got = Strata("dump " + dir_);
  ASSERT_EQ(got.exit_code, 0);
  EXPECT_EQ(got.output, ExpectedPromtool(expected_, INT64_MIN, INT64_MAX));
  EXPECT_EQ(TreeFingerprint(dir_), before);
}

TEST_F(DumpStrataDirTest, MatchUnionAndTimeLimits) {
  // The limits straddle the block/head boundary at 3h.
  const int64_t mint = 3 * kHourMs - 5 * 60 * 1000, maxt = 3 * kHourMs + 5 * 60 * 1000;
  const std::string want = ExpectedPromtool(expected_, mint, maxt, {"job=\"api\"", "job=\"web\""});
  ASSERT_FALSE(want.empty());
  const std::string matches =
      " --match 'requests_total{job=\"api\"}' --match '{job=~\"web|api\"}' ";
  // The same limits as ms, as seconds and as RFC 3339.
  for (const std::string& limits :
       {"--min-time " + std::to_string(mint) + " --max-time " + std::to_string(maxt),
        std::string("--min-time=10500s --max-time 11100.000"),
        std::string("--min-time 1970-01-01T02:55:00Z --max-time 1970-01-01T04:05:00+01:00")}) {
    const CommandResult got = Strata("dump " + dir_ + matches + limits);
    ASSERT_EQ(got.exit_code, 0) << limits;
    EXPECT_EQ(got.output, want) << limits;
  }
}

TEST_F(DumpStrataDirTest, JsonParsesBack) {
  const CommandResult got = Strata("dump --format json " + dir_);
  ASSERT_EQ(got.exit_code, 0);
  std::istringstream lines(got.output);
  std::string line;
  ExpectedSeries have;
  while (std::getline(lines, line)) {
    auto json = ParseJson(line);
    ASSERT_TRUE(json.ok()) << json.status() << ": " << line;
    const JsonValue* labels = json->Find("labels");
    const JsonValue* samples = json->Find("samples");
    ASSERT_TRUE(labels != nullptr && samples != nullptr) << line;
    std::string text = "{";
    for (const auto& [name, value] : labels->object()) {
      if (text.size() > 1) text += ", ";
      std::string quoted;
      for (char c : value.string_value()) {
        if (c == '"' || c == '\\') quoted.push_back('\\');
        quoted.push_back(c);
      }
      text += name + "=\"" + quoted + "\"";
    }
    text += "}";
    for (const JsonValue& s : samples->array()) {
      ASSERT_EQ(s.array().size(), 2u);
      auto t = s.array()[0].AsInt64();
      ASSERT_TRUE(t.ok());
      const std::string& v = s.array()[1].string_value();
      have[text].push_back({*t, std::strtod(v.c_str(), nullptr)});
      EXPECT_EQ(v, GoG(have[text].back().second));
    }
  }
  ASSERT_EQ(have.size(), expected_.size());
  for (const auto& [labels, samples] : expected_) {
    ASSERT_EQ(have[labels].size(), samples.size()) << labels;
    for (size_t i = 0; i < samples.size(); ++i) {
      EXPECT_EQ(have[labels][i].first, samples[i].first);
      if (!std::isnan(samples[i].second)) {
        EXPECT_EQ(have[labels][i].second, samples[i].second);
      }
    }
  }
}

TEST_F(DumpStrataDirTest, OpenMetricsImportsWithPromtool) {
  const CommandResult got = Strata("dump --format=openmetrics " + dir_ + " 2>/dev/null");
  ASSERT_EQ(got.exit_code, 0);
  ASSERT_TRUE(std::string_view(got.output).ends_with("\n# EOF\n"));
  EXPECT_NE(got.output.find("special_values{path=\"a\\\"b\\\\c\"} 1e+06 1\n"), std::string::npos);
  EXPECT_NE(got.output.find("requests_total{job=\"api\"} 1 60\n"), std::string::npos);
  EXPECT_EQ(got.output.find("NaN"), std::string::npos);  // the only NaN is a staleness marker
  // The expectation without the staleness marker, which OpenMetrics cannot carry.
  ExpectedSeries no_stale = expected_;
  for (auto& [labels, samples] : no_stale) {
    std::erase_if(samples, [](const auto& s) { return std::isnan(s.second); });
  }
  if (!HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  const std::string file = tmp_.path() + "/export.om";
  {
    std::ofstream out(file);
    out << got.output;
  }
  const std::string blocks = tmp_.path() + "/imported";
  ASSERT_EQ(RunCommand("promtool tsdb create-blocks-from openmetrics " + file + " " + blocks +
                       " >/dev/null 2>&1")
                .exit_code,
            0);
  std::filesystem::create_directory(blocks + "/wal");  // promtool wants a data directory
  const CommandResult back = RunCommand("promtool tsdb dump " + blocks);
  ASSERT_EQ(back.exit_code, 0);
  EXPECT_EQ(back.output, ExpectedPromtool(no_stale, INT64_MIN, INT64_MAX));
}

// The fixture's special values (NaN, ±Inf, tiny and huge numbers) survive
// OpenMetrics and promtool's importer; only staleness markers are lost.
TEST(DumpTest, FixtureOpenMetricsImportsWithPromtool) {
  if (!HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  TempDir tmp("strata_dump_test");
  CopyTree(testing::PrometheusFixtureDataDir(), tmp.path() + "/data");
  const CommandResult dump = Strata("dump " + tmp.path() + "/data");
  ASSERT_EQ(dump.exit_code, 0);
  ASSERT_EQ(Strata("dump --format openmetrics " + tmp.path() + "/data >" + tmp.path() +
                   "/fixture.om 2>/dev/null")
                .exit_code,
            0);
  const std::string blocks = tmp.path() + "/imported";
  ASSERT_EQ(RunCommand("promtool tsdb create-blocks-from openmetrics " + tmp.path() +
                       "/fixture.om " + blocks + " >/dev/null 2>&1")
                .exit_code,
            0);
  std::filesystem::create_directory(blocks + "/wal");
  const CommandResult back = RunCommand("promtool tsdb dump " + blocks);
  ASSERT_EQ(back.exit_code, 0);
  // dump's lines without those of staleness markers (known from samples.tsv).
  std::set<std::string> stale;  // "<labels> <ts>" as samples.tsv writes them
  for (const testing::FixtureSample& s : testing::PrometheusFixtureSamples()) {
    if (s.value_bits == kStaleNaNBits)
      stale.insert(s.labels + " " + std::to_string(s.timestamp_ms));
  }
  ASSERT_FALSE(stale.empty());
  std::string want;
  std::istringstream lines(dump.output);
  for (std::string line; std::getline(lines, line);) {
    const size_t close = line.rfind("} ");
    std::string labels = line.substr(1, close - 1);
    for (size_t p; (p = labels.find("\", ")) != std::string::npos;) labels.erase(p + 2, 1);
    const std::string ts = line.substr(line.rfind(' ') + 1);
    if (!stale.contains(labels + " " + ts)) want += line + "\n";
  }
  EXPECT_TRUE(back.output == want) << "promtool's import of the OpenMetrics dump differs";
}

// A block that cannot be opened is reported and set aside; the rest is
// still dumped, and the exit status says there was a problem.
TEST(DumpTest, DamagedBlockIsAWarningAndExitsOne) {
  TempDir tmp("strata_dump_test");
  const std::string dir = tmp.path() + "/data";
  CopyTree(testing::PrometheusFixtureDataDir(), dir);
  {
    std::ofstream meta(testing::PrometheusFixtureBlockDir().replace(
                           0, testing::PrometheusFixtureDataDir().size(), dir) +
                           "/meta.json",
                       std::ios::trunc);
    meta << "{not json";
  }
  const CommandResult r = Strata("dump " + dir + " 2>" + tmp.path() + "/stderr");
  EXPECT_EQ(r.exit_code, 1);
  std::ifstream err(tmp.path() + "/stderr");
  std::stringstream text;
  text << err.rdbuf();
  EXPECT_NE(text.str().find("strata dump: warning: block"), std::string::npos) << text.str();
}

TEST(DumpTest, OpenMetricsTimestampsRoundTripEveryMillisecond) {
  // Prometheus reads `<seconds>` back as int64(seconds * 1000); a plain
  // "x.yyy" does not always survive that ("1.001" gives 1000), so dump
  // must pick text that does. Two windows: small times, where half the
  // plain decimals fail, and times of today.
  TempDir tmp("strata_dump_test");
  const std::string dir = tmp.path() + "/data";
  std::vector<int64_t> times;
  for (int64_t t = 1000; t < 3000; ++t) times.push_back(t);
  for (int64_t t = 1672531214000; t < 1672531216000; ++t) times.push_back(t);
  Options options;
  options.background_compaction = false;
  options.block_range_ms = INT64_MAX / 4;  // one head for both windows
  {
    auto db = DB::Open(options, dir);
    ASSERT_TRUE(db.ok());
    auto app = (*db)->NewAppender();
    for (int64_t t : times) ASSERT_TRUE(app->Append({{"__name__", "m"}}, t, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  const CommandResult got = Strata("dump --format openmetrics " + dir);
  ASSERT_EQ(got.exit_code, 0);
  std::istringstream lines(got.output);
  std::string name, value, ts;
  size_t i = 0;
  while (lines >> name >> value >> ts && name != "#") {
    ASSERT_LT(i, times.size());
    const double seconds = std::strtod(ts.c_str(), nullptr);
    ASSERT_EQ(static_cast<int64_t>(seconds * 1000), times[i]) << ts;
    ++i;
  }
  EXPECT_EQ(i, times.size());
  if (!HaveProgram("promtool")) GTEST_SKIP() << "promtool not installed";
  {
    std::ofstream out(tmp.path() + "/m.om");
    out << got.output;
  }
  const std::string blocks = tmp.path() + "/imported";
  ASSERT_EQ(RunCommand("promtool tsdb create-blocks-from openmetrics " + tmp.path() + "/m.om " +
                       blocks + " >/dev/null 2>&1")
                .exit_code,
            0);
  std::filesystem::create_directory(blocks + "/wal");
  const CommandResult back = RunCommand("promtool tsdb dump " + blocks);
  ASSERT_EQ(back.exit_code, 0);
  std::string want;
  for (int64_t t : times) want += "{__name__=\"m\"} 1 " + std::to_string(t) + "\n";
  EXPECT_TRUE(back.output == want) << "timestamps changed through promtool's importer";
}

TEST(DumpTest, BadInputExitsTwoWithAMessage) {
  TempDir tmp("strata_dump_test");
  CommandResult r = Strata("dump " + tmp.path() + "/missing 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("no such data directory"), std::string::npos) << r.output;

  r = Strata("dump " + tmp.path() + " --match 'up{job=}' 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--match \"up{job=}\": 1:"), std::string::npos) << r.output;

  r = Strata("dump " + tmp.path() + " --min-time yesterday 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--min-time: bad time \"yesterday\""), std::string::npos) << r.output;

  r = Strata("dump " + tmp.path() + " --max-time 1.2345 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("more than millisecond precision"), std::string::npos) << r.output;

  r = Strata("dump " + tmp.path() + " --min-time 5 --max-time 4 2>&1");
  EXPECT_EQ(r.exit_code, 2);

  r = Strata("dump " + tmp.path() + " --format csv 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown format \"csv\""), std::string::npos) << r.output;

  r = Strata("dump 2>&1");
  EXPECT_EQ(r.exit_code, 2);

  r = Strata("dump --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("Staleness markers"), std::string::npos);
}

}  // namespace
}  // namespace strata::tools::test
