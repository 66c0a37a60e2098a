// Matcher: one label matcher of a selector, `name op "value"`, with
// Prometheus semantics (model/labels/matcher.go, regexp.go).
//
//   =   value equals          !=  value differs
//   =~  regex matches         !~  regex does not match
//
// Regexes use RE2 syntax (the same as Go's regexp) and are fully anchored the
// way Prometheus anchors them: the pattern compiled is `^(?:<value>)$`.
// A series without the label is matched as if its value were "", so a
// matcher that matches "" also selects series lacking the label; see
// PostingsForMatchers.
//
// Fast paths decided at construction, each exactly equivalent to the regex:
//   a|b|c (literals)  -> set look-up, also exposed as SetMatches() so an
//                        index can fetch those postings directly;
//   prefix.*          -> prefix check;   .*  -> anything;   .+  -> non-empty.
// As in Go, `.` does not match a newline, so these fast paths reject
// values containing '\n'. Regex text with non-ASCII bytes always goes to
// RE2 (which, like Go, rejects invalid UTF-8). Known difference from Go:
// RE2's `.` does not match an invalid UTF-8 byte in a value, Go's does.
//
// Thread-safety: immutable after construction; intentionally copyable
// (copies share the compiled regex, which RE2 allows to be used from many
// threads at once).
#ifndef STRATA_INDEX_MATCHER_H_
#define STRATA_INDEX_MATCHER_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata::index {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// "=", "!=", "=~" or "!~".
std::string_view MatchTypeString(MatchType type);

namespace internal {
class CompiledRegex;
}  // namespace internal

class Matcher {
 public:
  // Returns a matcher for `name op value`. For the regex types `value` is
  // compiled; an invalid regex gives InvalidArgument naming the regex and
  // RE2's complaint. Never crashes on any input text.
  [[nodiscard]] static StatusOr<Matcher> Create(MatchType type, std::string_view name,
                                                std::string_view value);

  // True if a label value `v` ("" for a missing label) satisfies the matcher.
  bool Matches(std::string_view v) const;

  // The matcher with the opposite type (= <-> !=, =~ <-> !~).
  Matcher Inverse() const;

  // For = and =~: the exact values the positive form matches, if they are a
  // finite list of literals (sorted, unique); otherwise empty.
  std::span<const std::string> SetMatches() const;

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  // Prometheus' form: name="value", name=~"regex".
  std::string ToString() const;

 private:
  Matcher(MatchType type, std::string name, std::string value,
          std::shared_ptr<const internal::CompiledRegex> re, std::vector<std::string> set);

  MatchType type_;
  std::string name_;
  std::string value_;
  // Shared by copies and the Inverse(): immutable, lifetime = longest user.
  std::shared_ptr<const internal::CompiledRegex> re_;
  std::shared_ptr<const std::vector<std::string>> set_;
};

}  // namespace strata::index

#endif  // STRATA_INDEX_MATCHER_H_
