#include "tools/serve.h"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/chunk.h"
#include "compression/crc32c.h"
#include "query/engine.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "strata/db.h"
#include "strata/env.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"

namespace strata::tools {
namespace {

// The flags of `strata serve`, with their defaults (docs/operations.md).
struct ServeFlags {
  std::string listen = "127.0.0.1:9201";
  std::string storage_path = "./data";
  absl::Duration retention_time = absl::Hours(15 * 24);
  uint64_t retention_size = 0;
  WalSyncPolicy wal_fsync = WalSyncPolicy::kInterval;
  absl::Duration lookback_delta = absl::Minutes(5);
  absl::Duration query_timeout = absl::Minutes(2);
  query::Compat query_compat = query::Compat::kPrometheus3;
  int64_t max_samples = 50'000'000;
  uint64_t max_inflight_body_bytes = 256 << 20;
  uint64_t max_body_bytes = 32 << 20;
  bool enable_admin_api = false;
  int64_t io_threads = 2;
  absl::Duration self_scrape_interval = absl::Seconds(15);
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kLogfmt;
  absl::Duration ooo_window = absl::ZeroDuration();
  int64_t max_connections = 512;
  int64_t query_max_concurrency = 20;
  absl::Duration query_max_queue_wait = absl::Seconds(30);
  int64_t ingest_concurrency = 0;  // 0: the number of cores, at least 2
  absl::Duration ingest_max_queue_wait = absl::Seconds(10);
  int64_t query_max_series = 1'000'000;
  int64_t remote_read_sample_limit = 50'000'000;
  int64_t remote_read_concurrent_limit = 10;
  uint64_t remote_read_max_bytes_in_frame = 1 << 20;
  absl::Duration max_future = absl::Minutes(10);
  int64_t max_series = 0;
  int64_t max_labels_per_series = 256;
  int64_t max_series_per_request = 1'000'000;
  int64_t max_samples_per_request = 10'000'000;
  int64_t max_label_name_bytes = 1024;
  int64_t max_label_value_bytes = 64 << 10;
};

void DeclareFlags(ServeFlags& f, FlagParser& flags) {
  flags.String("listen", &f.listen, "address to listen on for HTTP (host:port)");
  flags.String("storage.path", &f.storage_path, "data directory (created if missing)");
  flags.Duration("retention.time", &f.retention_time,
                 "delete blocks older than this (e.g. 15d, 1y); 0 keeps data forever");
  flags.ByteSize("retention.size", &f.retention_size,
                 "delete the oldest blocks while the data takes more (e.g. 512MB, 100GB); 0 = no "
                 "limit");
  flags.Enum("wal.fsync", &f.wal_fsync,
             {{"always", WalSyncPolicy::kAlways},
              {"interval", WalSyncPolicy::kInterval},
              {"never", WalSyncPolicy::kNever}},
             "when WAL writes reach the disk: always (before acknowledging), interval (every "
             "second), never (on segment roll-over and shutdown)");
  flags.Duration("query.lookback-delta", &f.lookback_delta,
                 "how far back an instant selector looks for a sample");
  flags.Duration("query.timeout", &f.query_timeout, "maximum time a query may take");
  flags.Enum("query.compat", &f.query_compat,
             {{"3", query::Compat::kPrometheus3}, {"2", query::Compat::kPrometheus2}},
             "PromQL dialect: 3 (Prometheus 3: left-open range and lookback windows, regex . "
             "matches newlines) or 2 (Prometheus 2.x: windows closed at both ends)");
  flags.Int("query.max-samples", &f.max_samples, "maximum samples a query may load into memory");
  flags.Int("query.max-concurrency", &f.query_max_concurrency,
            "queries, look-ups (series, labels, status/tsdb) and remote reads that run at once; "
            "the rest wait in a queue");
  flags.Duration("query.max-queue-wait", &f.query_max_queue_wait,
                 "how long a query may wait for a free slot; then it gets 503 with Retry-After");
  flags.Int("query.max-series", &f.query_max_series,
            "maximum series one /api/v1/series, status/tsdb or remote read request may load; "
            "0 = no limit");
  flags.Int("web.ingest-concurrency", &f.ingest_concurrency,
            "remote-write requests handled at once; 0 = the number of cores (at least 2)");
  flags.Duration("web.ingest-max-queue-wait", &f.ingest_max_queue_wait,
                 "how long a remote write may wait for a free slot; then it gets 503 with "
                 "Retry-After, which Prometheus retries");
  flags.Duration("storage.max-future", &f.max_future,
                 "refuse samples more than this far ahead of the server clock (as Prometheus' "
                 "scraper); they could otherwise make current samples unwritable");
  flags.Int("storage.max-series", &f.max_series,
            "refuse new series past this many in the head (400, counted); 0 = no limit");
  flags.Int("web.max-labels-per-series", &f.max_labels_per_series,
            "a remote-write request with a series of more labels gets 400; 0 = no limit");
  flags.Int("web.max-series-per-request", &f.max_series_per_request,
            "a remote-write request with more series gets 413; 0 = no limit");
  flags.Int("web.max-samples-per-request", &f.max_samples_per_request,
            "a remote-write request with more samples gets 413; 0 = no limit");
  flags.Int("web.max-label-name-bytes", &f.max_label_name_bytes,
            "a remote-write series with a longer label name is refused (400); 0 = no limit");
  flags.Int("web.max-label-value-bytes", &f.max_label_value_bytes,
            "a remote-write series with a longer label value is refused (400); 0 = no limit");
  flags.Int("web.max-connections", &f.max_connections,
            "maximum simultaneous HTTP connections; more wait to be accepted");
  flags.Int("storage.remote.read-sample-limit", &f.remote_read_sample_limit,
            "maximum samples a SAMPLES remote-read answer may hold; 0 = no limit");
  flags.Int("storage.remote.read-concurrent-limit", &f.remote_read_concurrent_limit,
            "remote reads that run at once; 0 = no limit");
  flags.ByteSize("storage.remote.read-max-bytes-in-frame", &f.remote_read_max_bytes_in_frame,
                 "maximum bytes of a STREAMED_XOR_CHUNKS frame (the last chunk of a series "
                 "may pass it)");
  flags.ByteSize("web.max-inflight-body-bytes", &f.max_inflight_body_bytes,
                 "request bodies being read and handled at once may take this many bytes; past "
                 "it a request gets 503 with Retry-After (remote write retries) unless it is "
                 "alone");
  flags.ByteSize("web.max-body-bytes", &f.max_body_bytes,
                 "maximum request body size, compressed and decompressed; larger requests get "
                 "413");
  flags.Bool("web.enable-admin-api", &f.enable_admin_api,
             "enable /api/v1/admin/tsdb/delete_series and /snapshot");
  flags.Int("web.io-threads", &f.io_threads, "threads serving HTTP connections");
  flags.Duration("self-scrape.interval", &f.self_scrape_interval,
                 "how often Strata stores its own /metrics into itself (job=\"strata\"); 0 "
                 "turns it off");
  flags.Enum("log.level", &f.log_level,
             {{"debug", log::Level::kDebug},
              {"info", log::Level::kInfo},
              {"warn", log::Level::kWarn},
              {"error", log::Level::kError}},
             "only log messages of this level or above: debug, info, warn, error");
  flags.Enum("log.format", &f.log_format,
             {{"logfmt", log::Format::kLogfmt}, {"json", log::Format::kJson}},
             "log line format: logfmt or json");
  flags.Duration("storage.ooo-window", &f.ooo_window,
                 "accept samples this much older than their series' newest sample (out of "
                 "order); 0s refuses them, as Prometheus does by default");
}

Status SplitListen(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat("--listen: invalid address \"", listen, "\": want host:port (e.g. 127.0.0.1:9201)"));
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  if (*host == "localhost") *host = "127.0.0.1";
  if (!absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(
        StrCat("--listen: invalid address \"", listen, "\": want a port from 0 to 65535"));
  }
  return absl::OkStatus();
}

// The server's ChunkCodec (server/remote_read.h) for STREAMED_XOR_CHUNKS:
// a new chunk of the XOR encoding from the chunk interface
// (compression/chunk.h).
Status EncodeXor(std::span<const int64_t> ts, std::span<const double> vs, std::string* out) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<compression::Chunk> chunk,
                          compression::NewEmptyChunk(compression::ChunkEncoding::kXor));
  STRATA_ASSIGN_OR_RETURN(compression::ChunkAppender * app, chunk->Appender());
  for (size_t i = 0; i < ts.size(); ++i) {
    STRATA_RETURN_IF_ERROR(app->Append(ts[i], vs[i]));
  }
  out->assign(chunk->bytes());
  return absl::OkStatus();
}

