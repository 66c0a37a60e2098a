// The head's memory-mapped chunk files, chunks_head/000001, 000002, ...,
// in Prometheus' format (engine/chunk_format.h; Prometheus'
// tsdb/chunks/head_chunks.go). Full head chunks are written here so that
// the head keeps only open chunks in RAM; the WAL stays the source of
// truth, so these files need no fsync per chunk.
//
//   file:  magic 0x0130BC91 <4> | version 1 <1> | padding <3> | chunks
//   chunk: series ref <8> | mint <8> | maxt <8> | encoding <1> |
//          len <uvarint> | data | CRC32C of all of it <4>
//
// A chunk reference is file number << 32 | offset (file 000001 has
// number 1, unlike block chunk segments). Prometheus preallocates its
// files, so a run of zero bytes where a chunk would start ends a file.
//
// The free functions below encode and decode single chunks; the writer,
// the reader and HeadChunkStore (engine/head_chunk_store.h) share them.
//
// Thread-safety: HeadChunkWriter is not thread-safe (the head serialises
// writes); HeadChunkReader is safe for concurrent reads; the free functions
// are pure.
#ifndef STRATA_ENGINE_HEAD_CHUNK_FILE_H_
#define STRATA_ENGINE_HEAD_CHUNK_FILE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compression/chunk_encoding.h"
#include "engine/chunk_format.h"
#include "engine/chunk_reader.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

// A chunk of a head chunk file, as the head replays them at start-up.
struct HeadChunk {
  uint64_t ref;         // where it is: file number << 32 | offset
  uint64_t series_ref;  // the head series it belongs to
  int64_t min_time_ms;
  int64_t max_time_ms;
  ChunkView chunk;
};

// The numbers of the head chunk files in `dir`, ascending; none if `dir`
// is missing.
[[nodiscard]] StatusOr<std::vector<uint32_t>> ListHeadChunkFiles(Env& env, const std::string& dir);

// OK if `data` (a whole file) starts with a valid head chunk file header;
// otherwise DataLoss naming `path` and the offset.
[[nodiscard]] Status CheckHeadChunkFileHeader(std::string_view data, std::string_view path);

// Appends the encoded chunk (the "chunk" line of the file comment) to `dst`.
void EncodeHeadChunk(std::string* dst, uint64_t series_ref, int64_t min_time_ms,
                     int64_t max_time_ms, compression::ChunkEncoding encoding,
                     std::string_view data);

// Decodes the chunk at the start of `rest` (a file's bytes from the chunk's
// offset on) into `*out`, all but `out->ref`, verifying its CRC32C.
// Returns its encoded size, or 0 if `rest` starts with the zero padding
// that ends a file. Damage is DataLoss with a message saying what is wrong
// but not where: callers prefix "<path> offset <n>: ". `out->chunk.data`
// points into `rest`.
[[nodiscard]] StatusOr<size_t> DecodeHeadChunk(std::string_view rest, HeadChunk* out);

class HeadChunkWriter {
 public:
  // Appends to directory `dir` (created if missing), starting a new file
  // numbered after the highest existing one. `env` must outlive the writer.
  [[nodiscard]] static StatusOr<std::unique_ptr<HeadChunkWriter>> Open(
      Env& env, std::string dir, uint64_t max_file_size = kMaxHeadChunkFileSize);

  HeadChunkWriter(const HeadChunkWriter&) = delete;
  HeadChunkWriter& operator=(const HeadChunkWriter&) = delete;
  ~HeadChunkWriter();

  // Appends a chunk and returns its reference, cutting a new file first if
  // this one would pass the maximum size. The chunk reaches the OS by the
  // next Flush (or a file cut).
  [[nodiscard]] StatusOr<uint64_t> Write(uint64_t series_ref, int64_t min_time_ms,
                                         int64_t max_time_ms, compression::ChunkEncoding encoding,
                                         std::string_view data);
  // As Write, for a chunk already encoded by EncodeHeadChunk.
  [[nodiscard]] StatusOr<uint64_t> WriteEncoded(std::string_view chunk);
  [[nodiscard]] Status Flush();
  // Flushes and closes the current file.
  [[nodiscard]] Status Close();

  // The number of the file the last Write went to; before the first Write,
  // that of the last existing file (0 if none).
  uint32_t current_file() const { return number_; }
  // Bytes in the current file, including buffered ones.
  uint64_t current_file_size() const { return offset_; }

 private:
  HeadChunkWriter(Env& env, std::string dir, uint64_t max_file_size, uint32_t next_number);
  [[nodiscard]] Status Cut();
  // Cuts a file a failed append left broken back to its last whole chunk
  // and reopens it for appending (or removes it if its header is broken).
  [[nodiscard]] Status Repair();

  Env& env_;
  const std::string dir_;
  const uint64_t max_file_size_;
  std::unique_ptr<WritableFile> file_;
  uint32_t number_;  // of the current file; before the first cut, the last existing one
  uint64_t offset_ = 0;
  // A failed append may have left part of a chunk in the file: the next
  // Write or Close cuts it back to offset_ (Repair), so that no chunk sits
  // behind damage, which would end a replay early.
  bool broken_ = false;
  std::string buf_;
};

class HeadChunkReader {
 public:
  // Maps every head chunk file of `dir`; a missing directory has none.
  // Fails with DataLoss if a file's header is wrong.
  [[nodiscard]] static StatusOr<std::unique_ptr<HeadChunkReader>> Open(Env& env,
                                                                       const std::string& dir);

  // The chunk at `ref`; DataLoss naming file and offset if it is damaged.
  [[nodiscard]] StatusOr<HeadChunk> Chunk(uint64_t ref) const;

  // Calls `fn` for every chunk in file order. Stops at the first damaged
  // chunk and returns DataLoss naming the file and offset: the caller then
  // drops that chunk and everything after it (Prometheus' repair) and
  // replays those samples from the WAL.
  [[nodiscard]] Status ForEach(const std::function<void(const HeadChunk&)>& fn) const;

  // File numbers, ascending.
  std::vector<uint32_t> files() const;

 private:
  struct File {
    uint32_t number;
    std::string path;
    std::unique_ptr<MappedFile> map;
  };
  explicit HeadChunkReader(std::vector<File> files) : files_(std::move(files)) {}

  // Decodes the chunk at `offset` of `file`. Returns false (and OK) at the
  // zero padding that ends a file.
  [[nodiscard]] StatusOr<bool> ChunkAt(const File& file, uint64_t offset, HeadChunk* out,
                                       uint64_t* next) const;

  std::vector<File> files_;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_HEAD_CHUNK_FILE_H_
