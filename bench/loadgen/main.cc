// strata-loadgen: a Prometheus remote-write load generator.
//
// Generates the series of a monitoring stack (tools/workload.h: node
// exporter, HTTP counters and latency histograms, database and cache
// gauges, `up`) for `--hosts` hosts over `--span` at `--interval`, and
// remote-writes them to `--target` over `--connections` keep-alive
// connections. Series are sharded over the connections by hash, and each
// connection sends its requests in time order, as Prometheus' shards do,
// so no sample arrives out of order, and no connection runs more than
// --max-shard-lag-s of data time ahead of the slowest (see Pacer). Each TimeSeries carries one
// sample, as in Prometheus' own requests.
//
// By default every body is encoded before sending starts (--pre-encode),
// so the client is never the bottleneck; the report gives both rates.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "base/strings.h"
#include "bench/loadgen/http_client.h"
#include "bench/loadgen/write_request_encoder.h"
#include "tools/flag_parser.h"
#include "tools/workload.h"

namespace strata::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
using LabelList = std::vector<std::pair<std::string, std::string>>;

struct Options {
  std::string target = "127.0.0.1:9201";
  std::string path = "/api/v1/write";
  int64_t hosts = 10;
  int64_t series_per_host = 0;  // 0: all of tools/workload.h's ~600
  int64_t interval_ms = 15000;
  int64_t span_s = 3600;
  int64_t start_ms = 0;  // 0: now - span (backfill up to now)
  double churn = 0;      // fraction of series replaced per hour
  int64_t connections = 4;
  int64_t samples_per_request = 5000;
  bool pre_encode = true;
  bool jitter = true;           // scrape timestamps drift off the schedule (tools/workload.h)
  int64_t max_shard_lag_s = 0;  // 0: max(60 s, 4 intervals)
  int64_t seed = 1;
};

struct Series {
  LabelList base_labels;
  LabelList labels;  // base_labels plus the churn generation, if any
  int64_t generation = -1;
  double phase = 0;
  workload::SeriesGenerator gen;
};

// The bodies one connection sends, in order, with the time of each body's
// last sample.
struct Shard {
  std::vector<Series> series;
  std::vector<std::string> bodies;
  std::vector<int64_t> body_times;
  uint64_t samples = 0;
};

// Keeps the connections within `max_lag_ms` of data time of each other.
// Prometheus' shards send live data, so they never drift far apart; a
// backfill sent at full speed would let one connection run hours of data
// ahead of another, and a receiver that has compacted that far (Prometheus
// and Strata alike) refuses the laggard's samples as out of bounds.
class Pacer {
 public:
  Pacer(size_t shards, int64_t start_ms, int64_t max_lag_ms)
      : progress_(shards, start_ms), max_lag_ms_(max_lag_ms) {}

  // Blocks until shard `i` may send samples up to time `t`: when it is
  // within the lag of the slowest shard, or is the slowest itself (so a
  // body spanning more than the lag cannot stall everyone).
  void WaitToSend(size_t i, int64_t t) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      const int64_t slowest = *std::min_element(progress_.begin(), progress_.end());
      return progress_[i] == slowest || t <= slowest + max_lag_ms_;
    });
  }
  // Shard `i` has sent every sample up to `t`; INT64_MAX when it is done.
  void Sent(size_t i, int64_t t) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      progress_[i] = t;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> progress_;
  const int64_t max_lag_ms_;
};

void UpdateChurn(const Options& o, int64_t t, Series* s) {
  if (o.churn <= 0) return;
  const double hours = static_cast<double>(t - o.start_ms) / 3.6e6;
  const auto g = static_cast<int64_t>(std::floor(o.churn * hours + s->phase));
  if (g == s->generation) return;
  s->generation = g;
  s->labels = s->base_labels;
  s->labels.emplace_back("series_gen", std::to_string(g));
  std::sort(s->labels.begin(), s->labels.end());
}

