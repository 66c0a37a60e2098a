#include "server/api_format.h"

#include <charconv>
#include <cmath>

#include "absl/time/time.h"
#include "base/strings.h"
#include "query/literals.h"

namespace strata::server {
namespace {

// Go's strconv.ParseFloat accepts a leading '+' and "Inf"/"NaN" spellings;
// only finite numbers make sense as times and durations.
bool ParseFiniteDouble(std::string_view s, double* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

}  // namespace

void AppendApiTimestamp(std::string* dst, int64_t timestamp_ms) {
  uint64_t t = static_cast<uint64_t>(timestamp_ms);
  if (timestamp_ms < 0) {
    dst->push_back('-');
    t = 0 - t;
  }
  StrAppend(dst, t / 1000);
  const uint64_t fraction = t % 1000;
  if (fraction != 0) {
    dst->push_back('.');
    if (fraction < 100) dst->push_back('0');
    if (fraction < 10) dst->push_back('0');
    StrAppend(dst, fraction);
  }
}

void AppendApiFloat(std::string* dst, double v) {
  if (std::isnan(v)) {
    dst->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    dst->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  const double abs = std::fabs(v);
  const auto format = (abs != 0 && (abs < 1e-6 || abs >= 1e21)) ? std::chars_format::scientific
                                                                : std::chars_format::fixed;
  char buf[400];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, format);
  if (ec == std::errc()) dst->append(buf, end);
}

void AppendApiPoint(std::string* dst, int64_t timestamp_ms, double v) {
  dst->push_back('[');
  AppendApiTimestamp(dst, timestamp_ms);
  dst->append(",\"");
  AppendApiFloat(dst, v);
  dst->append("\"]");
}

StatusOr<int64_t> ParseApiTime(std::string_view s) {
  double seconds = 0;
  if (ParseFiniteDouble(s, &seconds)) {
    // As api.go: whole seconds, plus the fraction rounded to milliseconds.
    if (std::fabs(seconds) < 9.2e15) {
      const double whole = std::trunc(seconds);
      const double ms = std::round((seconds - whole) * 1000);
      return static_cast<int64_t>(whole) * 1000 + static_cast<int64_t>(ms);
    }
  } else {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, std::string(s), &t, &err)) {
      return absl::ToUnixMillis(t);
    }
    if (s == "-292273086-05-16T16:47:06Z") return kApiMinTimeMs;
    if (s == "292277025-08-18T07:12:54.999999999Z") return kApiMaxTimeMs;
  }
  return absl::InvalidArgumentError(StrCat("cannot parse \"", s, "\" to a valid timestamp"));
}

StatusOr<int64_t> ParseApiDuration(std::string_view s) {
  double seconds = 0;
  if (ParseFiniteDouble(s, &seconds)) {
    if (std::fabs(seconds) * 1e9 >= 9.2e18) {
      return absl::InvalidArgumentError(
          StrCat("cannot parse \"", s, "\" to a valid duration. It overflows int64"));
    }
    return static_cast<int64_t>(seconds * 1000);
  }
  StatusOr<int64_t> d = query::ParseDuration(s);
  if (d.ok()) return *d;
  return absl::InvalidArgumentError(StrCat("cannot parse \"", s, "\" to a valid duration"));
}

}  // namespace strata::server
