// Interop tests of blocks against the real Prometheus 2.42 (Debian's
// `prometheus` package, DESIGN.md §2): a block written by BlockWriter is
// read by `promtool tsdb analyze`, `promtool tsdb dump` and a running
// Prometheus server, which must see exactly the samples written; and
// Block::Open reads the block Prometheus wrote in tests/fixtures.
//
// Tests skip when promtool or prometheus is not on PATH.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status_macros.h"
#include "compression/xor_chunk.h"
#include "engine/block.h"
#include "engine/block_writer.h"
#include "engine/filenames.h"
#include "gtest/gtest.h"
#include "index/labels.h"
#include "tests/testing/process.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata::engine {
namespace {

using ::strata::testing::ChildProcess;
using ::strata::testing::CommandResult;
using ::strata::testing::RunCommand;
using ::strata::testing::TempDir;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002;
constexpr int64_t kHourMs = 3600 * 1000;
constexpr int kSamplesPerChunk = 120;  // Prometheus' samplesPerChunk

struct Sample {
  int64_t t;
  uint64_t bits;
};

struct Series {
  index::Labels labels;
  std::vector<Sample> samples;
};

double FromBits(uint64_t b) {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

bool SameValue(uint64_t want_bits, double got) {
  const double want = FromBits(want_bits);
  if (std::isnan(want)) return std::isnan(got);  // printed as "NaN"
  return want_bits == Bits(got);
}

// 3 metrics x 70 series with ~1,650 samples each at irregular intervals
// (jitter, occasional gaps of minutes), in [start_ms, start_ms + 6 h).
// Every 7th series has a staleness marker in the middle, then continues.
std::vector<Series> MakeSeries(int64_t start_ms) {
  std::mt19937_64 rng(42);
  std::vector<Series> out;
  const char* metrics[] = {"strata_interop_requests_total", "strata_interop_temperature_celsius",
                           "strata_interop_queue_depth"};
  int n = 0;
  for (const char* metric : metrics) {
    for (int i = 0; i < 70; ++i, ++n) {
      Series s;
      const std::string instance = "host-" + std::to_string(i) + ":9100";
      s.labels = index::Labels::FromPairs({{"__name__", metric},
                                           {"instance", instance},
                                           {"job", i % 3 == 0 ? "db" : "api"},
                                           {"zone", i % 2 ? "eu-1" : "us-2"}});
      const int count = 1500 + static_cast<int>(rng() % 300);
      int64_t t = start_ms + static_cast<int64_t>(rng() % 5000);
      double counter = 0;
      for (int j = 0; j < count; ++j) {
        double v;
        if (n % 3 == 0) {
          counter += static_cast<double>(rng() % 100);
          v = counter;
        } else if (n % 3 == 1) {
          v = std::round((20 + 5 * std::sin(j / 50.0) + (rng() % 100) / 100.0) * 100) / 100;
        } else {
          v = FromBits(rng() & 0x7fefffffffffffff);  // any finite positive double
        }
        uint64_t bits = Bits(v);
        if (n % 7 == 0 && j == count / 2) bits = kStaleNaN;
        s.samples.push_back({t, bits});
        t += 9000 + static_cast<int64_t>(rng() % 2000);
        if (rng() % 200 == 0) t += 60000 + static_cast<int64_t>(rng() % 120000);  // a gap
        if (t >= start_ms + 6 * kHourMs) break;
      }
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Series& a, const Series& b) { return a.labels < b.labels; });
  return out;
}

// Writes `series` as one block [start_ms, end_ms) in `data_dir`, chunks
// cut every 120 samples.
StatusOr<BlockMeta> WriteBlock(const std::string& data_dir, const std::vector<Series>& series,
                               int64_t start_ms, int64_t end_ms) {
  Env& env = *Env::Default();
  const Ulid ulid = NewUlid(env.NowMillis());
  STRATA_ASSIGN_OR_RETURN(auto writer, BlockWriter::Create(env, data_dir, ulid));
  std::set<std::string_view> symbols;
  for (const Series& s : series) {
    for (const index::Label& l : s.labels) {
      symbols.insert(l.name);
      symbols.insert(l.value);
    }
  }
  const std::vector<std::string_view> sorted(symbols.begin(), symbols.end());
  STRATA_RETURN_IF_ERROR(writer->AddSymbols(sorted));
  std::vector<std::string> bytes;
  std::vector<TimedChunk> chunks;
  for (const Series& s : series) {
    bytes.clear();
    chunks.clear();
    for (size_t i = 0; i < s.samples.size(); i += kSamplesPerChunk) {
      compression::XorChunk c;
      const size_t end = std::min(s.samples.size(), i + kSamplesPerChunk);
      for (size_t j = i; j < end; ++j) {
        STRATA_RETURN_IF_ERROR(c.Append(s.samples[j].t, FromBits(s.samples[j].bits)));
      }
      bytes.emplace_back(c.bytes());
      chunks.push_back(
          {s.samples[i].t, s.samples[end - 1].t, compression::ChunkEncoding::kXor, {}});
    }
    for (size_t i = 0; i < chunks.size(); ++i) chunks[i].data = bytes[i];
    STRATA_RETURN_IF_ERROR(writer->AddSeries(s.labels, chunks));
  }
  BlockMeta meta;
  meta.ulid = ulid;
  meta.min_time_ms = start_ms;
  meta.max_time_ms = end_ms;
  meta.compaction.level = 1;
  meta.compaction.sources = {ulid};
  return writer->Finish(meta);
}

class BlockInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveProgram("promtool")) GTEST_SKIP() << "promtool not on PATH";
    ASSERT_FALSE(tmp_.path().empty());
    // A few days back, so Prometheus' retention keeps the block.
    const int64_t now = Env::Default()->NowMillis();
    start_ms_ = (now - 3 * 24 * kHourMs) / kHourMs * kHourMs;
    end_ms_ = start_ms_ + 6 * kHourMs;
    series_ = MakeSeries(start_ms_);
    data_dir_ = tmp_.path() + "/data";
    StatusOr<BlockMeta> meta = WriteBlock(data_dir_, series_, start_ms_, end_ms_);
    ASSERT_TRUE(meta.ok()) << meta.status();
    meta_ = *meta;
    // A data directory always has a wal/; promtool tsdb dump requires it.
    ASSERT_TRUE(Env::Default()->CreateDirs(data_dir_ + "/wal").ok());
  }

  TempDir tmp_{"strata_block_interop"};
  int64_t start_ms_ = 0, end_ms_ = 0;
  std::vector<Series> series_;
  std::string data_dir_;
  BlockMeta meta_;
};

