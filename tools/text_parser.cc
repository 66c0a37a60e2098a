#include "tools/text_parser.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "base/status_macros.h"
#include "base/strings.h"

namespace strata::tools {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

// A cursor over one line; columns are 1-based.
struct Cursor {
  std::string_view line;
  size_t pos = 0;

  bool done() const { return pos >= line.size(); }
  char peek() const { return line[pos]; }
  size_t column() const { return pos + 1; }
  // Skips blanks; returns whether there were any.
  bool SkipBlanks() {
    const size_t start = pos;
    while (!done() && IsBlank(peek())) ++pos;
    return pos != start;
  }
  // The run of non-blank bytes at the cursor.
  std::string_view Token() {
    const size_t start = pos;
    while (!done() && !IsBlank(peek())) ++pos;
    return line.substr(start, pos - start);
  }
};

}  // namespace

bool ParseTextFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  // Prometheus' parseFloat refuses these before strconv.ParseFloat.
  for (char c : s) {
    if (c == 'p' || c == 'P' || c == '_') return false;
  }
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    *out = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (EqualsIgnoreCase(body, "nan")) {
    *out = std::nan("");
    return true;
  }
  // from_chars would take "inf"/"nan" spellings Go does not and a second
  // sign; only digits, '.', and an exponent get here.
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  for (char c : body) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return false;
    }
  }
  double v = 0;
  const auto [end, ec] =
      std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (ec != std::errc() || end != body.data() + body.size()) return false;
  *out = negative ? -v : v;
  return true;
}

TextParser::TextParser(std::string filename, TextFormat format)
    : filename_(std::move(filename)), format_(format) {}

Status TextParser::Error(int64_t line_number, size_t column, std::string_view what) const {
  return absl::InvalidArgumentError(StrCat(filename_, ":", line_number, ":", column, ": ", what));
}

StatusOr<TextParser::LineKind> TextParser::ParseLine(std::string_view line, int64_t line_number,
                                                     TextSample* sample) {
  const bool om = format_ == TextFormat::kOpenMetrics;
  if (saw_eof_) {
    if (line.empty()) return LineKind::kSkip;
    return Error(line_number, 1, "unexpected data after # EOF");
  }
  if (line.empty()) {
    if (om) return Error(line_number, 1, "unexpected empty line");
    return LineKind::kSkip;
  }
  if (line[0] == '#') {
    if (om && line == "# EOF") {
      saw_eof_ = true;
      return LineKind::kEof;
    }
    return LineKind::kSkip;  // # TYPE, # HELP, # UNIT and other comments
  }
  if (!om) {
    // The Prometheus format allows leading blanks and blank-only lines.
    size_t i = 0;
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i == line.size()) return LineKind::kSkip;
    if (line[i] == '#') return LineKind::kSkip;
  }
  STRATA_RETURN_IF_ERROR(ParseSample(line, line_number, sample));
  return LineKind::kSample;
}

