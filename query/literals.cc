// Go-compatible literal helpers; see literals.h.
#include "query/literals.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_format.h"

namespace strata::query {
namespace {

constexpr int64_t kMsPerDay = 24LL * 60 * 60 * 1000;
// Go's time.Duration counts nanoseconds in an int64.
constexpr int64_t kMaxDurationMs = std::numeric_limits<int64_t>::max() / 1000000;

struct DurationUnit {
  std::string_view suffix;
  int64_t ms;
  bool exact_only;  // printed only when the remainder is a multiple
};
constexpr DurationUnit kUnits[] = {
    {"y", 365 * kMsPerDay, true},
    {"w", 7 * kMsPerDay, true},
    {"d", kMsPerDay, false},
    {"h", 60 * 60 * 1000, false},
    {"m", 60 * 1000, false},
    {"s", 1000, false},
    {"ms", 1, false},
};

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 16;
}

Status InvalidSyntax() { return absl::InvalidArgumentError("invalid syntax"); }

// Decodes the escape after a backslash at s[*i] (the character after '\').
Status UnescapeOne(std::string_view s, size_t* i, char quote, std::string* out) {
  const char c = s[(*i)++];
  switch (c) {
    case 'a':
      out->push_back('\a');
      return absl::OkStatus();
    case 'b':
      out->push_back('\b');
      return absl::OkStatus();
    case 'f':
      out->push_back('\f');
      return absl::OkStatus();
    case 'n':
      out->push_back('\n');
      return absl::OkStatus();
    case 'r':
      out->push_back('\r');
      return absl::OkStatus();
    case 't':
      out->push_back('\t');
      return absl::OkStatus();
    case 'v':
      out->push_back('\v');
      return absl::OkStatus();
    case '\\':
      out->push_back('\\');
      return absl::OkStatus();
    default:
      break;
  }
  if (c == quote) {
    out->push_back(c);
    return absl::OkStatus();
  }
  int digits = 0, base = 16;
  uint32_t max = 255;
  if (c >= '0' && c <= '7') {
    digits = 3, base = 8;
    --*i;
  } else if (c == 'x') {
    digits = 2;
  } else if (c == 'u') {
    digits = 4, max = 0x10FFFF;
  } else if (c == 'U') {
    digits = 8, max = 0x10FFFF;
  } else {
    return InvalidSyntax();
  }
  uint32_t v = 0;
  for (int k = 0; k < digits; ++k, ++*i) {
    if (*i >= s.size()) return InvalidSyntax();
    const int d = HexVal(s[*i]);
    if (d >= base) return InvalidSyntax();
    v = v * base + d;
  }
  if (v > max) return InvalidSyntax();
  if (c == 'u' || c == 'U') {
    if (v >= 0xD800 && v < 0xE000) return InvalidSyntax();
    AppendRune(v, out);
  } else {
    out->push_back(static_cast<char>(v));
  }
  return absl::OkStatus();
}

bool IsPrintableRune(uint32_t r) {
  if (r < 0x20 || r == 0x7f) return false;
  if (r >= 0x80 && r <= 0xA0) return false;
  return r != 0xAD && r != 0x2028 && r != 0x2029 && r != 0xFEFF && r != 0xFFFD;
}

void AppendEscapedRune(uint32_t r, char quote, std::string* out) {
  if (r == static_cast<uint32_t>(quote) || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (IsPrintableRune(r)) {
    AppendRune(r, out);
    return;
  }
  switch (r) {
    case '\a':
      out->append("\\a");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\v':
      out->append("\\v");
      return;
    default:
      break;
  }
  if (r < 0x80) {
    out->append(absl::StrFormat("\\x%02x", r));
  } else if (r < 0x10000) {
    out->append(absl::StrFormat("\\u%04x", r));
  } else {
    out->append(absl::StrFormat("\\U%08x", r));
  }
}

}  // namespace

StatusOr<int64_t> ParseDuration(std::string_view s) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrFormat("not a valid duration string: %s", Quote(s)));
  };
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  size_t i = 0, next_unit = 0;
  int64_t total = 0;
  bool overflow = false;
  while (i < s.size()) {
    int64_t n = 0;
    const size_t start = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10)
        overflow = true;
      else
        n = n * 10 + (s[i] - '0');
    }
    if (i == start) return invalid();
    size_t u = next_unit;
    // "ms" must be tried before "m".
    while (u < std::size(kUnits)) {
      const std::string_view suffix = kUnits[u].suffix;
      const bool is_m = suffix == "m";
      if (s.substr(i, suffix.size()) == suffix && !(is_m && s.substr(i, 2) == "ms")) {
        break;
      }
      ++u;
    }
    if (u == std::size(kUnits)) return invalid();
    i += kUnits[u].suffix.size();
    next_unit = u + 1;
    if (n > kMaxDurationMs / kUnits[u].ms)
      overflow = true;
    else
      total += n * kUnits[u].ms;
    if (total > kMaxDurationMs) overflow = true;
  }
  if (overflow) return absl::InvalidArgumentError("duration out of range");
  return total;
}