TEST_F(BlockInteropTest, PromtoolAnalyzeAcceptsTheBlock) {
  const CommandResult r = RunCommand("promtool tsdb analyze " + data_dir_ + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Block ID: " + meta_.ulid.ToString()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Series: " + std::to_string(series_.size()) + "\n"), std::string::npos)
      << r.output;
}

TEST_F(BlockInteropTest, PromtoolDumpGivesExactlyTheSamplesWritten) {
  const CommandResult r = RunCommand("promtool tsdb dump " + data_dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
  // Lines are `{a="b", c="d"} <value %g> <timestamp ms>`.
  std::map<std::string, std::vector<std::pair<int64_t, double>>> got;
  size_t lines = 0;
  for (size_t pos = 0; pos < r.output.size();) {
    size_t eol = r.output.find('\n', pos);
    if (eol == std::string::npos) eol = r.output.size();
    const std::string_view line(r.output.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    const size_t ts_space = line.rfind(' ');
    const size_t value_space = line.rfind(' ', ts_space - 1);
    ASSERT_TRUE(ts_space != std::string_view::npos && value_space != std::string_view::npos)
        << line;
    const std::string value(line.substr(value_space + 1, ts_space - value_space - 1));
    const std::string ts(line.substr(ts_space + 1));
    got[std::string(line.substr(0, value_space))].emplace_back(
        std::strtoll(ts.c_str(), nullptr, 10), std::strtod(value.c_str(), nullptr));
    ++lines;
  }
  size_t want_lines = 0;
  for (const Series& s : series_) want_lines += s.samples.size();
  EXPECT_EQ(lines, want_lines);
  ASSERT_EQ(got.size(), series_.size());
  for (const Series& s : series_) {
    const auto it = got.find(s.labels.ToString());
    ASSERT_NE(it, got.end()) << s.labels.ToString();
    ASSERT_EQ(it->second.size(), s.samples.size()) << s.labels.ToString();
    for (size_t i = 0; i < s.samples.size(); ++i) {
      ASSERT_EQ(it->second[i].first, s.samples[i].t) << s.labels.ToString() << " sample " << i;
      ASSERT_TRUE(SameValue(s.samples[i].bits, it->second[i].second))
          << s.labels.ToString() << " sample " << i << ": want bits " << std::hex
          << s.samples[i].bits << ", got " << it->second[i].second;
    }
  }
}

TEST_F(BlockInteropTest, PrometheusServesTheSamplesWritten) {
  if (!testing::HaveProgram("prometheus")) GTEST_SKIP() << "prometheus not on PATH";
  // Prometheus may compact or rewrite what it opens: give it a copy.
  const std::string copy = tmp_.path() + "/prometheus-data";
  ASSERT_EQ(RunCommand("cp -a " + data_dir_ + " " + copy).exit_code, 0);
  const std::string config = tmp_.path() + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1h\n";
  const int port = testing::FreePort();
  ASSERT_GT(port, 0);
  const std::string log = tmp_.path() + "/prometheus.log";
  auto server =
      ChildProcess::Start({"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + copy,
                           "--storage.tsdb.retention.time=100y",
                           "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                          log);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(testing::WaitForHttp(port, "/-/ready", absl::Seconds(60)))
      << RunCommand("tail -n 30 " + log).output;

  // A range selector over the whole block returns the raw samples (without
  // staleness markers, which PromQL drops) of each selected series.
  const int64_t eval_s = end_ms_ / 1000;
  std::vector<size_t> picks = {0, 1, series_.size() / 2, series_.size() - 1};
  for (size_t i = 0; i < series_.size(); ++i) {
    const auto& v = series_[i].samples;
    if (std::any_of(v.begin(), v.end(), [](const Sample& x) { return x.bits == kStaleNaN; })) {
      picks.push_back(i);  // one series with a staleness marker
      break;
    }
  }
  ASSERT_EQ(picks.size(), 5u);
  for (size_t pick : picks) {
    const Series& s = series_[pick];
    const std::string query = s.labels.ToString() + "[7h]";
    auto r = testing::HttpGet(port, "/api/v1/query?query=" + testing::UrlEncode(query) +
                                        "&time=" + std::to_string(eval_s));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status_code, 200) << r->body;
    const auto results = testing::ParseMatrixValues(r->body);
    ASSERT_EQ(results.size(), 1u) << query << ": " << r->body.substr(0, 500);
    std::vector<Sample> want;
    for (const Sample& x : s.samples) {
      if (x.bits != kStaleNaN) want.push_back(x);
    }
    ASSERT_EQ(results[0].size(), want.size()) << query;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(results[0][i].first, want[i].t) << query << " sample " << i;
      ASSERT_TRUE(SameValue(want[i].bits, results[0][i].second))
          << query << " sample " << i << ": want bits " << std::hex << want[i].bits << ", got "
          << results[0][i].second;
    }
  }
  // Every series is there.
  auto r = testing::HttpGet(
      port, "/api/v1/series?match[]=" + testing::UrlEncode("{__name__=~\"strata_interop_.*\"}") +
                "&start=" + std::to_string(start_ms_ / 1000) + "&end=" + std::to_string(eval_s));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status_code, 200) << r->body;
  size_t found = 0;
  for (size_t pos = 0; (pos = r->body.find("\"__name__\"", pos)) != std::string::npos; ++pos) {
    ++found;
  }
  EXPECT_EQ(found, series_.size()) << r->body.substr(0, 500);
}

// Reading Prometheus' own block ------------------------------------------

// The fixture's label form: name="value" pairs joined by ",".
std::string FixtureLabels(const index::Labels& labels) {
  std::string out;
  for (const index::Label& l : labels) {
    if (!out.empty()) out += ',';
    out += std::string(l.name) + "=\"" + std::string(l.value) + "\"";
  }
  return out;
}

TEST(BlockPrometheusFixtureTest, ReadsEverySampleOfPrometheusBlock) {
  StatusOr<std::shared_ptr<Block>> block =
      Block::Open(*Env::Default(), testing::PrometheusFixtureBlockDir());
  ASSERT_TRUE(block.ok()) << block.status();
  const Block& b = **block;
  std::map<std::string, std::vector<Sample>> got;
  uint64_t samples = 0, chunks = 0;
  StatusOr<std::vector<uint64_t>> refs = b.index().AllPostings();
  ASSERT_TRUE(refs.ok()) << refs.status();
  for (uint64_t ref : *refs) {
    StatusOr<index::SeriesEntry> e = b.index().Series(ref);
    ASSERT_TRUE(e.ok()) << e.status();
    std::vector<Sample>& out = got[FixtureLabels(e->labels)];
    for (const index::ChunkMeta& m : e->chunks) {
      ++chunks;
      StatusOr<ChunkView> c = b.chunks().Chunk(m.ref);
      ASSERT_TRUE(c.ok()) << c.status();
      ASSERT_EQ(c->encoding, compression::ChunkEncoding::kXor);
      compression::XorIterator it(c->data);
      while (it.Next()) {
        EXPECT_GE(it.timestamp_ms(), m.min_time_ms);
        EXPECT_LE(it.timestamp_ms(), m.max_time_ms);
        out.push_back({it.timestamp_ms(), it.value_bits()});
        ++samples;
      }
      ASSERT_TRUE(it.status().ok()) << it.status();
    }
  }
  EXPECT_EQ(b.meta().stats.num_series, refs->size());
  EXPECT_EQ(b.meta().stats.num_chunks, chunks);
  EXPECT_EQ(b.meta().stats.num_samples, samples);
  EXPECT_TRUE(b.tombstones()->empty());

  std::map<std::string, std::vector<Sample>> want;
  for (const testing::FixtureSample& s : testing::PrometheusFixtureSamples()) {
    if (s.timestamp_ms < b.meta().min_time_ms || s.timestamp_ms >= b.meta().max_time_ms) continue;
    want[s.labels].push_back({s.timestamp_ms, s.value_bits});
  }
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [labels, samples_want] : want) {
    const auto it = got.find(labels);
    ASSERT_NE(it, got.end()) << labels;
    ASSERT_EQ(it->second.size(), samples_want.size()) << labels;
    for (size_t i = 0; i < samples_want.size(); ++i) {
      EXPECT_EQ(it->second[i].t, samples_want[i].t) << labels << " sample " << i;
      EXPECT_EQ(it->second[i].bits, samples_want[i].bits) << labels << " sample " << i;
    }
  }
}

}  // namespace
}  // namespace strata::engine
