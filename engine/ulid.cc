#include "engine/ulid.h"

#include <mutex>
#include <random>

#include "base/strings.h"

namespace strata::engine {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int DecodeChar(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

}  // namespace

uint64_t Ulid::time_ms() const {
  uint64_t t = 0;
  for (int i = 0; i < 6; ++i) t = (t << 8) | bytes[i];
  return t;
}

// 128 bits as 26 base32 digits: the first digit holds the top 3 bits (the
// text is 130 bits wide, so the top 2 are zero).
std::string Ulid::ToString() const {
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (uint8_t b : bytes) v = (v << 8) | b;
  for (int i = 25; i >= 0; --i) {
    out[i] = kAlphabet[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  return out;
}

Ulid NewUlid(int64_t now_ms) {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  Ulid u;
  const uint64_t t = static_cast<uint64_t>(now_ms);
  for (int i = 0; i < 6; ++i) u.bytes[i] = static_cast<uint8_t>(t >> (8 * (5 - i)));
  std::lock_guard<std::mutex> lock(mu);
  const uint64_t a = rng(), b = rng();
  for (int i = 0; i < 8; ++i) u.bytes[6 + i] = static_cast<uint8_t>(a >> (8 * i));
  for (int i = 0; i < 2; ++i) u.bytes[14 + i] = static_cast<uint8_t>(b >> (8 * i));
  return u;
}

StatusOr<Ulid> ParseUlid(std::string_view text) {
  auto bad = [&] { return absl::InvalidArgumentError(StrCat("not a ULID: \"", text, "\"")); };
  if (text.size() != 26) return bad();
  unsigned __int128 v = 0;
  for (size_t i = 0; i < 26; ++i) {
    const int d = DecodeChar(text[i]);
    if (d < 0 || (i == 0 && d > 7)) return bad();  // only 128 bits
    v = (v << 5) | static_cast<unsigned>(d);
  }
  Ulid u;
  for (int i = 15; i >= 0; --i) {
    u.bytes[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return u;
}

}  // namespace strata::engine
