// The database engine (issue #5): appending, writing a block from the
// head, reading blocks back. Series and values come from
// bench/engine_workload.h (tools/workload.h's HostSeries shapes, ~570
// series per host, 15 s scrapes with Prometheus' scrape jitter).
//   build/bin/engine_bench                                          # 100 k series
//   STRATA_ENGINE_BENCH_SERIES=1000000 build/bin/engine_bench --benchmark_filter=Append
// Environment:
//   STRATA_ENGINE_BENCH_SERIES          active series of the append benchmarks (100000)
//   STRATA_ENGINE_BENCH_COMPACT_SERIES  series × 2 h written into a block (100000)
//   STRATA_ENGINE_BENCH_QUERY_SERIES    series × 1 day read back (10000)
//   TMPDIR                              where the data directories go (/tmp)
//
// BM_AppendByRef / BM_AppendByLabels: one appender through the public API
// (strata::DB), each iteration one Commit of `batch` samples (a
// remote-write request), series visited round-robin so that every series
// gets a sample per round, as a scrape does. The series exist already (a
// first round created them, timed separately as `create_s`), so ByLabels
// measures the lookup of existing series. Items are samples; time is wall
// time, and the CPU column is the process's (WAL syncing included).
// BM_WriteHeadBlock: WriteHeadBlock (the head-compaction step) of a 2 h
// head; reports bytes/sample of the block (index + chunks).
// BM_QueryDay: Select({__name__=~".+"}) over one day of blocks and every
// sample through SeriesIterator.
// BM_ChunkIterate/overlap: one series' chunks read through
// NewChunkSampleIterator (engine/merge.h), the step under every query and
// compaction: 0 = 16 chunks in a row (batch decoding), 1 = the same
// samples in two interleaved sets of chunks that overlap (the k-way merge
// of out-of-order data and overlapping blocks). Items are samples yielded.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/engine_workload.h"
#include "benchmark/benchmark.h"
#include "engine/compactor.h"
#include "engine/db_impl.h"
#include "engine/head.h"
#include "engine/merge.h"
#include "strata/db.h"
#include "strata/env.h"

namespace strata::bench {
namespace {

constexpr int64_t kAlignedStartMs = kStartMs - 100;

std::string MakeTempDir(const char* tag) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = absl::StrFormat("%s/strata-%s-XXXXXX", base != nullptr ? base : "/tmp", tag);
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

// A DB in a temp dir holding a workload's series; removed on destruction.
struct DbFixture {
  std::string dir;
  std::unique_ptr<engine::DBImpl> db;
  std::unique_ptr<EngineWorkload> work;
  std::vector<SeriesRef> refs;
  // Where the append benchmarks continue: next series, its round.
  size_t next = 0;
  uint64_t round = 0;
  double create_s = 0;

  DbFixture(const char* tag, size_t series, WalSyncPolicy sync, size_t rounds, size_t variants,
            bool wal_compression = true) {
    dir = MakeTempDir(tag);
    Options o;
    o.wal_sync = sync;
    o.wal_compression = wal_compression;
    o.background_compaction = false;
    auto db_or = engine::DBImpl::Open(o, dir);
    Check(db_or.status(), "open");
    db = *std::move(db_or);
    work = std::make_unique<EngineWorkload>(series, rounds, variants);
    // Round 0 by labels creates the series.
    const auto t0 = std::chrono::steady_clock::now();
    refs.resize(series);
    std::unique_ptr<Appender> app = db->NewAppender();
    std::vector<LabelView> scratch;
    for (size_t i = 0; i < series; ++i) {
      auto ref = app->Append(work->Labels(i, &scratch), work->Timestamp(i, 0), work->Value(i, 0));
      Check(ref.status(), "append");
      refs[i] = *ref;
      if ((i + 1) % 5000 == 0) Check(app->Commit(), "commit");
    }
    Check(app->Commit(), "commit");
    create_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    round = 1;
  }
  ~DbFixture() {
    db->Close().IgnoreError();  // the directory is removed anyway
    db.reset();
    std::filesystem::remove_all(dir);
  }