StatusOr<double> ParseNumber(std::string_view s) {
  // strconv.ParseInt(s, 0, 64): 0x hex, leading 0 octal, else decimal.
  int base = 10;
  std::string_view digits = s;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16, digits = s.substr(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8, digits = s.substr(1);
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, base);
  if (ec == std::errc() && ptr == digits.data() + digits.size()) return static_cast<double>(n);
  const std::string text(s);
  const auto error = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrFormat("strconv.ParseFloat: parsing %s: %s", Quote(s), why));
  };
  if (base == 16) return error("invalid syntax");  // Go wants a 'p' exponent
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return error("invalid syntax");
  if (errno == ERANGE && std::isinf(v)) return error("value out of range");
  return v;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  for (const DurationUnit& unit : kUnits) {
    if (unit.exact_only && ms % unit.ms != 0) continue;
    const int64_t v = ms / unit.ms;
    if (v > 0) {
      out.append(std::to_string(v)).append(unit.suffix);
      ms -= v * unit.ms;
    }
  }
  return out;
}

StatusOr<std::string> Unquote(std::string_view q) {
  if (q.size() < 2 || q.front() != q.back()) return InvalidSyntax();
  const char quote = q.front();
  std::string_view body = q.substr(1, q.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return InvalidSyntax();
    return std::string(body);
  }
  if (quote != '"' && quote != '\'') return InvalidSyntax();
  std::string out;
  out.reserve(body.size());
  size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (c == quote || c == '\n') return InvalidSyntax();
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (++i >= body.size()) return InvalidSyntax();
    Status st = UnescapeOne(body, &i, quote, &out);
    if (!st.ok()) return st;
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    int size = 1;
    const uint32_t r = DecodeRune(s.substr(i), &size);
    if (r == 0xFFFD && size == 1) {
      out.append(absl::StrFormat("\\x%02x", static_cast<unsigned char>(s[i])));
    } else {
      AppendEscapedRune(r, '"', &out);
    }
    i += size;
  }
  out.push_back('"');
  return out;
}

std::string QuoteRune(uint32_t rune) {
  std::string out = "'";
  AppendEscapedRune(rune, '\'', &out);
  out.push_back('\'');
  return out;
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, sci.ptr);
  const size_t e = s.find('e');
  const int exp = std::atoi(s.c_str() + e + 1);
  if (exp < -4 || exp >= 6) return s;  // to_chars writes "e+06" like Go
  auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

uint32_t DecodeRune(std::string_view s, int* size) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  *size = 1;
  const unsigned char c = b(0);
  if (c < 0x80) return c;
  int n = 0;
  uint32_t r = 0, min = 0;
  if ((c & 0xE0) == 0xC0)
    n = 2, r = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    n = 3, r = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    n = 4, r = c & 0x07, min = 0x10000;
  else
    return 0xFFFD;
  if (s.size() < static_cast<size_t>(n)) return 0xFFFD;
  for (int k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (b(k) & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) return 0xFFFD;
  *size = n;
  return r;
}

void AppendRune(uint32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

}  // namespace strata::query
