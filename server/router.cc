#include "server/router.h"

#include <algorithm>
#include <utility>

namespace strata::server {
namespace {

// In the order an Allow header lists them.
constexpr std::pair<std::string_view, uint32_t> kMethods[] = {
    {"GET", kGet}, {"HEAD", kHead},     {"POST", kPost},
    {"PUT", kPut}, {"DELETE", kDelete}, {"OPTIONS", kOptions}};

}  // namespace

uint32_t MethodBit(std::string_view method) {
  for (const auto& [name, bit] : kMethods) {
    if (method == name) return bit;
  }
  return 0;
}

namespace internal {

bool MatchPattern(std::string_view pattern, std::string_view path, std::string_view* param) {
  for (;;) {
    const size_t colon = pattern.find(':');
    if (colon == std::string_view::npos) return pattern == path;
    if (path.substr(0, colon) != pattern.substr(0, colon)) return false;
    pattern.remove_prefix(colon);
    path.remove_prefix(colon);
    // The parameter runs to the next '/' in both.
    const size_t pattern_end = std::min(pattern.find('/'), pattern.size());
    const size_t path_end = std::min(path.find('/'), path.size());
    if (path_end == 0) return false;  // an empty segment matches no parameter
    *param = path.substr(0, path_end);
    pattern.remove_prefix(pattern_end);
    path.remove_prefix(path_end);
  }
}

std::string AllowHeader(uint32_t methods) {
  std::string out;
  for (const auto& [name, bit] : kMethods) {
    if ((methods & bit) == 0) continue;
    if (!out.empty()) out.append(", ");
    out.append(name);
  }
  return out;
}

}  // namespace internal
}  // namespace strata::server
