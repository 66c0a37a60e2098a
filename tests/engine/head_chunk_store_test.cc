#include "engine/head_chunk_store.h"

#include <stdlib.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/strings.h"
#include "engine/filenames.h"
#include "engine/head_chunk_file.h"
#include "gtest/gtest.h"
#include "strata/env.h"
#include "tests/testing/fault_env.h"
#include "tests/testing/mem_env.h"

namespace strata::engine {
namespace {

using compression::ChunkEncoding;

struct Written {
  uint64_t ref = 0;
  uint64_t series;
  int64_t mint, maxt;
  std::string data;
};

// A chunk with made-up contents: the store does not look into them.
Written MakeChunk(std::mt19937_64& rng, int64_t mint) {
  Written w;
  w.series = rng() % 1000;
  w.mint = mint;
  w.maxt = mint + static_cast<int64_t>(rng() % 1000);
  w.data.resize(1 + rng() % 200);
  for (char& c : w.data) c = static_cast<char>(rng());
  return w;
}

void Write(HeadChunkStore& store, Written& w) {
  auto ref = store.Write(w.series, w.mint, w.maxt, ChunkEncoding::kXor, w.data);
  ASSERT_TRUE(ref.ok()) << ref.status();
  w.ref = *ref;
}

void ExpectChunk(const HeadChunkStore& store, const Written& w) {
  auto c = store.Read(w.ref);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->series_ref, w.series);
  EXPECT_EQ(c->min_time_ms, w.mint);
  EXPECT_EQ(c->max_time_ms, w.maxt);
  EXPECT_EQ(c->chunk.encoding, ChunkEncoding::kXor);
  EXPECT_EQ(c->chunk.data, w.data);
  EXPECT_NE(c->pin, nullptr);
}

std::unique_ptr<HeadChunkStore> OpenAndReplay(Env& env, const std::string& dir,
                                              uint64_t max_file_size,
                                              std::vector<HeadChunk>* replayed = nullptr,
                                              uint64_t* dropped = nullptr) {
  auto store = HeadChunkStore::Open(env, dir, max_file_size);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  auto d = (*store)->Replay([&](const HeadChunk& c) {
    if (replayed != nullptr) replayed->push_back(c);
  });
  EXPECT_TRUE(d.ok()) << d.status();
  if (dropped != nullptr) *dropped = d.ok() ? *d : ~0ull;
  return std::move(*store);
}

// On the POSIX Env: real files, real mappings, a buffered writer.
class HeadChunkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_head_chunk_store_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/chunks_head";
  }
  void TearDown() override { ASSERT_TRUE(env_.RemoveAll(root_).ok()); }

  Env& env_ = *Env::Default();
  std::string root_, dir_;
};

