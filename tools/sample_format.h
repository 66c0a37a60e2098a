// Text formats for the samples that `strata dump` and `strata export`
// write, and the time flags they read.
//
//   promtool     `{__name__="up", job="x"} 1 1600000000000`: exactly what
//                `promtool tsdb dump` (Prometheus 2.42) prints: the labels
//                as Go's labels.String() (values strconv.Quote'd, ", "
//                between pairs), the value as Go's `%g` (shortest
//                round-trip digits, "1e+06", "NaN", "+Inf"), the timestamp
//                in milliseconds. Staleness markers print as "NaN".
//   openmetrics  `up{job="x"} 1 1600000000` with the timestamp in seconds,
//                no `# TYPE` lines, and a final `# EOF`: what
//                `promtool tsdb create-blocks-from openmetrics` imports.
//                Staleness markers cannot be represented and are skipped,
//                as are series without a metric name.
//   json         one object per series and line:
//                `{"labels":{"__name__":"up"},"samples":[[1600000000000,"1"]]}`
//                with values formatted as in the promtool format.
//
// A SampleWriter streams: it holds at most about kFlushBytes of text before
// writing it out, however long a series is.
//
// Thread-safety: SampleWriter is not thread-safe; the functions are
// stateless.
#ifndef STRATA_TOOLS_SAMPLE_FORMAT_H_
#define STRATA_TOOLS_SAMPLE_FORMAT_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "strata/db.h"
#include "strata/status.h"

namespace strata::tools {

enum class SampleFormat { kPromtool, kOpenMetrics, kJson };

// "promtool", "openmetrics" or "json". Errors: InvalidArgument naming the
// accepted formats.
[[nodiscard]] StatusOr<SampleFormat> ParseSampleFormat(std::string_view name);

// Parses a --min-time/--max-time value into milliseconds since the epoch:
//   - a plain integer is milliseconds, as promtool takes it ("1600000000000");
//   - a number with a fraction or an `s` suffix is seconds, with at most
//     three decimals ("1600000000.5", "1600000000s", "-1.25");
//   - anything else must be RFC 3339 ("2020-09-13T12:26:40Z",
//     "2020-09-13T14:26:40.123+02:00"), truncated to the millisecond.
// Errors: InvalidArgument saying what was expected.
[[nodiscard]] StatusOr<int64_t> ParseToolTime(std::string_view text);

// Appends `v` as Go's fmt `%g` does (strconv 'g', shortest): "1", "0.5",
// "1e+06", "1.5e-05", "NaN", "+Inf", "-Inf".
void AppendGoFloat(std::string* dst, double v);

// Appends the labels as Prometheus' labels.Labels.String():
// `{__name__="up", job="x"}`.
void AppendPromLabels(std::string* dst, const Labels& labels);

// Appends a timestamp in seconds that OpenMetrics parsers read back as
// exactly `timestamp_ms`: "1600000000.123" when Prometheus' conversion
// (int64(seconds * 1000), truncating) gives the millisecond back, otherwise
// the shortest decimal of a nearby double for which it does.
void AppendOpenMetricsTimestamp(std::string* dst, int64_t timestamp_ms);

// Writes series after series in one format to a stdio stream.
class SampleWriter {
 public:
  // `out` must outlive the writer; it is not closed.
  SampleWriter(SampleFormat format, std::FILE* out);
  SampleWriter(const SampleWriter&) = delete;
  SampleWriter& operator=(const SampleWriter&) = delete;

  // Starts a series. Returns false if the format cannot represent it (an
  // OpenMetrics series without `__name__`); its samples are then skipped.
  bool BeginSeries(const Labels& labels);
  void Sample(int64_t timestamp_ms, double value);
  void EndSeries();
  // Writes the trailer (`# EOF` for OpenMetrics) and flushes. Errors:
  // Unavailable with errno's text if a write failed (disk full, closed
  // pipe); what was written before stays written.
  [[nodiscard]] Status Finish();
  // A write error seen so far (sticky); OK otherwise.
  [[nodiscard]] Status status() const { return status_; }

  uint64_t samples_written() const { return samples_written_; }
  uint64_t series_written() const { return series_written_; }
  // Staleness markers left out (OpenMetrics only).
  uint64_t stale_skipped() const { return stale_skipped_; }
  // Series left out because the format cannot represent them.
  uint64_t series_skipped() const { return series_skipped_; }

  // Text held before writing it out; bounds memory on long series.
  static constexpr size_t kFlushBytes = 1 << 16;

 private:
  void MaybeFlush();
  void Flush();

  const SampleFormat format_;
  std::FILE* const out_;
  std::string buf_;
  std::string series_prefix_;  // promtool: labels + " "; OpenMetrics: name{labels} + " "
  bool in_series_ = false;
  bool skipping_ = false;
  bool first_sample_ = true;
  Status status_;
  uint64_t samples_written_ = 0;
  uint64_t series_written_ = 0;
  uint64_t stale_skipped_ = 0;
  uint64_t series_skipped_ = 0;
};

}  // namespace strata::tools

#endif  // STRATA_TOOLS_SAMPLE_FORMAT_H_
