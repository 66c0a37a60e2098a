// What a fault test acknowledged, and what the DB answers: scrapes of
// kSeries gauges of one job are appended and committed, and each commit
// that succeeded is recorded; Query reads the job back in the same shape,
// so a test compares the two (`EXPECT_EQ(Query(db), want())`). Values are
// compared by their bits. Shared by the disk-full and fsync-failure tests.
//
// Thread-safety: one test thread.
#ifndef STRATA_TESTS_ENGINE_ACKNOWLEDGED_SCRAPES_H_
#define STRATA_TESTS_ENGINE_ACKNOWLEDGED_SCRAPES_H_

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "strata/db.h"

namespace strata::testing {

constexpr int kSeries = 10;
constexpr int64_t kStep = 15'000;
constexpr int64_t kFirstTs = 1'700'000'000'000;

// Instance name -> (timestamp, value bits) in time order.
using Data = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

inline double ValueAt(int series, int64_t t) {
  return series * 1e6 + static_cast<double>(t / kStep);
}

inline std::string Instance(int s) { return StrCat("host-", s); }

class AcknowledgedScrapes {
 public:
  // Series {__name__=`metric`, instance=host-N, job=`job`}.
  AcknowledgedScrapes(std::string metric, std::string job)
      : metric_(std::move(metric)), job_(std::move(job)) {}

  // Appends one scrape at `t` and commits it; records it if the commit
  // succeeds. Returns the first error.
  Status Scrape(Appender& app, int64_t t) {
    for (int s = 0; s < kSeries; ++s) {
      const std::string inst = Instance(s);
      StatusOr<SeriesRef> ref =
          app.Append({{"__name__", metric_}, {"instance", inst}, {"job", job_}}, t, ValueAt(s, t));
      if (!ref.ok()) return ref.status();
    }
    Status s = app.Commit();
    if (s.ok()) {
      for (int i = 0; i < kSeries; ++i) {
        want_[Instance(i)].emplace_back(t, std::bit_cast<uint64_t>(ValueAt(i, t)));
      }
    }
    return s;
  }

  // Every series of the job in `db`, keyed by its second label (instance).
  Data Query(DB& db) const {
    Data got;
    StatusOr<std::unique_ptr<Querier>> q = db.NewQuerier(INT64_MIN, INT64_MAX);
    EXPECT_TRUE(q.ok()) << q.status();
    if (!q.ok()) return got;
    const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "job", job_}};
    StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(m);
    EXPECT_TRUE(set.ok()) << set.status();
    if (!set.ok()) return got;
    while ((*set)->Next()) {
      auto& out = got[(*set)->labels()[1].value];
      std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
      while (it->Next()) out.emplace_back(it->timestamp_ms(), std::bit_cast<uint64_t>(it->value()));
      EXPECT_TRUE(it->status().ok()) << it->status();
    }
    EXPECT_TRUE((*set)->status().ok()) << (*set)->status();
    return got;
  }

  // What was acknowledged; a test may add what it wrote by other means.
  Data& want() { return want_; }

 private:
  const std::string metric_;
  const std::string job_;
  Data want_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTS_ENGINE_ACKNOWLEDGED_SCRAPES_H_
