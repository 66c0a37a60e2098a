#include "tools/workload.h"

#include <algorithm>
#include <cmath>

namespace strata::workload {
namespace {

// Prometheus snaps a scrape timestamp within this distance of its
// schedule back onto the schedule (scrape.go, scrapeTimestampTolerance).
constexpr int64_t kTimestampToleranceMs = 2;

double Round(double v, double decimals) {
  const double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}

double DefaultScale(Shape shape) {
  switch (shape) {
    case Shape::kConstant:
      return 1;
    case Shape::kIdleCounter:
      return 0.02;
    case Shape::kCounter:
      return 40;
    case Shape::kFloatCounter:
      return 9;
    case Shape::kGauge:
      return 0.5;
    case Shape::kBytesGauge:
      return 8e9;
    case Shape::kHistogramBucket:
      return 3;
  }
  return 1;
}

}  // namespace

std::string_view ShapeName(Shape shape) {
  switch (shape) {
    case Shape::kConstant:
      return "constant";
    case Shape::kIdleCounter:
      return "idle counter";
    case Shape::kCounter:
      return "busy counter";
    case Shape::kFloatCounter:
      return "cpu seconds (2 decimals)";
    case Shape::kGauge:
      return "gauge (2 decimals)";
    case Shape::kBytesGauge:
      return "bytes gauge";
    case Shape::kHistogramBucket:
      return "histogram bucket";
  }
  return "?";
}

SeriesGenerator::SeriesGenerator(Shape shape, double scale, uint64_t seed, int64_t start_ms,
                                 int64_t interval_ms, bool jitter)
    : shape_(shape),
      scale_(scale > 0 ? scale : DefaultScale(shape)),
      rng_(seed),
      scheduled_ms_(start_ms),
      interval_ms_(interval_ms),
      jitter_(jitter) {
  std::uniform_real_distribution<double> u(0, 1);
  switch (shape_) {
    case Shape::kConstant:
      value_ = std::floor(u(rng_) * 4) == 0 ? 1 : std::round(u(rng_) * 1e10);
      break;
    case Shape::kBytesGauge:
      value_ = std::round(scale_ * (0.2 + 0.6 * u(rng_)) / 4096) * 4096;
      break;
    case Shape::kGauge:
      value_ = Round(scale_ * 40 * u(rng_), 2);
      break;
    case Shape::kFloatCounter:
      value_ = Round(1e5 * u(rng_), 2);
      break;
    default:
      value_ = std::round(1e4 * u(rng_) * scale_);
      break;
  }
}

Sample SeriesGenerator::Next() {
  // Scrape jitter: usually sub-millisecond (snapped away), sometimes a few
  // milliseconds, rarely tens of milliseconds.
  std::uniform_real_distribution<double> u(0, 1);
  const double r = u(rng_);
  int64_t jitter = 0;
  if (r < 0.05) {
    jitter = static_cast<int64_t>(std::lround((u(rng_) - 0.5) * 16));
  } else if (r < 0.055) {
    jitter = static_cast<int64_t>(std::lround(u(rng_) * 80));
  }
  if (!jitter_ || std::llabs(jitter) <= kTimestampToleranceMs) jitter = 0;
  Sample s{scheduled_ms_ + jitter, NextValue()};
  scheduled_ms_ += interval_ms_;
  return s;
}

double SeriesGenerator::NextValue() {
  std::uniform_real_distribution<double> u(0, 1);
  const double current = value_;
  switch (shape_) {
    case Shape::kConstant:
      break;
    case Shape::kIdleCounter:
      if (u(rng_) < scale_) value_ += 1;
      break;
    case Shape::kCounter: {
      std::poisson_distribution<int> p(scale_);
      value_ += p(rng_);
      if (u(rng_) < 1e-4) value_ = 0;  // process restart: counter reset
      break;
    }
    case Shape::kFloatCounter:
      value_ = Round(value_ + scale_ * u(rng_) + 0.01, 2);
      break;
    case Shape::kGauge:
      value_ = Round(std::max(0.0, value_ + (u(rng_) - 0.5) * scale_), 2);
      break;
    case Shape::kBytesGauge:
      if (u(rng_) < 0.3) value_ += std::round((u(rng_) - 0.5) * 64) * 4096;
      break;
    case Shape::kHistogramBucket: {
      std::poisson_distribution<int> p(scale_);
      value_ += p(rng_);
      break;
    }
  }
  return current;
}

std::vector<Sample> Generate(Shape shape, size_t n, uint64_t seed, double scale, int64_t start_ms) {
  SeriesGenerator g(shape, scale, seed, start_ms);
  std::vector<Sample> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(g.Next());
  return out;
}

namespace {

using LabelList = std::vector<std::pair<std::string, std::string>>;

class HostBuilder {
 public:
  explicit HostBuilder(int host) : instance_("host-" + std::to_string(host) + ":9100") {}

  void Add(std::string name, LabelList extra, Shape shape, double scale = 0) {
    LabelList labels = std::move(extra);
    labels.emplace_back("__name__", std::move(name));
    labels.emplace_back("instance", instance_);
    labels.emplace_back("job", "node");
    std::sort(labels.begin(), labels.end());
    out_.push_back(SeriesSpec{std::move(labels), shape, scale});
  }
  std::vector<SeriesSpec> Take() { return std::move(out_); }

