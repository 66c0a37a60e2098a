#include "tools/sample_format.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "base/strings.h"
#include "query/literals.h"

namespace strata::tools {
namespace {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status BadTime(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "bad time \"%s\": %s (want integer milliseconds like 1600000000000, seconds like "
      "1600000000.5 or 1600000000s, or RFC 3339 like 2020-09-13T12:26:40Z)",
      text, why));
}

// Milliseconds from "<int>[.<up to 3 digits>]" seconds, exactly.
StatusOr<int64_t> ParseSeconds(std::string_view text, std::string_view number) {
  bool negative = false;
  if (!number.empty() && (number[0] == '-' || number[0] == '+')) {
    negative = number[0] == '-';
    number.remove_prefix(1);
  }
  std::string_view whole = number, frac;
  if (size_t dot = number.find('.'); dot != std::string_view::npos) {
    whole = number.substr(0, dot);
    frac = number.substr(dot + 1);
  }
  if ((whole.empty() && frac.empty()) || (!whole.empty() && !IsDigits(whole)) ||
      (!frac.empty() && !IsDigits(frac))) {
    return BadTime(text, "not a number");
  }
  if (frac.size() > 3) return BadTime(text, "more than millisecond precision");
  int64_t secs = 0;
  if (!whole.empty()) {
    auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), secs);
    if (ec != std::errc() || secs > std::numeric_limits<int64_t>::max() / 1000 - 1) {
      return BadTime(text, "out of range");
    }
  }
  int64_t ms = 0;
  for (size_t i = 0; i < 3; ++i) ms = ms * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  const int64_t total = secs * 1000 + ms;
  return negative ? -total : total;
}

// The double that Prometheus' OpenMetrics parser turns back into `ms`
// (textparse: int64(seconds * 1000)).
bool RoundTrips(double seconds, int64_t ms) {
  const double scaled = seconds * 1000;
  if (!(std::fabs(scaled) < 9.2e18)) return false;
  return static_cast<int64_t>(scaled) == ms;
}

}  // namespace

StatusOr<SampleFormat> ParseSampleFormat(std::string_view name) {
  if (name == "promtool") return SampleFormat::kPromtool;
  if (name == "openmetrics") return SampleFormat::kOpenMetrics;
  if (name == "json") return SampleFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown format \"%s\" (want promtool, openmetrics or json)", name));
}

StatusOr<int64_t> ParseToolTime(std::string_view text) {
  if (text.empty()) return BadTime(text, "empty");
  std::string_view digits = text;
  if (digits[0] == '-' || digits[0] == '+') digits.remove_prefix(1);
  if (IsDigits(digits)) {
    int64_t ms = 0;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    auto [p, ec] = std::from_chars(begin, text.data() + text.size(), ms);
    if (ec != std::errc() || p != text.data() + text.size()) return BadTime(text, "out of range");
    return ms;
  }
  const bool looks_numeric = text.find_first_not_of("+-0123456789.s") == std::string_view::npos &&
                             text.find_first_of("0123456789") != std::string_view::npos;
  if (looks_numeric) {
    std::string_view number = text;
    if (number.ends_with('s')) number.remove_suffix(1);
    return ParseSeconds(text, number);
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return BadTime(text, StrCat("not RFC 3339: ", err));
  }
  return absl::ToUnixMillis(t);
}

void AppendGoFloat(std::string* dst, double v) {
  // query::FormatFloat is Go's fmt.Sprint(float64), which is `%g`.
  dst->append(query::FormatFloat(v));
}

void AppendPromLabels(std::string* dst, const Labels& labels) {
  dst->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) dst->append(", ");
    dst->append(labels[i].name);
    dst->push_back('=');
    dst->append(query::Quote(labels[i].value));
  }
  dst->push_back('}');
}

void AppendOpenMetricsTimestamp(std::string* dst, int64_t timestamp_ms) {
  // The plain decimal first: "<secs>.<mmm>" without trailing zeros.
  const bool negative = timestamp_ms < 0;
  const uint64_t abs_ms =
      negative ? 0 - static_cast<uint64_t>(timestamp_ms) : static_cast<uint64_t>(timestamp_ms);
  std::string text = negative ? "-" : "";
  absl::StrAppend(&text, abs_ms / 1000);
  if (const uint64_t frac = abs_ms % 1000; frac != 0) {
    std::string digits = absl::StrFormat("%03d", frac);
    while (digits.back() == '0') digits.pop_back();
    absl::StrAppend(&text, ".", digits);
  }
  double parsed = 0;
  std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (RoundTrips(parsed, timestamp_ms)) {
    dst->append(text);
    return;
  }
  // Walk from the nearest double towards the one that truncates right.
  double seconds = static_cast<double>(timestamp_ms) / 1000;
  for (int i = 0; i < 64 && !RoundTrips(seconds, timestamp_ms); ++i) {
    const bool low = static_cast<int64_t>(seconds * 1000) < timestamp_ms;
    seconds = std::nextafter(seconds, low ? std::numeric_limits<double>::infinity()
                                          : -std::numeric_limits<double>::infinity());
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, seconds);
  dst->append(buf, res.ptr);
}

