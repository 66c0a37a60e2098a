// Appends, queries, compaction, retention and deletion at once. Run under
// ThreadSanitizer in CI (label `concurrency`, scripts/sanitize.sh thread).
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "strata/db.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

TEST(DBConcurrencyTest, AppendsQueriesCompactionAndRetentionTogether) {
  const fs::path dir = fs::path(::testing::TempDir()) / "strata_db_concurrency";
  fs::remove_all(dir);
  Options options;
  options.block_range_ms = 60 * 1000;  // a block per simulated minute
  options.retention_ms = 20 * 60 * 1000;
  options.wal_sync = WalSyncPolicy::kNever;
  StatusOr<std::unique_ptr<DB>> opened = DB::Open(options, dir.string());
  ASSERT_TRUE(opened.ok()) << opened.status();
  DB& db = **opened;

  constexpr int kWriters = 2, kSeriesPerWriter = 50, kScrapes = 600;
  constexpr int64_t kStep = 5000;  // 5 s: 12 scrapes per block
  std::atomic<int> writers_done{0};
  std::atomic<uint64_t> committed{0};
  std::vector<std::thread> threads;
  // Writers scrape in lockstep, as a scraper would: a writer far behind
  // the others would rightly find its samples out of bounds once the head
  // moved on past them.
  std::barrier scrape(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::unique_ptr<Appender> app = db.NewAppender();
      for (int i = 0; i < kScrapes; ++i) {
        bool ok = true;
        for (int s = 0; s < kSeriesPerWriter && ok; ++s) {
          const std::string inst = StrCat("w", w, "-", s);
          StatusOr<SeriesRef> ref =
              app->Append({{"__name__", "m"}, {"instance", inst}}, i * kStep, i);
          EXPECT_TRUE(ref.ok()) << ref.status();
          ok = ref.ok();
        }
        const Status st = app->Commit();
        EXPECT_TRUE(st.ok()) << st;
        if (!ok || !st.ok()) {
          scrape.arrive_and_drop();
          break;
        }
        committed += kSeriesPerWriter;
        scrape.arrive_and_wait();
      }
      ++writers_done;  // also after a failure, so the other threads stop
    });
  }
  std::atomic<uint64_t> queries{0};
  threads.emplace_back([&] {
    const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "__name__", "m"}};
    while (writers_done < kWriters) {
      StatusOr<std::unique_ptr<Querier>> q = db.NewQuerier(INT64_MIN, INT64_MAX);
      EXPECT_TRUE(q.ok());
      if (!q.ok()) break;
      StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(m);
      EXPECT_TRUE(set.ok()) << set.status();
      if (!set.ok()) break;
      while ((*set)->Next()) {
        std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
        int64_t last = INT64_MIN;
        while (it->Next()) {
          EXPECT_GT(it->timestamp_ms(), last);
          last = it->timestamp_ms();
        }
        EXPECT_TRUE(it->status().ok()) << it->status();
      }
      EXPECT_TRUE((*q)->LabelValues("instance", {}).ok());
      ++queries;
    }
  });
  threads.emplace_back([&] {
    while (writers_done < kWriters) {
      const Status c = db.Compact();
      EXPECT_TRUE(c.ok()) << c;
      const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "instance", "w0-0"}};
      const Status d = db.Delete(0, 10 * kStep, m);
      EXPECT_TRUE(d.ok()) << d;
      if (!c.ok() || !d.ok()) break;
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_GT(queries.load(), 0u);
  ASSERT_TRUE(db.Compact().ok());
  const DBStats stats = db.Stats();
  EXPECT_EQ(stats.samples_appended, committed.load());
  EXPECT_GT(stats.compactions, 5u);
  EXPECT_EQ(stats.compactions_failed, 0u);

  // The newest samples of every series are there, once, in order.
  StatusOr<std::unique_ptr<Querier>> q = db.NewQuerier((kScrapes - 10) * kStep, INT64_MAX);
  ASSERT_TRUE(q.ok());
  const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "__name__", "m"}};
  StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(m);
  ASSERT_TRUE(set.ok());
  int series = 0;
  while ((*set)->Next()) {
    ++series;
    std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
    int n = 0;
    while (it->Next()) ++n;
    EXPECT_EQ(n, 10);
  }
  EXPECT_EQ(series, kWriters * kSeriesPerWriter);
  ASSERT_TRUE(db.Close().ok());
  opened->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strata
