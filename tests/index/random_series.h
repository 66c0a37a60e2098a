// Random label sets and selectors for the index tests, and the brute-force
// selector semantics they are checked against.
#ifndef STRATA_TESTS_INDEX_RANDOM_SERIES_H_
#define STRATA_TESTS_INDEX_RANDOM_SERIES_H_

#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "index/labels.h"
#include "index/matcher.h"

namespace strata::index::testing {

inline const std::vector<std::string>& TestNames() {
  static const std::vector<std::string> names = {"__name__", "job", "mode", "status", "x"};
  return names;
}
inline const std::vector<std::string>& TestValues() {
  static const std::vector<std::string> values = {"a", "b", "ab", "ba", "abc", "c1", "c2", "up"};
  return values;
}

// Distinct random label sets; every label is present with probability 2/3,
// so missing labels are common.
inline std::vector<Labels> RandomSeries(std::mt19937_64& rng, size_t n) {
  std::set<std::string> seen;
  std::vector<Labels> out;
  while (out.size() < n) {
    LabelsBuilder b;
    for (const std::string& name : TestNames()) {
      if (rng() % 3 == 0) continue;
      b.Set(name, TestValues()[rng() % TestValues().size()]);
    }
    Labels ls = b.Build();
    if (ls.empty() || !seen.insert(std::string(ls.encoded())).second) continue;
    out.push_back(std::move(ls));
  }
  return out;
}

// A random matcher, including empty values and the regex fast paths.
inline Matcher RandomMatcher(std::mt19937_64& rng) {
  static const std::vector<std::string> regexes = {".*", ".+",     "a.*",      "a|b", "a|", "|a",
                                                   "b?", "c[0-9]", "ab|ba|up", "",    "a",  "u."};
  const std::string& name = TestNames()[rng() % TestNames().size()];
  const auto type = static_cast<MatchType>(rng() % 4);
  std::string value;
  if (type == MatchType::kEqual || type == MatchType::kNotEqual) {
    value = rng() % 4 == 0 ? "" : TestValues()[rng() % TestValues().size()];
  } else {
    value = regexes[rng() % regexes.size()];
  }
  return *Matcher::Create(type, name, value);
}

// Prometheus semantics by definition: a missing label reads as "".
// Returns nullopt when the selector is invalid (every matcher matches "").
inline std::optional<std::vector<size_t>> BruteForceSelect(const std::vector<Labels>& series,
                                                           const std::vector<Matcher>& ms) {
  bool valid = false;
  for (const Matcher& m : ms) valid |= !m.Matches("");
  if (!valid) return std::nullopt;
  std::vector<size_t> out;
  for (size_t i = 0; i < series.size(); ++i) {
    bool all = true;
    for (const Matcher& m : ms) all &= m.Matches(series[i].Get(m.name()));
    if (all) out.push_back(i);
  }
  return out;
}

}  // namespace strata::index::testing

#endif  // STRATA_TESTS_INDEX_RANDOM_SERIES_H_
