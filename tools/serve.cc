#include "tools/serve.h"

#include <signal.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/chunk.h"
#include "compression/crc32c.h"
#include "query/literals.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "strata/db.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"

namespace strata::tools {
namespace {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// A tiny structured logger for the server's few lines: logfmt or JSON on
// stderr, like Prometheus' go-kit log.
class Logger {
 public:
  Level level = Level::kInfo;
  bool json = false;

  void Log(Level lvl, std::string_view msg,
           std::initializer_list<std::pair<std::string_view, std::string>> kv = {}) const {
    if (lvl < level) return;
    static constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};
    const std::string ts = Now();
    std::string line;
    if (json) {
      line = "{\"ts\":";
      AppendJsonString(&line, ts);
      StrAppend(&line, ",\"level\":\"", kNames[static_cast<int>(lvl)], "\",\"msg\":");
      AppendJsonString(&line, msg);
      for (const auto& [k, v] : kv) {
        line.push_back(',');
        AppendJsonString(&line, k);
        line.push_back(':');
        AppendJsonString(&line, v);
      }
      line.append("}\n");
    } else {
      line = StrCat("ts=", ts, " level=", kNames[static_cast<int>(lvl)], " msg=", Quote(msg));
      for (const auto& [k, v] : kv) StrAppend(&line, " ", k, "=", Quote(v));
      line.push_back('\n');
    }
    std::fputs(line.c_str(), stderr);
  }

 private:
  static std::string Quote(std::string_view v) {
    if (!v.empty() && v.find_first_of(" \"=\\\n") == std::string_view::npos) return std::string(v);
    std::string out = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out.push_back('\\');
      if (c == '\n') {
        out.append("\\n");
        continue;
      }
      out.push_back(c);
    }
    out.push_back('"');
    return out;
  }
  static std::string Now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    std::tm tm{};
    gmtime_r(&ts.tv_sec, &tm);
    char buf[40];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    char ms[24];
    std::snprintf(ms, sizeof(ms), ".%03ldZ", ts.tv_nsec / 1000000);
    return StrCat(buf, ms);
  }
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StatusOr<int64_t> DurationFlag(std::string_view name, std::string_view value) {
  if (value == "0") return 0;
  StatusOr<int64_t> d = query::ParseDuration(value);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        StrCat("--", name, ": \"", value, "\" is not a duration (e.g. 15s, 5m, 15d)"));
  }
  return *d;
}

Status SplitListen(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat("--listen: \"", listen, "\" is not host:port (e.g. 127.0.0.1:9201)"));
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  if (*host == "localhost") *host = "127.0.0.1";
  if (!absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(StrCat("--listen: bad port in \"", listen, "\""));
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

}  // namespace

StatusOr<uint64_t> ParseByteSize(std::string_view s) {
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {{"EB", 1ull << 60},
                                                                     {"PB", 1ull << 50},
                                                                     {"TB", 1ull << 40},
                                                                     {"GB", 1ull << 30},
                                                                     {"MB", 1ull << 20},
                                                                     {"KB", 1ull << 10},
                                                                     {"B", 1}};
  uint64_t mult = 1;
  std::string_view num = s;
  for (const auto& [unit, m] : kUnits) {
    if (s.size() > unit.size() && s.ends_with(unit)) {
      num = s.substr(0, s.size() - unit.size());
      mult = m;
      break;
    }
  }
  uint64_t n = 0;
  if (!absl::SimpleAtoi(ToAbsl(num), &n) || (n != 0 && n > UINT64_MAX / mult)) {
    return absl::InvalidArgumentError(
        StrCat("\"", s, "\" is not a byte size (e.g. 0, 512MB, 100GB)"));
  }
  return n * mult;
}

