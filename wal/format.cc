// Segment and checkpoint names of the WAL directory (see format.h).
#include "wal/format.h"

#include "absl/strings/str_format.h"

namespace strata::wal {
namespace {

// Parses exactly 8 decimal digits (Prometheus writes %08d; larger indexes
// would have more digits, which Go's strconv.Atoi also accepts).
std::optional<uint32_t> ParseIndex(std::string_view digits) {
  if (digits.size() < 8 || digits.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

}  // namespace

std::string SegmentName(uint32_t index) { return absl::StrFormat("%08d", index); }

std::optional<uint32_t> ParseSegmentName(std::string_view name) { return ParseIndex(name); }

std::string CheckpointName(uint32_t index) { return absl::StrFormat("checkpoint.%08d", index); }

std::optional<uint32_t> ParseCheckpointName(std::string_view name) {
  if (!name.starts_with(kCheckpointPrefix)) return std::nullopt;
  return ParseIndex(name.substr(kCheckpointPrefix.size()));
}

}  // namespace strata::wal
