// Opens arbitrary bytes as a block's chunks/ directory (the input is
// chunks/000001; after a "#SPLIT#\n" line, the rest is 000002), reads every
// chunk in file order and a few chunk references taken from the input (as a
// damaged index would hand them over), and iterates every XOR chunk.
// Damage must be a DataLoss error naming the file, never a crash or a read
// outside the mapping; a chunk found in file order must read the same by
// its reference.
//
// Each input is read as it is and, if that changes it, once more with its
// checksums recomputed (fuzz/fuzz_util.h), to reach the decoders behind them.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "compression/xor_chunk.h"
#include "engine/chunk_format.h"
#include "engine/chunk_reader.h"
#include "fuzz/fuzz_util.h"
#include "tests/testing/mem_env.h"

namespace {

using strata::compression::ChunkEncoding;
using strata::engine::ChunkReader;
using strata::engine::ChunkRef;
using strata::engine::ChunkView;

void Iterate(const ChunkView& c) {
  if (c.encoding != ChunkEncoding::kXor) return;
  strata::compression::XorIterator it(c.data);
  while (it.Next()) {
  }
  if (!it.status().ok() && it.status().code() != absl::StatusCode::kDataLoss) std::abort();
}

void CheckError(const strata::Status& s) {
  if (s.code() != absl::StatusCode::kDataLoss) std::abort();
  if (s.message().find("chunks/00000") == std::string_view::npos &&
      s.message().find("segment") == std::string_view::npos) {
    std::abort();  // must say where
  }
}

// `files` are the segments; `input` the whole input (for the references).
void Run(const std::vector<std::string>& files, std::string_view input) {
  strata::testing::MemEnv env;
  strata::fuzz::PutFile(env, "/b/chunks/000001", files[0]);
  if (files.size() > 1) strata::fuzz::PutFile(env, "/b/chunks/000002", files[1]);

  auto reader = ChunkReader::Open(env, "/b/chunks");
  if (!reader.ok()) {
    CheckError(reader.status());
    return;
  }
  std::vector<std::pair<uint64_t, ChunkView>> found;
  const strata::Status all = (*reader)->ForEach([&](uint64_t ref, const ChunkView& c) {
    found.emplace_back(ref, c);
    Iterate(c);
  });
  if (!all.ok()) CheckError(all);
  for (const auto& [ref, view] : found) {
    auto again = (*reader)->Chunk(ref);
    if (!again.ok() || again->encoding != view.encoding || again->data != view.data) std::abort();
  }
  // References an index could hold: inside either segment, past them, and
  // to a segment that does not exist.
  for (int i = 0; i < 4; ++i) {
    const uint32_t w = strata::fuzz::TailWord(input, i);
    const uint32_t seq = (w >> 30) % 3;
    const uint32_t offset = (w & 0x3fffffff) % (files[seq % files.size()].size() + 2);
    auto c = (*reader)->Chunk(ChunkRef::Pack(seq, offset));
    if (c.ok()) {
      Iterate(*c);
    } else {
      CheckError(c.status());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> files = strata::fuzz::SplitFiles(input, 2);
  Run(files, input);
  bool fixed = false;
  for (std::string& f : files) fixed |= strata::fuzz::FixChunkSegmentCrcs(&f);
  if (fixed) Run(files, input);
  return 0;
}