int RunServe(const std::vector<std::string>& args) {
  std::string listen = "127.0.0.1:9201";
  std::string storage_path = "./data";
  std::string retention_time = "15d";
  std::string retention_size = "0";
  std::string wal_fsync = "interval";
  std::string lookback = "5m";
  std::string query_timeout = "2m";
  std::string query_compat = "3";
  int64_t max_samples = 50'000'000;
  int64_t max_body_bytes = 32 << 20;
  int64_t max_inflight_bytes = 256 << 20;
  bool enable_admin = false;
  std::string self_scrape = "15s";
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::string ooo_window = "0s";
  int64_t io_threads = 2;
  FlagParser flags("strata serve [flags]",
                   "Runs the Strata server: Prometheus remote write and remote read, the\n"
                   "Prometheus query API (Grafana, promtool), /metrics and health probes,\n"
                   "over the data directory --storage.path. See docs/operations.md.");
  flags.String("listen", &listen, "address to listen on for HTTP (host:port)");
  flags.String("storage.path", &storage_path, "data directory (created if missing)");
  flags.String("retention.time", &retention_time,
               "delete blocks older than this (e.g. 15d, 1y); 0 keeps data forever");
  flags.String("retention.size", &retention_size,
               "delete the oldest blocks while the data takes more (e.g. 512MB, 100GB); 0 = no "
               "limit");
  flags.String("wal.fsync", &wal_fsync,
               "when WAL writes reach the disk: always (before acknowledging), interval (every "
               "second), never (on segment roll-over and shutdown)");
  flags.String("query.lookback-delta", &lookback,
               "how far back an instant selector looks for a sample");
  flags.String("query.timeout", &query_timeout, "maximum time a query may take");
  flags.String("query.compat", &query_compat,
               "PromQL dialect: 3 (Prometheus 3: left-open range and lookback windows, regex . "
               "matches newlines) or 2 (Prometheus 2.x: windows closed at both ends)");
  flags.Int("query.max-samples", &max_samples,
            "maximum samples a query (or a remote read) may load into memory");
  flags.Int("web.max-inflight-body-bytes", &max_inflight_bytes,
            "request bodies being read and handled at once may take this many bytes; past it a "
            "request gets 503 with Retry-After (remote write retries) unless it is alone");
  flags.Int("web.max-body-bytes", &max_body_bytes,
            "maximum request body size, compressed and decompressed; larger requests get 413");
  flags.Bool("web.enable-admin-api", &enable_admin,
             "enable /api/v1/admin/tsdb/delete_series and /snapshot");
  flags.Int("web.io-threads", &io_threads, "threads serving HTTP connections");
  flags.String("self-scrape.interval", &self_scrape,
               "how often Strata stores its own /metrics into itself (job=\"strata\"); 0 turns "
               "it off");
  flags.String("log.level", &log_level,
               "only log messages of this level or above: debug, "
               "info, warn, error");
  flags.String("log.format", &log_format, "log line format: logfmt or json");
  flags.String("storage.ooo-window", &ooo_window,
               "accept samples this much older than their series' newest sample (out of "
               "order); 0s refuses them, as Prometheus does by default");
  std::vector<std::string> positional;
  if (auto exit = flags.ParseCommand(args, 0, "no arguments", &positional)) return *exit;

  Logger log;
  auto usage = [&flags](const Status& st) { return flags.UsageError(st); };
  static const std::map<std::string, Level> kLevels = {{"debug", Level::kDebug},
                                                       {"info", Level::kInfo},
                                                       {"warn", Level::kWarn},
                                                       {"error", Level::kError}};
  if (!kLevels.contains(log_level)) {
    return usage(absl::InvalidArgumentError(
        StrCat("--log.level: \"", log_level, "\" is not one of debug, info, warn, error")));
  }
  log.level = kLevels.at(log_level);
  if (log_format != "logfmt" && log_format != "json") {
    return usage(absl::InvalidArgumentError(
        StrCat("--log.format: \"", log_format, "\" is not logfmt or json")));
  }
  log.json = log_format == "json";

  Options options;
  query::EngineOptions engine_options;
  int64_t scrape_ms = 0;
  {
    StatusOr<int64_t> d = DurationFlag("retention.time", retention_time);
    if (!d.ok()) return usage(d.status());
    options.retention_ms = *d;
    StatusOr<uint64_t> size = ParseByteSize(retention_size);
    if (!size.ok()) return usage(Annotate(size.status(), "--retention.size"));
    options.retention_bytes = *size;
    if (wal_fsync == "always") {
      options.wal_sync = WalSyncPolicy::kAlways;
    } else if (wal_fsync == "interval") {
      options.wal_sync = WalSyncPolicy::kInterval;
    } else if (wal_fsync == "never") {
      options.wal_sync = WalSyncPolicy::kNever;
    } else {
      return usage(absl::InvalidArgumentError(
          StrCat("--wal.fsync: \"", wal_fsync, "\" is not always, interval or never")));
    }
    d = DurationFlag("storage.ooo-window", ooo_window);
    if (!d.ok()) return usage(d.status());
    options.out_of_order_window_ms = *d;
    d = DurationFlag("query.lookback-delta", lookback);
    if (!d.ok()) return usage(d.status());
    engine_options.lookback_delta_ms = *d;
    d = DurationFlag("query.timeout", query_timeout);
    if (!d.ok()) return usage(d.status());
    engine_options.timeout_ms = *d;
    engine_options.max_samples = max_samples;
    if (query_compat == "3") {
      engine_options.compat = query::Compat::kPrometheus3;
    } else if (query_compat == "2") {
      engine_options.compat = query::Compat::kPrometheus2;
    } else {
      return usage(absl::InvalidArgumentError(
          StrCat("--query.compat: \"", query_compat, "\" is not 2 or 3")));
    }
    d = DurationFlag("self-scrape.interval", self_scrape);
    if (!d.ok()) return usage(d.status());
    scrape_ms = *d;
  }
  if (max_body_bytes <= 0) {
    return usage(absl::InvalidArgumentError("--web.max-body-bytes must be positive"));
  }
  server::HttpServerOptions http_options;
  {
    Status st = SplitListen(listen, &http_options.address, &http_options.port);
    if (!st.ok()) return usage(st);
  }
  http_options.max_body_bytes = static_cast<uint64_t>(max_body_bytes);
  if (max_inflight_bytes <= 0) {
    return usage(absl::InvalidArgumentError("--web.max-inflight-body-bytes must be positive"));
  }
  http_options.max_inflight_body_bytes = static_cast<uint64_t>(max_inflight_bytes);
  http_options.threads = static_cast<int>(std::max<int64_t>(1, io_threads));

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
  server::ApiOptions api_options;
  api_options.storage_path = storage_path;
  api_options.enable_admin_api = enable_admin;
  api_options.max_body_bytes = static_cast<uint64_t>(max_body_bytes);
  api_options.max_samples = max_samples;
  api_options.lookback_delta_ms = engine_options.lookback_delta_ms;
  api_options.retention_ms = options.retention_ms;
  api_options.retention_bytes = options.retention_bytes;
  api_options.chunk_codec = &codec;
  api_options.flags = {{"listen", listen},
                       {"storage.path", storage_path},
                       {"retention.time", retention_time},
                       {"retention.size", retention_size},
                       {"wal.fsync", wal_fsync},
                       {"query.lookback-delta", lookback},
                       {"query.timeout", query_timeout},
                       {"query.compat", query_compat},
                       {"query.max-samples", StrCat(max_samples)},
                       {"web.max-body-bytes", StrCat(max_body_bytes)},
                       {"web.max-inflight-body-bytes", StrCat(max_inflight_bytes)},
                       {"web.enable-admin-api", enable_admin ? "true" : "false"},
                       {"web.io-threads", StrCat(io_threads)},
                       {"self-scrape.interval", self_scrape},
                       {"log.level", log_level},
                       {"log.format", log_format},
                       {"storage.ooo-window", ooo_window}};
  server::ServerMetrics metrics;
  server::Api api(api_options, server::NewEngineEvaluator(engine_options), metrics);
  server::HttpServer http(
      http_options,
      [&api](const server::HttpRequest& req, server::HttpResponse* res) { api.Handle(req, res); });
  log.Log(Level::kInfo, "Starting Strata", {{"version", STRATA_VERSION}});
  if (Status st = http.Start(); !st.ok()) {
    log.Log(Level::kError, "cannot start the HTTP server", {{"err", std::string(st.message())}});
    return kExitUsage;
  }
  const std::string instance = StrCat(http_options.address, ":", http.port());
  log.Log(Level::kInfo, "Listening", {{"address", instance}});

  log.Log(Level::kInfo, "Opening the database", {{"path", storage_path}});
  StatusOr<std::unique_ptr<DB>> db = DB::Open(options, storage_path);
  if (!db.ok()) {
    log.Log(Level::kError, "cannot open the database",
            {{"path", storage_path}, {"err", std::string(db.status().message())}});
    http.Shutdown(absl::Seconds(1));
    return kExitProblems;
  }
  for (const std::string& w : (*db)->Stats().warnings) {
    log.Log(Level::kWarn, "database opened with a problem", {{"warning", w}});
  }
  // The first self-scrape lands before the server reports ready, so its
  // own series are there for the first query (and for a test that asks).
  int64_t next_scrape = 0;
  auto self_scrape_now = [&] {
    const DBStats stats = (*db)->Stats();
    const int64_t t = NowMs();
    Status st = server::ServerMetrics::AppendTo(**db, metrics.Collect(&stats), instance, t);
    if (!st.ok()) {
      log.Log(Level::kWarn, "self-scrape failed", {{"err", std::string(st.message())}});
    }
    next_scrape = t + scrape_ms;
  };
  if (scrape_ms > 0) self_scrape_now();
  api.SetDB(db->get());
  log.Log(Level::kInfo, "Server is ready to receive web requests.");

  for (;;) {
    int64_t wait_ms = 1000;
    if (scrape_ms > 0) wait_ms = std::max<int64_t>(0, next_scrape - NowMs());
    timespec timeout{static_cast<time_t>(wait_ms / 1000),
                     static_cast<long>(wait_ms % 1000) * 1000000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      log.Log(Level::kInfo, "Received a signal, shutting down",
              {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    if (scrape_ms > 0 && NowMs() >= next_scrape) self_scrape_now();
  }
  http.Shutdown(absl::Seconds(30));
  api.SetDB(nullptr);
  Status st = (*db)->Close();
  if (!st.ok()) {
    log.Log(Level::kError, "closing the database failed", {{"err", std::string(st.message())}});
    return kExitProblems;
  }
  log.Log(Level::kInfo, "See you next time!");
  return kExitOk;
}

}  // namespace strata::tools
