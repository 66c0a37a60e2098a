#include "engine/filenames.h"

#include "absl/strings/str_format.h"

namespace strata::engine {

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string ChunkSegmentName(uint32_t number) { return absl::StrFormat("%06d", number); }

bool ParseChunkSegmentName(std::string_view name, uint32_t* number) {
  if (name.size() < 6 || name.size() > 10) return false;
  uint64_t n = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n == 0 || n > UINT32_MAX) return false;
  *number = static_cast<uint32_t>(n);
  return true;
}

}  // namespace strata::engine