TEST_F(HeadChunkStoreTest, ReadsRightAfterWriteBeforeAndAfterFlush) {
  auto store = OpenAndReplay(env_, dir_, 4096);
  std::mt19937_64 rng(1);
  std::vector<Written> written;
  for (int i = 0; i < 200; ++i) {
    written.push_back(MakeChunk(rng, i * 1000));
    Write(*store, written.back());
    ExpectChunk(*store, written.back());  // nothing flushed yet
    if (i % 50 == 49) {
      ASSERT_TRUE(store->Flush().ok());
    }
  }
  EXPECT_GT(ChunkRef::Sequence(written.back().ref), 3u);  // cut several files
  EXPECT_EQ(ChunkRef::Sequence(written.front().ref), 1u);
  for (const Written& w : written) ExpectChunk(*store, w);
  ASSERT_TRUE(store->Flush().ok());
  for (const Written& w : written) ExpectChunk(*store, w);

  uint64_t on_disk = 0;
  for (uint32_t n = 1; n <= ChunkRef::Sequence(written.back().ref); ++n) {
    on_disk += *env_.GetFileSize(dir_ + "/" + ChunkSegmentName(n));
  }
  EXPECT_EQ(store->size_bytes(), on_disk);
  ASSERT_TRUE(store->Close().ok());
  for (const Written& w : written) ExpectChunk(*store, w);  // reads outlive Close
  EXPECT_EQ(store->Write(1, 2, 3, ChunkEncoding::kXor, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HeadChunkStoreTest, ManyWritesWithoutFlushStayReadable) {
  // Past kMaxUnmappedBytes the store flushes and remaps on its own.
  auto store = OpenAndReplay(env_, dir_, kMaxHeadChunkFileSize);
  std::mt19937_64 rng(10);
  std::vector<Written> written;
  uint64_t bytes = 0;
  while (bytes < 2 * HeadChunkStore::kMaxUnmappedBytes) {
    written.push_back(MakeChunk(rng, 0));
    Write(*store, written.back());
    bytes += written.back().data.size();
  }
  EXPECT_EQ(ChunkRef::Sequence(written.back().ref), 1u);
  for (const Written& w : written) ExpectChunk(*store, w);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->size_bytes(), *env_.GetFileSize(dir_ + "/000001"));
}

TEST_F(HeadChunkStoreTest, ConcurrentWritersReadersAndFlushes) {
  auto store = OpenAndReplay(env_, dir_, 16384);
  Mutex mu;
  std::vector<Written> published;  // guarded by mu
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      for (int i = 0; i < 500; ++i) {
        Written w = MakeChunk(rng, i);
        Write(*store, w);
        ExpectChunk(*store, w);  // at once, from the writing thread
        MutexLock l(&mu);
        published.push_back(std::move(w));
      }
    });
  }
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(200 + t);
      while (!done.load()) {
        Written w;
        {
          MutexLock l(&mu);
          if (published.empty()) continue;
          w = published[rng() % published.size()];
        }
        ExpectChunk(*store, w);
        reads.fetch_add(1);
      }
    });
  }
  std::thread flusher([&] {
    while (!done.load()) {
      EXPECT_TRUE(store->Flush().ok());
      std::this_thread::yield();
    }
  });
  for (int t = 0; t < 4; ++t) threads[t].join();
  done = true;
  for (size_t t = 4; t < threads.size(); ++t) threads[t].join();
  flusher.join();
  EXPECT_GT(reads.load(), 0);

  // Refs are unique and everything reads back, before and after reopening.
  MutexLock l(&mu);
  ASSERT_EQ(published.size(), 2000u);
  for (const Written& w : published) ExpectChunk(*store, w);
  ASSERT_TRUE(store->Close().ok());
  store.reset();
  std::vector<HeadChunk> replayed;
  uint64_t dropped;
  auto again = OpenAndReplay(env_, dir_, 16384, &replayed, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(replayed.size(), published.size());
  for (const Written& w : published) ExpectChunk(*again, w);
}