  // Appends rounds [round, end) of every series by ref, `batch` per commit.
  void AppendRounds(uint64_t end, size_t batch) {
    std::unique_ptr<Appender> app = db->NewAppender();
    size_t in_batch = 0;
    for (; round < end; ++round) {
      EngineWorkload::Pos pos;
      for (size_t i = 0; i < refs.size(); ++i, work->Advance(&pos)) {
        Check(app->Append(refs[i], work->Timestamp(pos, round), work->Value(pos, round)), "append");
        if (++in_batch == batch) {
          Check(app->Commit(), "commit");
          in_batch = 0;
        }
      }
    }
    Check(app->Commit(), "commit");
  }
};

// The append benchmarks' DB, one WAL configuration at a time: 0 = sync
// never, 1 = the defaults (sync every second, snappy), 2 = sync never
// without snappy.
std::unique_ptr<DbFixture>& AppendFixture(int64_t wal, bool create = true) {
  static std::unique_ptr<DbFixture> f;
  static int64_t current = -1;
  if (!create) return f;
  if (f == nullptr || current != wal) {
    f.reset();
    f = std::make_unique<DbFixture>("append", EnvSize("STRATA_ENGINE_BENCH_SERIES", 100000),
                                    wal == 1 ? WalSyncPolicy::kInterval : WalSyncPolicy::kNever,
                                    480, 4, /*wal_compression=*/wal != 2);
    current = wal;
  }
  return f;
}

const char* WalLabel(int64_t wal) {
  switch (wal) {
    case 0:
      return "wal_sync=never";
    case 1:
      return "wal_sync=interval(default)";
    default:
      return "wal_sync=never,no_snappy";
  }
}

enum class AppendBy { kLabels, kRef, kRefBatch };

void RunAppend(benchmark::State& state, AppendBy by) {
  const size_t batch = static_cast<size_t>(state.range(0));
  DbFixture& f = *AppendFixture(state.range(1));
  const EngineWorkload& w = *f.work;
  const size_t n = w.num_series();
  std::unique_ptr<Appender> app = f.db->NewAppender();
  std::vector<LabelView> scratch;
  std::vector<RefSample> samples;
  EngineWorkload::Pos pos = w.PosOf(f.next);
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    for (size_t k = 0; k < batch; ++k) {
      const size_t i = f.next;
      const int64_t t = w.Timestamp(pos, f.round);
      const double v = w.Value(pos, f.round);
      if (by == AppendBy::kLabels) {
        auto ref = app->Append(w.Labels(i, &scratch), t, v);
        if (!ref.ok()) state.SkipWithError(ref.status().ToString().c_str());
      } else if (by == AppendBy::kRef) {
        Status s = app->Append(f.refs[i], t, v);
        if (!s.ok()) state.SkipWithError(s.ToString().c_str());
      } else {
        samples.push_back({f.refs[i], t, v});
      }
      w.Advance(&pos);
      if (++f.next == n) {
        f.next = 0;
        pos = {};
        ++f.round;
      }
    }
    if (!samples.empty()) {
      Status s = app->Append(samples);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
      samples.clear();
    }
    Status s = app->Commit();
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  // Samples per second of process CPU: the per-core rate, less exposed
  // than wall time to the other work on these shared machines.
  state.counters["samples/cpu_s"] =
      static_cast<double>(state.iterations() * batch) / (ProcessCpuSeconds() - cpu0);
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["series"] = static_cast<double>(n);
  state.counters["create_s"] = f.create_s;
  state.counters["round"] = static_cast<double>(f.round);
  state.SetLabel(WalLabel(state.range(1)));
}

void BM_AppendByRef(benchmark::State& state) { RunAppend(state, AppendBy::kRef); }
void BM_AppendBatchByRef(benchmark::State& state) { RunAppend(state, AppendBy::kRefBatch); }
void BM_AppendByLabels(benchmark::State& state) { RunAppend(state, AppendBy::kLabels); }

// Args: samples per Commit, WAL configuration (see AppendFixture).
// Grouped by WAL configuration so that each builds its DB once.
BENCHMARK(BM_AppendByRef)->Args({1000, 0})->Args({5000, 0})->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_AppendBatchByRef)
    ->Args({1000, 0})
    ->Args({5000, 0})
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_AppendByLabels)
    ->Args({1000, 0})
    ->Args({5000, 0})
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_AppendByRef)->Args({1000, 1})->Args({5000, 1})->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_AppendByLabels)
    ->Args({1000, 1})
    ->Args({5000, 1})
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_AppendByRef)->Args({5000, 2})->UseRealTime()->MeasureProcessCPUTime();

void BM_ReleaseAppendDb(benchmark::State& state) {
  for (auto _ : state) AppendFixture(0, /*create=*/false).reset();
}
BENCHMARK(BM_ReleaseAppendDb)->Iterations(1);

