// TextParser: a line-at-a-time decoder of the Prometheus text exposition
// format (0.0.4) and OpenMetrics 1.0 text, for `strata import openmetrics`.
// It reads outside bytes, so it never aborts: every defect is an
// InvalidArgument "<file>:<line>:<column>: <what>", columns counted in
// bytes from 1, as Prometheus' textparse errors name the offending token.
//
// What a line may be (both formats unless noted):
//   - a sample: metric_name [ "{" name="value" ("," name="value")* [","] "}" ]
//     value [ timestamp ] [ " # " exemplar ]  (exemplars: OpenMetrics only;
//     skipped). Label values unescape \\ \" \n; another backslash pair is
//     kept as it is (Prometheus' lvalReplacer). Values are Go floats
//     (NaN, +Inf, -Inf, "Inf" in any case; no hex floats, no '_').
//   - "# TYPE", "# HELP", "# UNIT" and other comments: skipped;
//   - "# EOF": the end; any further non-empty line is an error;
//   - an empty line: skipped in the Prometheus format, an error in
//     OpenMetrics (which forbids them).
// Timestamps: OpenMetrics gives seconds as a float, converted to
// milliseconds by truncation, int64(ts*1000) as Prometheus'
// openmetricsparse.go does; the Prometheus format gives integer ms.
//
// Thread-safety: not thread-safe; one parser per input.
#ifndef STRATA_TOOLS_TEXT_PARSER_H_
#define STRATA_TOOLS_TEXT_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::tools {

enum class TextFormat { kPrometheus, kOpenMetrics };

// One parsed sample. The parser reuses the strings between lines.
struct TextSample {
  // (name, value) in input order, the metric name first as "__name__";
  // unescaped; empty values are kept (the caller drops them).
  std::vector<std::pair<std::string, std::string>> labels;
  size_t num_labels = 0;  // entries of `labels` in use
  double value = 0;
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
  size_t timestamp_column = 0;  // 1-based column of the timestamp, or of where it is missing
};

class TextParser {
 public:
  enum class LineKind { kSample, kSkip, kEof };

  // `filename` prefixes error messages.
  TextParser(std::string filename, TextFormat format);

  // Parses `line` (without its '\n'; a trailing '\r' is an error like any
  // other stray byte) numbered `line_number` (from 1). kSample fills
  // `*sample`; kSkip for comments and metadata; kEof for "# EOF" (after
  // which every further line must be empty). Errors: InvalidArgument
  // "<file>:<line>:<column>: <what>"; the parser stays usable.
  [[nodiscard]] StatusOr<LineKind> ParseLine(std::string_view line, int64_t line_number,
                                             TextSample* sample);

  // Whether "# EOF" was seen.
  bool saw_eof() const { return saw_eof_; }

  // "<file>:<line>:<column>: <what>" as an InvalidArgument.
  Status Error(int64_t line_number, size_t column, std::string_view what) const;

 private:
  [[nodiscard]] Status ParseSample(std::string_view line, int64_t line_number, TextSample* sample);

  const std::string filename_;
  const TextFormat format_;
  bool saw_eof_ = false;
};

// Parses a Go float as Prometheus' textparse does. False if `s` is not one.
bool ParseTextFloat(std::string_view s, double* out);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TEXT_PARSER_H_
