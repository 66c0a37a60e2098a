// Parses arbitrary text as a match[] series selector (/api/v1/series,
// /api/v1/labels, /api/v1/label/<name>/values, delete_series, the tools'
// --match) and, when it parses, runs it against a small in-memory DB as
// those endpoints do. Parsing must fail with InvalidArgument or give
// matchers the index accepts, at least one of which does not match the
// empty label value (else the engine would refuse the selector); the DB
// must return exactly the series the matchers select, checked one by one.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/matcher.h"
#include "query/parser.h"
#include "strata/db.h"
#include "tests/testing/mem_env.h"

namespace {

using strata::LabelMatcher;
using strata::Labels;

// Series with the label shapes selectors meet: names, jobs, empty-looking
// and non-ASCII values, a series without a metric name.
const std::vector<Labels>& AllSeries() {
  static const auto* series = new std::vector<Labels>{
      {{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}},
      {{"__name__", "up"}, {"instance", "b:9100"}, {"job", "node"}},
      {{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}},
      {{"__name__", "http_requests_total"}, {"code", "500"}, {"job", "api"}},
      {{"__name__", "temperature_\xc2\xb0"},
       {"room",
        "k\xc3\xbc"
        "che"}},
      {{"job", "orphan"}, {"le", "+Inf"}},
  };
  return *series;
}

strata::DB& TestDB() {
  static strata::DB* db = [] {
    auto* env = new strata::testing::MemEnv();
    strata::Options o;
    o.env = env;
    o.background_compaction = false;
    o.wal_sync = strata::WalSyncPolicy::kNever;
    auto opened = strata::DB::Open(o, "/data");
    if (!opened.ok()) std::abort();
    auto app = (*opened)->NewAppender();
    for (const Labels& ls : AllSeries()) {
      std::vector<strata::LabelView> views;
      for (const auto& l : ls) views.push_back({l.name, l.value});
      if (!app->Append(std::span<const strata::LabelView>(views), 1000, 1.0).ok()) std::abort();
    }
    if (!app->Commit().ok()) std::abort();
    return opened->release();
  }();
  return *db;
}

strata::index::MatchType ToIndex(LabelMatcher::Type t) {
  switch (t) {
    case LabelMatcher::Type::kEqual:
      return strata::index::MatchType::kEqual;
    case LabelMatcher::Type::kNotEqual:
      return strata::index::MatchType::kNotEqual;
    case LabelMatcher::Type::kRegexMatch:
      return strata::index::MatchType::kRegexMatch;
    case LabelMatcher::Type::kRegexNoMatch:
      return strata::index::MatchType::kRegexNoMatch;
  }
  std::abort();
}

std::string Flatten(const Labels& ls) {
  std::string out;
  for (const auto& l : ls) {
    out.append(l.name).push_back('\0');
    out.append(l.value).push_back('\0');
  }
  return out;
}

std::string_view ValueOf(const Labels& ls, std::string_view name) {
  for (const auto& l : ls) {
    if (l.name == name) return l.value;
  }
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy so ASan sees the exact bounds.
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = strata::query::ParseSeriesSelector(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument ||
        parsed.status().message().empty()) {
      std::abort();
    }
    return 0;
  }
  if (parsed->empty()) std::abort();
  std::vector<strata::index::Matcher> ms;
  bool non_empty = false;
  for (const LabelMatcher& m : *parsed) {
    auto im = strata::index::Matcher::Create(ToIndex(m.type), m.name, m.value);
    if (!im.ok()) std::abort();  // the parser checked the regex
    non_empty |= !im->Matches("");
    ms.push_back(*std::move(im));
  }
  if (!non_empty) std::abort();  // the type checker requires one

  std::set<std::string> want;
  std::set<std::string> want_names;
  for (const Labels& ls : AllSeries()) {
    bool all = true;
    for (const auto& m : ms) all = all && m.Matches(ValueOf(ls, m.name()));
    if (!all) continue;
    want.insert(Flatten(ls));
    for (const auto& l : ls) want_names.insert(l.name);
  }
  auto q = TestDB().NewQuerier(0, 2000);
  if (!q.ok()) std::abort();
  auto set = (*q)->Select(*parsed);
  if (!set.ok()) std::abort();
  std::set<std::string> got;
  while ((*set)->Next()) got.insert(Flatten((*set)->labels()));
  if (!(*set)->status().ok() || got != want) std::abort();
  auto names = (*q)->LabelNames(*parsed);
  if (!names.ok()) std::abort();
  if (std::set<std::string>(names->begin(), names->end()) != want_names) std::abort();
  auto values = (*q)->LabelValues("job", *parsed);
  if (!values.ok()) std::abort();
  return 0;
}
