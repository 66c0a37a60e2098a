// Api: the Prometheus-compatible HTTP endpoints of `strata serve`
// (DESIGN.md §6) as one HttpService: remote write and read, the query API
// (query, query_range, series, labels, label values, metadata, status,
// exemplars, rules, alerts), the admin API, /metrics and the health
// probes. Each endpoint is one entry of the route table in api.cc
// (server/router.h), which names its handler, pool, role and family.
// JSON bodies follow Prometheus 2.42's web/api/v1/api.go: status, data,
// errorType, error, warnings; errors map to HTTP in server/http_status.h.
//
// The DB is attached after it opened (SetDB); until then every endpoint
// but /-/healthy and /metrics answers 503 and /-/ready says not ready.
//
// Thread-safety: Handle may be called from any number of threads. SetDB
// and the DB's lifetime are the caller's: the DB must outlive every
// Handle call that saw it (the caller stops the HTTP server first).
#ifndef STRATA_SERVER_API_H_
#define STRATA_SERVER_API_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "query/engine.h"
#include "server/http_params.h"
#include "server/http_server.h"
#include "server/internal/request_limits.h"
#include "server/metadata_store.h"
#include "server/metrics.h"
#include "server/remote_read.h"
#include "server/response_stream.h"
#include "server/router.h"
#include "server/write_request.h"
#include "strata/db.h"

namespace strata::server {

// The PromQL evaluator as the API sees it; NewEngineEvaluator wraps
// query::Engine. Thread-safe.
class QueryEvaluator {
 public:
  virtual ~QueryEvaluator() = default;
  [[nodiscard]] virtual StatusOr<query::Result> Instant(DB& db, std::string_view query,
                                                        int64_t time_ms,
                                                        const query::QueryOptions& limits) = 0;
  [[nodiscard]] virtual StatusOr<query::Result> Range(DB& db, std::string_view query,
                                                      int64_t start_ms, int64_t end_ms,
                                                      int64_t step_ms,
                                                      const query::QueryOptions& limits) = 0;
};

// query::Engine behind QueryEvaluator.
std::unique_ptr<QueryEvaluator> NewEngineEvaluator(const query::EngineOptions& options);

struct ApiOptions {
  std::string storage_path;  // for snapshots: <storage_path>/snapshots/<name>
  bool enable_admin_api = false;
  uint64_t max_body_bytes = 32 << 20;  // also the limit after snappy decoding
  // Remote read (Prometheus' flags of the same names): SAMPLES answers
  // hold at most this many samples (--storage.remote.read-sample-limit;
  // 0 = none); STREAMED_XOR_CHUNKS frames at most this many bytes
  // (--storage.remote.read-max-bytes-in-frame); at most this many remote
  // reads run at once, others wait up to remote_read_queue_wait_ms and
  // then get 503 with Retry-After (--storage.remote.read-concurrent-limit;
  // 0 = none).
  int64_t remote_read_sample_limit = 50'000'000;
  size_t remote_read_max_bytes_in_frame = 1 << 20;
  int64_t remote_read_concurrent_limit = 10;
  int64_t remote_read_queue_wait_ms = 1000;
  // Query-like endpoints (series, labels, label values, status/tsdb,
  // exemplars, remote read) fail after this long (--query.timeout; the
  // request's `timeout` parameter may shorten it; 0 = none). Those that
  // load series (series, status/tsdb, remote read) fail when they would
  // load more than max_series (--query.max-series; 0 = none): about 1 KiB
  // each in the answer and the engine's selection, so the default bounds
  // one request near 1 GiB.
  int64_t query_timeout_ms = 2 * 60 * 1000;
  int64_t max_series = 1'000'000;
  WriteLimits write_limits;  // what one remote-write request may hold
  // Shared with the HTTP server (--web.max-inflight-body-bytes): remote
  // write reserves its decompressed body from it. Null: no reservation.
  InflightBudget* inflight_budget = nullptr;
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  int64_t retention_ms = 0;
  uint64_t retention_bytes = 0;
  // Flag name -> value, for /api/v1/status/flags.
  std::map<std::string, std::string> flags;
  // XOR encoder and CRC for STREAMED_XOR_CHUNKS; null answers SAMPLES.
  const ChunkCodec* chunk_codec = nullptr;
  // Wall clock in milliseconds, for "now"; null means the system clock.
  int64_t (*now_ms)() = nullptr;
  // Monotonic clock in nanoseconds, for deadlines; null means
  // std::chrono::steady_clock (tests pass one that jumps).
  int64_t (*steady_now_ns)() = nullptr;
};

class Api final : public HttpService {
 public:
  // `evaluator` may be null (queries answer 422 then). `metrics` must
  // outlive the Api.
  Api(const ApiOptions& options, std::unique_ptr<QueryEvaluator> evaluator, ServerMetrics& metrics);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Attaches the open DB (or detaches it with null before closing it).
  void SetDB(DB* db) { db_.store(db, std::memory_order_release); }

