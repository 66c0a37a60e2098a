// Remote-write decoding (server/write_request.h): the protobuf of one
// request decoded and every label and sample visited, as Api::RemoteWrite
// does before appending. Items are samples.
//   build/bin/server_bench
// Shapes: Prometheus' default batch (max_samples_per_send=2000, one sample
// per TimeSeries, ~10 labels each) and vmagent's (10,000 rows in series of
// 10 samples).
#include <string>
#include <vector>

#include "base/mutex.h"
#include "bench/loadgen/write_request_encoder.h"
#include "benchmark/benchmark.h"
#include "server/work_pool.h"
#include "server/write_request.h"

namespace strata::server {
namespace {

std::string MakeRequest(int series, int samples_per_series) {
  std::vector<std::vector<std::pair<std::string, std::string>>> labels(series);
  std::vector<std::vector<loadgen::EncodeSample>> samples(series);
  std::vector<loadgen::EncodeSeries> enc;
  for (int i = 0; i < series; ++i) {
    labels[i] = {{"__name__", "node_cpu_seconds_total"},
                 {"cpu", std::to_string(i % 64)},
                 {"env", "production"},
                 {"instance", "node-" + std::to_string(i / 64) + ".example.com:9100"},
                 {"job", "node"},
                 {"mode", i % 2 == 0 ? "idle" : "user"},
                 {"region", "eu-west-1"}};
    for (int j = 0; j < samples_per_series; ++j) {
      samples[i].push_back({1700000000000 + j * 15000, 12345.67 + i + j});
    }
  }
  for (int i = 0; i < series; ++i) enc.push_back({labels[i], samples[i]});
  std::string proto;
  loadgen::AppendWriteRequest(enc, &proto);
  return proto;
}

// Visits what RemoteWrite reads; returns a checksum so nothing is elided.
double Consume(const WriteRequestView& view) {
  double sum = 0;
  for (const WireSeries& s : view.series()) {
    for (const WireLabel& l : s.labels())
      sum += static_cast<double>(l.name.size() + l.value.size());
    for (const WireSample& smp : s.samples())
      sum += smp.value + static_cast<double>(smp.timestamp_ms);
  }
  return sum;
}

void BM_WriteRequestDecode(benchmark::State& state) {
  const int series = static_cast<int>(state.range(0));
  const int per_series = static_cast<int>(state.range(1));
  const std::string proto = MakeRequest(series, per_series);
  WriteRequestDecoder decoder;
  for (auto _ : state) {
    auto view = decoder.Decode(proto, WriteLimits());
    if (!view.ok()) {
      state.SkipWithError("decode failed");
      return;
    }
    benchmark::DoNotOptimize(Consume(**view));
  }
  state.SetItemsProcessed(state.iterations() * series * per_series);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(proto.size()));
}
BENCHMARK(BM_WriteRequestDecode)->Args({2000, 1})->Args({1000, 10});

// What running a request's handler on a worker pool adds (issue #16): one
// Submit, the hand-over to a pool thread, and the completion signalled
// back, as the HTTP server does for every remote write and query. Compare
// with BM_InlineCall, the same work called directly.
void BM_WorkPoolRoundTrip(benchmark::State& state) {
  strata::server::WorkPool pool(strata::server::WorkPoolOptions{
      .name = "bench", .threads = static_cast<int>(state.range(0))});
  strata::Mutex mu;
  strata::CondVar cv;
  uint64_t done = 0;
  uint64_t want = 0;
  for (auto _ : state) {
    ++want;
    pool.Submit(
        [&] {
          strata::MutexLock l(&mu);
          ++done;
          cv.SignalAll();
        },
        [&](absl::Duration) {
          strata::MutexLock l(&mu);
          ++done;
          cv.SignalAll();
        });
    strata::MutexLock l(&mu);
    while (done < want) cv.Wait(&mu);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WorkPoolRoundTrip)->Arg(2)->Arg(20)->UseRealTime();

void BM_InlineCall(benchmark::State& state) {
  strata::Mutex mu;
  uint64_t done = 0;
  std::function<void()> run = [&] {
    strata::MutexLock l(&mu);
    ++done;
  };
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(done);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InlineCall)->UseRealTime();

}  // namespace
}  // namespace strata::server
