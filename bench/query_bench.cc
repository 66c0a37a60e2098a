// PromQL evaluation (issue #6): range queries of the function library over
// an in-memory head, to see what a change to the function table or the
// range evaluator costs per evaluated window.
//   build/bin/query_bench
//   STRATA_QUERY_BENCH_SERIES=2000 build/bin/query_bench --benchmark_filter=rate
// Environment:
//   STRATA_QUERY_BENCH_SERIES  series of the metric `m` (500)
//   TMPDIR                     where the data directory goes (/tmp)
//
// Data: `m` with N series, one counter-like sample every 15 s for 6 h.
// BM_RangeQuery/<i>: the i-th query of kQueries as a range query over the
// 6 h at a 60 s step on one thread; items are output points (series ×
// steps), so the per-item time is the cost of one window or one point.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "query/engine.h"
#include "strata/db.h"

namespace strata::bench {
namespace {

constexpr int64_t kScrapeMs = 15'000;
constexpr int64_t kSpanMs = 6 * 3600 * 1000;
constexpr int64_t kStepMs = 60'000;

const char* const kQueries[] = {
    "rate(m[5m])",
    "sum_over_time(m[5m])",
    "quantile_over_time(0.9, m[5m])",
    "holt_winters(m[5m], 0.5, 0.5)",
    "abs(m)",
    "hour(m)",
    "clamp(m, 10, 1000)",
};

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}

struct Fixture {
  Fixture() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        absl::StrFormat("%s/strata-query-bench-XXXXXX", base != nullptr ? base : "/tmp");
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    const char* n = std::getenv("STRATA_QUERY_BENCH_SERIES");
    series = n != nullptr ? std::atoi(n) : 500;
    Options o;
    o.background_compaction = false;
    o.retention_ms = 0;
    o.wal_sync = WalSyncPolicy::kNever;
    auto opened = DB::Open(o, dir + "/db");
    Check(opened.status(), "open");
    db = std::move(*opened);
    auto app = db->NewAppender();
    for (int s = 0; s < series; ++s) {
      const std::string instance = absl::StrFormat("host-%d", s);
      double v = 0;
      for (int64_t t = 0; t <= kSpanMs; t += kScrapeMs) {
        v += (s % 7) + (t / kScrapeMs) % 3;
        if (t % (3600 * 1000) == 0 && s % 5 == 0) v = 0;  // a counter reset per hour
        Check(app->Append({{"__name__", "m"}, {"instance", instance}}, t, v).status(), "append");
      }
    }
    Check(app->Commit(), "commit");
  }
  ~Fixture() {
    db->Close().IgnoreError();  // the directory is deleted next
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir;
  int series = 0;
  std::unique_ptr<DB> db;
};

void BM_RangeQuery(benchmark::State& state) {
  static const std::unique_ptr<Fixture> f = std::make_unique<Fixture>();  // shared by all
  const char* const query = kQueries[state.range(0)];
  state.SetLabel(query);
  query::EngineOptions o;
  o.threads = 1;
  const query::Engine engine(o);
  int64_t points = 0;
  for (auto _ : state) {
    StatusOr<query::Result> r = engine.Range(*f->db, query, 0, kSpanMs, kStepMs);
    Check(r.status(), query);
    points = 0;
    for (const query::SeriesResult& s : r->matrix) points += static_cast<int64_t>(s.points.size());
    benchmark::DoNotOptimize(points);
  }
  state.SetItemsProcessed(state.iterations() * points);
}
BENCHMARK(BM_RangeQuery)
    ->DenseRange(0, std::size(kQueries) - 1)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace strata::bench
