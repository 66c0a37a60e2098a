// RSS per active series and the block written from the head (issue #5).
//   build/bin/engine_memory                       # 1 M series × 2 h of 15 s samples
//   build/bin/engine_memory --series=10000 --openmetrics=/tmp/s.om
//
// Appends 2 h of 15 s samples (480 per series) for N series of
// bench/engine_workload.h through the public API (round 0 by labels, which
// creates the series, then by ref; 5,000 samples per Commit; default
// Options: WAL synced every second, snappy), then reports VmRSS (and its
// anonymous and file-mapped parts) before and after, per series, and the
// head chunk file bytes. Then writes the head into a block with
// WriteHeadBlock, as head compaction does, and reports the time and the
// block's bytes/sample (index + chunks). Linked with jemalloc, like the
// `strata` binary.
//
// --block-dir=DIR keeps the block in DIR (default: removed with the temp
// data directory).
// --block-range-ms=MS sets Options::block_range_ms, which is also the
// head's chunk range (promtool's importer uses twice the block duration).
// --batch appends rounds 1.. through the batch overload
// Append(std::span<const RefSample>), one call per Commit.
// --reopen closes the DB at the end and times opening it again: replaying
// chunks_head/ and the whole WAL (the 2 h of samples) into the head.
// --openmetrics=FILE also writes the same samples as OpenMetrics text for
//   promtool tsdb create-blocks-from openmetrics FILE DIR
// so that Prometheus' block writer can store the same samples (see
// docs/benchmarks.md, "Engine").
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/engine_workload.h"
#include "engine/compactor.h"
#include "engine/db_impl.h"
#include "strata/db.h"