TEST_F(HeadChunkStoreTest, FilesAreBytewiseWhatHeadChunkWriterWrites) {
  std::mt19937_64 rng(3);
  std::vector<Written> written;
  for (int i = 0; i < 100; ++i) written.push_back(MakeChunk(rng, i * 100));
  {
    auto store = OpenAndReplay(env_, dir_, 2048);
    for (Written& w : written) Write(*store, w);
    ASSERT_TRUE(store->Close().ok());
  }
  const std::string other = root_ + "/by_writer";
  {
    auto writer = HeadChunkWriter::Open(env_, other, 2048);
    ASSERT_TRUE(writer.ok());
    for (const Written& w : written) {
      auto ref = (*writer)->Write(w.series, w.mint, w.maxt, ChunkEncoding::kXor, w.data);
      ASSERT_TRUE(ref.ok());
      EXPECT_EQ(*ref, w.ref);
    }
    ASSERT_TRUE((*writer)->Close().ok());
  }
  auto reader = HeadChunkReader::Open(env_, dir_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_GT((*reader)->files().size(), 3u);
  for (uint32_t n : (*reader)->files()) {
    EXPECT_EQ(*ReadFileToString(env_, dir_ + "/" + ChunkSegmentName(n)),
              *ReadFileToString(env_, other + "/" + ChunkSegmentName(n)));
  }
  size_t i = 0;
  ASSERT_TRUE((*reader)
                  ->ForEach([&](const HeadChunk& c) {
                    ASSERT_LT(i, written.size());
                    EXPECT_EQ(c.ref, written[i].ref);
                    EXPECT_EQ(c.series_ref, written[i].series);
                    EXPECT_EQ(c.chunk.data, written[i].data);
                    ++i;
                  })
                  .ok());
  EXPECT_EQ(i, written.size());
}

TEST_F(HeadChunkStoreTest, ReplayAfterReopenThenWritesGoToANewFile) {
  std::mt19937_64 rng(4);
  std::vector<Written> written;
  {
    auto store = OpenAndReplay(env_, dir_, 1024);
    for (int i = 0; i < 30; ++i) {
      written.push_back(MakeChunk(rng, i));
      Write(*store, written.back());
    }
    ASSERT_TRUE(store->Close().ok());
  }
  std::vector<HeadChunk> replayed;
  uint64_t dropped;
  auto store = OpenAndReplay(env_, dir_, 1024, &replayed, &dropped);
  EXPECT_EQ(dropped, 0u);
  ASSERT_EQ(replayed.size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(replayed[i].ref, written[i].ref);
    EXPECT_EQ(replayed[i].min_time_ms, written[i].mint);
    EXPECT_EQ(replayed[i].chunk.data, written[i].data);
    ExpectChunk(*store, written[i]);
  }
  Written more = MakeChunk(rng, 99);
  Write(*store, more);
  EXPECT_EQ(ChunkRef::Sequence(more.ref), ChunkRef::Sequence(written.back().ref) + 1);
  ExpectChunk(*store, more);
  EXPECT_EQ(store->Replay([](const HeadChunk&) {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HeadChunkStoreTest, WriteBeforeReplayFails) {
  auto store = HeadChunkStore::Open(env_, dir_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Write(1, 2, 3, ChunkEncoding::kXor, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HeadChunkStoreTest, TruncateDeletesOldFilesPrefixOnly) {
  auto store = OpenAndReplay(env_, dir_, 1024);
  std::mt19937_64 rng(5);
  std::vector<Written> written;
  for (int i = 0; i < 60; ++i) {
    written.push_back(MakeChunk(rng, i * 10000));
    Write(*store, written.back());
  }
  const uint32_t last = ChunkRef::Sequence(written.back().ref);
  ASSERT_GE(last, 5u);
  // File 3 has a chunk as late as the cut-off: it stays, with all after it.
  Written in_file2;
  for (const Written& w : written) {
    if (ChunkRef::Sequence(w.ref) == 2) in_file2 = w;
  }
  auto pin = store->Read(in_file2.ref);
  ASSERT_TRUE(pin.ok());
  int64_t file3_max = INT64_MIN;
  for (const Written& w : written) {
    if (ChunkRef::Sequence(w.ref) == 3) file3_max = std::max(file3_max, w.maxt);
  }
  const uint64_t size_before = store->size_bytes();

  auto removed = store->Truncate(file3_max);  // files 1 and 2 qualify
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(env_.FileExists(dir_ + "/000001"));
  EXPECT_FALSE(env_.FileExists(dir_ + "/000002"));
  EXPECT_TRUE(env_.FileExists(dir_ + "/000003"));
  EXPECT_LT(store->size_bytes(), size_before);
  for (const Written& w : written) {
    if (ChunkRef::Sequence(w.ref) <= 2) {
      EXPECT_EQ(store->Read(w.ref).status().code(), absl::StatusCode::kNotFound);
    } else {
      ExpectChunk(*store, w);
    }
  }
  EXPECT_EQ(pin->chunk.data, in_file2.data);  // still valid: pinned

  // Everything is old now, but the file being written stays.
  removed = store->Truncate(INT64_MAX);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, static_cast<int>(last) - 3);
  ExpectChunk(*store, written.back());
  EXPECT_EQ(store->Read(written.front().ref).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(HeadChunkStoreTest, ReadOfABadRefIsDataLossWithFileAndOffset) {
  auto store = OpenAndReplay(env_, dir_, 4096);
  std::mt19937_64 rng(6);
  Written w = MakeChunk(rng, 0);
  Write(*store, w);
  Written w2 = MakeChunk(rng, 0);
  Write(*store, w2);
  for (bool flushed : {false, true}) {
    SCOPED_TRACE(flushed);
    if (flushed) {
      ASSERT_TRUE(store->Flush().ok());
    }
    auto bad = store->Read(w.ref + 1);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(std::string(bad.status().message()).find(dir_ + "/000001 offset 9: "),
              std::string::npos)
        << bad.status();
    EXPECT_EQ(store->Read(ChunkRef::Pack(1, 1u << 30)).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(store->Read(ChunkRef::Pack(7, 8)).status().code(), absl::StatusCode::kNotFound);
  }
}

TEST_F(HeadChunkStoreTest, UnknownEncodingIsDataLossWithFileAndOffset) {
  auto store = OpenAndReplay(env_, dir_, 4096);
  std::mt19937_64 rng(7);
  Written w = MakeChunk(rng, 0);
  Write(*store, w);
  auto ref = store->Write(2, 10, 20, static_cast<ChunkEncoding>(9), "\x00\x01");
  ASSERT_TRUE(ref.ok()) << ref.status();
  for (bool flushed : {false, true}) {
    SCOPED_TRACE(flushed);
    if (flushed) {
      ASSERT_TRUE(store->Flush().ok());
    }
    auto bad = store->Read(*ref);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
    const std::string want =
        StrCat(dir_, "/000001 offset ", ChunkRef::Offset(*ref), ": unknown chunk encoding 9");
    EXPECT_EQ(bad.status().message(), want) << bad.status();
    ExpectChunk(*store, w);  // the chunk before it still reads
  }
}

// On MemEnv: damaging files on purpose.
class HeadChunkStoreReplayTest : public ::testing::Test {
 protected:
  // Writes chunks to files 1..4 (at least) and closes.
  void WriteFiles() {
    auto store = OpenAndReplay(env_, dir_, 1024);
    std::mt19937_64 rng(7);
    while (written_.empty() || ChunkRef::Sequence(written_.back().ref) < 4) {
      written_.push_back(MakeChunk(rng, static_cast<int64_t>(written_.size())));
      Write(*store, written_.back());
    }
    ASSERT_TRUE(store->Close().ok());
  }
  std::string Path(uint32_t n) { return dir_ + "/" + ChunkSegmentName(n); }
  uint64_t Size(uint32_t n) { return *env_.GetFileSize(Path(n)); }

  testing::MemEnv env_;
  const std::string dir_ = "/data/chunks_head";
  std::vector<Written> written_;
};

TEST_F(HeadChunkStoreReplayTest, DamagedChunkCutsItsFileAndDropsLaterOnes) {
  WriteFiles();
  // Damage the second chunk of file 2.
  std::vector<const Written*> in2;
  for (const Written& w : written_) {
    if (ChunkRef::Sequence(w.ref) == 2) in2.push_back(&w);
  }
  ASSERT_GE(in2.size(), 2u);
  const uint32_t damage = ChunkRef::Offset(in2[1]->ref);
  std::string bytes = *env_.Contents(Path(2));
  bytes[damage + 30] ^= 0x10;
  ASSERT_TRUE(env_.SetContents(Path(2), bytes).ok());
  const uint32_t last = ChunkRef::Sequence(written_.back().ref);
  uint64_t expect_dropped = Size(2) - damage;
  for (uint32_t n = 3; n <= last; ++n) expect_dropped += Size(n);

  std::vector<HeadChunk> replayed;
  uint64_t dropped;
  auto store = OpenAndReplay(env_, dir_, 1024, &replayed, &dropped);
  EXPECT_EQ(dropped, expect_dropped);
  size_t kept = 0;
  while (written_[kept].ref != in2[1]->ref) ++kept;
  ASSERT_EQ(replayed.size(), kept);
  EXPECT_EQ(Size(2), damage);
  for (uint32_t n = 3; n <= last; ++n) EXPECT_FALSE(env_.FileExists(Path(n)));
  for (size_t i = 0; i < written_.size(); ++i) {
    if (i < kept) {
      ExpectChunk(*store, written_[i]);
    } else {
      EXPECT_EQ(store->Read(written_[i].ref).status().code(), absl::StatusCode::kNotFound) << i;
    }
  }
  // Writing goes on in file 3, leaving no gap in the numbering.
  std::mt19937_64 rng(8);
  Written w = MakeChunk(rng, 5);
  Write(*store, w);
  EXPECT_EQ(ChunkRef::Sequence(w.ref), 3u);
  ExpectChunk(*store, w);
  EXPECT_EQ(store->size_bytes(), Size(1) + Size(2) + Size(3));
}

TEST_F(HeadChunkStoreReplayTest, ReadOnlyReplayStopsAtDamageAndChangesNoFile) {
  WriteFiles();
  const uint32_t last = ChunkRef::Sequence(written_.back().ref);
  ASSERT_GE(last, 3u);
  std::string bytes = *env_.Contents(Path(2));
  const uint32_t damage = kHeadChunkHeaderSize;  // the file's first chunk
  bytes[damage + 30] ^= 0x10;
  ASSERT_TRUE(env_.SetContents(Path(2), bytes).ok());
  std::vector<std::string> before;
  for (uint32_t n = 1; n <= last; ++n) before.push_back(*env_.Contents(Path(n)));

  auto store = HeadChunkStore::OpenReadOnly(env_, dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<HeadChunk> replayed;
  auto dropped = (*store)->Replay([&](const HeadChunk& c) { replayed.push_back(c); });
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_GT(*dropped, 0u);
  for (const HeadChunk& c : replayed) EXPECT_EQ(ChunkRef::Sequence(c.ref), 1u);
  for (const Written& w : written_) {
    if (ChunkRef::Sequence(w.ref) == 1) ExpectChunk(**store, w);
  }
  EXPECT_EQ((*store)->Write(1, 0, 1, compression::ChunkEncoding::kXor, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*store)->Close().ok());
  for (uint32_t n = 1; n <= last; ++n) EXPECT_EQ(*env_.Contents(Path(n)), before[n - 1]) << n;
  EXPECT_FALSE(env_.FileExists(Path(last + 1)));
  // A missing directory holds nothing.
  auto missing = HeadChunkStore::OpenReadOnly(env_, dir_ + "/none");
  ASSERT_TRUE(missing.ok());
  auto none = (*missing)->Replay([](const HeadChunk&) {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, 0u);
}

TEST_F(HeadChunkStoreReplayTest, TornLastFileAndBrokenHeader) {
  WriteFiles();
  const uint32_t last = ChunkRef::Sequence(written_.back().ref);
  // A crash tore the last chunk in half.
  const uint64_t torn = ChunkRef::Offset(written_.back().ref) + 10;
  ASSERT_TRUE(env_.Truncate(Path(last), torn).ok());
  std::vector<HeadChunk> replayed;
  uint64_t dropped;
  {
    auto store = OpenAndReplay(env_, dir_, 1024, &replayed, &dropped);
    EXPECT_EQ(dropped, 10u);
    EXPECT_EQ(replayed.size(), written_.size() - 1);
    ASSERT_TRUE(store->Close().ok());
  }
  // A file whose header is gone is deleted with all after it.
  std::string bytes = *env_.Contents(Path(last));
  bytes[0] = 'x';
  ASSERT_TRUE(env_.SetContents(Path(last), bytes).ok());
  const uint64_t size = Size(last);
  replayed.clear();
  auto store = OpenAndReplay(env_, dir_, 1024, &replayed, &dropped);
  EXPECT_EQ(dropped, size);
  EXPECT_FALSE(env_.FileExists(Path(last)));
  for (const HeadChunk& c : replayed) EXPECT_LT(ChunkRef::Sequence(c.ref), last);
}

TEST_F(HeadChunkStoreReplayTest, FailedWriteLeavesNoDamageBehind) {
  testing::FaultEnv faults(env_);
  std::vector<Written> ok;
  {
    auto store = OpenAndReplay(faults, dir_, 1024);
    std::mt19937_64 rng(9);
    for (int i = 0; i < 40; ++i) {
      if (i == 20) faults.SetDiskLimit(30);  // the next chunk is written in part
      Written w = MakeChunk(rng, i);
      auto ref = store->Write(w.series, w.mint, w.maxt, ChunkEncoding::kXor, w.data);
      if (i == 20) {
        EXPECT_FALSE(ref.ok());
        faults.SetDiskLimit(std::nullopt);
        continue;
      }
      ASSERT_TRUE(ref.ok()) << i << ": " << ref.status();
      w.ref = *ref;
      ok.push_back(w);
    }
    for (const Written& w : ok) ExpectChunk(*store, w);
    ASSERT_TRUE(store->Close().ok());
  }
  std::vector<HeadChunk> replayed;
  uint64_t dropped;
  auto store = OpenAndReplay(env_, dir_, 1024, &replayed, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(replayed.size(), ok.size());
  for (const Written& w : ok) ExpectChunk(*store, w);
}

}  // namespace
}  // namespace strata::engine
