// Parses arbitrary bytes as Prometheus and OpenMetrics text exposition,
// line by line, as `strata import openmetrics` does. Parsing must never
// crash; an error must name file:line:column; a parsed sample must have a
// metric name and only non-empty, valid label names.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tools/text_parser.h"

using strata::tools::TextFormat;
using strata::tools::TextParser;
using strata::tools::TextSample;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

void ParseAll(std::string_view text, TextFormat format) {
  TextParser parser("fuzz", format);
  TextSample sample;
  int64_t line_number = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string line(text.substr(0, nl));  // a copy so ASan sees the bounds
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_number;
    auto kind = parser.ParseLine(line, line_number, &sample);
    if (!kind.ok()) {
      Check(std::string(kind.status().message()).starts_with("fuzz:"), "error names the input");
      continue;
    }
    if (*kind != TextParser::LineKind::kSample) continue;
    Check(sample.num_labels >= 1 && sample.labels[0].first == "__name__" &&
              !sample.labels[0].second.empty(),
          "metric name first");
    for (size_t i = 1; i < sample.num_labels; ++i) {
      Check(!sample.labels[i].first.empty(), "label name not empty");
    }
    Check(sample.timestamp_column >= 1 && sample.timestamp_column <= line.size() + 1,
          "timestamp column within the line");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParseAll(text, TextFormat::kOpenMetrics);
  ParseAll(text, TextFormat::kPrometheus);
  return 0;
}
