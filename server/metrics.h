// Self-monitoring of `strata serve`: HTTP requests by handler and code,
// request durations, remote-write counts, the DB's figures (DBStats) and
// the process' RSS and CPU, in the Prometheus text exposition format for
// GET /metrics, and as samples the server appends into its own DB
// (--self-scrape.interval) so a new user sees data at once.
//
// Thread-safety: ServerMetrics is safe for concurrent use.
#ifndef STRATA_SERVER_METRICS_H_
#define STRATA_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "server/http_server.h"
#include "strata/db.h"

namespace strata::server {

// One exported sample: labels besides the family name, and the value.
struct MetricSample {
  std::string suffix;  // appended to the family name ("_bucket", "_sum", ...)
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;
  std::string type;  // "counter", "gauge", "histogram"
  std::string help;
  std::vector<MetricSample> samples;
};

class ServerMetrics {
 public:
  ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  void ObserveRequest(std::string_view handler, int code, double seconds);
  void AddRemoteWrite(uint64_t samples, uint64_t refused, uint64_t histograms_dropped);
  // A request answered 503 without running: its pool's queue wait ran out
  // or the in-flight budget was spent.
  void AddShed(std::string_view handler);
  // A remote-write sample, series or request refused for `reason` (a
  // short snake_case word: "too_far_in_future", "labels_per_series", ...).
  void AddRefused(std::string_view reason, uint64_t n = 1);

  // Adds families that another part of the server keeps (the HTTP
  // server's connections and pools) to every Collect. Returns an id for
  // RemoveCollector; the collector must stay callable until removed.
  using Collector = std::function<void(std::vector<MetricFamily>*)>;
  int AddCollector(Collector collector);
  void RemoveCollector(int id);

  // Every family, with `stats` of the DB (null before it is open).
  std::vector<MetricFamily> Collect(const DBStats* stats) const;
  // The text exposition format (version 0.0.4) of `families`.
  static std::string RenderText(const std::vector<MetricFamily>& families);
  // Appends `families` and `up` = 1 at `timestamp_ms` with the labels
  // job="strata" and instance=`instance`, and commits. Errors: those of
  // Appender::Commit.
  [[nodiscard]] static Status AppendTo(DB& db, const std::vector<MetricFamily>& families,
                                       std::string_view instance, int64_t timestamp_ms);

 private:
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                      0.5,   1,     5,    10,   60};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };

  const double start_time_seconds_;
  mutable Mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> durations_ ABSL_GUARDED_BY(mu_);
  uint64_t rw_samples_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rw_refused_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rw_histograms_dropped_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, uint64_t, std::less<>> shed_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t, std::less<>> refused_ ABSL_GUARDED_BY(mu_);
  int next_collector_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, Collector> collectors_ ABSL_GUARDED_BY(mu_);
};

// The HTTP server's connections, limits and worker pools as families
// (strata_http_*, strata_work_pool_*).
void AppendHttpServerFamilies(const HttpServerStats& stats, std::vector<MetricFamily>* out);

}  // namespace strata::server

#endif  // STRATA_SERVER_METRICS_H_
