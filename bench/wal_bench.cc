// WAL benchmarks: append throughput per fsync policy (records/s and bytes/s
// through Writer::Log, on a temporary directory of the real file system),
// and replay speed in samples/s (Replay + DecodeSamples).
//
//   build/bin/wal_bench --benchmark_filter=.
#include <stdlib.h>

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "strata/env.h"
#include "wal/reader.h"
#include "wal/records.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

// A samples record of `n` samples like one remote-write request's.
std::string MakeSamplesRecord(size_t n, int64_t t0) {
  std::vector<RefSample> samples;
  for (size_t i = 0; i < n; ++i)
    samples.push_back({1000 + i, t0 + static_cast<int64_t>(i % 7), 0.5 * i});
  std::string rec;
  EncodeSamples(samples, &rec);
  return rec;
}

std::string TempDir() {
  char tmpl[] = "/tmp/strata_wal_bench_XXXXXX";
  return ::mkdtemp(tmpl) ? std::string(tmpl) : std::string();
}

std::unique_ptr<Writer> g_writer;  // shared by the threads of one run
std::string g_dir;

// Arguments: sync policy, samples per record; Threads() adds appenders.
void BM_WalAppend(benchmark::State& state) {
  const auto policy = static_cast<SyncPolicy>(state.range(0));
  const std::string rec = MakeSamplesRecord(static_cast<size_t>(state.range(1)), 1700000000000);
  if (state.thread_index() == 0) {
    g_dir = TempDir();
    WriterOptions options;
    options.sync_policy = policy;
    auto w = Writer::Open(*Env::Default(), g_dir + "/wal", options);
    if (!w.ok()) state.SkipWithError(std::string(w.status().message()).c_str());
    g_writer = w.ok() ? *std::move(w) : nullptr;
  }
  for (auto _ : state) {
    if (!g_writer || !g_writer->Log(rec).ok()) {
      state.SkipWithError("log failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(rec.size()));
  if (state.thread_index() == 0) {
    const WriterStats stats = g_writer ? g_writer->stats() : WriterStats{};
    state.counters["batches_per_write"] =
        stats.groups ? static_cast<double>(stats.batches) / static_cast<double>(stats.groups) : 0;
    g_writer.reset();
    Env::Default()->RemoveAll(g_dir).IgnoreError();  // best-effort cleanup of a temp dir
  }
}
BENCHMARK(BM_WalAppend)
    ->ArgNames({"policy", "samples"})
    ->Args({static_cast<int>(SyncPolicy::kNever), 100})
    ->Args({static_cast<int>(SyncPolicy::kInterval), 100})
    ->Args({static_cast<int>(SyncPolicy::kAlways), 100})
    ->Args({static_cast<int>(SyncPolicy::kInterval), 2000})
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();

// Replays a WAL of `records` samples records of 1000 samples and decodes them.
void BM_WalReplay(benchmark::State& state) {
  const bool compress = state.range(0) != 0;
  const std::string dir = TempDir() + "/wal";
  {
    WriterOptions options;
    options.compress = compress;
    options.sync_policy = SyncPolicy::kNever;
    auto w = Writer::Open(*Env::Default(), dir, options);
    if (!w.ok()) return state.SkipWithError("open failed");
    for (int i = 0; i < 2000; ++i) {
      if (!(*w)->Log(MakeSamplesRecord(1000, i * 15000)).ok())
        return state.SkipWithError("log failed");
    }
    if (!(*w)->Close().ok()) return state.SkipWithError("close failed");
  }
  std::vector<RefSample> samples;
  int64_t total = 0;
  for (auto _ : state) {
    ReplayStats stats;
    Status s = Replay(
        *Env::Default(), dir, {},
        [&](std::string_view r) {
          samples.clear();
          Status d = DecodeSamples(r, &samples);
          total += static_cast<int64_t>(samples.size());
          return d;
        },
        &stats);
    if (!s.ok()) return state.SkipWithError(std::string(s.message()).c_str());
  }
  state.SetItemsProcessed(total);
  Env::Default()->RemoveAll(dir.substr(0, dir.rfind('/'))).IgnoreError();  // best-effort cleanup
}
BENCHMARK(BM_WalReplay)->ArgName("snappy")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::wal
