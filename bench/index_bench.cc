// Head label index on synthetic monitoring label sets: node_exporter
// (node_cpu_seconds_total by cpu/mode, filesystem and network by device)
// and HTTP metrics (method/handler/status, histogram buckets by le), ~410
// series per instance, each with job/instance/env/region labels.
//   build/bin/index_bench                                   # 1 M series
//   STRATA_INDEX_BENCH_SERIES=10000000 build/bin/index_bench  # 10 M (once)
// BM_MemoryPerSeries reports bytes of labels + head index per series
// (MemIndex::MemoryBytes and the RSS growth while building); BM_Select
// reports the time to resolve typical selectors, with the series returned.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "index/labels.h"
#include "index/matcher.h"
#include "index/mem_index.h"
#include "index/postings.h"

namespace strata::index {
namespace {

size_t SeriesTarget() {
  const char* env = std::getenv("STRATA_INDEX_BENCH_SERIES");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1000000;
}

size_t RssBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * 4096;
}

// Appends the per-instance series (without the instance's common labels).
void InstanceTemplates(std::vector<std::vector<std::pair<std::string, std::string>>>* out) {
  static const char* kModes[] = {"idle", "user",    "system", "iowait",
                                 "irq",  "softirq", "steal",  "nice"};
  static const char* kDevices[] = {"sda", "sdb", "nvme0n1", "eth0"};
  static const char* kMethods[] = {"GET", "POST"};
  static const char* kHandlers[] = {"/api/v1/query", "/api/v1/write", "/metrics", "/login", "/"};
  static const char* kStatus[] = {"200", "404", "503"};
  static const char* kLe[] = {"0.005", "0.01", "0.05", "0.1", "0.25",
                              "0.5",   "1",    "2.5",  "10",  "+Inf"};
  for (int cpu = 0; cpu < 8; ++cpu) {
    for (const char* mode : kModes) {
      out->push_back(
          {{"__name__", "node_cpu_seconds_total"}, {"cpu", std::to_string(cpu)}, {"mode", mode}});
    }
  }
  for (const char* dev : kDevices) {
    out->push_back(
        {{"__name__", "node_filesystem_avail_bytes"}, {"device", dev}, {"fstype", "ext4"}});
    out->push_back({{"__name__", "node_network_receive_bytes_total"}, {"device", dev}});
  }
  for (const char* m : kMethods) {
    for (const char* h : kHandlers) {
      for (const char* s : kStatus) {
        out->push_back(
            {{"__name__", "http_requests_total"}, {"method", m}, {"handler", h}, {"status", s}});
        for (const char* le : kLe) {
          out->push_back({{"__name__", "http_request_duration_seconds_bucket"},
                          {"method", m},
                          {"handler", h},
                          {"status", s},
                          {"le", le}});
        }
      }
    }
  }
}

struct Fixture {
  MemIndex index;
  size_t series = 0;
  size_t rss_growth = 0;
};

Fixture& Shared() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    std::vector<std::vector<std::pair<std::string, std::string>>> templates;
    InstanceTemplates(&templates);
    const size_t target = SeriesTarget();
    const size_t rss_before = RssBytes();
    LabelsBuilder b;
    for (size_t inst = 0; fx->series < target; ++inst) {
      const std::string instance = absl::StrFormat("host-%06d:9100", inst);
      for (const auto& t : templates) {
        if (fx->series == target) break;
        b.Reset();
        for (const auto& [n, v] : t) b.Set(n, v);
        b.Set("job", inst % 3 == 0 ? "api" : "node").Set("instance", instance);
        b.Set("env", inst % 4 == 0 ? "staging" : "prod")
            .Set("region", absl::StrFormat("r%d", inst % 5));
        if (!fx->index.Add(fx->series, b.Build()).ok()) std::abort();
        ++fx->series;
      }
    }
    fx->rss_growth = RssBytes() - rss_before;
    return fx;
  }();
  return *f;
}

