// Interop with Prometheus 2.42 (tests/fixtures/prometheus-2.42, written by
// the real Prometheus, see its make_prometheus_fixture.py):
//  - IndexReader reads the block's index and finds exactly the series of
//    samples.tsv, with chunk metas matching meta.json;
//  - IndexWriter, fed what the reader returned, reproduces Prometheus'
//    index byte for byte;
//  - `promtool tsdb analyze` accepts that block with Strata's index in place.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "index/index_reader.h"
#include "index/index_writer.h"
#include "index/matcher.h"
#include "strata/env.h"
#include "tests/testing/process.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata::index {
namespace {

namespace fs = std::filesystem;

fs::path BlockDir() { return testing::PrometheusFixtureBlockDir(); }

// Parses `a="x",b="y"` (values as Go's %q writes them; the fixture's hold
// no escapes other than \" and \\).
Labels ParseLabels(std::string_view s) {
  LabelsBuilder b;
  while (!s.empty()) {
    const size_t eq = s.find("=\"");
    const std::string name(s.substr(0, eq));
    s.remove_prefix(eq + 2);
    std::string value;
    while (!s.empty() && s[0] != '"') {
      if (s[0] == '\\') s.remove_prefix(1);
      value.push_back(s[0]);
      s.remove_prefix(1);
    }
    s.remove_prefix(std::min<size_t>(s.size(), 2));  // closing quote and comma
    b.Set(name, value);
  }
  return b.Build();
}

// Label sets with a sample in [min_ms, max_ms).
std::set<std::string> ExpectedSeries(int64_t min_ms, int64_t max_ms) {
  std::set<std::string> out;
  for (const auto& x : testing::PrometheusFixtureSamples()) {
    if (x.timestamp_ms >= min_ms && x.timestamp_ms < max_ms) {
      out.insert(ParseLabels(x.labels).ToString());
    }
  }
  return out;
}

// A number field of meta.json, e.g. "minTime".
int64_t MetaField(const std::string& meta, const std::string& key) {
  const size_t at = meta.find("\"" + key + "\":");
  return at == std::string::npos ? -1 : std::stoll(meta.substr(at + key.size() + 3));
}

class PrometheusIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    block_ = BlockDir();
    ASSERT_FALSE(block_.empty()) << "no block in the fixture";
    auto meta = ReadFileToString(*Env::Default(), (block_ / "meta.json").string());
    ASSERT_TRUE(meta.ok());
    meta_ = *meta;
    auto r = IndexReader::Open(*Env::Default(), (block_ / "index").string());
    ASSERT_TRUE(r.ok()) << r.status();
    reader_ = *std::move(r);
  }
  fs::path block_;
  std::string meta_;
  std::unique_ptr<IndexReader> reader_;
};

TEST_F(PrometheusIndexTest, ReadsTheSeriesPrometheusWrote) {
  const int64_t min_ms = MetaField(meta_, "minTime"), max_ms = MetaField(meta_, "maxTime");
  auto all = reader_->AllPostings();
  ASSERT_TRUE(all.ok()) << all.status();
  std::set<std::string> got;
  int64_t chunks = 0;
  for (uint64_t ref : *all) {
    auto s = reader_->Series(ref);
    ASSERT_TRUE(s.ok()) << s.status();
    got.insert(s->labels.ToString());
    for (const ChunkMeta& c : s->chunks) {
      EXPECT_LE(min_ms, c.min_time_ms);
      EXPECT_LE(c.min_time_ms, c.max_time_ms);
      EXPECT_LT(c.max_time_ms, max_ms);
    }
    chunks += static_cast<int64_t>(s->chunks.size());
  }
  EXPECT_EQ(got, ExpectedSeries(min_ms, max_ms));
  EXPECT_EQ(static_cast<int64_t>(all->size()), MetaField(meta_, "numSeries"));
  EXPECT_EQ(chunks, MetaField(meta_, "numChunks"));

  const std::vector<Matcher> api = {
      *Matcher::Create(MatchType::kEqual, "job", "api"),
      *Matcher::Create(MatchType::kRegexMatch, "__name__", "http_.*")};
  auto refs = reader_->PostingsForMatchers(api);
  ASSERT_TRUE(refs.ok()) << refs.status();
  size_t want = 0;
  for (const std::string& s : got) want += s.find("job=\"api\"") != std::string::npos;
  EXPECT_EQ(refs->size(), want);
  EXPECT_GT(want, 0u);
}

