// The synthetic scrape workload of the engine benchmarks (issue #5):
// `num_series` series shaped like tools/workload.h's HostSeries (about 570
// per host: node_exporter, HTTP counters and histograms, database, cache),
// host after host, each scraped every 15 s.
//
// Generating values per series with SeriesGenerator would cost a 2.5 KB
// Mersenne Twister per series (2.5 GB at 1 M series) and dominate the
// append loop, so each template series of a host gets `variants` sample
// sequences generated up front, and host h uses variant h % variants with
// its own instance label. Compression is per series, so bytes per sample
// are those of the shapes; only the RNG state is shared.
//
// Timestamps: round r of series i is at start_ms + r * 15 s + the scrape
// jitter of its variant (snapped within ±2 ms, a few ms in 5 % of scrapes,
// up to 80 ms in 0.5 %), as in tools/workload.h. start_ms is 100 ms after
// a multiple of 2 h, so rounds 0..479 (2 h) fill exactly one block range.
#ifndef STRATA_BENCH_ENGINE_WORKLOAD_H_
#define STRATA_BENCH_ENGINE_WORKLOAD_H_

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "strata/db.h"
#include "tools/workload.h"

namespace strata::bench {

inline constexpr int64_t kScrapeIntervalMs = 15000;
inline constexpr int64_t kTwoHoursMs = 2 * 3600 * 1000;
// 1700006400000 is a multiple of 2 h (2023-11-15 00:00 UTC).
inline constexpr int64_t kStartMs = 1700006400000 + 100;

inline size_t EnvSize(const char* name, size_t def) {
  const char* env = std::getenv(name);
  return env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 10) : def;
}

// CPU seconds of the whole process (every thread) so far.
inline double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Resident set from /proc/self/status, in bytes: VmRSS, RssAnon, RssFile.
struct Rss {
  uint64_t total = 0, anon = 0, file = 0;
};
inline Rss ReadRss() {
  Rss r;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned long long kb = 0;
      if (std::sscanf(line, "VmRSS: %llu kB", &kb) == 1) r.total = kb * 1024;
      if (std::sscanf(line, "RssAnon: %llu kB", &kb) == 1) r.anon = kb * 1024;
      if (std::sscanf(line, "RssFile: %llu kB", &kb) == 1) r.file = kb * 1024;
    }
    std::fclose(f);
  }
  return r;
}

class EngineWorkload {
 public:
  // `rounds`: samples generated per variant; later rounds wrap around.
  EngineWorkload(size_t num_series, size_t rounds = 480, size_t variants = 4)
      : num_series_(num_series), rounds_(rounds), variants_(variants) {
    specs_ = workload::HostSeries(0);
    per_host_ = specs_.size();
    const size_t hosts = (num_series + per_host_ - 1) / per_host_;
    for (size_t h = 0; h < hosts; ++h) instances_.push_back("host-" + std::to_string(h) + ":9100");
    views_.resize(per_host_);
    instance_pos_.resize(per_host_);
    offsets_.resize(per_host_ * variants_ * rounds_);
    values_.resize(per_host_ * variants_ * rounds_);
    for (size_t t = 0; t < per_host_; ++t) {
      const workload::SeriesSpec& spec = specs_[t];
      for (size_t i = 0; i < spec.labels.size(); ++i) {
        views_[t].push_back({spec.labels[i].first, spec.labels[i].second});
        if (spec.labels[i].first == "instance") instance_pos_[t] = i;
      }
      for (size_t v = 0; v < variants_; ++v) {
        workload::SeriesGenerator g(spec.shape, spec.scale, t * 7919 + v * 104729 + 1, 0);
        for (size_t r = 0; r < rounds_; ++r) {
          const workload::Sample s = g.Next();
          const size_t k = Index({t, v}, r);
          offsets_[k] = static_cast<int16_t>(s.timestamp_ms - static_cast<int64_t>(r) * 15000);
          values_[k] = s.value;
        }
      }
    }
  }

  size_t num_series() const { return num_series_; }
  size_t series_per_host() const { return per_host_; }

  // Where series i's samples are: its template series and variant.
  struct Pos {
    size_t t = 0, v = 0;
  };
  Pos PosOf(size_t i) const { return {i % per_host_, (i / per_host_) % variants_}; }
  // The position of series i + 1, from that of series i (no division: the
  // append benchmarks measure the engine, not this).
  void Advance(Pos* p) const {
    if (++p->t == per_host_) {
      p->t = 0;
      if (++p->v == variants_) p->v = 0;
    }
  }

  // Series i's sample of round r.
  int64_t Timestamp(size_t i, uint64_t r) const { return Timestamp(PosOf(i), r); }
  double Value(size_t i, uint64_t r) const { return Value(PosOf(i), r); }
  int64_t Timestamp(Pos p, uint64_t r) const {
    return kStartMs + static_cast<int64_t>(r) * kScrapeIntervalMs + offsets_[Index(p, r)];
  }
  double Value(Pos p, uint64_t r) const { return values_[Index(p, r)]; }

  // Series i's labels (sorted by name), valid until the next call with the
  // same `scratch`.
  std::span<const LabelView> Labels(size_t i, std::vector<LabelView>* scratch) const {
    const size_t t = i % per_host_;
    scratch->assign(views_[t].begin(), views_[t].end());
    (*scratch)[instance_pos_[t]].value = instances_[i / per_host_];
    return *scratch;
  }

 private:
  // Round-major, so that consecutive series read consecutive entries.
  size_t Index(Pos p, uint64_t r) const {
    return ((r % rounds_) * variants_ + p.v) * per_host_ + p.t;
  }

  size_t num_series_, rounds_, variants_;
  size_t per_host_;
  std::vector<workload::SeriesSpec> specs_;
  std::vector<std::string> instances_;
  std::vector<std::vector<LabelView>> views_;
  std::vector<size_t> instance_pos_;
  std::vector<int16_t> offsets_;
  std::vector<double> values_;
};

}  // namespace strata::bench

#endif  // STRATA_BENCH_ENGINE_WORKLOAD_H_
