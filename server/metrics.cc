#include "server/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/strings.h"
#include "server/api_format.h"

namespace strata::server {
namespace {

double NowSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double ProcessRssBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double ProcessCpuSeconds() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

double OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

MetricFamily Single(std::string name, std::string type, std::string help, double v) {
  MetricFamily f{std::move(name), std::move(type), std::move(help), {}};
  f.samples.push_back({"", {}, v});
  return f;
}

void AppendEscapedLabelValue(std::string* dst, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      dst->append("\\\\");
    } else if (c == '"') {
      dst->append("\\\"");
    } else if (c == '\n') {
      dst->append("\\n");
    } else {
      dst->push_back(c);
    }
  }
}

}  // namespace

ServerMetrics::ServerMetrics() : start_time_seconds_(NowSeconds()) {}

void ServerMetrics::ObserveRequest(std::string_view handler, int code, double seconds) {
  MutexLock l(&mu_);
  ++requests_[{std::string(handler), code}];
  Histogram& h = durations_[std::string(handler)];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void ServerMetrics::AddRemoteWrite(uint64_t samples, uint64_t refused,
                                   uint64_t histograms_dropped) {
  MutexLock l(&mu_);
  rw_samples_ += samples;
  rw_refused_ += refused;
  rw_histograms_dropped_ += histograms_dropped;
}

void ServerMetrics::AddShed(std::string_view handler) {
  MutexLock l(&mu_);
  auto it = shed_.find(handler);
  if (it == shed_.end()) it = shed_.emplace(std::string(handler), 0).first;
  ++it->second;
}

void ServerMetrics::AddRefused(std::string_view reason, uint64_t n) {
  MutexLock l(&mu_);
  auto it = refused_.find(reason);
  if (it == refused_.end()) it = refused_.emplace(std::string(reason), 0).first;
  it->second += n;
}

int ServerMetrics::AddCollector(Collector collector) {
  MutexLock l(&mu_);
  const int id = next_collector_++;
  collectors_.emplace(id, std::move(collector));
  return id;
}

void ServerMetrics::RemoveCollector(int id) {
  MutexLock l(&mu_);
  collectors_.erase(id);
}

std::vector<MetricFamily> ServerMetrics::Collect(const DBStats* stats) const {
  std::vector<MetricFamily> out;
  {
    MutexLock l(&mu_);
    auto by_label = [&out](std::string name, std::string help, std::string_view label,
                           const std::map<std::string, uint64_t, std::less<>>& counts) {
      MetricFamily f{std::move(name), "counter", std::move(help), {}};
      for (const auto& [value, n] : counts) {
        f.samples.push_back({"", {{std::string(label), value}}, static_cast<double>(n)});
      }
      out.push_back(std::move(f));
    };
    by_label("strata_http_requests_shed_total",
             "Requests answered 503 without running (queue wait or in-flight bytes), by handler.",
             "handler", shed_);
    by_label("strata_remote_write_refused_total",
             "Remote-write samples, series or requests refused, by reason.", "reason", refused_);
    for (const auto& [id, collect] : collectors_) collect(&out);
    MetricFamily req{"strata_http_requests_total",
                     "counter",
                     "HTTP requests answered, by handler and status code.",
                     {}};
    for (const auto& [key, n] : requests_) {
      req.samples.push_back(
          {"", {{"code", StrCat(key.second)}, {"handler", key.first}}, static_cast<double>(n)});
    }
    out.push_back(std::move(req));
    MetricFamily dur{"strata_http_request_duration_seconds",
                     "histogram",
                     "Time to answer HTTP requests, by handler.",
                     {}};
    for (const auto& [handler, h] : durations_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        std::string le;
        AppendApiFloat(&le, kBuckets[i]);
        dur.samples.push_back(
            {"_bucket", {{"handler", handler}, {"le", le}}, static_cast<double>(h.counts[i])});
      }
      dur.samples.push_back(
          {"_bucket", {{"handler", handler}, {"le", "+Inf"}}, static_cast<double>(h.count)});
      dur.samples.push_back({"_sum", {{"handler", handler}}, h.sum});
      dur.samples.push_back({"_count", {{"handler", handler}}, static_cast<double>(h.count)});
    }
    out.push_back(std::move(dur));
    out.push_back(Single("strata_remote_write_samples_received_total", "counter",
                         "Samples received through remote write.",
                         static_cast<double>(rw_samples_)));
    out.push_back(Single("strata_remote_write_samples_refused_total", "counter",
                         "Remote-write samples refused (bad labels, out of order, duplicates).",
                         static_cast<double>(rw_refused_)));
    out.push_back(Single("strata_remote_write_histograms_dropped_total", "counter",
                         "Native histogram samples received but not stored (not supported yet).",
                         static_cast<double>(rw_histograms_dropped_)));
  }
  if (stats != nullptr) {
    auto d = [](auto v) { return static_cast<double>(v); };
    out.push_back(Single("strata_samples_appended_total", "counter", "Samples stored by the DB.",
                         d(stats->samples_appended)));
    out.push_back(Single("strata_samples_refused_total", "counter",
                         "Samples refused at commit: out of bounds, out of order, duplicates.",
                         d(stats->samples_refused)));
    out.push_back(
        Single("strata_head_series", "gauge", "Series in the head.", d(stats->head_series)));
    out.push_back(
        Single("strata_head_chunks", "gauge", "Chunks in the head.", d(stats->head_chunks)));
    out.push_back(Single("strata_blocks_loaded", "gauge", "Blocks open.", d(stats->blocks)));
    out.push_back(Single("strata_block_bytes", "gauge", "Bytes of the blocks on disk.",
                         d(stats->block_bytes)));
    out.push_back(
        Single("strata_wal_bytes", "gauge", "Bytes of the write-ahead log.", d(stats->wal_bytes)));
    MetricFamily refused{
        "strata_samples_refused_by_reason_total",
        "counter",
        "Samples the DB refused, by reason: too_new (beyond --storage.max-future), "
        "out_of_bounds (older than the head accepts), out_of_order, duplicate, "
        "series_limit (--storage.max-series).",
        {}};
    const std::pair<std::string_view, uint64_t> reasons[] = {
        {"too_new", stats->samples_refused_too_new},
        {"out_of_bounds", stats->samples_refused_out_of_bounds},
        {"out_of_order", stats->samples_refused_out_of_order},
        {"duplicate", stats->samples_refused_duplicate},
        {"series_limit", stats->samples_refused_series_limit},
    };
    for (const auto& [reason, n] : reasons) {
      refused.samples.push_back({"", {{"reason", std::string(reason)}}, d(n)});
    }
    out.push_back(std::move(refused));
    out.push_back(Single("strata_blocks_compaction_failed", "gauge",
                         "Blocks marked compaction.failed (left out of compaction, still served).",
                         d(stats->blocks_compaction_failed)));
    out.push_back(Single("strata_retention_runs_total", "counter", "Retention passes run.",
                         d(stats->retention_runs)));
    out.push_back(Single("strata_retention_failed_total", "counter", "Retention passes failed.",
                         d(stats->retention_failed)));
    out.push_back(Single("strata_wal_checkpoints_failed_total", "counter",
                         "WAL checkpoints that failed (the WAL is kept until one succeeds).",
                         d(stats->wal_checkpoints_failed)));
    out.push_back(Single("strata_wal_fsync_failures_total", "counter",
                         "fsyncs of WAL segments that failed.", d(stats->wal_fsync_failures)));
    out.push_back(Single("strata_wal_failed", "gauge",
                         "1 while the WAL refuses writes after a failed fsync, else 0.",
                         d(stats->wal_failed ? 1 : 0)));
    out.push_back(
        Single("strata_compactions_total", "counter", "Compactions run.", d(stats->compactions)));
    out.push_back(Single("strata_compactions_failed_total", "counter", "Compactions failed.",
                         d(stats->compactions_failed)));
  }
  out.push_back(Single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                       ProcessRssBytes()));
  out.push_back(Single("process_cpu_seconds_total", "counter",
                       "Total user and system CPU time spent in seconds.", ProcessCpuSeconds()));
  out.push_back(Single("process_start_time_seconds", "gauge",
                       "Start time of the process since unix epoch in seconds.",
                       start_time_seconds_));
  out.push_back(Single("process_open_fds", "gauge", "Number of open file descriptors.", OpenFds()));
  MetricFamily build{"strata_build_info", "gauge", "Build information; the value is 1.", {}};
  build.samples.push_back({"", {{"version", STRATA_SERVER_VERSION}}, 1});
  out.push_back(std::move(build));
  return out;
}

