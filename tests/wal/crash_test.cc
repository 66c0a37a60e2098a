// Crash safety of the writer: SIGKILL of a real process (POSIX Env), and
// power loss (FaultEnv drops everything not synced).
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "compression/byte_order.h"
#include "gtest/gtest.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/mem_env.h"
#include "tests/wal/wal_test_util.h"
#include "wal/format.h"
#include "wal/records.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using strata::testing::FaultEnv;
using strata::testing::MemEnv;
using testing::ReadAll;
using testing::SamplesRecord;

// Batch `id`: 1-3 samples records of series `id` whose first sample has
// time i (the record's index); every fifth batch spans pages.
std::vector<std::string> Batch(uint32_t id) {
  std::vector<std::string> recs;
  for (uint32_t i = 0; i <= id % 3; ++i) {
    const size_t n = id % 5 == 0 ? 3000 + (id * 37 + i) % 1000 : 1 + (id * 37 + i) % 200;
    recs.push_back(SamplesRecord(id, i, n));
  }
  return recs;
}

Status LogBatch(Writer& w, uint32_t id) {
  auto recs = Batch(id);
  std::vector<std::string_view> views(recs.begin(), recs.end());
  return w.Log(views);
}

// Batch ids in replay order, one entry per record; fails the test on a
// record that belongs to no batch.
std::vector<uint32_t> ReplayIds(Env& env, const std::string& dir) {
  ReplayStats stats;
  Status s;
  auto records = ReadAll(env, dir, &stats, &s);
  EXPECT_TRUE(s.ok()) << s;
  std::vector<uint32_t> ids;
  std::map<uint32_t, std::vector<std::string>> batches;  // Batch() is slow to rebuild
  for (const std::string& r : records) {
    // Batch(id)[i] starts: type, first ref (= id) BE64, first time (= i) BE64.
    if (r.size() < 17) {
      ADD_FAILURE() << "not a batch record";
      continue;
    }
    const uint32_t id = static_cast<uint32_t>(compression::LoadBE64(r.data() + 1));
    auto [it, inserted] = batches.try_emplace(id);
    if (inserted) it->second = Batch(id);
    const auto& batch = it->second;
    const uint64_t i = compression::LoadBE64(r.data() + 9);
    EXPECT_TRUE(i < batch.size() && batch[i] == r) << "record of batch " << id << " is torn";
    ids.push_back(id);
  }
  return ids;
}

// Checks: every acknowledged batch is there whole; a batch that is there
// only in part was not acknowledged and is the last one of its run.
void CheckBatches(const std::vector<uint32_t>& ids, const std::set<uint32_t>& acked) {
  std::map<uint32_t, size_t> count;
  for (uint32_t id : ids) ++count[id];
  for (uint32_t id : acked) {
    EXPECT_EQ(count[id], Batch(id).size()) << "acknowledged batch " << id;
  }
  for (auto [id, n] : count) {
    if (n != Batch(id).size()) {
      EXPECT_FALSE(acked.count(id)) << "partial batch " << id;
    }
  }
}

class KillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_wal_crash_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/wal";
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    ASSERT_TRUE(Env::Default()->RemoveAll(dir_.substr(0, dir_.rfind('/'))).ok());
  }

  // The child: appends batches from `first_id` on and reports each
  // acknowledged id on `fd`, until killed.
  [[noreturn]] void RunChild(int fd, uint32_t first_id) {
    WriterOptions options;
    options.segment_size = 4 * kPageSize;  // many roll-overs
    auto w = Writer::Open(*Env::Default(), dir_, options);
    if (!w.ok()) ::_exit(2);
    for (uint32_t id = first_id;; ++id) {
      if (!LogBatch(**w, id).ok()) ::_exit(3);
      if (::write(fd, &id, sizeof id) != sizeof id) ::_exit(4);
    }
  }

  std::string dir_;
  pid_t child_ = -1;
};

