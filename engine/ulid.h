// ULIDs name blocks (github.com/oklog/ulid, as Prometheus uses): 48 bits
// of milliseconds since the epoch and 80 random bits, written as 26
// characters of Crockford base32, so names sort by creation time.
//
// Thread-safety: Ulid is a value type; NewUlid is thread-safe.
#ifndef STRATA_ENGINE_ULID_H_
#define STRATA_ENGINE_ULID_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::engine {

struct Ulid {
  std::array<uint8_t, 16> bytes{};  // big-endian: time (6 bytes), then entropy

  uint64_t time_ms() const;
  std::string ToString() const;
  bool operator==(const Ulid&) const = default;
  auto operator<=>(const Ulid&) const = default;
};

// A new ULID for time `now_ms` with random entropy.
Ulid NewUlid(int64_t now_ms);

// Parses the 26-character text form (case-insensitive). Fails with
// InvalidArgument naming the text.
[[nodiscard]] StatusOr<Ulid> ParseUlid(std::string_view text);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_ULID_H_