void AppendHttpServerFamilies(const HttpServerStats& st, std::vector<MetricFamily>* out) {
  auto d = [](auto v) { return static_cast<double>(v); };
  out->push_back(Single("strata_http_connections_open", "gauge", "HTTP connections open.",
                        d(st.connections_open)));
  out->push_back(Single("strata_http_connections_accepted_total", "counter",
                        "HTTP connections accepted.", d(st.connections_accepted)));
  out->push_back(Single("strata_http_inflight_bytes", "gauge",
                        "Request bytes held in memory: bodies read so far and decoding.",
                        d(st.inflight_bytes)));
  MetricFamily limits{"strata_http_limit_hits_total",
                      "counter",
                      "Times a connection or request met a limit, by limit.",
                      {}};
  const std::pair<std::string_view, uint64_t> hits[] = {
      {"max_connections", st.connection_limit_waits},
      {"body_rate", st.closed_stalled_body},
      {"read_timeout", st.closed_read_timeout},
      {"max_body_bytes", st.refused_body_too_large},
      {"max_inflight_bytes", st.refused_inflight_bytes},
  };
  for (const auto& [limit, n] : hits) {
    limits.samples.push_back({"", {{"limit", std::string(limit)}}, d(n)});
  }
  out->push_back(std::move(limits));
  MetricFamily threads{"strata_work_pool_threads", "gauge", "Worker threads, by pool.", {}};
  MetricFamily running{"strata_work_pool_running", "gauge", "Requests running, by pool.", {}};
  MetricFamily queued{"strata_work_pool_queued", "gauge", "Requests waiting, by pool.", {}};
  MetricFamily done{"strata_work_pool_completed_total", "counter", "Requests run, by pool.", {}};
  MetricFamily wait{"strata_work_pool_queue_wait_seconds_total",
                    "counter",
                    "Time requests that ran waited for a worker, by pool.",
                    {}};
  MetricFamily rejected{"strata_work_pool_rejected_total",
                        "counter",
                        "Requests answered 503 by a pool, by pool and reason.",
                        {}};
  for (const HttpServerStats::PoolStats& p : st.pools) {
    const std::vector<std::pair<std::string, std::string>> pool = {{"pool", p.name}};
    threads.samples.push_back({"", pool, d(p.threads)});
    running.samples.push_back({"", pool, d(p.work.running)});
    queued.samples.push_back({"", pool, d(p.work.queued)});
    done.samples.push_back({"", pool, d(p.work.completed)});
    wait.samples.push_back({"", pool, p.work.queue_wait_seconds_sum});
    rejected.samples.push_back(
        {"", {{"pool", p.name}, {"reason", "queue_wait"}}, d(p.work.rejected_wait)});
    rejected.samples.push_back(
        {"", {{"pool", p.name}, {"reason", "queue_full"}}, d(p.work.rejected_full)});
  }
  for (MetricFamily* f : {&threads, &running, &queued, &done, &wait, &rejected}) {
    out->push_back(std::move(*f));
  }
}

