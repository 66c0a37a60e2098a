// strata::DB on data directories Prometheus 2.42 wrote, and Prometheus'
// tools on directories Strata wrote.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "base/strings.h"
#include "strata/db.h"
#include "tests/testing/prometheus_fixture.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// The fixture's label form: name="value" pairs sorted by name, comma-separated.
std::string FixtureLabels(const Labels& ls) {
  std::string out;
  for (const Label& l : ls) {
    if (!out.empty()) out += ",";
    out += StrCat(l.name, "=\"", l.value, "\"");
  }
  return out;
}

TEST(DBInteropTest, OpensPrometheusDataDirectoryWithBlockWalAndHeadChunks) {
  const fs::path dir = fs::path(::testing::TempDir()) / "strata_db_interop_prometheus_dir";
  fs::remove_all(dir);
  fs::copy(testing::PrometheusFixtureDataDir(), dir, fs::copy_options::recursive);
  fs::remove(dir / "lock");

  Options options;
  options.retention_ms = 0;  // the fixture is from 2023
  options.background_compaction = false;
  StatusOr<std::unique_ptr<DB>> db = DB::Open(options, dir.string());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->Stats().blocks, 1u);
  EXPECT_GT((*db)->Stats().head_series, 0u);

  std::set<std::tuple<std::string, int64_t, uint64_t>> got;
  StatusOr<std::unique_ptr<Querier>> q = (*db)->NewQuerier(INT64_MIN, INT64_MAX);
  ASSERT_TRUE(q.ok());
  std::vector<LabelMatcher> all = {{LabelMatcher::Type::kRegexMatch, "__name__", ".+"}};
  StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(all);
  ASSERT_TRUE(set.ok()) << set.status();
  size_t dups = 0;
  while ((*set)->Next()) {
    const std::string key = FixtureLabels((*set)->labels());
    std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
    while (it->Next()) {
      if (!got.emplace(key, it->timestamp_ms(), std::bit_cast<uint64_t>(it->value())).second) {
        ++dups;
      }
    }
    ASSERT_TRUE(it->status().ok()) << it->status();
  }
  EXPECT_EQ(dups, 0u);
  size_t want = 0, missing = 0;
  for (const auto& s : testing::PrometheusFixtureSamples()) {
    ++want;
    if (!got.contains({s.labels, s.timestamp_ms, s.value_bits}) && ++missing <= 5) {
      ADD_FAILURE() << "missing " << s.labels << " @" << s.timestamp_ms;
    }
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(got.size(), want);

  // Strata keeps writing the directory Prometheus left (the head spans
  // only 2 h 10 m, too little for a block yet).
  ASSERT_TRUE((*db)->Compact().ok());
  std::unique_ptr<Appender> app = (*db)->NewAppender();
  ASSERT_TRUE(
      app->Append({{"__name__", "up"}, {"job", "strata"}}, 1672531200000 + 5 * 3600000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  app.reset();
  ASSERT_TRUE((*db)->Close().ok());
  db->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strata
