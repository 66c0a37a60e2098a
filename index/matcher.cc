#include "index/matcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "re2/re2.h"

namespace strata::index {
namespace internal {

// A regex compiled once, plus the fast path that replaces it when the text
// allows one.
class CompiledRegex {
 public:
  enum class Kind { kAny, kNonEmpty, kPrefix, kSet, kGeneral };

  CompiledRegex(Kind kind, std::string prefix, std::vector<std::string> set,
                std::unique_ptr<RE2> re)
      : kind_(kind), prefix_(std::move(prefix)), set_(std::move(set)), re_(std::move(re)) {}

  bool Matches(std::string_view v) const {
    switch (kind_) {
      case Kind::kAny:
        return v.find('\n') == std::string_view::npos;
      case Kind::kNonEmpty:
        return !v.empty() && v.find('\n') == std::string_view::npos;
      case Kind::kPrefix:
        return v.starts_with(prefix_) && v.find('\n', prefix_.size()) == std::string_view::npos;
      case Kind::kSet:
        return std::binary_search(set_.begin(), set_.end(), v);
      case Kind::kGeneral:
        return re_->Match(re2::StringPiece(v.data(), v.size()), 0, v.size(), RE2::ANCHOR_BOTH,
                          nullptr, 0);
    }
    return false;
  }
  const std::vector<std::string>& set() const { return set_; }

 private:
  Kind kind_;
  std::string prefix_;
  std::vector<std::string> set_;
  std::unique_ptr<RE2> re_;
};

}  // namespace internal
namespace {

using internal::CompiledRegex;
using Kind = CompiledRegex::Kind;

bool IsLiteral(std::string_view s) {
  return s.find_first_of("\\.+*?()|[]{}^$") == std::string_view::npos;
}

// Splits `re` on '|' if every alternative is a literal.
bool LiteralAlternatives(std::string_view re, std::vector<std::string>* out) {
  while (true) {
    const size_t bar = re.find('|');
    const std::string_view alt = re.substr(0, bar);
    if (!IsLiteral(alt)) return false;
    out->emplace_back(alt);
    if (bar == std::string_view::npos) break;
    re.remove_prefix(bar + 1);
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return true;
}

std::shared_ptr<const CompiledRegex> FastPath(Kind kind, std::string prefix = "",
                                              std::vector<std::string> set = {}) {
  return std::make_shared<CompiledRegex>(kind, std::move(prefix), std::move(set), nullptr);
}

StatusOr<std::shared_ptr<const CompiledRegex>> CompileWithRe2(std::string_view re) {
  RE2::Options options;
  options.set_log_errors(false);
  auto compiled = std::make_unique<RE2>(StrCat("^(?:", re, ")$"), options);
  if (!compiled->ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid regex \"%s\": %s", re, compiled->error()));
  }
  return std::make_shared<CompiledRegex>(Kind::kGeneral, "", std::vector<std::string>{},
                                         std::move(compiled));
}

StatusOr<std::shared_ptr<const CompiledRegex>> Compile(std::string_view re) {
  // Non-ASCII text goes to RE2, which rejects invalid UTF-8 as Go does.
  if (!std::all_of(re.begin(), re.end(), [](char c) { return c >= 0; })) return CompileWithRe2(re);
  if (re == ".*") return FastPath(Kind::kAny);
  if (re == ".+") return FastPath(Kind::kNonEmpty);
  if (re.ends_with(".*") && IsLiteral(re.substr(0, re.size() - 2))) {
    return FastPath(Kind::kPrefix, std::string(re.substr(0, re.size() - 2)));
  }
  std::vector<std::string> set;
  if (LiteralAlternatives(re, &set)) return FastPath(Kind::kSet, "", std::move(set));
  return CompileWithRe2(re);
}

}  // namespace

std::string_view MatchTypeString(MatchType type) {
  switch (type) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegexMatch:
      return "=~";
    case MatchType::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

Matcher::Matcher(MatchType type, std::string name, std::string value,
                 std::shared_ptr<const CompiledRegex> re, std::vector<std::string> set)
    : type_(type),
      name_(std::move(name)),
      value_(std::move(value)),
      re_(std::move(re)),
      set_(std::make_shared<const std::vector<std::string>>(std::move(set))) {}

StatusOr<Matcher> Matcher::Create(MatchType type, std::string_view name, std::string_view value) {
  if (type == MatchType::kEqual || type == MatchType::kNotEqual) {
    return Matcher(type, std::string(name), std::string(value), nullptr, {std::string(value)});
  }
  auto re = Compile(value);
  if (!re.ok()) return re.status();
  std::vector<std::string> set = (*re)->set();
  return Matcher(type, std::string(name), std::string(value), *std::move(re), std::move(set));
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual:
      return v == value_;
    case MatchType::kNotEqual:
      return v != value_;
    case MatchType::kRegexMatch:
      return re_->Matches(v);
    case MatchType::kRegexNoMatch:
      return !re_->Matches(v);
  }
  return false;
}

Matcher Matcher::Inverse() const {
  Matcher m = *this;
  switch (type_) {
    case MatchType::kEqual:
      m.type_ = MatchType::kNotEqual;
      break;
    case MatchType::kNotEqual:
      m.type_ = MatchType::kEqual;
      break;
    case MatchType::kRegexMatch:
      m.type_ = MatchType::kRegexNoMatch;
      break;
    case MatchType::kRegexNoMatch:
      m.type_ = MatchType::kRegexMatch;
      break;
  }
  return m;
}

std::span<const std::string> Matcher::SetMatches() const {
  if (type_ == MatchType::kNotEqual || type_ == MatchType::kRegexNoMatch) return {};
  return *set_;
}

std::string Matcher::ToString() const {
  return absl::StrFormat("%s%s\"%s\"", name_, MatchTypeString(type_), value_);
}

}  // namespace strata::index
