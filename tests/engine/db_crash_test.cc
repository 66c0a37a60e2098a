// Crash safety of strata::DB (LABELS crash): tests/engine/crash_writer.cc
// appends scrapes with background compaction running constantly (a block
// range of one minute of sample time) and is SIGKILLed after a random
// 100-800 ms, during ingest and during compaction. After each kill the
// directory is opened in-process and must hold every acknowledged sample
// exactly once, nothing beyond what was attempted, whole scrapes only, and
// no half-written block; the DB must then append and compact again, and
// the next writer continues in the same directory. Every other round the
// writer also calls Compact() in a loop and the kill waits for a block
// being written.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/strings.h"
#include "engine/db_impl.h"
#include "engine/filenames.h"
#include "gtest/gtest.h"
#include "strata/db.h"
#include "tests/testing/process.h"

namespace strata::engine {
namespace {

using ::strata::testing::ChildProcess;
using ::strata::testing::TempDir;

constexpr int kSeries = 20;
constexpr int64_t kStep = 1000;          // one scrape per second of sample time
constexpr int64_t kBlockRange = 60'000;  // a block per minute of sample time
constexpr int64_t kFirstTs = 1'700'000'000'000;
// The writer's pause after each commit: a few thousand scrapes (~50 blocks)
// per round, so the test's own compaction of what is left stays short.
constexpr int kPauseUs = 250;

// Same as crash_writer's.
double ValueAt(int series, int64_t t_ms) { return series * 1e13 + static_cast<double>(t_ms); }

struct WriterProgress {
  int64_t last_attempted = INT64_MIN;
  int64_t last_acked = INT64_MIN;
  std::string errors;
};

WriterProgress ReadProgress(const std::string& log) {
  WriterProgress p;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > 2 && line[0] == 'A' && line[1] == ' ') {
      p.last_attempted = std::stoll(line.substr(2));
    } else if (line.size() > 2 && line[0] == 'K' && line[1] == ' ') {
      p.last_acked = std::stoll(line.substr(2));
    } else if (!line.empty() && in.good()) {  // the last line may be cut by the kill
      p.errors += line + "\n";
    }
  }
  return p;
}

Options DBOptions() {
  Options o;
  o.block_range_ms = kBlockRange;
  o.retention_ms = 0;
  o.background_compaction = false;
  o.wal_sync = WalSyncPolicy::kNever;
  return o;
}

bool HasTmpBlockDir(const std::string& dir) {
  StatusOr<std::vector<std::string>> names = Env::Default()->GetChildren(dir);
  if (!names.ok()) return false;
  return std::any_of(names->begin(), names->end(), [](const std::string& n) {
    return n.ends_with(kTmpForCreationSuffix) || n.ends_with(kTmpForDeletionSuffix);
  });
}

class DBCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path() + "/data";
  }

  // Opens dir_ in-process after a kill and checks it against what the
  // writers attempted and acknowledged: every series holds exactly the
  // timestamps kFirstTs, kFirstTs + kStep, ..., end, the same `end` for all
  // (whole scrapes), with last_acked <= end <= last_attempted. Then
  // appends one more scrape, compacts, closes. Returns the next timestamp
  // to write, or INT64_MIN after a failure.
  int64_t VerifyAndContinue(const WriterProgress& p, int64_t acked_before) {
    StatusOr<std::unique_ptr<DBImpl>> opened = DBImpl::Open(DBOptions(), dir_);
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return INT64_MIN;
    DBImpl& db = **opened;
    EXPECT_TRUE(db.Stats().warnings.empty()) << db.Stats().warnings[0];
    EXPECT_FALSE(HasTmpBlockDir(dir_)) << "leftover of an interrupted compaction not removed";

    // No half block: only whole, non-overlapping blocks, and their sample
    // counts add up to what the querier returns for their range.
    const std::vector<std::shared_ptr<Block>> blocks = db.blocks();
    uint64_t block_samples = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
      EXPECT_FALSE(blocks[i]->dir().ends_with(kTmpForCreationSuffix)) << blocks[i]->dir();
      EXPECT_FALSE(blocks[i]->dir().ends_with(kTmpForDeletionSuffix)) << blocks[i]->dir();
      if (i > 0) {
        EXPECT_LE(blocks[i - 1]->meta().max_time_ms, blocks[i]->meta().min_time_ms)
            << "overlapping blocks " << blocks[i - 1]->dir() << " and " << blocks[i]->dir();
      }
      block_samples += blocks[i]->meta().stats.num_samples;
    }

    const int64_t acked = std::max(p.last_acked, acked_before);
    const int64_t attempted = std::max(p.last_attempted, acked_before);
    int64_t end = INT64_MIN;
    uint64_t in_block_range = 0;
    {
      StatusOr<std::unique_ptr<Querier>> q = db.NewQuerier(INT64_MIN, INT64_MAX);
      EXPECT_TRUE(q.ok()) << q.status();
      if (!q.ok()) return INT64_MIN;
      const std::vector<LabelMatcher> m = {{LabelMatcher::Type::kEqual, "job", "crash"}};
      StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(m);
      EXPECT_TRUE(set.ok()) << set.status();
      if (!set.ok()) return INT64_MIN;
      int series = 0;
      while ((*set)->Next()) {
        const Labels& ls = (*set)->labels();
        const int s = std::stoi(ls[1].value.substr(5));  // instance="host-<s>"
        std::unique_ptr<SeriesIterator> it = (*set)->NewIterator();
        int64_t want_t = kFirstTs;
        while (it->Next()) {
          if (it->timestamp_ms() != want_t) {
            ADD_FAILURE() << LabelsText(ls) << ": sample at " << it->timestamp_ms() << ", want "
                          << want_t << " (a gap or a duplicate)";
            return INT64_MIN;
          }
          if (std::bit_cast<uint64_t>(it->value()) != std::bit_cast<uint64_t>(ValueAt(s, want_t))) {
            ADD_FAILURE() << LabelsText(ls) << " @" << want_t << ": value " << it->value();
            return INT64_MIN;
          }
          if (!blocks.empty() && want_t >= blocks.front()->meta().min_time_ms &&
              want_t < blocks.back()->meta().max_time_ms) {
            ++in_block_range;
          }
          want_t += kStep;
        }
        EXPECT_TRUE(it->status().ok()) << it->status();
        const int64_t last = want_t - kStep;
        if (series++ == 0) end = last;
        EXPECT_EQ(last, end) << LabelsText(ls) << ": not every series ends at the same scrape";
      }
      EXPECT_TRUE((*set)->status().ok()) << (*set)->status();
      if (acked != INT64_MIN) {
        EXPECT_EQ(series, kSeries);
      }
    }
    EXPECT_EQ(block_samples, in_block_range) << "blocks hold samples twice or lost some";
    if (acked != INT64_MIN) {
      EXPECT_GE(end, acked) << "an acknowledged scrape is missing";
    }
    EXPECT_LE(end, attempted) << "a scrape that was never attempted is present";
    if (::testing::Test::HasFailure()) return INT64_MIN;

    // The DB takes new data and compacts.
    const int64_t next = end == INT64_MIN ? kFirstTs : end + kStep;
    std::unique_ptr<Appender> app = db.NewAppender();
    for (int s = 0; s < kSeries; ++s) {
      const std::string inst = StrCat("host-", s);
      EXPECT_TRUE(app->Append({{"__name__", "crash_metric"}, {"instance", inst}, {"job", "crash"}},
                              next, ValueAt(s, next))
                      .ok());
    }
    const Status committed = app->Commit();
    EXPECT_TRUE(committed.ok()) << committed;
    app.reset();
    const Status compacted = db.Compact();
    EXPECT_TRUE(compacted.ok()) << compacted;
    const Status closed = db.Close();
    EXPECT_TRUE(closed.ok()) << closed;
    return ::testing::Test::HasFailure() ? INT64_MIN : next + kStep;
  }

  static std::string LabelsText(const Labels& ls) {
    std::string out;
    for (const Label& l : ls) out += StrCat(l.name, "=", l.value, ",");
    return out;
  }

  TempDir tmp_{"strata_db_crash"};
  std::string dir_;
};

