// ChunkWriter writes the chunks/ directory of a block: segment files
// 000001, 000002, ... in Prometheus' format (engine/chunk_format.h), cut
// before they would pass the segment size, with the chunks of one call
// kept together in one segment where they fit (Prometheus'
// chunks.Writer.WriteChunks batching, so the files match byte for byte).
//
// Thread-safety: not thread-safe; one writer builds one block.
#ifndef STRATA_ENGINE_CHUNK_WRITER_H_
#define STRATA_ENGINE_CHUNK_WRITER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compression/chunk_encoding.h"
#include "engine/chunk_format.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

// One chunk to write: its encoding and encoded bytes (borrowed).
struct ChunkData {
  compression::ChunkEncoding encoding;
  std::string_view data;
};

class ChunkWriter {
 public:
  // Writes into directory `dir`, which is created if missing. `env` must
  // outlive the writer.
  [[nodiscard]] static StatusOr<std::unique_ptr<ChunkWriter>> Create(
      Env& env, std::string dir, uint64_t segment_size = kDefaultChunkSegmentSize);

  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;
  ~ChunkWriter();

  // Appends the chunks of one series and stores their references in
  // `refs` (resized to chunks.size()). Fails on I/O errors (the block
  // being written is then unusable) and with InvalidArgument for a chunk
  // larger than 4 GiB.
  [[nodiscard]] Status WriteChunks(std::span<const ChunkData> chunks, std::vector<uint64_t>* refs);

  // Syncs and closes the last segment and syncs the directory. REQUIRES:
  // called once, after the last WriteChunks.
  [[nodiscard]] Status Finish();

  // Bytes written so far over all segments.
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  ChunkWriter(Env& env, std::string dir, uint64_t segment_size);
  [[nodiscard]] Status Cut();
  [[nodiscard]] Status FinishSegment();

  Env& env_;
  const std::string dir_;
  const uint64_t segment_size_;
  std::unique_ptr<WritableFile> file_;  // the current segment, null before the first
  uint32_t sequence_ = 0;               // of the current segment; file is sequence + 1
  uint64_t offset_ = 0;                 // bytes in the current segment
  uint64_t bytes_written_ = 0;
  std::string buf_;  // reused per chunk
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_CHUNK_WRITER_H_
