// Arbitrary bytes as they would arrive on a connection, through the
// server's own request parser (the parser and limits of HttpServer's
// sessions, without a socket) and, when they form a request, through the
// route table and every handler against a small database: nothing may
// crash, and every answer must be a well-formed HTTP status.
//
// The database (opened once in a temporary directory) holds a few series;
// remote writes in the input add to it. Queries run with a short timeout
// and a small sample limit so that a slow expression ends quickly.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "server/api.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "strata/db.h"

namespace {

struct Fixture {
  std::string dir;
  std::unique_ptr<strata::DB> db;
  strata::server::ServerMetrics metrics;
  std::unique_ptr<strata::server::Api> api;
  strata::server::HttpServerOptions http;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* f = new Fixture;
    std::string tmpl = (std::filesystem::temp_directory_path() / "http_fuzz_XXXXXX").string();
    f->dir = mkdtemp(tmpl.data());
    static const std::string dir = f->dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    strata::Options o;
    o.background_compaction = false;
    o.wal_sync = strata::WalSyncPolicy::kNever;
    auto opened = strata::DB::Open(o, f->dir + "/db");
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      std::abort();
    }
    f->db = *std::move(opened);
    auto app = f->db->NewAppender();
    for (int i = 0; i < 20; ++i) {
      for (const char* job : {"api", "db"}) {
        const strata::LabelView labels[] = {{"__name__", "http_requests_total"}, {"job", job}};
        (void)app->Append(labels, i * 15'000, i * 3.0);
      }
    }
    if (!app->Commit().ok()) std::abort();
    strata::query::EngineOptions engine;
    engine.timeout_ms = 200;
    engine.max_samples = 100'000;
    strata::server::ApiOptions api;
    api.storage_path = f->dir;
    api.max_body_bytes = 1 << 20;
    api.remote_read_sample_limit = 100'000;
    api.query_timeout_ms = 200;
    f->api = std::make_unique<strata::server::Api>(api, strata::server::NewEngineEvaluator(engine),
                                                   f->metrics);
    f->api->SetDB(f->db.get());
    f->http.max_body_bytes = 1 << 20;
    f->http.max_header_bytes = 16 << 10;
    return f;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = Get();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto req = strata::server::ParseHttpRequest(bytes, f.http);
  if (!req.ok()) return 0;
  strata::server::HttpResponse res;
  strata::server::StringResponseStream stream;
  f.api->Handle(*req, &stream, &res);
  const int status = stream.began() ? stream.status() : res.status;
  if (status < 100 || status > 599) std::abort();
  return 0;
}