SampleWriter::SampleWriter(SampleFormat format, std::FILE* out) : format_(format), out_(out) {
  buf_.reserve(kFlushBytes + 4096);
}

bool SampleWriter::BeginSeries(const Labels& labels) {
  in_series_ = true;
  skipping_ = false;
  first_sample_ = true;
  series_prefix_.clear();
  switch (format_) {
    case SampleFormat::kPromtool:
      AppendPromLabels(&series_prefix_, labels);
      series_prefix_.push_back(' ');
      break;
    case SampleFormat::kOpenMetrics: {
      const Label* name = nullptr;
      for (const Label& l : labels) {
        if (l.name == "__name__") name = &l;
      }
      if (name == nullptr || name->value.empty()) {
        skipping_ = true;
        ++series_skipped_;
        return false;
      }
      series_prefix_ = name->value;
      bool first = true;
      for (const Label& l : labels) {
        if (&l == name) continue;
        series_prefix_.append(first ? "{" : ",");
        first = false;
        series_prefix_.append(l.name);
        series_prefix_.append("=\"");
        for (char c : l.value) {
          if (c == '\\') {
            series_prefix_.append("\\\\");
          } else if (c == '"') {
            series_prefix_.append("\\\"");
          } else if (c == '\n') {
            series_prefix_.append("\\n");
          } else {
            series_prefix_.push_back(c);
          }
        }
        series_prefix_.push_back('"');
      }
      if (!first) series_prefix_.push_back('}');
      series_prefix_.push_back(' ');
      break;
    }
    case SampleFormat::kJson: {
      buf_.append("{\"labels\":{");
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) buf_.push_back(',');
        AppendJsonString(&buf_, labels[i].name);
        buf_.push_back(':');
        AppendJsonString(&buf_, labels[i].value);
      }
      buf_.append("},\"samples\":[");
      break;
    }
  }
  ++series_written_;
  return true;
}

void SampleWriter::Sample(int64_t timestamp_ms, double value) {
  if (skipping_) return;
  switch (format_) {
    case SampleFormat::kPromtool:
      buf_.append(series_prefix_);
      AppendGoFloat(&buf_, value);
      buf_.push_back(' ');
      absl::StrAppend(&buf_, timestamp_ms);
      buf_.push_back('\n');
      break;
    case SampleFormat::kOpenMetrics: {
      uint64_t bits;
      std::memcpy(&bits, &value, sizeof bits);
      if (bits == kStaleNaNBits) {
        ++stale_skipped_;
        return;
      }
      buf_.append(series_prefix_);
      AppendGoFloat(&buf_, value);
      buf_.push_back(' ');
      AppendOpenMetricsTimestamp(&buf_, timestamp_ms);
      buf_.push_back('\n');
      break;
    }
    case SampleFormat::kJson:
      if (!first_sample_) buf_.push_back(',');
      buf_.push_back('[');
      absl::StrAppend(&buf_, timestamp_ms);
      buf_.append(",\"");
      AppendGoFloat(&buf_, value);
      buf_.append("\"]");
      break;
  }
  first_sample_ = false;
  ++samples_written_;
  MaybeFlush();
}

void SampleWriter::EndSeries() {
  if (in_series_ && !skipping_ && format_ == SampleFormat::kJson) buf_.append("]}\n");
  in_series_ = false;
  MaybeFlush();
}

Status SampleWriter::Finish() {
  if (in_series_) EndSeries();
  if (format_ == SampleFormat::kOpenMetrics) buf_.append("# EOF\n");
  Flush();
  if (status_.ok() && std::fflush(out_) != 0) {
    status_ = absl::UnavailableError(StrCat("write: ", std::strerror(errno)));
  }
  return status_;
}

void SampleWriter::MaybeFlush() {
  if (buf_.size() >= kFlushBytes) Flush();
}

void SampleWriter::Flush() {
  if (buf_.empty()) return;
  if (status_.ok() && std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) {
    status_ = absl::UnavailableError(StrCat("write: ", std::strerror(errno)));
  }
  buf_.clear();
}

}  // namespace strata::tools
