// Writes the seeds of the chunk_reader, tombstones, head_chunks and
// wal_replay targets that come from Strata's own writers into
// <out>/<target>/ (fuzz/corpus when run from the repository root):
//
//   cmake --build build --target strata_fuzz_make_seeds
//   build/bin/strata_fuzz_make_seeds fuzz/corpus
//
// Seeds from Prometheus' files are cut from tests/fixtures/prometheus-2.42/
// by hand (fuzz/corpus/README.md). Every file is kept small: a few chunks,
// a few series.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "compression/xor_chunk.h"
#include "engine/chunk_writer.h"
#include "engine/head_chunk_file.h"
#include "engine/tombstones.h"
#include "fuzz/fuzz_util.h"
#include "strata/db.h"
#include "tests/testing/mem_env.h"
#include "wal/checkpoint.h"
#include "wal/segment_reader.h"

namespace {

using strata::compression::ChunkEncoding;
using strata::compression::XorChunk;

std::string out_dir;

void Check(const strata::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, std::string(s.message()).c_str());
  std::exit(1);
}

void Save(const std::string& target, const std::string& name, std::string_view bytes) {
  const std::filesystem::path dir = std::filesystem::path(out_dir) / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), bytes.size());
  std::printf("%s/%s: %zu bytes\n", target.c_str(), name.c_str(), bytes.size());
}

std::string Contents(strata::testing::MemEnv& env, const std::string& path) {
  auto c = env.Contents(path);
  Check(c.status(), path.c_str());
  return *c;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(strata::fuzz::kFileSeparator);
    out.append(parts[i]);
  }
  return out;
}

// A chunk of `n` samples from `t0`, every 15 s, a counter with a reset, a
// staleness marker at the end.
std::string MakeChunk(int64_t t0, int n, double start) {
  XorChunk c;
  for (int i = 0; i < n; ++i) {
    double v = i == n - 1 ? std::bit_cast<double>(uint64_t{0x7ff0000000000002}) : start + i * 1.5;
    if (i == n / 2) v = 0;
    Check(c.Append(t0 + i * 15000, v), "xor append");
  }
  return std::string(c.bytes());
}

void ChunkSegments() {
  strata::testing::MemEnv env;
  auto w = strata::engine::ChunkWriter::Create(env, "/b/chunks", 300);
  Check(w.status(), "chunk writer");
  std::vector<std::string> chunks = {MakeChunk(0, 120, 1), MakeChunk(1800000, 120, 7.25),
                                     MakeChunk(3600000, 3, -1), MakeChunk(0, 1, 0)};
  std::vector<strata::engine::ChunkData> data;
  for (const auto& c : chunks) data.push_back({ChunkEncoding::kXor, c});
  std::vector<uint64_t> refs;
  Check((*w)->WriteChunks(data, &refs), "write chunks");
  Check((*w)->Finish(), "finish chunks");
  const std::string one = Contents(env, "/b/chunks/000001");
  Save("chunk_reader", "strata_segment", one);
  Save("chunk_reader", "strata_two_segments", Join({one, Contents(env, "/b/chunks/000002")}));
}

void TombstonesFiles() {
  strata::engine::Tombstones t;
  t.Add(1, {0, 1000});
  t.Add(1, {5000, 6000});
  t.Add(7, {INT64_MIN, -5});
  t.Add(300, {-100, INT64_MAX});
  Save("tombstones", "strata_tombstones", strata::engine::EncodeTombstonesFile(t));
  Save("tombstones", "strata_empty",
       strata::engine::EncodeTombstonesFile(strata::engine::Tombstones()));
}