// Produces the shard's bodies in time order, calling `emit` with each and
// the time of its last sample.
template <typename Emit>
void Generate(const Options& o, Shard* shard, Emit&& emit) {
  std::vector<EncodeSample> samples;
  std::vector<EncodeSeries> batch;
  samples.reserve(static_cast<size_t>(o.samples_per_request));
  batch.reserve(static_cast<size_t>(o.samples_per_request));
  std::string proto, body;
  auto flush = [&] {
    if (batch.empty()) return;
    proto.clear();
    AppendWriteRequest(batch, &proto);
    SnappyCompress(proto, &body);
    shard->samples += batch.size();
    emit(body, batch.back().samples.back().timestamp_ms);
    batch.clear();
    samples.clear();
  };
  for (int64_t t = o.start_ms; t < o.start_ms + o.span_s * 1000; t += o.interval_ms) {
    for (Series& s : shard->series) {
      UpdateChurn(o, t, &s);
      const workload::Sample x = s.gen.Next();
      samples.push_back({x.timestamp_ms, x.value});
      batch.push_back({s.labels, std::span<const EncodeSample>(&samples.back(), 1)});
      if (static_cast<int64_t>(batch.size()) == o.samples_per_request) flush();
    }
  }
  flush();
}

std::vector<Shard> BuildShards(const Options& o) {
  std::vector<Shard> shards(static_cast<size_t>(o.connections));
  std::mt19937_64 rng(static_cast<uint64_t>(o.seed));
  uint64_t id = 0;
  for (int64_t h = 0; h < o.hosts; ++h) {
    auto specs = workload::HostSeries(static_cast<int>(h));
    if (o.series_per_host > 0 && static_cast<size_t>(o.series_per_host) < specs.size()) {
      specs.resize(static_cast<size_t>(o.series_per_host));
    }
    for (auto& spec : specs) {
      const uint64_t series_id = id++;
      Shard& shard =
          shards[std::hash<uint64_t>{}(series_id * 0x9e3779b97f4a7c15ull) % shards.size()];
      std::uniform_real_distribution<double> u(0, 1);
      shard.series.push_back(
          Series{spec.labels, spec.labels, -1, u(rng),
                 workload::SeriesGenerator(spec.shape, spec.scale, rng(), o.start_ms, o.interval_ms,
                                           o.jitter)});
    }
  }
  return shards;
}

struct SendResult {
  std::map<int, uint64_t> statuses;  // HTTP status -> count; 0: transport error
  std::string first_error;
};

void Send(const Options& o, const std::string& body, HttpClient& client, SendResult* result,
          std::mutex* mu) {
  auto r = client.Request("POST", o.path, body,
                          {{"Content-Encoding", "snappy"},
                           {"Content-Type", "application/x-protobuf"},
                           {"X-Prometheus-Remote-Write-Version", "0.1.0"},
                           {"User-Agent", "strata-loadgen/1"}});
  std::lock_guard<std::mutex> lock(*mu);
  const int status = r.ok() ? r->status : 0;
  ++result->statuses[status];
  if ((status < 200 || status >= 300) && result->first_error.empty()) {
    result->first_error =
        r.ok() ? StrCat("HTTP ", status, ": ", r->body) : std::string(r.status().message());
  }
}

