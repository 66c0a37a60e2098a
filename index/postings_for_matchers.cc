#include "index/postings_for_matchers.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "index/postings.h"

namespace strata::index {
namespace {

// Series whose value of m.name() satisfies m (never series lacking it).
StatusOr<PostingsList> PostingsForMatcher(const LabelPostingsSource& src, const Matcher& m) {
  if (!m.SetMatches().empty()) return src.PostingsForValueList(m.name(), m.SetMatches());
  return src.PostingsForValues(m.name(), [&m](std::string_view v) { return m.Matches(v); });
}

// Series that have label m.name() with a value m rejects.
StatusOr<PostingsList> InversePostingsForMatcher(const LabelPostingsSource& src, const Matcher& m) {
  return src.PostingsForValues(m.name(), [&m](std::string_view v) { return !m.Matches(v); });
}

bool IsNegative(const Matcher& m) {
  return m.type() == MatchType::kNotEqual || m.type() == MatchType::kRegexNoMatch;
}

std::string SelectorString(std::span<const Matcher> matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(matchers[i].ToString());
  }
  out.push_back('}');
  return out;
}

// Intersects the unions `its` (at least one) and subtracts `not_its`.
// Starts from the shortest union and intersects it with each part of the
// others, which gallops when the running result is much shorter.
std::vector<uint64_t> Combine(std::vector<PostingsList> its,
                              const std::vector<PostingsList>& not_its) {
  std::sort(its.begin(), its.end(),
            [](const auto& a, const auto& b) { return a.total_size() < b.total_size(); });
  std::vector<uint64_t> result = MergeLists(its[0].parts());
  for (size_t i = 1; i < its.size() && !result.empty(); ++i) {
    if (its[i].parts().size() == 1) {
      result = IntersectLists(result, its[i].parts()[0]);
      continue;
    }
    std::vector<std::vector<uint64_t>> pieces;
    for (const auto& part : its[i].parts()) pieces.push_back(IntersectLists(result, part));
    result = MergeLists(std::vector<std::span<const uint64_t>>(pieces.begin(), pieces.end()));
  }
  for (const auto& drop : not_its) {
    for (const auto& part : drop.parts()) {
      if (result.empty()) break;
      result = SubtractLists(result, part);
    }
  }
  return result;
}

}  // namespace

StatusOr<std::vector<uint64_t>> PostingsForMatchers(const LabelPostingsSource& source,
                                                    std::span<const Matcher> matchers) {
  absl::flat_hash_set<absl::string_view> must_be_set;
  for (const Matcher& m : matchers) {
    if (!m.Matches("")) must_be_set.insert(ToAbsl(m.name()));
  }
  if (must_be_set.empty()) {
    return absl::InvalidArgumentError(
        StrCat("selector ", SelectorString(matchers),
               " must contain at least one matcher that does not match the empty string"));
  }
  std::vector<PostingsList> its, not_its;
  for (const Matcher& m : matchers) {
    PostingsList p;
    if (!must_be_set.contains(ToAbsl(m.name()))) {
      // l="" or l!~".+": select series lacking l too; subtract the others.
      STRATA_ASSIGN_OR_RETURN(p, InversePostingsForMatcher(source, m));
      not_its.push_back(std::move(p));
    } else if (IsNegative(m) && m.Matches("")) {
      // l!="x" where l is required elsewhere: subtract l="x".
      STRATA_ASSIGN_OR_RETURN(p, PostingsForMatcher(source, m.Inverse()));
      not_its.push_back(std::move(p));
    } else if (IsNegative(m)) {
      // l!="" or l!~"|x": series with a value the inverse rejects.
      STRATA_ASSIGN_OR_RETURN(p, InversePostingsForMatcher(source, m.Inverse()));
      if (p.empty()) return std::vector<uint64_t>{};
      its.push_back(std::move(p));
    } else {
      STRATA_ASSIGN_OR_RETURN(p, PostingsForMatcher(source, m));
      if (p.empty()) return std::vector<uint64_t>{};
      its.push_back(std::move(p));
    }
  }
  return Combine(std::move(its), not_its);
}

}  // namespace strata::index