namespace strata::bench {
namespace {

constexpr size_t kRounds = 480;  // 2 h of 15 s samples

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

double MiB(uint64_t b) { return static_cast<double>(b) / (1 << 20); }

void WriteOpenMetrics(const EngineWorkload& w, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::vector<char> buf(1 << 20);
  std::setvbuf(f, buf.data(), _IOFBF, buf.size());
  std::vector<LabelView> scratch;
  std::string series;
  const size_t per_host = w.series_per_host();
  const size_t hosts = (w.num_series() + per_host - 1) / per_host;
  // Series of one metric name stay together (templates with the same name
  // are adjacent, and each template's hosts are written one after another).
  for (size_t t = 0; t < per_host; ++t) {
    for (size_t h = 0; h < hosts; ++h) {
      const size_t i = h * per_host + t;
      if (i >= w.num_series()) continue;
      std::span<const LabelView> labels = w.Labels(i, &scratch);
      series.clear();
      for (const LabelView& l : labels) {
        if (l.name == "__name__") series.append(l.value);
      }
      series.push_back('{');
      bool first = true;
      for (const LabelView& l : labels) {
        if (l.name == "__name__") continue;
        if (!first) series.push_back(',');
        first = false;
        series.append(l.name).append("=\"").append(l.value).append("\"");
      }
      series.push_back('}');
      for (size_t r = 0; r < kRounds; ++r) {
        char v[64];
        auto end = std::to_chars(v, v + sizeof(v), w.Value(i, r)).ptr;
        const int64_t t_ms = w.Timestamp(i, r);
        std::fprintf(f, "%s %.*s %lld.%03lld\n", series.c_str(), static_cast<int>(end - v), v,
                     static_cast<long long>(t_ms / 1000), static_cast<long long>(t_ms % 1000));
      }
    }
  }
  std::fputs("# EOF\n", f);
  std::fclose(f);
}

int Main(int argc, char** argv) {
  size_t series = 1000000;
  std::string openmetrics, block_dir;
  int64_t block_range_ms = kTwoHoursMs;
  bool batch = false, reopen = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--batch") {
      batch = true;
    } else if (a == "--reopen") {
      reopen = true;
    } else if (a.starts_with("--series=")) {
      series = std::strtoull(argv[i] + 9, nullptr, 10);
    } else if (a.starts_with("--openmetrics=")) {
      openmetrics = std::string(a.substr(14));
    } else if (a.starts_with("--block-range-ms=")) {
      block_range_ms = std::strtoll(argv[i] + 17, nullptr, 10);
    } else if (a.starts_with("--block-dir=")) {
      block_dir = std::string(a.substr(12));
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--series=N] [--batch] [--reopen] [--openmetrics=FILE] [--block-dir=DIR] "
          "[--block-range-ms=MS]\n",
          argv[0]);
      return 2;
    }
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrFormat("%s/strata-memory-XXXXXX", tmp != nullptr ? tmp : "/tmp");
  if (mkdtemp(dir.data()) == nullptr) return 1;

  EngineWorkload w(series, kRounds, 4);
  if (!openmetrics.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    WriteOpenMetrics(w, openmetrics);
    std::printf("openmetrics: %s, %.1f MiB, %.1f s\n", openmetrics.c_str(),
                MiB(std::filesystem::file_size(openmetrics)), Seconds(t0));
  }

  const Rss before = ReadRss();
  Options o;  // defaults: WAL synced every second, compressed
  o.background_compaction = false;
  o.block_range_ms = block_range_ms;  // also the head's chunk range
  auto db_or = engine::DBImpl::Open(o, dir);
  Check(db_or.status(), "open");
  std::unique_ptr<engine::DBImpl> db = *std::move(db_or);
  std::vector<SeriesRef> refs(series);
  std::unique_ptr<Appender> app = db->NewAppender();
  std::vector<LabelView> scratch;
  const auto t0 = std::chrono::steady_clock::now();
  size_t in_batch = 0;
  for (size_t i = 0; i < series; ++i) {
    auto ref = app->Append(w.Labels(i, &scratch), w.Timestamp(i, 0), w.Value(i, 0));
    Check(ref.status(), "append");
    refs[i] = *ref;
    if (++in_batch == 5000) {
      Check(app->Commit(), "commit");
      in_batch = 0;
    }
  }
  Check(app->Commit(), "commit");
  const double create_s = Seconds(t0);
  const Rss after_create = ReadRss();
  std::vector<RefSample> pending;
  auto commit = [&] {
    if (!pending.empty()) Check(app->Append(pending), "append");
    pending.clear();
    Check(app->Commit(), "commit");
  };
  const auto t1 = std::chrono::steady_clock::now();
  for (size_t r = 1; r < kRounds; ++r) {
    EngineWorkload::Pos pos;
    for (size_t i = 0; i < series; ++i, w.Advance(&pos)) {
      if (batch) {
        pending.push_back({refs[i], w.Timestamp(pos, r), w.Value(pos, r)});
      } else {
        Check(app->Append(refs[i], w.Timestamp(pos, r), w.Value(pos, r)), "append");
      }
      if (++in_batch == 5000) {
        commit();
        in_batch = 0;
      }
    }
  }
  commit();
  const double append_s = Seconds(t1);
  app.reset();
  const Rss after = ReadRss();
  const engine::Head& head = db->head();
  const double n = static_cast<double>(series);
  std::printf("series: %zu, samples: %zu (%zu per series, 15 s apart)\n", series, series * kRounds,
              kRounds);
  std::printf("create (round 0 by labels): %.2f s, %.0f series/s\n", create_s, n / create_s);
  std::printf("append rounds 1..479 by ref%s: %.2f s, %.2f M samples/s\n", batch ? " (batch)" : "",
              append_s, n * (kRounds - 1) / append_s / 1e6);
  std::printf(
      "VmRSS before %.1f MiB, after create %.1f MiB, after 2 h %.1f MiB (anon %.1f, file %.1f)\n",
      MiB(before.total), MiB(after_create.total), MiB(after.total), MiB(after.anon),
      MiB(after.file));
  std::printf(
      "RSS per active series: %.0f B (anon %.0f B, file-mapped %.0f B); after create %.0f B\n",
      (after.total - before.total) / n, (after.anon - before.anon) / n,
      (after.file - before.file) / n, (after_create.total - before.total) / n);
  std::printf("head: %llu chunks, chunks_head %.1f MiB (%.0f B/series), WAL %.1f MiB\n",
              static_cast<unsigned long long>(head.num_chunks()), MiB(head.head_chunk_bytes()),
              head.head_chunk_bytes() / n, MiB(head.wal_bytes()));

  const int64_t mint = kStartMs - 100;
  const auto t2 = std::chrono::steady_clock::now();
  if (block_dir.empty()) block_dir = dir + "/out";
  auto meta = engine::WriteHeadBlock(*Env::Default(), block_dir, head, mint, mint + kTwoHoursMs);
  Check(meta.status(), "write block");
  const double compact_s = Seconds(t2);
  if (!meta->has_value()) {
    std::fprintf(stderr, "no block written\n");
    return 1;
  }
  const engine::BlockMeta& m = **meta;
  const std::string block = block_dir + "/" + m.ulid.ToString();
  const uint64_t index_bytes = std::filesystem::file_size(block + "/index");
  const uint64_t chunk_bytes = DirBytes(block + "/chunks");
  const double samples = static_cast<double>(m.stats.num_samples);
  std::printf("block: %.2f s, %llu series, %llu chunks, %llu samples\n", compact_s,
              static_cast<unsigned long long>(m.stats.num_series),
              static_cast<unsigned long long>(m.stats.num_chunks),
              static_cast<unsigned long long>(m.stats.num_samples));
  std::printf(
      "block %s: index %llu B, chunks %llu B; bytes/sample %.4f (index %.4f, chunks %.4f)\n",
      block.c_str(), static_cast<unsigned long long>(index_bytes),
      static_cast<unsigned long long>(chunk_bytes), (index_bytes + chunk_bytes) / samples,
      index_bytes / samples, chunk_bytes / samples);
  std::printf("peak RSS after block: %.1f MiB\n", MiB(ReadRss().total));
  Check(db->Close(), "close");
  db.reset();
  if (reopen) {
    const Rss before_open = ReadRss();
    const auto t3 = std::chrono::steady_clock::now();
    const double cpu3 = ProcessCpuSeconds();
    auto again = engine::DBImpl::Open(o, dir);
    Check(again.status(), "reopen");
    const double open_s = Seconds(t3), open_cpu = ProcessCpuSeconds() - cpu3;
    std::printf(
        "reopen (replay of chunks_head/ and %zu WAL samples): %.2f s, %.1f CPU s, "
        "%.1f M samples/s; head RSS %.1f MiB\n",
        series * kRounds, open_s, open_cpu, n * kRounds / open_s / 1e6,
        MiB(ReadRss().total - before_open.total));
    Check((*again)->Close(), "close");
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) { return strata::bench::Main(argc, argv); }
