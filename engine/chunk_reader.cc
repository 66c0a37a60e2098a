#include "engine/chunk_reader.h"

#include <algorithm>

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "engine/chunk_format.h"
#include "engine/filenames.h"

namespace strata::engine {

StatusOr<std::unique_ptr<ChunkReader>> ChunkReader::Open(Env& env, const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env.GetChildren(dir));
  std::vector<uint32_t> numbers;
  for (const std::string& name : names) {
    uint32_t n;
    if (ParseChunkSegmentName(name, &n)) numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  std::vector<Segment> segments;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const std::string path = JoinPath(dir, ChunkSegmentName(numbers[i]));
    if (numbers[i] != i + 1) {
      return absl::DataLossError(StrCat(path, ": chunk segments are not numbered 000001 to ",
                                        ChunkSegmentName(static_cast<uint32_t>(numbers.size())),
                                        " without gaps"));
    }
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, env.MapFile(path));
    const std::string_view data = file->data();
    if (data.size() < kChunkSegmentHeaderSize) {
      return absl::DataLossError(StrCat(path, ": ", data.size(), " bytes, shorter than the ",
                                        kChunkSegmentHeaderSize, "-byte segment header"));
    }
    if (const uint32_t magic = compression::LoadBE32(data.data()); magic != kChunkSegmentMagic) {
      return absl::DataLossError(
          StrCat(path, " offset 0: not a chunk segment (magic ", absl::Hex(magic), ")"));
    }
    if (data[4] != kChunkSegmentVersion) {
      return absl::DataLossError(
          StrCat(path, " offset 4: unknown chunk segment version ", static_cast<int>(data[4])));
    }
    segments.push_back({path, std::move(file)});
  }
  return std::unique_ptr<ChunkReader>(new ChunkReader(std::move(segments)));
}

StatusOr<ChunkView> ChunkReader::ChunkAt(uint32_t seq, uint64_t offset, uint64_t* next) const {
  if (seq >= segments_.size()) {
    return absl::DataLossError(StrCat("chunk reference to segment ", ChunkSegmentName(seq + 1),
                                      ", but the block has ", segments_.size()));
  }
  const Segment& s = segments_[seq];
  const std::string_view data = s.file->data();
  auto damaged = [&](std::string_view what) {
    return absl::DataLossError(StrCat(s.path, " offset ", offset, ": ", what));
  };
  if (offset < kChunkSegmentHeaderSize || offset >= data.size()) {
    return damaged(StrCat("chunk reference outside the ", data.size(), "-byte segment"));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(data.data()) + offset;
  const auto* end = reinterpret_cast<const uint8_t*>(data.data()) + data.size();
  uint64_t len;
  size_t n;
  if (compression::DecodeUvarint(p, end, &len, &n) != compression::VarintStatus::kOk) {
    return damaged("bad chunk length");
  }
  // encoding byte + data + checksum must fit.
  if (len > static_cast<uint64_t>(end - p) - n ||
      static_cast<uint64_t>(end - p) - n - len < 1 + kChunkChecksumSize) {
    return damaged(StrCat("chunk of ", len, " bytes runs past the end of the segment"));
  }
  const std::string_view body(reinterpret_cast<const char*>(p + n), 1 + len);
  const uint32_t want = compression::LoadBE32(p + n + 1 + len);
  if (const uint32_t got = compression::crc32c::Value(body); got != want) {
    return damaged(StrCat("chunk checksum mismatch (stored ", absl::Hex(want), ", computed ",
                          absl::Hex(got), ")"));
  }
  *next = offset + n + 1 + len + kChunkChecksumSize;
  const auto encoding = static_cast<compression::ChunkEncoding>(body[0]);
  // Known encodings pass even without an implementation here
  // (compaction copies them); whether a chunk decodes is the chunk
  // interface's answer when it is read.
  if (!compression::IsKnownChunkEncoding(encoding)) {
    return damaged(StrCat("unknown chunk encoding ", static_cast<int>(body[0] & 0xff)));
  }
  return ChunkView{encoding, body.substr(1)};
}

StatusOr<ChunkView> ChunkReader::Chunk(uint64_t ref) const {
  uint64_t next;
  return ChunkAt(ChunkRef::Sequence(ref), ChunkRef::Offset(ref), &next);
}

uint64_t ChunkReader::total_bytes() const {
  uint64_t total = 0;
  for (const Segment& s : segments_) total += s.file->data().size();
  return total;
}

}  // namespace strata::engine