TEST_F(KillTest, AcknowledgedBatchesSurviveSigkill) {
  std::mt19937 rng(1234);
  std::set<uint32_t> acked;
  uint32_t next_id = 0;
  for (int iteration = 0; iteration < 25; ++iteration) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      ::close(fds[0]);
      RunChild(fds[1], next_id);
    }
    ::close(fds[1]);
    ::usleep(1000 + rng() % 20000);
    ::kill(child_, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child_, &wstatus, 0), child_);
    child_ = -1;
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
    uint32_t id;
    while (::read(fds[0], &id, sizeof id) == sizeof id) {
      acked.insert(id);
      next_id = std::max(next_id, id + 1);
    }
    ::close(fds[0]);
    next_id += 1000;  // ids of batches written but not acknowledged are not reused

    const std::vector<uint32_t> ids = ReplayIds(*Env::Default(), dir_);
    SCOPED_TRACE(::testing::Message() << "iteration " << iteration);
    CheckBatches(ids, acked);
    if (HasFailure()) return;
  }
  EXPECT_GT(acked.size(), 25u);
}

// Power loss: writes batches single-threaded, syncs at random points (or
// always), then crashes and drops what was not synced.
class PowerLossTest : public ::testing::TestWithParam<SyncPolicy> {};

TEST_P(PowerLossTest, SyncedBatchesSurviveAndTheRestIsAPrefix) {
  MemEnv mem;
  FaultEnv env(mem);
  const std::string dir = "/data/wal";
  std::mt19937 rng(99);
  std::vector<uint32_t> durable;  // batch id of each record that survived so far
  uint32_t next_id = 0;
  for (int iteration = 0; iteration < 20; ++iteration) {
    WriterOptions options;
    options.segment_size = 4 * kPageSize;
    options.sync_policy = GetParam();
    options.sync_interval = absl::Hours(1);  // syncs come from Sync() below
    auto w = Writer::Open(env, dir, options);
    ASSERT_TRUE(w.ok()) << w.status();
    std::vector<uint32_t> synced, unsynced;  // per record, as above
    const int n = 5 + static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) {
      const uint32_t id = next_id++;
      ASSERT_TRUE(LogBatch(**w, id).ok());
      unsynced.insert(unsynced.end(), Batch(id).size(), id);
      if (GetParam() == SyncPolicy::kAlways || rng() % 8 == 0) {
        if (GetParam() != SyncPolicy::kAlways) {
          ASSERT_TRUE((*w)->Sync().ok());
        }
        synced.insert(synced.end(), unsynced.begin(), unsynced.end());
        unsynced.clear();
      }
    }
    env.SetActive(false);  // power cut: nothing after this reaches the disk
    w->reset();
    ASSERT_TRUE(env.DropUnsyncedData().ok());
    env.SetActive(true);

    const std::vector<uint32_t> ids = ReplayIds(env, dir);
    SCOPED_TRACE(::testing::Message() << "iteration " << iteration);
    // What survived before, then every synced record, then at most a
    // prefix of the unsynced ones.
    std::vector<uint32_t> expected = durable;
    expected.insert(expected.end(), synced.begin(), synced.end());
    ASSERT_GE(ids.size(), expected.size());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), ids.begin()));
    ASSERT_LE(ids.size() - expected.size(), unsynced.size());
    EXPECT_TRUE(std::equal(ids.begin() + expected.size(), ids.end(), unsynced.begin()));
    if (GetParam() == SyncPolicy::kAlways) {
      EXPECT_EQ(ids.size(), expected.size());
    }
    durable = ids;
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, PowerLossTest,
                         ::testing::Values(SyncPolicy::kAlways, SyncPolicy::kInterval),
                         [](const auto& info) {
                           return info.param == SyncPolicy::kAlways ? "Always" : "Interval";
                         });

TEST(IntervalFlusherTest, BackgroundSyncMakesDataDurable) {
  MemEnv mem;
  FaultEnv env(mem);
  WriterOptions options;
  options.sync_policy = SyncPolicy::kInterval;
  options.sync_interval = absl::Milliseconds(5);
  auto w = Writer::Open(env, "/wal", options);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(LogBatch(**w, 7).ok());
  // Wait (without a deadline assertion) until the flusher has synced.
  for (int i = 0; i < 20000 && (*w)->stats().syncs == 0; ++i) ::usleep(500);
  ASSERT_GT((*w)->stats().syncs, 0u);
  env.SetActive(false);
  w->reset();
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  env.SetActive(true);
  EXPECT_EQ(ReplayIds(env, "/wal").size(), Batch(7).size());
}

}  // namespace
}  // namespace strata::wal