TEST_F(PrometheusIndexTest, RewritingReproducesPrometheusBytes) {
  const std::string path = (fs::path(::testing::TempDir()) / "prometheus_rewrite_index").string();
  auto w = IndexWriter::Create(*Env::Default(), path);
  ASSERT_TRUE(w.ok());
  for (std::string_view s : reader_->Symbols()) ASSERT_TRUE((*w)->AddSymbol(s).ok());
  auto all = reader_->AllPostings();
  ASSERT_TRUE(all.ok()) << all.status();
  for (uint64_t ref : *all) {
    auto s = reader_->Series(ref);
    ASSERT_TRUE(s.ok());
    auto got = (*w)->AddSeries(s->labels, s->chunks);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, ref);
  }
  ASSERT_TRUE((*w)->Finish().ok());
  const std::string ours = *ReadFileToString(*Env::Default(), path);
  const std::string theirs = *ReadFileToString(*Env::Default(), (block_ / "index").string());
  ASSERT_EQ(ours.size(), theirs.size());
  size_t first_diff = 0;
  while (first_diff < ours.size() && ours[first_diff] == theirs[first_diff]) ++first_diff;
  EXPECT_EQ(first_diff, ours.size()) << "first differing byte";
}

TEST_F(PrometheusIndexTest, PromtoolAnalyzesAnIndexStrataWrote) {
  // A block directory: the fixture's meta.json, an empty chunks/ and an
  // index of our own series (one chunk each, inside the block's range, as
  // promtool's analysis expects).
  const fs::path data = fs::path(::testing::TempDir()) / "strata_promtool_data";
  const fs::path block = data / block_.filename();
  fs::remove_all(data);
  fs::create_directories(block / "chunks");
  fs::copy_file(block_ / "meta.json", block / "meta.json");
  const int64_t min_ms = MetaField(meta_, "minTime");
  std::set<std::string> symbols = {"__name__", "instance", "job", "api", "node"};
  std::vector<Labels> series;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "strata_metric_" + std::to_string(i % 4);
    const std::string instance = "host-" + std::to_string(10 + i / 4);
    symbols.insert(name);
    symbols.insert(instance);
    series.push_back(Labels::FromPairs(
        {{"__name__", name}, {"instance", instance}, {"job", i % 2 ? "api" : "node"}}));
  }
  std::sort(series.begin(), series.end());
  auto w = IndexWriter::Create(*Env::Default(), (block / "index").string());
  ASSERT_TRUE(w.ok());
  for (const std::string& s : symbols) ASSERT_TRUE((*w)->AddSymbol(s).ok());
  for (size_t i = 0; i < series.size(); ++i) {
    const ChunkMeta c{min_ms + 1000, min_ms + 60000, 8 + 100 * i};
    ASSERT_TRUE((*w)->AddSeries(series[i], std::span(&c, 1)).ok());
  }
  ASSERT_TRUE((*w)->Finish().ok());

  const testing::CommandResult r = testing::RunCommand("promtool tsdb analyze " + data.string() +
                                                       " " + block_.filename().string() + " 2>&1");
  const std::string& out = r.output;
  EXPECT_EQ(r.exit_code, 0) << out;
  EXPECT_NE(out.find("Label names: 3"), std::string::npos) << out;
  EXPECT_NE(out.find("Postings (unique label pairs): 16"), std::string::npos) << out;
  EXPECT_NE(out.find("strata_metric_0"), std::string::npos) << out;
}

}  // namespace
}  // namespace strata::index