 private:
  std::string instance_;
  std::vector<SeriesSpec> out_;
};

}  // namespace

std::vector<SeriesSpec> HostSeries(int host, int cores) {
  HostBuilder b(host);
  b.Add("up", {}, Shape::kConstant);
  // CPU: busy modes grow every scrape, the others barely.
  static constexpr std::string_view kModes[] = {"idle",    "iowait", "irq",    "nice",
                                                "softirq", "steal",  "system", "user"};
  for (int c = 0; c < cores; ++c) {
    for (std::string_view mode : kModes) {
      const bool busy = mode == "idle" || mode == "user" || mode == "system";
      b.Add("node_cpu_seconds_total", {{"cpu", std::to_string(c)}, {"mode", std::string(mode)}},
            busy ? Shape::kFloatCounter : Shape::kIdleCounter, busy ? 0 : 0.05);
    }
  }
  for (std::string_view l : {"node_load1", "node_load5", "node_load15"}) {
    b.Add(std::string(l), {}, Shape::kGauge, 0.3);
  }
  // Memory: 45 gauges, a third of them moving.
  for (int i = 0; i < 45; ++i) {
    b.Add("node_memory_field" + std::to_string(i) + "_bytes", {},
          i % 3 == 0 ? Shape::kBytesGauge : Shape::kConstant);
  }
  // Filesystems: free/avail move, size/files stay.
  for (std::string_view mount : {"/", "/boot", "/var", "/home"}) {
    for (std::string_view m : {"avail_bytes", "free_bytes", "size_bytes", "files", "files_free",
                               "readonly", "device_error"}) {
      const bool moving = m == "avail_bytes" || m == "free_bytes" || m == "files_free";
      b.Add("node_filesystem_" + std::string(m),
            {{"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", std::string(mount)}},
            moving ? Shape::kBytesGauge : Shape::kConstant);
    }
  }
  // Disks: counters, about half busy.
  for (std::string_view dev : {"sda", "sdb"}) {
    for (int i = 0; i < 17; ++i) {
      b.Add("node_disk_metric" + std::to_string(i) + "_total", {{"device", std::string(dev)}},
            i < 8 ? Shape::kCounter : Shape::kIdleCounter, i < 8 ? 25 : 0);
    }
  }
  // Network: bytes and packets busy, errors and drops idle.
  for (std::string_view dev : {"eth0", "eth1", "lo"}) {
    for (int i = 0; i < 16; ++i) {
      b.Add("node_network_metric" + std::to_string(i) + "_total", {{"device", std::string(dev)}},
            i < 4 ? Shape::kCounter : Shape::kIdleCounter, i < 4 ? 3000 : 0.01);
    }
  }
  // Exporter's own process and Go runtime metrics.
  for (int i = 0; i < 40; ++i) {
    b.Add("go_metric" + std::to_string(i), {},
          i % 4 == 0 ? Shape::kBytesGauge : (i % 4 == 1 ? Shape::kCounter : Shape::kConstant),
          i % 4 == 1 ? 5 : 0);
  }
  // Other node_exporter collectors: mostly constants and slow counters.
  for (int i = 0; i < 150; ++i) {
    b.Add("node_misc_metric" + std::to_string(i), {},
          i % 5 == 0 ? Shape::kIdleCounter : Shape::kConstant);
  }
  // Application: requests by method, endpoint and status.
  static constexpr std::string_view kEndpoints[] = {"/", "/api/orders", "/api/users", "/login",
                                                    "/search"};
  for (std::string_view ep : kEndpoints) {
    for (std::string_view method : {"GET", "POST"}) {
      for (std::string_view status : {"200", "404", "500", "503"}) {
        b.Add("http_requests_total",
              {{"endpoint", std::string(ep)},
               {"method", std::string(method)},
               {"status", std::string(status)}},
              status == "200" ? Shape::kCounter : Shape::kIdleCounter, status == "200" ? 40 : 0.05);
      }
      // Latency histogram: 12 buckets, low ones fill slowly.
      static constexpr std::string_view kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                                 "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
      double rate = 0.5;
      for (std::string_view le : kLe) {
        b.Add("http_request_duration_seconds_bucket",
              {{"endpoint", std::string(ep)},
               {"le", std::string(le)},
               {"method", std::string(method)}},
              Shape::kHistogramBucket, rate);
        rate = std::min(40.0, rate * 2);
      }
      b.Add("http_request_duration_seconds_sum",
            {{"endpoint", std::string(ep)}, {"method", std::string(method)}}, Shape::kFloatCounter,
            4);
      b.Add("http_request_duration_seconds_count",
            {{"endpoint", std::string(ep)}, {"method", std::string(method)}}, Shape::kCounter, 40);
    }
  }
  // Database and cache gauges.
  for (int i = 0; i < 12; ++i) {
    b.Add("pg_stat_metric" + std::to_string(i), {{"datname", "app"}},
          i % 2 == 0 ? Shape::kGauge : Shape::kCounter, i % 2 == 0 ? 2 : 30);
  }
  for (int i = 0; i < 10; ++i) {
    b.Add("redis_metric" + std::to_string(i), {}, i % 2 == 0 ? Shape::kBytesGauge : Shape::kCounter,
          i % 2 == 0 ? 0 : 200);
  }
  return b.Take();
}

}  // namespace strata::workload
