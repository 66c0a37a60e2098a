// Embeds Strata: writes an hour of two series from two threads, shows a
// refused sample, a rollback and a deletion, reads everything back and
// checks it, then reopens the directory and checks again (WAL replay).
//
// Usage: embed_example <data-dir>    (a new or empty directory)
// Exits 0 if every check passes, 1 on any mismatch or error.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "strata/db.h"

namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // ms since the epoch
constexpr int64_t kStep = 15'000;              // one scrape every 15 s
constexpr int kScrapes = 240;                  // an hour
constexpr int kDeleted = 10;                   // host-1's first scrapes

std::atomic<int> failures = 0;  // Fail() runs in the writer threads too

void Fail(const std::string& what, const strata::Status& status = strata::Status()) {
  std::fprintf(stderr, "FAIL: %s %s\n", what.c_str(), status.ToString().c_str());
  ++failures;
}

// The value host `h` reports at scrape `i`.
double Value(int h, int i) { return h * 1000.0 + i; }

// One writer thread: its own Appender, the first sample by labels, the rest
// by the returned reference, a commit every minute of data.
void Write(strata::DB& db, int h) {
  const std::string instance = "host-" + std::to_string(h);
  std::unique_ptr<strata::Appender> app = db.NewAppender();
  strata::StatusOr<strata::SeriesRef> ref =
      app->Append({{"__name__", "http_requests_total"}, {"job", "api"}, {"instance", instance}},
                  kStart, Value(h, 0));
  if (!ref.ok()) return Fail("append by labels", ref.status());
  for (int i = 1; i < kScrapes; ++i) {
    strata::Status s = app->Append(*ref, kStart + i * kStep, Value(h, i));
    if (!s.ok()) return Fail("append by ref", s);
    if (i % 4 == 3) {
      s = app->Commit();
      if (!s.ok()) return Fail("commit", s);
    }
  }
  // Another value for a stored timestamp is refused, by Append or at the
  // latest by Commit, with InvalidArgument naming the series.
  strata::Status s = app->Append(*ref, kStart, -1);
  if (s.ok()) s = app->Commit();
  if (!absl::IsInvalidArgument(s)) Fail("out-of-order sample not refused", s);
  // What is rolled back is never stored.
  s = app->Append(*ref, kStart + kScrapes * kStep, -1);
  if (!s.ok()) return Fail("append", s);
  app->Rollback();
}

// Reads both series back and compares every sample with Value().
void Verify(strata::DB& db, const char* when) {
  // The range includes the rolled-back sample's timestamp.
  strata::StatusOr<std::unique_ptr<strata::Querier>> q =
      db.NewQuerier(kStart, kStart + kScrapes * kStep);
  if (!q.ok()) return Fail(when, q.status());
  const std::vector<strata::LabelMatcher> matchers = {
      {strata::LabelMatcher::Type::kEqual, "job", "api"},
      {strata::LabelMatcher::Type::kRegexMatch, "__name__", "http_.*"}};
  strata::StatusOr<std::unique_ptr<strata::SeriesSet>> set = (*q)->Select(matchers);
  if (!set.ok()) return Fail(when, set.status());
  int h = 0;
  for (; (*set)->Next(); ++h) {  // series come sorted by labels: host-0, host-1
    const strata::Labels want_labels = {{"__name__", "http_requests_total"},
                                        {"instance", "host-" + std::to_string(h)},
                                        {"job", "api"}};
    if ((*set)->labels() != want_labels) Fail(std::string(when) + ": unexpected series");
    int i = h == 1 ? kDeleted : 0;  // the deleted samples are gone
    std::unique_ptr<strata::SeriesIterator> it = (*set)->NewIterator();
    for (; it->Next(); ++i) {
      if (it->timestamp_ms() != kStart + i * kStep || it->value() != Value(h, i)) {
        Fail(std::string(when) + ": wrong sample " + std::to_string(it->timestamp_ms()) + " " +
             std::to_string(it->value()));
      }
    }
    if (!it->status().ok()) Fail(when, it->status());
    if (i != kScrapes) Fail(std::string(when) + ": " + std::to_string(i) + " samples");
  }
  if (!(*set)->status().ok()) Fail(when, (*set)->status());
  if (h != 2) Fail(std::string(when) + ": " + std::to_string(h) + " series");

  strata::StatusOr<std::vector<std::string>> values = (*q)->LabelValues("instance", {});
  if (!values.ok() || *values != std::vector<std::string>{"host-0", "host-1"}) {
    Fail(std::string(when) + ": label values", values.status());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <data-dir>\n", argv[0]);
    return 2;
  }
  strata::Options options;
  options.wal_sync = strata::WalSyncPolicy::kAlways;  // durable when Commit returns
  options.background_compaction = false;              // we call Compact() ourselves
  {
    strata::StatusOr<std::unique_ptr<strata::DB>> db = strata::DB::Open(options, argv[1]);
    if (!db.ok()) {
      Fail("open", db.status());
      return 1;
    }
    std::thread writer0(Write, std::ref(**db), 0);  // DB is thread-safe,
    std::thread writer1(Write, std::ref(**db), 1);  // appenders are per thread
    writer0.join();
    writer1.join();

    const std::vector<strata::LabelMatcher> host1 = {
        {strata::LabelMatcher::Type::kEqual, "instance", "host-1"}};
    strata::Status s = (*db)->Delete(kStart, kStart + (kDeleted - 1) * kStep, host1);
    if (!s.ok()) Fail("delete", s);
    Verify(**db, "before restart");
    s = (*db)->Compact();  // an hour fits in the head: nothing to do yet
    if (!s.ok()) Fail("compact", s);

    const strata::DBStats stats = (*db)->Stats();
    std::printf("%llu series, %llu samples appended, %llu refused\n",
                static_cast<unsigned long long>(stats.head_series),
                static_cast<unsigned long long>(stats.samples_appended),
                static_cast<unsigned long long>(stats.samples_refused));
    if (stats.head_series != 2) Fail("stats: head series");
    s = (*db)->Close();
    if (!s.ok()) Fail("close", s);
  }  // the DB is destroyed here, after its appenders and queriers

  strata::StatusOr<std::unique_ptr<strata::DB>> db = strata::DB::Open(options, argv[1]);
  if (!db.ok()) {
    Fail("reopen", db.status());
    return 1;
  }
  Verify(**db, "after restart");
  strata::Status s = (*db)->Close();
  if (!s.ok()) Fail("close", s);

  if (failures > 0) {
    std::printf("%d checks failed\n", failures.load());
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
