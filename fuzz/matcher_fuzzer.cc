// Builds a matcher from arbitrary regex text and matches a few strings.
// Input: <type byte><regex>\0<value>\0<value>... Construction must fail
// cleanly (InvalidArgument) or succeed; a regex matcher must agree with
// RE2 on the anchored pattern for ASCII values (so the fast paths are
// exact), and the
// inverse must disagree with it.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "index/matcher.h"
#include "re2/re2.h"

using strata::index::Matcher;
using strata::index::MatchType;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto type = static_cast<MatchType>(data[0] % 4);
  std::vector<std::string> pieces;  // split on NUL: regex, then values
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  while (true) {
    const size_t nul = rest.find('\0');
    pieces.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  const std::string& regex = pieces[0];
  std::vector<std::string> values = {"", "a", "\n"};
  values.insert(values.end(), pieces.begin(), pieces.end());
  auto m = Matcher::Create(type, "l", regex);
  if (!m.ok()) {
    if (m.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  const bool is_regex = type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch;
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 reference("^(?:" + regex + ")$", options);
  for (const std::string& v : values) {
    const bool got = m->Matches(v);
    if (m->Inverse().Matches(v) == got) std::abort();
    // RE2 and Go (Prometheus) differ on invalid UTF-8; compare on ASCII.
    const bool ascii = std::all_of(v.begin(), v.end(), [](char c) { return c >= 0; });
    if (is_regex && reference.ok() && ascii) {
      const bool want = RE2::FullMatch(v, reference) == (type == MatchType::kRegexMatch);
      if (got != want) std::abort();
    }
  }
  return 0;
}
