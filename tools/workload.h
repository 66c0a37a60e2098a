// Synthetic series shaped like what a monitoring stack scrapes: the value
// and timestamp behaviour of node_exporter and application metrics. Used by
// `strata chunk-stats`, the codec benchmarks and tests, and (later) the
// remote-write load generator, so that every number we quote is measured
// on the same shapes.
//
// Timestamps follow Prometheus' scraper: one sample per interval, with a
// jitter of a few milliseconds that Prometheus snaps back onto the
// schedule when it is within its 2 ms tolerance (scrape.go,
// scrapeTimestampTolerance); larger jitter (a busy machine, a GC pause)
// stays in the data.
//
// Thread-safety: generators are not thread-safe; use one per thread.
#ifndef STRATA_TOOLS_WORKLOAD_H_
#define STRATA_TOOLS_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::workload {

enum class Shape {
  kConstant,         // up, *_info, node_memory_MemTotal_bytes
  kIdleCounter,      // error counters: +1 now and then
  kCounter,          // http_requests_total on a busy endpoint
  kFloatCounter,     // node_cpu_seconds_total: 2 decimals, grows every scrape
  kGauge,            // load average, temperatures: 2 decimals, moves every scrape
  kBytesGauge,       // node_memory_*_bytes, filesystem free: multiples of 4 KiB
  kHistogramBucket,  // http_request_duration_seconds_bucket: cumulative counts
};

std::string_view ShapeName(Shape shape);
inline constexpr Shape kAllShapes[] = {
    Shape::kConstant, Shape::kIdleCounter, Shape::kCounter,        Shape::kFloatCounter,
    Shape::kGauge,    Shape::kBytesGauge,  Shape::kHistogramBucket};

struct Sample {
  int64_t timestamp_ms;
  double value;
};

struct SeriesSpec {
  // Labels sorted by name, "__name__" included.
  std::vector<std::pair<std::string, std::string>> labels;
  Shape shape;
  double scale;  // typical size of the value or of its per-scrape change
};

// The series one monitored host exposes: node_exporter (CPU per core and
// mode, memory, filesystems, disks, network interfaces, load), the
// application on it (HTTP request counters and latency histograms), a
// database and a cache, and `up`. About 600 series per host.
std::vector<SeriesSpec> HostSeries(int host, int cores = 2);

// Produces the samples of one series.
class SeriesGenerator {
 public:
  // `jitter`: whether scrapes drift off the schedule as described above;
  // without it every timestamp is exactly on the interval.
  SeriesGenerator(Shape shape, double scale, uint64_t seed, int64_t start_ms,
                  int64_t interval_ms = 15000, bool jitter = true);

  Sample Next();

 private:
  double NextValue();

  Shape shape_;
  double scale_;
  std::mt19937_64 rng_;
  int64_t scheduled_ms_;
  int64_t interval_ms_;
  bool jitter_;
  double value_;
};

// `n` samples of one series of `shape`.
std::vector<Sample> Generate(Shape shape, size_t n, uint64_t seed, double scale = 0,
                             int64_t start_ms = 1700000000000);

}  // namespace strata::workload

#endif  // STRATA_TOOLS_WORKLOAD_H_