void HeadChunkFiles() {
  strata::testing::MemEnv env;
  auto w = strata::engine::HeadChunkWriter::Open(env, "/d/chunks_head", 300);
  Check(w.status(), "head chunk writer");
  const std::string a = MakeChunk(0, 120, 3), b = MakeChunk(1800000, 5, 2), c = MakeChunk(0, 1, 0);
  Check((*w)->Write(1, 0, 119 * 15000, ChunkEncoding::kXor, a).status(), "write head chunk");
  Check((*w)->Write(2, 1800000, 1800000 + 4 * 15000, ChunkEncoding::kXor, b).status(), "write");
  Check((*w)->Write(3, 0, 0, ChunkEncoding::kXor, c).status(), "write head chunk");
  Check((*w)->Close(), "close head chunks");
  const std::string one = Contents(env, "/d/chunks_head/000001");
  Save("head_chunks", "strata_file", one);
  // Prometheus preallocates: zeros after the last chunk end a file.
  Save("head_chunks", "strata_zero_padded", one + std::string(64, '\0'));
  Save("head_chunks", "strata_two_files", Join({one, Contents(env, "/d/chunks_head/000002")}));
}

// Appends `n` samples every 15 s from `t0` to three series.
void AppendSamples(strata::DB& db, int64_t t0, int n) {
  auto app = db.NewAppender();
  for (int i = 0; i < n; ++i) {
    const int64_t t = t0 + i * 15000;
    Check(app->Append({{"__name__", "up"}, {"job", "node"}}, t, 1).status(), "append");
    Check(app->Append({{"__name__", "rq"}, {"code", "200"}}, t, i * 2.5).status(), "append");
    Check(app->Append({{"job", "x"}}, t, -i).status(), "append");
  }
  Check(app->Commit(), "commit");
}

void WithDB(strata::testing::MemEnv& env, int64_t t0, int n) {
  strata::Options o;
  o.env = &env;
  o.background_compaction = false;
  o.wal_sync = strata::WalSyncPolicy::kNever;
  o.wal_compression = t0 % 2 == 0;
  auto db = strata::DB::Open(o, "/data");
  Check(db.status(), "open db");
  AppendSamples(**db, t0, n);
  Check((*db)->Close(), "close db");
}

// A WAL segment without the zero padding of its last page: it ends after
// its last record, as the segment being written does.
std::string Unpadded(std::string segment) {
  strata::wal::SegmentReader r(segment, "seed");
  uint64_t end = 0;
  while (r.Next()) end = r.end_offset();
  segment.resize(end);
  return segment;
}

// The layout wal_replay_fuzzer.cc reads: checkpoint.00000001 (from
// segments 0 and 1), segments 2 and 3, a head chunk file.
void WalDirectory() {
  strata::testing::MemEnv env;
  WithDB(env, 0, 40);        // segment 0
  WithDB(env, 600001, 140);  // segment 1; cuts a chunk per series
  auto cp = strata::wal::Checkpoint(
      env, "/data/wal", 1, [](uint64_t) { return true; }, 300000);
  Check(cp.status(), "checkpoint");
  WithDB(env, 3000000, 10);  // segment 2
  WithDB(env, 3200001, 5);   // segment 3
  std::vector<std::string> parts = {
      Unpadded(Contents(env, "/data/wal/checkpoint.00000001/00000000")),
      Unpadded(Contents(env, "/data/wal/00000002")), Unpadded(Contents(env, "/data/wal/00000003"))};
  auto head = env.Contents("/data/chunks_head/000001");
  Save("wal_replay", "strata_checkpoint_segments", Join(parts));
  if (head.ok()) {
    parts.push_back(*head);
    Save("wal_replay", "strata_with_head_chunks", Join(parts));
    parts.pop_back();
  }
  // A torn tail: the last segment ends inside a record.
  std::vector<std::string> torn = parts;
  torn[2].resize(torn[2].size() * 2 / 3);
  Save("wal_replay", "strata_torn_tail", Join(torn));
  // Damage before the tail: a flipped byte in segment 2 (repair cuts there).
  std::vector<std::string> damaged = parts;
  damaged[1][damaged[1].size() / 2] ^= 0x5a;
  Save("wal_replay", "strata_damaged_segment", Join(damaged));
  // No checkpoint, only segments.
  Save("wal_replay", "strata_no_checkpoint", Join({"", parts[1], parts[2]}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  out_dir = argv[1];
  ChunkSegments();
  TombstonesFiles();
  HeadChunkFiles();
  WalDirectory();
  return 0;
}
