// Opens arbitrary bytes as the head's chunks_head/ directory (the input is
// 000001; after a "#SPLIT#\n" line, the rest is 000002) the three ways the
// engine does: HeadChunkReader (offline tools), HeadChunkStore read-only
// (strata inspect on a live directory) and HeadChunkStore's start-up
// replay, which cuts the files at the first damage (Prometheus' repair).
// Damage must be an error naming the file, never a crash; all three must
// find the same chunks; read-only changes no byte; after the repair a new
// chunk can be written, every chunk read back by its reference, and a
// second replay finds no damage and the same chunks.
//
// Each input is read as it is and, if that changes it, once more with its
// checksums recomputed (fuzz/fuzz_util.h), to reach the decoders behind them.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "compression/xor_chunk.h"
#include "engine/chunk_format.h"
#include "engine/head_chunk_file.h"
#include "engine/head_chunk_store.h"
#include "fuzz/fuzz_util.h"
#include "tests/testing/mem_env.h"

namespace {

using strata::compression::ChunkEncoding;
using strata::engine::HeadChunk;
using strata::engine::HeadChunkReader;
using strata::engine::HeadChunkStore;

constexpr const char* kDir = "/d/chunks_head";

// What identifies a replayed chunk.
using Found = std::tuple<uint64_t, uint64_t, int64_t, int64_t, ChunkEncoding, std::string>;

Found Key(const HeadChunk& c) {
  return {c.ref,         c.series_ref,     c.min_time_ms,
          c.max_time_ms, c.chunk.encoding, std::string(c.chunk.data)};
}

void Iterate(ChunkEncoding encoding, std::string_view data) {
  if (encoding != ChunkEncoding::kXor) return;
  strata::compression::XorIterator it(data);
  while (it.Next()) {
  }
  if (!it.status().ok() && it.status().code() != absl::StatusCode::kDataLoss) std::abort();
}

void CheckError(const strata::Status& s, absl::StatusCode code = absl::StatusCode::kDataLoss) {
  if (s.code() != code || s.message().find("chunks_head/00000") == std::string_view::npos) {
    std::abort();  // must be the expected kind and name the file
  }
}

std::vector<Found> ReplayStore(HeadChunkStore& store, uint64_t* dropped) {
  std::vector<Found> out;
  auto d = store.Replay([&](const HeadChunk& c) {
    out.push_back(Key(c));
    Iterate(c.chunk.encoding, c.chunk.data);
  });
  if (!d.ok()) std::abort();  // a MemEnv has no I/O errors
  *dropped = *d;
  return out;
}

// Every replayed chunk reads back the same by its reference.
void CheckReads(const HeadChunkStore& store, const std::vector<Found>& chunks) {
  for (const Found& f : chunks) {
    auto c = store.Read(std::get<0>(f));
    if (!c.ok() || c->series_ref != std::get<1>(f) || c->min_time_ms != std::get<2>(f) ||
        c->max_time_ms != std::get<3>(f) || c->chunk.encoding != std::get<4>(f) ||
        c->chunk.data != std::get<5>(f)) {
      std::abort();
    }
  }
}

// Reads a few references taken from the input: OK, NotFound or DataLoss.
void ReadDerived(const HeadChunkStore& store, std::string_view input) {
  for (int i = 0; i < 4; ++i) {
    const uint32_t w = strata::fuzz::TailWord(input, i);
    const uint64_t ref = strata::engine::ChunkRef::Pack(1 + (w >> 30), w & 0x3ffff);
    auto c = store.Read(ref);
    if (c.ok()) {
      Iterate(c->chunk.encoding, c->chunk.data);
    } else if (!absl::IsNotFound(c.status())) {
      CheckError(c.status());
    }
  }
}

// `files` are the head chunk files; `input` the whole input (for the
// references and the truncation time).
void Run(const std::vector<std::string>& files, std::string_view input) {
  strata::testing::MemEnv env;
  for (size_t i = 0; i < files.size(); ++i) {
    strata::fuzz::PutFile(env, std::string(kDir) + "/00000" + std::to_string(i + 1), files[i]);
  }

  // 1. The offline reader.
  std::vector<Found> from_reader;
  bool reader_complete = false;
  auto reader = HeadChunkReader::Open(env, kDir);
  if (reader.ok()) {
    const strata::Status s = (*reader)->ForEach([&](const HeadChunk& c) {
      from_reader.push_back(Key(c));
      Iterate(c.chunk.encoding, c.chunk.data);
    });
    if (!s.ok()) CheckError(s);
    reader_complete = true;
    for (const Found& f : from_reader) {
      auto c = (*reader)->Chunk(std::get<0>(f));
      if (!c.ok() || Key(*c) != f) std::abort();
    }
  } else {
    CheckError(reader.status());
  }

  // 2. Read-only: the same chunks, and no byte changed.
  {
    auto ro = HeadChunkStore::OpenReadOnly(env, kDir);
    if (!ro.ok()) std::abort();
    uint64_t dropped;
    const std::vector<Found> chunks = ReplayStore(**ro, &dropped);
    if (reader_complete && chunks != from_reader) std::abort();
    CheckReads(**ro, chunks);
    ReadDerived(**ro, input);
    for (size_t i = 0; i < files.size(); ++i) {
      auto now = env.Contents(std::string(kDir) + "/00000" + std::to_string(i + 1));
      if (!now.ok() || *now != files[i]) std::abort();
    }
  }

  // 3. Start-up replay with repair, then a write.
  std::vector<Found> kept;
  {
    auto store = HeadChunkStore::Open(env, kDir);
    if (!store.ok()) std::abort();
    uint64_t dropped;
    kept = ReplayStore(**store, &dropped);
    if (reader_complete && kept != from_reader) std::abort();
    CheckReads(**store, kept);
    ReadDerived(**store, input);
    const std::string chunk = "\x00\x01\x02";
    auto ref = (*store)->Write(7, 100, 200, ChunkEncoding::kXor, chunk);
    if (!ref.ok()) std::abort();
    kept.emplace_back(*ref, 7, 100, 200, ChunkEncoding::kXor, chunk);
    CheckReads(**store, kept);
    if (!(*store)->Close().ok()) std::abort();
    CheckReads(**store, kept);
  }

  // 4. The repaired directory replays without damage.
  {
    auto store = HeadChunkStore::Open(env, kDir);
    if (!store.ok()) std::abort();
    uint64_t dropped;
    const std::vector<Found> again = ReplayStore(**store, &dropped);
    if (dropped != 0 || again != kept) std::abort();
    const int64_t mint = static_cast<int32_t>(strata::fuzz::TailWord(input, 0));
    if (!(*store)->Truncate(mint).ok()) std::abort();
    for (const Found& f : again) {
      auto c = (*store)->Read(std::get<0>(f));
      if (!c.ok() && !absl::IsNotFound(c.status())) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> files = strata::fuzz::SplitFiles(input, 2);
  Run(files, input);
  bool fixed = false;
  for (std::string& f : files) fixed |= strata::fuzz::FixHeadChunkCrcs(&f);
  if (fixed) Run(files, input);
  return 0;
}
