// The value formats of Prometheus' HTTP API (web/api/v1/api.go and
// util/jsonutil/marshal.go of Prometheus 2.42), byte for byte:
//   - a timestamp is written as seconds with up to three decimals of
//     milliseconds ("1435781451.781", "1.500", "-0.001", "10");
//   - a sample value is a JSON string with Go's shortest formatting,
//     'f' unless |v| < 1e-6 or >= 1e21 where it is 'e' ("1e-07"), and
//     "NaN", "+Inf", "-Inf";
//   - a time parameter is float unix seconds or RFC 3339, a duration
//     parameter float seconds or a Prometheus duration ("5m").
//
// Thread-safety: stateless.
#ifndef STRATA_SERVER_API_FORMAT_H_
#define STRATA_SERVER_API_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::server {

// Prometheus' minTime/maxTime of the API (times far outside any data),
// in milliseconds; what `start`/`end` default to for series and labels.
inline constexpr int64_t kApiMinTimeMs = -9223309901257974000ll;
inline constexpr int64_t kApiMaxTimeMs = 9223309901257974999ll;

// Appends `timestamp_ms` as seconds (jsonutil.MarshalTimestamp).
void AppendApiTimestamp(std::string* dst, int64_t timestamp_ms);
// Appends the value without quotes (jsonutil.MarshalFloat's text).
void AppendApiFloat(std::string* dst, double v);
// Appends `[<timestamp>,"<value>"]`.
void AppendApiPoint(std::string* dst, int64_t timestamp_ms, double v);

// Parses a time parameter into milliseconds. Errors: InvalidArgument
// `cannot parse "x" to a valid timestamp`.
[[nodiscard]] StatusOr<int64_t> ParseApiTime(std::string_view s);
// Parses a duration parameter into milliseconds. Errors: InvalidArgument
// `cannot parse "x" to a valid duration`.
[[nodiscard]] StatusOr<int64_t> ParseApiDuration(std::string_view s);

}  // namespace strata::server

#endif  // STRATA_SERVER_API_FORMAT_H_
