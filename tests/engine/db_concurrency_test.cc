// Appends, queries, compaction, retention and deletion at once. Run under
// ThreadSanitizer in CI (label `concurrency`, scripts/sanitize.sh thread).
#include <gtest/gtest.h>

#include <atomic>
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
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::unique_ptr<Appender> app = db.NewAppender();
      for (int i = 0; i < kScrapes; ++i) {
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          const std::string inst = StrCat("w", w, "-", s);
          ASSERT_TRUE(app->Append({{"__name__", "m"}, {"instance", inst}}, i * kStep, i).ok());
        }
        ASSERT_TRUE(app->Commit().ok());
        committed += kSeriesPerWriter;
      }
      ++writers_done;
    });
  }
  std::atomic<uint64_t> queries{0};
  threads.emplace_back([&] {
    const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "__name__", "m"}};
    while (writers_done < kWriters) {
      StatusOr<std::unique_ptr<Querier>> q = db.NewQuerier(INT64_MIN, INT64_MAX);
      ASSERT_TRUE(q.ok());
      StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(m);
      ASSERT_TRUE(set.ok()) << set.status();
      while ((*set)->Next()) {
        std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
        int64_t last = INT64_MIN;
        while (it->Next()) {
          ASSERT_GT(it->timestamp_ms(), last);
          last = it->timestamp_ms();
        }
        ASSERT_TRUE(it->status().ok()) << it->status();
      }
      ASSERT_TRUE((*q)->LabelValues("instance", {}).ok());
      ++queries;
    }
  });
  threads.emplace_back([&] {
    while (writers_done < kWriters) {
      ASSERT_TRUE(db.Compact().ok());
      const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "instance", "w0-0"}};
      ASSERT_TRUE(db.Delete(0, 10 * kStep, m).ok());
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
