// `strata chunk-stats`: how well and how fast the XOR codec does on series
// shaped like a monitoring stack's (tools/workload.h). Chunks are cut at
// 120 samples, as Prometheus' head cuts them.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "compression/xor_chunk.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"
#include "tools/workload.h"

namespace strata::tools {
namespace {

constexpr size_t kSamplesPerChunk = 120;

struct Totals {
  uint64_t samples = 0;
  uint64_t bytes = 0;
  double encode_seconds = 0;
  double decode_seconds = 0;
};

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Encodes `samples` into 120-sample chunks, decodes them again and adds
// sizes and times to `totals`. Returns false if a sample did not survive.
bool Measure(const std::vector<workload::Sample>& samples, Totals* totals) {
  std::vector<compression::XorChunk> chunks;
  chunks.reserve(samples.size() / kSamplesPerChunk + 1);
  auto start = Clock::now();
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i % kSamplesPerChunk == 0) chunks.emplace_back();
    if (!chunks.back().Append(samples[i].timestamp_ms, samples[i].value).ok()) return false;
  }
  totals->encode_seconds += Seconds(Clock::now() - start);

  start = Clock::now();
  size_t n = 0;
  uint64_t checksum = 0;
  int64_t ts[kSamplesPerChunk];
  uint64_t vs[kSamplesPerChunk];
  for (const compression::XorChunk& c : chunks) {
    compression::XorIterator it(c.bytes());
    const size_t got = it.NextBatch(ts, vs, kSamplesPerChunk);
    if (!it.status().ok()) return false;
    for (size_t i = 0; i < got; ++i) checksum += static_cast<uint64_t>(ts[i]) ^ vs[i];
    n += got;
  }
  totals->decode_seconds += Seconds(Clock::now() - start);

  uint64_t want = 0;
  for (const workload::Sample& s : samples) {
    want += static_cast<uint64_t>(s.timestamp_ms) ^ std::bit_cast<uint64_t>(s.value);
  }
  for (const compression::XorChunk& c : chunks) totals->bytes += c.bytes().size();
  totals->samples += samples.size();
  return n == samples.size() && checksum == want;
}

void PrintRow(std::string_view name, const Totals& t) {
  std::printf("%-26.*s %8.3f %12.1f %12.1f\n", static_cast<int>(name.size()), name.data(),
              static_cast<double>(t.bytes) / static_cast<double>(t.samples),
              static_cast<double>(t.samples) / t.encode_seconds / 1e6,
              static_cast<double>(t.samples) / t.decode_seconds / 1e6);
}

}  // namespace

int RunChunkStats(const std::vector<std::string>& args) {
  int64_t hosts = 20;
  int64_t samples_per_series = 480;
  int64_t seed = 1;
  bool jitter = true;
  FlagParser flags("strata chunk-stats [flags]",
                   "Generates the series of monitored hosts (node_exporter, HTTP latency "
                   "histograms,\ndatabase and cache metrics at a 15 s interval), encodes them "
                   "as Prometheus XOR\nchunks of 120 samples, decodes them again, and prints "
                   "bytes per sample and\nmillions of samples per second for each value shape "
                   "and for the realistic mix.");
  flags.Int("hosts", &hosts, "hosts in the mix (about 600 series each)");
  flags.Int("samples", &samples_per_series, "samples per series (480 = 2 h at 15 s)");
  flags.Int("seed", &seed, "random seed");
  flags.Bool("jitter", &jitter, "scrape timestamps drift off the schedule as in practice");
  std::vector<std::string> positional;
  if (auto exit = flags.ParseCommand(args, 0, "no arguments", &positional)) return *exit;
  if (hosts < 1 || samples_per_series < 1) {
    return flags.UsageError("--hosts and --samples must be at least 1");
  }

  std::printf("%-26s %8s %12s %12s\n", "shape", "B/sample", "enc Msamp/s", "dec Msamp/s");
  const size_t per_shape_series = 2000;
  for (workload::Shape shape : workload::kAllShapes) {
    Totals t;
    for (size_t i = 0; i < per_shape_series; ++i) {
      auto samples = workload::Generate(shape, static_cast<size_t>(samples_per_series),
                                        static_cast<uint64_t>(seed) * 1000003 + i);
      if (!Measure(samples, &t)) {
        std::fprintf(stderr, "strata chunk-stats: round trip failed for %s\n",
                     std::string(workload::ShapeName(shape)).c_str());
        return kExitProblems;
      }
    }
    PrintRow(workload::ShapeName(shape), t);
  }

  Totals mix;
  uint64_t series = 0;
  for (int64_t h = 0; h < hosts; ++h) {
    for (const workload::SeriesSpec& spec : workload::HostSeries(static_cast<int>(h))) {
      workload::SeriesGenerator gen(spec.shape, spec.scale,
                                    static_cast<uint64_t>(seed) * 7919 + series++, 1700000000000,
                                    15000, jitter);
      std::vector<workload::Sample> samples(static_cast<size_t>(samples_per_series));
      for (auto& s : samples) s = gen.Next();
      if (!Measure(samples, &mix)) {
        std::fprintf(stderr, "strata chunk-stats: round trip failed in the mix\n");
        return kExitProblems;
      }
    }
  }
  PrintRow(absl::StrFormat("mix (%d series)", series), mix);
  std::printf("mix: %.3f bytes/sample\n",
              static_cast<double>(mix.bytes) / static_cast<double>(mix.samples));
  return kExitOk;
}

}  // namespace strata::tools