// Writing a block from a head of N series × 2 h (480 samples each).
void BM_WriteHeadBlock(benchmark::State& state) {
  // A static unique_ptr, so that the data directory goes away at exit.
  static std::unique_ptr<DbFixture> f = [] {
    auto fx = std::make_unique<DbFixture>("compact",
                                          EnvSize("STRATA_ENGINE_BENCH_COMPACT_SERIES", 100000),
                                          WalSyncPolicy::kNever, 480, 4);
    fx->AppendRounds(480, 5000);
    return fx;
  }();
  const std::string out = f->dir + "/bench-blocks";
  Env& env = *Env::Default();
  engine::BlockMeta meta;
  uint64_t index_bytes = 0, chunk_bytes = 0;
  for (auto _ : state) {
    auto m = engine::WriteHeadBlock(env, out, f->db->head(), kAlignedStartMs,
                                    kAlignedStartMs + kTwoHoursMs);
    if (!m.ok() || !m->has_value()) {
      state.SkipWithError(m.ok() ? "no block" : m.status().ToString().c_str());
      break;
    }
    state.PauseTiming();
    meta = **m;
    const std::string block = out + "/" + meta.ulid.ToString();
    index_bytes = std::filesystem::file_size(block + "/index");
    chunk_bytes = DirBytes(block + "/chunks");
    std::filesystem::remove_all(block);
    state.ResumeTiming();
  }
  const double samples = static_cast<double>(meta.stats.num_samples);
  state.SetItemsProcessed(state.iterations() * meta.stats.num_samples);
  state.counters["series"] = static_cast<double>(meta.stats.num_series);
  state.counters["samples"] = samples;
  state.counters["chunks/series"] =
      static_cast<double>(meta.stats.num_chunks) / static_cast<double>(meta.stats.num_series);
  state.counters["index_B/sample"] = static_cast<double>(index_bytes) / samples;
  state.counters["chunks_B/sample"] = static_cast<double>(chunk_bytes) / samples;
  state.counters["B/sample"] = static_cast<double>(index_bytes + chunk_bytes) / samples;
}
BENCHMARK(BM_WriteHeadBlock)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

// One day of N series (5,760 samples each) read back from blocks.
void BM_QueryDay(benchmark::State& state) {
  constexpr uint64_t kDayRounds = 24 * 3600 / 15;
  static std::unique_ptr<DbFixture> f = [] {
    // 27 h of data so that the whole first day is compacted into blocks
    // (the head keeps up to 3 h).
    const uint64_t rounds = kDayRounds + 3 * 240 + 240;
    auto fx =
        std::make_unique<DbFixture>("query", EnvSize("STRATA_ENGINE_BENCH_QUERY_SERIES", 10000),
                                    WalSyncPolicy::kNever, rounds, 2);
    for (uint64_t r = 480; r <= rounds; r += 480) {
      fx->AppendRounds(std::min(r, rounds), 5000);
      Check(fx->db->Compact(), "compact");
    }
    if (fx->db->head().min_time_ms() < kAlignedStartMs + 24 * 3600 * 1000) {
      std::fprintf(stderr, "warning: the head still holds part of the queried day\n");
    }
    return fx;
  }();
  auto q = f->db->NewQuerier(kAlignedStartMs, kAlignedStartMs + 24 * 3600 * 1000 - 1);
  Check(q.status(), "querier");
  const std::vector<LabelMatcher> all = {{LabelMatcher::Type::kRegexMatch, "__name__", ".+"}};
  uint64_t samples = 0, series = 0;
  for (auto _ : state) {
    samples = series = 0;
    double sum = 0;
    auto set = (*q)->Select(all);
    Check(set.status(), "select");
    while ((*set)->Next()) {
      ++series;
      std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
      while (it->Next()) {
        sum += it->value();
        ++samples;
      }
      Check(it->status(), "iterate");
    }
    Check((*set)->status(), "series set");
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * samples);
  state.counters["series"] = static_cast<double>(series);
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["blocks"] = static_cast<double>(f->db->blocks().size());
}
BENCHMARK(BM_QueryDay)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

void BM_ChunkIterate(benchmark::State& state) {
  const bool overlap = state.range(0) != 0;
  constexpr int64_t kChunks = 16;
  constexpr int64_t kTotal = kChunks * engine::kSamplesPerChunk;
  const auto samples = workload::Generate(workload::Shape::kGauge, kTotal, 7);
  std::vector<engine::EncodedChunk> encoded;
  // Overlap: even samples go to one set of chunks, odd ones to another.
  for (int set = 0; set < (overlap ? 2 : 1); ++set) {
    std::vector<int64_t> ts;
    std::vector<double> vs;
    for (int64_t i = set; i < kTotal; i += overlap ? 2 : 1) {
      ts.push_back(samples[static_cast<size_t>(i)].timestamp_ms);
      vs.push_back(samples[static_cast<size_t>(i)].value);
    }
    auto it = engine::NewVectorSampleIterator(std::move(ts), std::move(vs));
    Check(engine::EncodeChunks(*it, 0, &encoded), "encode");
  }
  std::vector<engine::TimedChunk> chunks;
  for (const engine::EncodedChunk& e : encoded) {
    chunks.push_back({e.min_time_ms, e.max_time_ms, compression::ChunkEncoding::kXor, e.data});
  }
  int64_t n = 0;
  for (auto _ : state) {
    auto it = engine::NewChunkSampleIterator(chunks, nullptr, INT64_MIN, INT64_MAX);
    double sum = 0;
    n = 0;
    while (it->Next()) {
      sum += it->value();
      ++n;
    }
    Check(it->status(), "iterate");
    benchmark::DoNotOptimize(sum);
  }
  if (n != kTotal) std::abort();
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ChunkIterate)->Arg(0)->Arg(1);

}  // namespace
}  // namespace strata::bench
