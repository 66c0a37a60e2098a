// XOR chunk encode/decode speed and size on the shapes of tools/workload.h.
//   build/bin/compression_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// Items are samples: items_per_second reads as samples/s; the bytes/sample
// counter is the encoded size.
#include <bit>
#include <memory>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "compression/chunk.h"
#include "compression/crc32c.h"
#include "compression/xor_chunk.h"
#include "tools/workload.h"

namespace strata::compression {
namespace {

constexpr size_t kChunkSamples = 120;
constexpr size_t kSeries = 256;

std::vector<std::vector<workload::Sample>> Series(workload::Shape shape) {
  std::vector<std::vector<workload::Sample>> out;
  for (size_t i = 0; i < kSeries; ++i) out.push_back(workload::Generate(shape, kChunkSamples, i));
  return out;
}

std::vector<XorChunk> EncodeChunks(workload::Shape shape) {
  std::vector<XorChunk> chunks;
  for (const auto& samples : Series(shape)) {
    XorChunk c;
    for (const auto& s : samples) (void)c.Append(s.timestamp_ms, s.value);
    chunks.push_back(c);
  }
  return chunks;
}

void BM_XorEncode(benchmark::State& state) {
  const auto shape = static_cast<workload::Shape>(state.range(0));
  const auto series = Series(shape);
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& samples : series) {
      XorChunk c;
      for (const auto& s : samples) benchmark::DoNotOptimize(c.Append(s.timestamp_ms, s.value));
      bytes += c.bytes().size();
    }
  }
  state.SetItemsProcessed(state.iterations() * kSeries * kChunkSamples);
  state.counters["bytes/sample"] = static_cast<double>(bytes) / (kSeries * kChunkSamples);
  state.SetLabel(std::string(workload::ShapeName(shape)));
}

void BM_XorDecode(benchmark::State& state) {
  const auto shape = static_cast<workload::Shape>(state.range(0));
  const std::vector<XorChunk> chunks = EncodeChunks(shape);
  for (auto _ : state) {
    for (const XorChunk& c : chunks) {
      XorIterator it(c.bytes());
      int64_t sum = 0;
      while (it.Next()) sum += it.timestamp_ms() + static_cast<int64_t>(it.value_bits());
      benchmark::DoNotOptimize(sum);
    }
  }
  state.SetItemsProcessed(state.iterations() * kSeries * kChunkSamples);
  state.SetLabel(std::string(workload::ShapeName(shape)));
}

void BM_XorDecodeBatch(benchmark::State& state) {
  const auto shape = static_cast<workload::Shape>(state.range(0));
  const std::vector<XorChunk> chunks = EncodeChunks(shape);
  int64_t ts[kChunkSamples];
  uint64_t vs[kChunkSamples];
  for (auto _ : state) {
    for (const XorChunk& c : chunks) {
      XorIterator it(c.bytes());
      benchmark::DoNotOptimize(it.NextBatch(ts, vs, kChunkSamples));
      benchmark::ClobberMemory();
    }
  }
  state.SetItemsProcessed(state.iterations() * kSeries * kChunkSamples);
  state.SetLabel(std::string(workload::ShapeName(shape)));
}

// The same two loops through the chunk interface (compression/chunk.h),
// as the engine reads chunks: the iterator comes from the factory by
// encoding, reused from chunk to chunk, and every call is virtual.
void BM_ChunkIteratorDecode(benchmark::State& state) {
  const auto shape = static_cast<workload::Shape>(state.range(0));
  const std::vector<XorChunk> chunks = EncodeChunks(shape);
  std::unique_ptr<ChunkIterator> it;
  for (auto _ : state) {
    for (const XorChunk& c : chunks) {
      it = *NewChunkIterator(ChunkEncoding::kXor, c.bytes(), std::move(it));
      int64_t sum = 0;
      while (it->Next()) sum += it->timestamp_ms() + static_cast<int64_t>(it->value_bits());
      benchmark::DoNotOptimize(sum);
    }
  }
  state.SetItemsProcessed(state.iterations() * kSeries * kChunkSamples);
  state.SetLabel(std::string(workload::ShapeName(shape)));
}

void BM_ChunkIteratorDecodeBatch(benchmark::State& state) {
  const auto shape = static_cast<workload::Shape>(state.range(0));
  const std::vector<XorChunk> chunks = EncodeChunks(shape);
  int64_t ts[kChunkSamples];
  uint64_t vs[kChunkSamples];
  std::unique_ptr<ChunkIterator> it;
  for (auto _ : state) {
    for (const XorChunk& c : chunks) {
      it = *NewChunkIterator(ChunkEncoding::kXor, c.bytes(), std::move(it));
      benchmark::DoNotOptimize(it->NextBatch(ts, vs, kChunkSamples));
      benchmark::ClobberMemory();
    }
  }
  state.SetItemsProcessed(state.iterations() * kSeries * kChunkSamples);
  state.SetLabel(std::string(workload::ShapeName(shape)));
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (auto shape : workload::kAllShapes) b->Arg(static_cast<int>(shape));
}

BENCHMARK(BM_XorEncode)->Apply(Shapes);
BENCHMARK(BM_XorDecode)->Apply(Shapes);
BENCHMARK(BM_XorDecodeBatch)->Apply(Shapes);
BENCHMARK(BM_ChunkIteratorDecode)->Apply(Shapes);
BENCHMARK(BM_ChunkIteratorDecodeBatch)->Apply(Shapes);

void BM_Crc32c(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::Value(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(64)->Arg(32 * 1024);

}  // namespace
}  // namespace strata::compression
