// ChunkReader reads the chunks/ directory of a block through read-only
// memory mappings. Every access is bounds-checked and every chunk's
// CRC32C verified, so a damaged segment gives a DataLoss error naming the
// file and offset, never a crash or wrong samples.
//
// Thread-safety: safe for concurrent use once opened. Returned views
// point into the mappings and stay valid while the reader lives.
#ifndef STRATA_ENGINE_CHUNK_READER_H_
#define STRATA_ENGINE_CHUNK_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compression/chunk_encoding.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

// A chunk as stored: its encoding and encoded bytes.
struct ChunkView {
  compression::ChunkEncoding encoding;
  std::string_view data;
};

class ChunkReader {
 public:
  // Maps every segment file of `dir` (000001, 000002, ...). Fails with
  // NotFound if `dir` is missing and DataLoss if a segment's header is
  // wrong or the numbering has a gap.
  [[nodiscard]] static StatusOr<std::unique_ptr<ChunkReader>> Open(Env& env,
                                                                   const std::string& dir);

  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // The chunk at `ref` (segment sequence << 32 | offset). Fails with
  // DataLoss (naming file and offset) if the reference points outside a
  // segment, the chunk's checksum does not match, or its encoding byte is
  // unknown (compression::IsKnownChunkEncoding). A known one passes,
  // implemented here or not: compaction copies such chunks, and the chunk
  // interface (compression/chunk.h) decides whether they can be read.
  [[nodiscard]] StatusOr<ChunkView> Chunk(uint64_t ref) const;

  // Calls `fn(ref, chunk)` for every chunk in file order; stops at the
  // first damaged one and returns its error. For verification tools.
  template <typename Fn>
  [[nodiscard]] Status ForEach(Fn&& fn) const;

  size_t num_segments() const { return segments_.size(); }
  uint64_t total_bytes() const;

 private:
  struct Segment {
    std::string path;
    std::unique_ptr<MappedFile> file;
  };
  explicit ChunkReader(std::vector<Segment> segments) : segments_(std::move(segments)) {}

  // Decodes the chunk at `offset` of segment `seq`; `*next` receives the
  // offset after it.
  [[nodiscard]] StatusOr<ChunkView> ChunkAt(uint32_t seq, uint64_t offset, uint64_t* next) const;

  std::vector<Segment> segments_;
};

template <typename Fn>
Status ChunkReader::ForEach(Fn&& fn) const {
  for (uint32_t seq = 0; seq < segments_.size(); ++seq) {
    const uint64_t size = segments_[seq].file->data().size();
    for (uint64_t offset = 8; offset < size;) {
      uint64_t next;
      StatusOr<ChunkView> chunk = ChunkAt(seq, offset, &next);
      if (!chunk.ok()) return chunk.status();
      fn((uint64_t{seq} << 32) | offset, *chunk);
      offset = next;
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::engine

#endif  // STRATA_ENGINE_CHUNK_READER_H_
