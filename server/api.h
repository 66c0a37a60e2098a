// Api: the Prometheus-compatible HTTP endpoints of `strata serve`
// (DESIGN.md §6) as one HttpHandler: remote write and read, the query API
// (query, query_range, series, labels, label values, metadata, status,
// exemplars, rules, alerts), the admin API, /metrics and the health
// probes. JSON bodies follow Prometheus 2.42's web/api/v1/api.go: status,
// data, errorType, error, warnings; HTTP 400 bad_data, 422 execution,
// 503 timeout/canceled/unavailable, 500 internal.
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
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "query/engine.h"
#include "server/http_params.h"
#include "server/http_server.h"
#include "server/metadata_store.h"
#include "server/metrics.h"
#include "server/remote_read.h"
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
  WriteLimits write_limits;            // what one remote-write request may hold
  int64_t max_samples = 50'000'000;    // per remote read
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  int64_t retention_ms = 0;
  uint64_t retention_bytes = 0;
  // Flag name -> value, for /api/v1/status/flags.
  std::map<std::string, std::string> flags;
  // XOR encoder and CRC for STREAMED_XOR_CHUNKS; null answers SAMPLES.
  const ChunkCodec* chunk_codec = nullptr;
  // Wall clock in milliseconds, for "now"; null means the system clock.
  int64_t (*now_ms)() = nullptr;
};

class Api {
 public:
  // `evaluator` may be null (queries answer 422 then). `metrics` must
  // outlive the Api.
  Api(const ApiOptions& options, std::unique_ptr<QueryEvaluator> evaluator, ServerMetrics& metrics);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Attaches the open DB (or detaches it with null before closing it).
  void SetDB(DB* db) { db_.store(db, std::memory_order_release); }

  void Handle(const HttpRequest& req, HttpResponse* res);

 private:
  struct Call {
    const HttpRequest& req;
    HttpParams params;
    DB* db;
    HttpResponse* res;
  };
  // Returns the handler name for metrics.
  std::string_view Route(const HttpRequest& req, HttpResponse* res);
  std::string_view RouteApi(std::string_view path, Call& c);

  void RemoteWrite(Call& c);
  void RemoteRead(Call& c);
  void Query(Call& c);
  void QueryRange(Call& c);
  void Series(Call& c);
  void Labels(Call& c);
  void LabelValues(Call& c, std::string_view name);
  void Metadata(Call& c);
  void BuildInfo(Call& c);
  void TsdbStatus(Call& c);
  void Flags(Call& c);
  void RuntimeInfo(Call& c);
  void DeleteSeries(Call& c);
  void Snapshot(Call& c);

  void StoreMetadata(const WriteRequestView& view);
  int64_t NowMs() const;

  const ApiOptions options_;
  const std::unique_ptr<QueryEvaluator> evaluator_;
  ServerMetrics& metrics_;
  const int64_t start_time_ms_;
  std::atomic<DB*> db_{nullptr};

  MetadataStore metadata_;  // from remote write, for /api/v1/metadata
};

}  // namespace strata::server

#endif  // STRATA_SERVER_API_H_