Status TextParser::ParseSample(std::string_view line, int64_t line_number, TextSample* sample) {
  const bool om = format_ == TextFormat::kOpenMetrics;
  Cursor c{line};
  if (!om) c.SkipBlanks();
  sample->num_labels = 0;
  sample->has_timestamp = false;
  auto next_label = [&]() -> std::pair<std::string, std::string>& {
    if (sample->num_labels == sample->labels.size()) sample->labels.emplace_back();
    auto& l = sample->labels[sample->num_labels++];
    l.first.clear();
    l.second.clear();
    return l;
  };

  // Metric name.
  const size_t name_start = c.pos;
  if (c.done() || !(IsNameStart(c.peek()) || c.peek() == ':')) {
    return Error(line_number, c.column(), "expected metric name");
  }
  while (!c.done() && (IsNameChar(c.peek()) || c.peek() == ':')) ++c.pos;
  {
    auto& l = next_label();
    l.first = "__name__";
    l.second.assign(line.substr(name_start, c.pos - name_start));
  }
  if (!om) {
    // The Prometheus format allows blanks before '{'.
    const size_t after_name = c.pos;
    c.SkipBlanks();
    if (c.done() || c.peek() != '{') c.pos = after_name;
  }

  // Labels.
  if (!c.done() && c.peek() == '{') {
    ++c.pos;
    while (true) {
      c.SkipBlanks();
      if (c.done()) return Error(line_number, c.column(), "expected label name or '}'");
      if (c.peek() == '}') {
        ++c.pos;
        break;
      }
      const size_t lname_start = c.pos;
      if (!IsNameStart(c.peek())) return Error(line_number, c.column(), "expected label name");
      while (!c.done() && IsNameChar(c.peek())) ++c.pos;
      const std::string_view lname = line.substr(lname_start, c.pos - lname_start);
      for (size_t i = 0; i < sample->num_labels; ++i) {
        if (sample->labels[i].first == lname) {
          return Error(line_number, lname_start + 1,
                       StrCat("duplicate label name \"", lname, "\""));
        }
      }
      auto& l = next_label();
      l.first.assign(lname);
      c.SkipBlanks();
      if (c.done() || c.peek() != '=') return Error(line_number, c.column(), "expected '='");
      ++c.pos;
      c.SkipBlanks();
      if (c.done() || c.peek() != '"') {
        return Error(line_number, c.column(), "expected '\"' to start the label value");
      }
      const size_t quote_column = c.column();
      ++c.pos;
      bool closed = false;
      while (!c.done()) {
        const char ch = c.peek();
        ++c.pos;
        if (ch == '"') {
          closed = true;
          break;
        }
        if (ch != '\\') {
          l.second.push_back(ch);
          continue;
        }
        if (c.done()) break;
        const char esc = c.peek();
        ++c.pos;
        if (esc == 'n') {
          l.second.push_back('\n');
        } else if (esc == '\\' || esc == '"') {
          l.second.push_back(esc);
        } else {
          l.second.push_back('\\');
          l.second.push_back(esc);
        }
      }
      if (!closed) return Error(line_number, quote_column, "unterminated label value");
      c.SkipBlanks();
      if (c.done()) return Error(line_number, c.column(), "expected ',' or '}'");
      if (c.peek() == ',') {
        ++c.pos;
        continue;
      }
      if (c.peek() != '}') return Error(line_number, c.column(), "expected ',' or '}'");
      ++c.pos;
      break;
    }
  }

  // Value.
  if (!c.SkipBlanks() || c.done()) return Error(line_number, c.column(), "expected value");
  const size_t value_column = c.column();
  const std::string_view value = c.Token();
  if (!ParseTextFloat(value, &sample->value)) {
    return Error(line_number, value_column, StrCat("bad value \"", value, "\""));
  }

  // Timestamp.
  const size_t after_value = c.column();
  c.SkipBlanks();
  sample->timestamp_column = after_value;
  // No timestamp; in OpenMetrics an exemplar may follow.
  if (c.done() || (om && c.peek() == '#')) return Status();
  sample->timestamp_column = c.column();
  const std::string_view ts = c.Token();
  if (om) {
    double seconds = 0;
    if (!ParseTextFloat(ts, &seconds) || !std::isfinite(seconds)) {
      return Error(line_number, sample->timestamp_column, StrCat("bad timestamp \"", ts, "\""));
    }
    const double ms = seconds * 1000;
    if (!(ms > -9.2e18 && ms < 9.2e18)) {
      return Error(line_number, sample->timestamp_column, "timestamp out of range");
    }
    sample->timestamp_ms = static_cast<int64_t>(ms);  // truncates, as Go's int64()
  } else {
    const auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), sample->timestamp_ms);
    if (ec != std::errc() || end != ts.data() + ts.size()) {
      return Error(line_number, sample->timestamp_column, StrCat("bad timestamp \"", ts, "\""));
    }
  }
  sample->has_timestamp = true;

  // Exemplar (OpenMetrics: " # {labels} value [timestamp]"), skipped.
  c.SkipBlanks();
  if (c.done()) return Status();
  if (om && c.peek() == '#') return Status();
  return Error(line_number, c.column(), "unexpected text after the timestamp");
}

}  // namespace strata::tools