std::vector<Matcher> Selector(int which) {
  auto m = [](MatchType t, const char* n, const char* v) { return *Matcher::Create(t, n, v); };
  using T = MatchType;
  switch (which) {
    case 0:
      return {m(T::kEqual, "__name__", "node_cpu_seconds_total"), m(T::kEqual, "mode", "idle")};
    case 1:
      return {m(T::kEqual, "__name__", "http_requests_total"), m(T::kRegexMatch, "status", "5.."),
              m(T::kEqual, "job", "api")};
    case 2:
      return {m(T::kEqual, "__name__", "http_request_duration_seconds_bucket"),
              m(T::kEqual, "instance", "host-000042:9100")};
    case 3:
      return {m(T::kRegexMatch, "__name__", "node_.*"),
              m(T::kEqual, "instance", "host-000007:9100")};
    case 4:
      return {m(T::kEqual, "__name__", "node_cpu_seconds_total"), m(T::kNotEqual, "mode", "idle"),
              m(T::kEqual, "env", "staging"), m(T::kRegexMatch, "region", "r1|r2")};
    case 5:  // about 10 k series at 10 M (the goal: <= 5 ms)
      return {m(T::kEqual, "__name__", "node_cpu_seconds_total"), m(T::kEqual, "mode", "idle"),
              m(T::kRegexMatch, "cpu", "0|1"), m(T::kEqual, "region", "r1")};
    default:
      return {};
  }
}

const char* kSelectorNames[] = {"node_cpu{mode=idle}",
                                "http_requests{status=~5..,job=api}",
                                "http_bucket{instance=X}",
                                "{__name__=~node_.*,instance=X}",
                                "node_cpu{mode!=idle,env=staging,region=~r1|r2}",
                                "node_cpu{mode=idle,cpu=~0|1,region=r1}"};

void BM_MemoryPerSeries(benchmark::State& state) {
  Fixture& f = Shared();
  for (auto _ : state) benchmark::DoNotOptimize(f.index.num_series());
  state.counters["series"] = static_cast<double>(f.series);
  state.counters["index_bytes/series"] = static_cast<double>(f.index.MemoryBytes()) / f.series;
  state.counters["rss_bytes/series"] = static_cast<double>(f.rss_growth) / f.series;
}
BENCHMARK(BM_MemoryPerSeries)->Iterations(1);

void BM_Select(benchmark::State& state) {
  Fixture& f = Shared();
  const auto ms = Selector(static_cast<int>(state.range(0)));
  size_t n = 0;
  for (auto _ : state) {
    auto got = f.index.PostingsForMatchers(ms);
    n = got->size();
    benchmark::DoNotOptimize(got);
  }
  state.counters["series_returned"] = static_cast<double>(n);
  state.SetLabel(kSelectorNames[state.range(0)]);
}
BENCHMARK(BM_Select)->DenseRange(0, 5)->Unit(benchmark::kMicrosecond);

// Intersection of two real postings lists: a large pair (walk) and a
// small-vs-large pair (gallop). Items are input refs.
void BM_IntersectLists(benchmark::State& state) {
  Fixture& f = Shared();
  const bool gallop = state.range(0) == 1;
  const auto a = gallop ? f.index.Postings("instance", "host-000042:9100")
                        : f.index.Postings("__name__", "http_request_duration_seconds_bucket");
  const auto b = f.index.Postings("env", "prod");
  for (auto _ : state) benchmark::DoNotOptimize(IntersectLists(a, b));
  state.SetItemsProcessed(state.iterations() * (a.size() + b.size()));
  state.SetLabel(absl::StrFormat("%d x %d", a.size(), b.size()));
}
BENCHMARK(BM_IntersectLists)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_LabelValues(benchmark::State& state) {
  Fixture& f = Shared();
  const char* name = state.range(0) == 0 ? "instance" : "le";
  size_t n = 0;
  for (auto _ : state) {
    auto v = f.index.LabelValues(name);
    n = v.size();
    benchmark::DoNotOptimize(v);
  }
  state.counters["values"] = static_cast<double>(n);
  state.SetLabel(name);
}
BENCHMARK(BM_LabelValues)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace strata::index