  // HttpService. `stream` may also be null (in-process callers): a
  // streaming endpoint then builds its whole answer in `*res`.
  Pool PoolFor(const HttpRequest& req) override;
  void Handle(const HttpRequest& req, ResponseStream* stream, HttpResponse* res) override;
  void Overloaded(const HttpRequest& req, std::string_view why, HttpResponse* res) override;

  // Answers `req` in the calling thread, whatever its route's pool (for
  // in-process callers and tests): in `*res`, or through `stream` if not
  // null and the endpoint streams (remote read's STREAMED_XOR_CHUNKS; see
  // response_stream.h for when `*res` is then ignored).
  void Handle(const HttpRequest& req, HttpResponse* res, ResponseStream* stream = nullptr) {
    Handle(req, stream, res);
  }

 private:
  struct Call {
    const HttpRequest& req;
    HttpParams params;
    DB* db;
    HttpResponse* res;
    // Non-null when the server can stream the body; a streaming endpoint
    // then writes through it and leaves `res` alone once it called Begin.
    ResponseStream* stream = nullptr;
    std::string_view param;  // the route's `:name` segment
  };
  using Handler = void (Api::*)(Call&);

 public:
  // The route table (api.cc), for tests that check every route.
  static std::span<const Route<Handler>> Routes();

 private:
  void Healthy(Call& c);
  void Ready(Call& c);
  void MetricsPage(Call& c);
  void Index(Call& c);
  void RemoteWrite(Call& c);
  void RemoteRead(Call& c);
  void Query(Call& c);
  void QueryRange(Call& c);
  void Series(Call& c);
  void SeriesOfOneSelector(Call& c, Querier& q, const std::vector<LabelMatcher>& matchers,
                           int64_t limit, internal::QueryBudget& budget);
  void Labels(Call& c);
  void LabelValues(Call& c);
  void Metadata(Call& c);
  void BuildInfo(Call& c);
  void TsdbStatus(Call& c);
  void QueryExemplars(Call& c);
  void Flags(Call& c);
  void RuntimeInfo(Call& c);
  void StatusConfig(Call& c);
  void Rules(Call& c);
  void Alerts(Call& c);
  void Targets(Call& c);
  void Alertmanagers(Call& c);
  void DeleteSeries(Call& c);
  void Snapshot(Call& c);
  void CleanTombstones(Call& c);

  // The deadline and series cap of a query-like request: --query.timeout
  // or the request's `timeout` parameter, whichever is smaller, and
  // --query.max-series. Errors: InvalidArgument for a bad `timeout`.
  [[nodiscard]] StatusOr<internal::QueryBudget> Budget(const Call& c, std::string_view what) const;

  void StoreMetadata(const WriteRequestView& view);
  int64_t NowMs() const;

  const ApiOptions options_;
  const std::unique_ptr<QueryEvaluator> evaluator_;
  ServerMetrics& metrics_;
  const int64_t start_time_ms_;
  const Router<Handler> router_;
  std::atomic<DB*> db_{nullptr};
  internal::ConcurrencyGate remote_reads_{options_.remote_read_concurrent_limit};

  MetadataStore metadata_;  // from remote write, for /api/v1/metadata
};

}  // namespace strata::server

#endif  // STRATA_SERVER_API_H_