int Run(const std::vector<std::string>& args) {
  Options o;
  std::string start = "";
  tools::FlagParser flags(
      "strata-loadgen [flags]",
      "Remote-writes a synthetic monitoring stack's series to a Prometheus-compatible\n"
      "receiver (Strata, Prometheus with --web.enable-remote-write-receiver,\n"
      "VictoriaMetrics) and reports the samples per second it achieved.");
  flags.String("target", &o.target, "receiver address, host:port (IPv4)");
  flags.String("path", &o.path, "remote-write path");
  flags.Int("hosts", &o.hosts, "monitored hosts (about 600 series each)");
  flags.Int("series-per-host", &o.series_per_host, "series per host; 0 for all");
  flags.Int("interval-ms", &o.interval_ms, "scrape interval in milliseconds");
  flags.Int("span-s", &o.span_s, "time span of the data in seconds");
  flags.String("start", &start, "first timestamp in ms since the epoch; empty: now - span");
  flags.Double("churn", &o.churn, "fraction of series replaced per hour");
  flags.Int("connections", &o.connections, "concurrent connections (shards)");
  flags.Int("samples-per-request", &o.samples_per_request, "samples per remote-write request");
  flags.Bool("pre-encode", &o.pre_encode, "encode every body before sending");
  flags.Bool("jitter", &o.jitter,
             "scrape timestamps jitter by a few ms (--no-jitter: exactly on the interval)");
  flags.Int("max-shard-lag-s", &o.max_shard_lag_s,
            "how far (data time) a connection may run ahead of the slowest; 0: max(60 s, 4 "
            "intervals)");
  flags.Int("seed", &o.seed, "random seed");
  std::vector<std::string> rest;
  if (auto exit = flags.ParseCommand(args, 0, "no arguments", &rest)) return *exit;
  const size_t colon = o.target.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(o.target.substr(colon + 1), &port) ||
      o.connections < 1 || o.samples_per_request < 1 || o.interval_ms < 1 || o.hosts < 1) {
    std::fprintf(stderr, "strata-loadgen: bad --target or sizes (see --help)\n");
    return 2;
  }
  const std::string host = o.target.substr(0, colon);
  if (start.empty()) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    o.start_ms = (now - o.span_s * 1000) / o.interval_ms * o.interval_ms;
  } else if (!absl::SimpleAtoi(start, &o.start_ms)) {
    std::fprintf(stderr, "strata-loadgen: --start: not a number: %s\n", start.c_str());
    return 2;
  }

  std::vector<Shard> shards = BuildShards(o);
  const int64_t max_lag_ms = o.max_shard_lag_s > 0 ? o.max_shard_lag_s * 1000
                                                   : std::max<int64_t>(60'000, 4 * o.interval_ms);
  Pacer pacer(shards.size(), o.start_ms, max_lag_ms);
  size_t num_series = 0;
  for (const Shard& s : shards) num_series += s.series.size();
  SendResult result;
  std::mutex mu;
  double encode_s = 0, send_s = 0;
  if (o.pre_encode) {
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (Shard& s : shards) {
      threads.emplace_back([&o, &s] {
        Generate(o, &s, [&s](const std::string& body, int64_t t) {
          s.bodies.push_back(body);
          s.body_times.push_back(t);
        });
      });
    }
    for (auto& t : threads) t.join();
    encode_s = std::chrono::duration<double>(Clock::now() - t0).count();
    t0 = Clock::now();
    threads.clear();
    for (size_t i = 0; i < shards.size(); ++i) {
      threads.emplace_back([&, i] {
        HttpClient client(host, port);
        const Shard& s = shards[i];
        for (size_t b = 0; b < s.bodies.size(); ++b) {
          pacer.WaitToSend(i, s.body_times[b]);
          Send(o, s.bodies[b], client, &result, &mu);
          pacer.Sent(i, s.body_times[b]);
        }
        pacer.Sent(i, INT64_MAX);
      });
    }
    for (auto& t : threads) t.join();
    send_s = std::chrono::duration<double>(Clock::now() - t0).count();
  } else {
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (size_t i = 0; i < shards.size(); ++i) {
      threads.emplace_back([&, i] {
        HttpClient client(host, port);
        Generate(o, &shards[i], [&](const std::string& body, int64_t t) {
          pacer.WaitToSend(i, t);
          Send(o, body, client, &result, &mu);
          pacer.Sent(i, t);
        });
        pacer.Sent(i, INT64_MAX);
      });
    }
    for (auto& t : threads) t.join();
    send_s = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  uint64_t samples = 0, requests = 0, bytes = 0;
  for (const Shard& s : shards) {
    samples += s.samples;
    requests += s.bodies.size();
    for (const auto& b : s.bodies) bytes += b.size();
  }
  std::printf("loadgen: %zu series, %llu samples, %lld samples per request, %lld connections\n",
              num_series, static_cast<unsigned long long>(samples),
              static_cast<long long>(o.samples_per_request), static_cast<long long>(o.connections));
  if (o.pre_encode) {
    std::printf("encode: %.2f s, %.2f M samples/s, %llu requests, %.1f MB compressed\n", encode_s,
                static_cast<double>(samples) / encode_s / 1e6,
                static_cast<unsigned long long>(requests), static_cast<double>(bytes) / 1e6);
  }
  std::printf("send: %.2f s, %.3f M samples/s\n", send_s,
              static_cast<double>(samples) / send_s / 1e6);
  bool ok = true;
  for (const auto& [status, count] : result.statuses) {
    std::printf("responses: HTTP %d x %llu\n", status, static_cast<unsigned long long>(count));
    ok = ok && status >= 200 && status < 300;
  }
  if (!ok) std::fprintf(stderr, "strata-loadgen: first error: %s\n", result.first_error.c_str());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace strata::loadgen

int main(int argc, char** argv) {
  return strata::loadgen::Run(std::vector<std::string>(argv + 1, argv + argc));
}