std::string ServerMetrics::RenderText(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const MetricFamily& f : families) {
    StrAppend(&out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " ", f.type, "\n");
    for (const MetricSample& s : f.samples) {
      StrAppend(&out, f.name, s.suffix);
      if (!s.labels.empty()) {
        out.push_back('{');
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i > 0) out.push_back(',');
          StrAppend(&out, s.labels[i].first, "=\"");
          AppendEscapedLabelValue(&out, s.labels[i].second);
          out.push_back('"');
        }
        out.push_back('}');
      }
      out.push_back(' ');
      AppendApiFloat(&out, s.value);
      out.push_back('\n');
    }
  }
  return out;
}

Status ServerMetrics::AppendTo(DB& db, const std::vector<MetricFamily>& families,
                               std::string_view instance, int64_t timestamp_ms) {
  std::unique_ptr<Appender> app = db.NewAppender();
  std::vector<LabelView> labels;
  std::string name;
  auto append = [&](std::string_view metric,
                    const std::vector<std::pair<std::string, std::string>>& extra,
                    double v) -> Status {
    labels.clear();
    labels.push_back({"__name__", metric});
    labels.push_back({"instance", instance});
    labels.push_back({"job", "strata"});
    for (const auto& [n, val] : extra) labels.push_back({n, val});
    return app->Append(std::span<const LabelView>(labels), timestamp_ms, v).status();
  };
  Status first = append("up", {}, 1);
  for (const MetricFamily& f : families) {
    for (const MetricSample& s : f.samples) {
      name = StrCat(f.name, s.suffix);
      Status st = append(name, s.labels, s.value);
      if (first.ok() && !st.ok()) first = st;
    }
  }
  Status commit = app->Commit();
  return commit.ok() ? first : commit;
}

}  // namespace strata::server