TEST_F(DBCrashTest, KillDuringIngestAndCompactionLosesNoAcknowledgedSample) {
  std::mt19937 rng(::testing::UnitTest::GetInstance()->random_seed());
  int64_t next = kFirstTs;
  int64_t acked_before = INT64_MIN;  // acknowledged by earlier rounds (incl. in-process appends)
  int rounds_with_acks = 0, tmp_dirs_seen = 0;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(StrCat("round ", round));
    const bool compact_loop = round % 2 == 1;
    const std::string log = StrCat(tmp_.path(), "/writer-", round, ".log");
    auto child = ChildProcess::Start(
        {STRATA_CRASH_WRITER, dir_, std::to_string(kSeries), std::to_string(next),
         std::to_string(kStep), std::to_string(kBlockRange), compact_loop ? "1" : "0",
         std::to_string(kPauseUs)},
        log);
    ASSERT_TRUE(child.ok()) << child.status();
    // Once the writer is ingesting (its first acknowledgement), let it run
    // for a random 100-800 ms.
    const absl::Time started = absl::Now();
    while (ReadProgress(log).last_acked == INT64_MIN && (*child)->Running() &&
           absl::Now() - started < absl::Seconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const int sleep_ms = std::uniform_int_distribution<int>(100, 800)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    if (compact_loop) {
      // Aim the kill at a block being written: wait (up to 2 s) until a
      // compaction's temporary block directory exists.
      const absl::Time aim = absl::Now();
      while (!HasTmpBlockDir(dir_) && absl::Now() - aim < absl::Seconds(2)) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    }
    ASSERT_TRUE((*child)->Running()) << "the writer exited early:\n" << ReadProgress(log).errors;
    const int status = (*child)->Stop(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

    const WriterProgress p = ReadProgress(log);
    EXPECT_TRUE(p.errors.empty()) << p.errors;
    if (p.last_acked != INT64_MIN) ++rounds_with_acks;
    if (HasTmpBlockDir(dir_)) ++tmp_dirs_seen;
    const absl::Time verify_start = absl::Now();
    next = VerifyAndContinue(p, acked_before);
    std::cout << "round " << round << ": killed after " << sleep_ms << " ms, compact loop "
              << compact_loop << ", acknowledged up to scrape "
              << (p.last_acked == INT64_MIN ? -1 : (p.last_acked - kFirstTs) / kStep)
              << ", verify + append + compact " << absl::Now() - verify_start << "\n";
    ASSERT_NE(next, INT64_MIN) << "writer killed after " << sleep_ms << " ms, last attempted "
                               << p.last_attempted << ", last acknowledged " << p.last_acked;
    acked_before = next - kStep;
  }
  EXPECT_EQ(rounds_with_acks, kRounds);
  // Several block ranges of sample time were written, so blocks were cut
  // (and merged) while the writers ran.
  EXPECT_GE((next - kFirstTs) / kBlockRange, 3) << "too few scrapes to exercise compaction";
  std::cout << "crash rounds: " << kRounds << ", scrapes: " << (next - kFirstTs) / kStep
            << ", rounds that left a compaction half done: " << tmp_dirs_seen << "\n";
}

}  // namespace
}  // namespace strata::engine
