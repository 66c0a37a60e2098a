// Helpers shared by the tests of `strata import` and `strata compact`:
// running the binary, reading every sample of a directory back, listing
// its blocks.
#ifndef STRATA_TESTS_TOOLS_IMPORT_COMPACT_TEST_UTIL_H_
#define STRATA_TESTS_TOOLS_IMPORT_COMPACT_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/block_meta.h"
#include "engine/ulid.h"
#include "gtest/gtest.h"
#include "strata/db.h"
#include "strata/env.h"
#include "tests/testing/process.h"

namespace strata::tools {

constexpr int64_t kHourMs = 3600 * 1000;
// 2023-01-01T00:00:00Z, aligned to every block range.
constexpr int64_t kBaseMs = 1672531200000;

// series ("name=\"value\",..." sorted) -> (timestamp, value bits), in time order.
using SampleMap = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

inline testing::CommandResult RunStrata(const std::string& args) {
  return testing::RunCommand(std::string(STRATA_BINARY) + " " + args + " 2>&1");
}

inline uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Every sample of the data directory `dir`, read with a read-only DB.
inline SampleMap ReadAll(const std::string& dir) {
  Options options;
  options.read_only = true;
  options.background_compaction = false;
  auto db = DB::Open(options, dir);
  EXPECT_TRUE(db.ok()) << db.status();
  SampleMap out;
  if (!db.ok()) return out;
  auto q = (*db)->NewQuerier(INT64_MIN, INT64_MAX);
  EXPECT_TRUE(q.ok());
  LabelMatcher all{LabelMatcher::Type::kRegexMatch, "__name__", ".+"};
  auto set = (*q)->Select({&all, 1});
  EXPECT_TRUE(set.ok());
  while ((*set)->Next()) {
    std::string key;
    for (const Label& l : (*set)->labels()) {
      key += (key.empty() ? "" : ",") + l.name + "=\"" + l.value + "\"";
    }
    auto it = (*set)->NewIterator();
    auto& samples = out[key];
    while (it->Next()) samples.emplace_back(it->timestamp_ms(), Bits(it->value()));
    EXPECT_TRUE(it->status().ok()) << it->status();
  }
  EXPECT_TRUE((*set)->status().ok());
  q->reset();
  EXPECT_TRUE((*db)->Close().ok());
  return out;
}

inline std::vector<engine::BlockMeta> Blocks(const std::string& dir) {
  std::vector<engine::BlockMeta> out;
  auto names = Env::Default()->GetChildren(dir);
  if (!names.ok()) return out;
  for (const std::string& n : *names) {
    if (!engine::ParseUlid(n).ok()) continue;
    auto meta = engine::ReadBlockMeta(*Env::Default(), dir + "/" + n);
    EXPECT_TRUE(meta.ok()) << meta.status();
    if (meta.ok()) out.push_back(*meta);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.min_time_ms < b.min_time_ms; });
  return out;
}

}  // namespace strata::tools

#endif  // STRATA_TESTS_TOOLS_IMPORT_COMPACT_TEST_UTIL_H_
