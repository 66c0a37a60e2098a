// HeadChunkStore: where the head keeps its full chunks, chunks_head/000001,
// 000002, ... in Prometheus' head chunk format (engine/head_chunk_file.h,
// docs/format/head_chunks.md; Prometheus' tsdb/chunks/head_chunks.go
// ChunkDiskMapper). A series' chunk that is cut after 120 samples is
// written here, and the head keeps only its reference, so memory stays flat
// however many series there are; reads go through memory mappings.
//
// The WAL is the source of truth: nothing here is fsynced per chunk, and a
// damaged file found at start-up is cut back (Replay) and its samples
// replayed from the WAL.
//
// Visibility: a chunk is readable as soon as Write returns. Until the file
// data is flushed to the OS and the file remapped, Read serves it from an
// in-memory copy (Prometheus' chunkBuffer). Flush, a file cut and a buffer
// of kMaxUnmappedBytes trigger the remap and free the copies. A remap
// creates a new mapping; older ones live on while a PinnedChunk holds them
// (shared lifetime: the store and the queries that read from it).
//
// File numbering never has gaps (Prometheus refuses to open a directory
// with gaps): Truncate deletes only a prefix of the files and Replay only a
// suffix.
//
// Thread-safety: all methods are safe for concurrent use. Write, Flush,
// Truncate and Close are serialised among themselves; Read and size_bytes
// take only a shared lock, never wait for the file I/O of a write, and make
// no system call.
#ifndef STRATA_ENGINE_HEAD_CHUNK_STORE_H_
#define STRATA_ENGINE_HEAD_CHUNK_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "compression/chunk_encoding.h"
#include "engine/chunk_format.h"
#include "engine/chunk_reader.h"
#include "engine/head_chunk_file.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

// A chunk read from the store: its bytes stay valid while `pin` is held (it
// keeps the mapping, or an in-memory copy, alive). Intentionally copyable.
struct PinnedChunk {
  ChunkView chunk;
  int64_t min_time_ms;
  int64_t max_time_ms;
  uint64_t series_ref;
  std::shared_ptr<const void> pin;
};

class HeadChunkStore {
 public:
  // Bytes of chunks held in memory for reads before a remap is forced.
  // Prometheus' ChunkDiskMapper buffers 4 MiB (writeBufferSize).
  static constexpr uint64_t kMaxUnmappedBytes = 4 << 20;

  // Opens `dir` (created if missing). Does not read existing files until
  // Replay. `env` must outlive the store.
  [[nodiscard]] static StatusOr<std::unique_ptr<HeadChunkStore>> Open(
      Env& env, std::string dir, uint64_t max_file_size = kMaxHeadChunkFileSize);
  // Opens `dir` for reading only: Replay changes no file (damage just ends
  // what is read) and Write fails. A missing `dir` holds no chunks.
  [[nodiscard]] static StatusOr<std::unique_ptr<HeadChunkStore>> OpenReadOnly(Env& env,
                                                                              std::string dir);

  HeadChunkStore(const HeadChunkStore&) = delete;
  HeadChunkStore& operator=(const HeadChunkStore&) = delete;
  // Closes the store, dropping errors (call Close to see them).
  ~HeadChunkStore();

  // Calls `fn` for every valid chunk in the existing files, in file order;
  // the chunk's bytes are valid during the call, and its ref can be Read
  // afterwards. A damaged chunk (or file header) ends replay, Prometheus'
  // repair: that file is cut at the damage (deleted if the header is
  // damaged) and later files are deleted. Returns how many bytes were
  // dropped (0 if nothing was damaged); the WAL replays those samples.
  // Writing then starts in a new file. I/O errors are returned as they are.
  // REQUIRES: called once, before the first Write (FailedPrecondition
  // otherwise); a new head calls it too, for it takes the existing files
  // under management (for Read, Truncate, size_bytes).
  [[nodiscard]] StatusOr<uint64_t> Replay(const std::function<void(const HeadChunk&)>& fn);

  // Appends a chunk and returns its ref (file number << 32 | offset),
  // readable by Read at once from any thread. Cuts a new file first if this
  // one would pass max_file_size. On error the chunk was not stored (the
  // head keeps it in memory or relies on the WAL). FailedPrecondition
  // before Replay or after Close.
  [[nodiscard]] StatusOr<uint64_t> Write(uint64_t series_ref, int64_t min_time_ms,
                                         int64_t max_time_ms, compression::ChunkEncoding encoding,
                                         std::string_view data);

  // The chunk at `ref`, its CRC verified. NotFound if its file was deleted
  // (Truncate) or cut before it (Replay); DataLoss naming file and offset if
  // the chunk is damaged, `ref` does not point at a chunk, or its encoding
  // byte is unknown (compression::IsKnownChunkEncoding).
  [[nodiscard]] StatusOr<PinnedChunk> Read(uint64_t ref) const;

  // Deletes the oldest files all of whose chunks have max time < `mint`,
  // stopping at the first file that has a later chunk and never deleting
  // the file being written. REQUIRES: callers dropped the refs into those
  // files first; a PinnedChunk already handed out stays valid. Returns the
  // number of files removed.
  [[nodiscard]] StatusOr<int> Truncate(int64_t mint);

  // Hands written data to the OS and remaps, freeing the in-memory copies.
  // Called periodically by the head; no fsync (the WAL is durable).
  [[nodiscard]] Status Flush();

  // Flushes and closes the file being written. Read keeps working; Write
  // fails afterwards.
  [[nodiscard]] Status Close();

  // Bytes on disk in all files (including those not yet flushed).
  uint64_t size_bytes() const;

 private:
  // A chunk written but not yet inside its file's mapping.
  struct Unmapped {
    uint32_t offset;
    std::shared_ptr<const std::string> bytes;  // as encoded on disk
  };
  struct File {
    std::string path;
    uint64_t size = 0;  // bytes; refs at or past it are NotFound
    int64_t max_time_ms = INT64_MIN;
    // May be shorter than the file, and null before the first remap.
    std::shared_ptr<const MappedFile> map;
    // Ascending by offset; all at or past the mapping's end.
    std::vector<Unmapped> unmapped;
  };

  HeadChunkStore(Env& env, std::string dir, uint64_t max_file_size);

  // Maps file `number` anew and frees the copies the mapping now covers.
  [[nodiscard]] Status RemapLocked(uint32_t number) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Flushes and remaps every file with in-memory copies.
  [[nodiscard]] Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Constant after construction.
  Env& env_;
  const std::string dir_;
  const uint64_t max_file_size_;
  bool read_only_ = false;  // set by OpenReadOnly before any use

  // Serialises the writing side (Replay, Write, Flush, Truncate, Close) and
  // its file I/O, without blocking readers. Taken before mu_.
  Mutex write_mu_;
  std::unique_ptr<HeadChunkWriter> writer_ ABSL_GUARDED_BY(write_mu_);  // from Replay to Close
  bool replayed_ ABSL_GUARDED_BY(write_mu_) = false;
  bool closed_ ABSL_GUARDED_BY(write_mu_) = false;
  uint32_t writing_ ABSL_GUARDED_BY(write_mu_) = 0;  // file of the last Write; 0: none
  uint64_t unmapped_bytes_ ABSL_GUARDED_BY(write_mu_) = 0;

  // Guards what Read sees; held shared by readers and exclusively only for
  // in-memory updates.
  mutable Mutex mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  std::map<uint32_t, File> files_ ABSL_GUARDED_BY(mu_);
  uint64_t size_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_HEAD_CHUNK_STORE_H_
