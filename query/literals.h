// PromQL literal syntax shared by the lexer, the parser, the printer and the
// `.test` script runner: Prometheus durations ("1h30m"), Go-style string
// quoting and unquoting, and Go's "%v" formatting of floats.
//
// These reproduce the Go functions Prometheus 2.42 uses (model.ParseDuration,
// model.Duration.String, util/strutil.Unquote, strconv.Quote, fmt.Sprint of a
// float64) so that printed expressions and error messages match Prometheus
// byte for byte.
//
// Thread-safety: stateless.
#ifndef STRATA_QUERY_LITERALS_H_
#define STRATA_QUERY_LITERALS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::query {

// Parses a Prometheus duration: "0", or one or more <integer><unit> parts with
// units from y w d h m s ms, in that order, each at most once (y = 365d,
// w = 7d). Returns milliseconds.
// Errors: InvalidArgument `not a valid duration string: "<s>"` or
// `duration out of range` (beyond what Go's time.Duration can hold).
[[nodiscard]] StatusOr<int64_t> ParseDuration(std::string_view s);

// Formats milliseconds like Prometheus' model.Duration: "1h30m", "90d",
// "2w" (y and w only when exact), "0s" for zero. REQUIRES: duration_ms >= 0.
std::string FormatDuration(int64_t duration_ms);

// Unquotes a PromQL string literal including its quotes: "..." and '...'
// with Go escapes (\a \b \f \n \r \t \v \\ \<quote> \NNN \xHH \uHHHH
// \UHHHHHHHH), or `...` taken verbatim. Errors: InvalidArgument
// "invalid syntax" for a malformed literal.
[[nodiscard]] StatusOr<std::string> Unquote(std::string_view quoted);

// Parses a PromQL number token like Prometheus (strconv.ParseInt with base
// prefix first, so "0x1f" is hex and "010" octal, then strconv.ParseFloat:
// "1.5e3", ".5", "Inf", "NaN"). Errors: InvalidArgument with Go's message,
// e.g. `strconv.ParseFloat: parsing "1e": invalid syntax`.
[[nodiscard]] StatusOr<double> ParseNumber(std::string_view s);

// Quotes like Go's strconv.Quote ("%q"): double quotes, backslash escapes
// for quotes, backslashes, control characters and invalid UTF-8.
// Unquote(Quote(s)) == s for every byte string s.
std::string Quote(std::string_view s);

// Quotes one code point like Go's strconv.QuoteRune: 'a', '\n', '\x00'.
std::string QuoteRune(uint32_t rune);

// Formats like Go's fmt.Sprint(float64): shortest round-trip digits, %e
// style ("1e+06") when the decimal exponent is < -4 or >= 6, "+Inf", "-Inf",
// "NaN".
std::string FormatFloat(double v);

// Decodes one UTF-8 code point at the start of `s` (non-empty). Sets *size to
// the bytes consumed (1 for an invalid byte) and returns 0xFFFD when invalid.
uint32_t DecodeRune(std::string_view s, int* size);

// Appends the UTF-8 encoding of `rune` (REQUIRES: a valid code point).
void AppendRune(uint32_t rune, std::string* dst);

}  // namespace strata::query

#endif  // STRATA_QUERY_LITERALS_H_
