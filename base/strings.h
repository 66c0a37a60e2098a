// StrCat/StrAppend that accept std::string_view.
//
// Debian 12's Abseil is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), so absl::StrCat rejects
// std::string_view arguments. Strata uses std::string_view everywhere;
// these forward to Abseil after converting. absl::StrFormat accepts
// std::string_view as it is.
//
// Thread-safety: stateless.
#ifndef STRATA_BASE_STRINGS_H_
#define STRATA_BASE_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strata {
namespace base_internal {

inline absl::string_view Adapt(std::string_view s) { return absl::string_view(s.data(), s.size()); }
template <typename T>
const T& Adapt(const T& v) {
  return v;
}

}  // namespace base_internal

inline absl::string_view ToAbsl(std::string_view s) { return base_internal::Adapt(s); }
inline std::string_view FromAbsl(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

template <typename... Args>
[[nodiscard]] std::string StrCat(const Args&... args) {
  return absl::StrCat(base_internal::Adapt(args)...);
}

template <typename... Args>
void StrAppend(std::string* dst, const Args&... args) {
  absl::StrAppend(dst, base_internal::Adapt(args)...);
}

}  // namespace strata

#endif  // STRATA_BASE_STRINGS_H_