// Runs the server until SIGTERM or SIGINT: HTTP first (healthy, not
// ready), then the database, then ready. Returns the exit code.
int Serve(const Options& options, const query::EngineOptions& engine_options,
          server::ApiOptions api_options, const server::HttpServerOptions& http_options,
          int64_t scrape_ms) {
  // SIGTERM and SIGINT are taken with sigtimedwait below; block them before
  // any thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::ChunkCodec codec{EncodeXor,
                           [](std::string_view data) { return compression::crc32c::Value(data); }};
  api_options.chunk_codec = &codec;
  // Bodies being read (the HTTP server) and decompressed remote writes
  // (the Api) share one in-flight budget.
  server::InflightBudget budget(http_options.max_inflight_body_bytes);
  api_options.inflight_budget = &budget;
  const std::string& storage_path = api_options.storage_path;
  server::ServerMetrics metrics;
  server::Api api(api_options, server::NewEngineEvaluator(engine_options), metrics);
  server::HttpServerOptions http_with_budget = http_options;
  http_with_budget.budget = &budget;
  server::HttpServer http(http_with_budget, api);
  const int http_collector = metrics.AddCollector([&http](std::vector<server::MetricFamily>* out) {
    server::AppendHttpServerFamilies(http.Stats(), out);
  });
  log::Info("Starting Strata", {{"version", STRATA_VERSION}});
  if (Status st = http.Start(); !st.ok()) {
    log::Error("cannot start the HTTP server", {{"err", st}});
    return kExitUsage;
  }
  const std::string instance = StrCat(http_options.address, ":", http.port());
  log::Info("Listening", {{"address", instance}});

  log::Info("Opening the database", {{"path", storage_path}});
  StatusOr<std::unique_ptr<DB>> db = DB::Open(options, storage_path);
  if (!db.ok()) {
    log::Error("cannot open the database", {{"path", storage_path}, {"err", db.status()}});
    http.Shutdown(absl::Seconds(1));
    return kExitProblems;
  }
  for (const std::string& w : (*db)->Stats().warnings) {
    log::Warn("database opened with a problem", {{"warning", w}});
  }
  // The first self-scrape lands before the server reports ready, so its
  // own series are there for the first query (and for a test that asks).
  Env& env = *Env::Default();
  int64_t next_scrape = 0;
  auto self_scrape_now = [&] {
    const DBStats stats = (*db)->Stats();
    const int64_t t = env.NowMillis();
    Status st = server::ServerMetrics::AppendTo(**db, metrics.Collect(&stats), instance, t);
    if (!st.ok()) log::Warn("self-scrape failed", {{"err", st}});
    next_scrape = t + scrape_ms;
  };
  if (scrape_ms > 0) self_scrape_now();
  api.SetDB(db->get());
  log::Info("Server is ready to receive web requests.");

  for (;;) {
    int64_t wait_ms = 1000;
    if (scrape_ms > 0) wait_ms = std::max<int64_t>(0, next_scrape - env.NowMillis());
    timespec timeout{static_cast<time_t>(wait_ms / 1000),
                     static_cast<long>(wait_ms % 1000) * 1000000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      log::Info("Received a signal, shutting down",
                {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    if (scrape_ms > 0 && env.NowMillis() >= next_scrape) self_scrape_now();
  }
  http.Shutdown(absl::Seconds(30));
  metrics.RemoveCollector(http_collector);
  api.SetDB(nullptr);
  if (Status st = (*db)->Close(); !st.ok()) {
    log::Error("closing the database failed", {{"err", st}});
    return kExitProblems;
  }
  log::Info("See you next time!");
  return kExitOk;
}

}  // namespace

int RunServe(const std::vector<std::string>& args) {
  ServeFlags f;
  FlagParser flags("strata serve [flags]",
                   "Runs the Strata server: Prometheus remote write and remote read, the\n"
                   "Prometheus query API (Grafana, promtool), /metrics and health probes,\n"
                   "over the data directory --storage.path. See docs/operations.md.");
  DeclareFlags(f, flags);
  std::vector<std::string> positional;
  if (auto exit = flags.ParseCommand(args, 0, "no arguments", &positional)) return *exit;
  log::Default().set_level(f.log_level);
  log::Default().set_format(f.log_format);

  server::HttpServerOptions http_options;
  if (Status st = SplitListen(f.listen, &http_options.address, &http_options.port); !st.ok()) {
    return flags.UsageError(st);
  }
  if (f.max_body_bytes == 0) return flags.UsageError("--web.max-body-bytes must be positive");
  if (f.max_inflight_body_bytes == 0) {
    return flags.UsageError("--web.max-inflight-body-bytes must be positive");
  }
  http_options.max_body_bytes = f.max_body_bytes;
  http_options.max_inflight_body_bytes = f.max_inflight_body_bytes;
  http_options.threads = static_cast<int>(std::clamp<int64_t>(f.io_threads, 1, 1024));
  if (f.max_connections < 1) return flags.UsageError("--web.max-connections must be positive");
  if (f.query_max_concurrency < 1) {
    return flags.UsageError("--query.max-concurrency must be positive");
  }
  http_options.max_connections = static_cast<int>(std::min<int64_t>(f.max_connections, 1 << 20));
  http_options.query_pool.threads =
      static_cast<int>(std::min<int64_t>(f.query_max_concurrency, 1024));
  http_options.query_pool.max_queue_wait = f.query_max_queue_wait;
  const int64_t ingest = f.ingest_concurrency > 0
                             ? f.ingest_concurrency
                             : std::max<int64_t>(2, std::thread::hardware_concurrency());
  http_options.ingest_pool.threads = static_cast<int>(std::min<int64_t>(ingest, 1024));
  http_options.ingest_pool.max_queue_wait = f.ingest_max_queue_wait;

  Options options;
  options.retention_ms = absl::ToInt64Milliseconds(f.retention_time);
  options.retention_bytes = f.retention_size;
  options.wal_sync = f.wal_fsync;
  options.out_of_order_window_ms = absl::ToInt64Milliseconds(f.ooo_window);
  if (f.max_future <= absl::ZeroDuration()) {
    return flags.UsageError("--storage.max-future must be positive");
  }
  for (const auto& [name, v] :
       {std::pair<std::string_view, int64_t>{"storage.max-series", f.max_series},
        {"web.max-labels-per-series", f.max_labels_per_series},
        {"web.max-series-per-request", f.max_series_per_request},
        {"web.max-samples-per-request", f.max_samples_per_request},
        {"web.max-label-name-bytes", f.max_label_name_bytes},
        {"web.max-label-value-bytes", f.max_label_value_bytes}}) {
    if (v < 0) return flags.UsageError(StrCat("--", name, " must not be negative"));
  }
  options.max_future_ms = absl::ToInt64Milliseconds(f.max_future);
  options.max_series = static_cast<uint64_t>(f.max_series);

  query::EngineOptions engine_options;
  engine_options.lookback_delta_ms = absl::ToInt64Milliseconds(f.lookback_delta);
  engine_options.timeout_ms = absl::ToInt64Milliseconds(f.query_timeout);
  engine_options.max_samples = f.max_samples;
  engine_options.compat = f.query_compat;

  server::ApiOptions api_options;
  api_options.storage_path = f.storage_path;
  api_options.enable_admin_api = f.enable_admin_api;
  api_options.max_body_bytes = f.max_body_bytes;
  api_options.query_timeout_ms = engine_options.timeout_ms;
  api_options.write_limits.max_labels_per_series =
      static_cast<uint32_t>(std::min<int64_t>(f.max_labels_per_series, UINT32_MAX));
  api_options.write_limits.max_series_per_request = static_cast<uint64_t>(f.max_series_per_request);
  api_options.write_limits.max_samples_per_request =
      static_cast<uint64_t>(f.max_samples_per_request);
  api_options.write_limits.max_label_name_bytes = static_cast<uint64_t>(f.max_label_name_bytes);
  api_options.write_limits.max_label_value_bytes = static_cast<uint64_t>(f.max_label_value_bytes);
  api_options.max_series = f.query_max_series;
  api_options.remote_read_sample_limit = f.remote_read_sample_limit;
  api_options.remote_read_concurrent_limit = f.remote_read_concurrent_limit;
  api_options.remote_read_max_bytes_in_frame = f.remote_read_max_bytes_in_frame;
  api_options.lookback_delta_ms = engine_options.lookback_delta_ms;
  api_options.retention_ms = options.retention_ms;
  api_options.retention_bytes = options.retention_bytes;
  for (auto& [name, value] : flags.Values()) api_options.flags[name] = value;

  return Serve(options, engine_options, api_options, http_options,
               absl::ToInt64Milliseconds(f.self_scrape_interval));
}

}  // namespace strata::tools
