// The chunk interface: every chunk encoding Strata reads or writes is one
// implementation of Chunk, ChunkAppender and ChunkIterator, found by its
// encoding byte (compression/chunk_encoding.h), as in Prometheus'
// tsdb/chunkenc/chunk.go (Chunk, Appender, Iterator, FromData,
// NewEmptyChunk). Readers of block, head and remote-read chunks go
// through ChunkFromData / NewChunkIterator, so a new encoding (native
// histograms, a cold-tier codec) is one more implementation registered in
// one place: the table in compression/chunk.cc (docs/development.md,
// "Adding a chunk encoding").
//
// XOR (compression/xor_chunk.h) is the first implementation. Its
// XorIterator is the ChunkIterator itself, a final class, so code holding
// one calls it without virtual dispatch; code holding a ChunkIterator
// reaches full speed through NextBatch, one virtual call per batch.
//
// Thread-safety: a Chunk is like a value: a const one may be read by many
// threads, anything else needs exclusive access. An iterator or appender
// belongs to one thread. The factory functions are thread-safe.
#ifndef STRATA_COMPRESSION_CHUNK_H_
#define STRATA_COMPRESSION_CHUNK_H_

#include <bit>
#include <cstdint>
#include <memory>
#include <string_view>

#include "compression/chunk_encoding.h"
#include "strata/status.h"

namespace strata::compression {

// Iterates over the samples of one encoded chunk, in time order.
// Damaged bytes end the iteration and set status() to DataLoss saying
// what is wrong; no read ever leaves the chunk's bytes.
class ChunkIterator {
 public:
  virtual ~ChunkIterator() = default;

  virtual ChunkEncoding encoding() const = 0;
  // Starts over on `bytes` (an encoded chunk of encoding()), which must
  // outlive the iteration: how an iterator is reused for the next chunk
  // without an allocation (Prometheus' Chunk.Iterator(reuse)).
  virtual void Reset(std::string_view bytes) = 0;

  // Advances to the next sample. Returns false at the end or on error.
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= `timestamp_ms`, staying
  // put if the current sample qualifies. False if there is none (or on
  // error).
  virtual bool Seek(int64_t timestamp_ms) = 0;
  // Decodes up to `max` next samples into `timestamps_ms` and `value_bits`
  // (IEEE-754 patterns, so NaN payloads survive) and returns how many;
  // fewer than `max` only at the end or on error. Afterwards the current
  // sample is the last one decoded. The way to scan a chunk quickly.
  virtual size_t NextBatch(int64_t* timestamps_ms, uint64_t* value_bits, size_t max) = 0;

  // The current sample. REQUIRES: the last Next/Seek returned true (or
  // NextBatch returned more than 0).
  virtual int64_t timestamp_ms() const = 0;
  virtual uint64_t value_bits() const = 0;
  double value() const { return std::bit_cast<double>(value_bits()); }

  // OK unless the chunk was found damaged.
  virtual const Status& status() const = 0;

 protected:
  // Implementations may be values (XorIterator is); copying through the
  // base would slice.
  ChunkIterator() = default;
  ChunkIterator(const ChunkIterator&) = default;
  ChunkIterator& operator=(const ChunkIterator&) = default;
};

// Appends samples to a chunk (Prometheus' chunkenc.Appender).
class ChunkAppender {
 public:
  ChunkAppender() = default;
  ChunkAppender(const ChunkAppender&) = delete;
  ChunkAppender& operator=(const ChunkAppender&) = delete;
  virtual ~ChunkAppender() = default;

  // Appends a sample. Fails with InvalidArgument if `timestamp_ms` is not
  // after the last sample's, ResourceExhausted if the chunk is full; the
  // chunk is then unchanged.
  [[nodiscard]] virtual Status Append(int64_t timestamp_ms, double value) = 0;
};

// One encoded chunk (Prometheus' chunkenc.Chunk).
class Chunk {
 public:
  Chunk() = default;
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
  virtual ~Chunk() = default;

  virtual ChunkEncoding encoding() const = 0;
  // The encoded bytes, as stored in block and head chunk files after the
  // encoding byte. Valid until the next append or Compact.
  virtual std::string_view bytes() const = 0;
  virtual uint32_t num_samples() const = 0;

  // The appender that continues this chunk, owned by the chunk and valid
  // while it lives; appending changes bytes(). A chunk opened with
  // ChunkFromData copies its bytes first. Fails with DataLoss if the bytes
  // do not decode (an appender must know where the last sample ends).
  [[nodiscard]] virtual StatusOr<ChunkAppender*> Appender() = 0;

  // An iterator over the samples, reading bytes() (which must stay
  // valid and unchanged while it is used). `reuse`, if it is an iterator
  // of this encoding, is reset and returned instead of allocating a new
  // one.
  virtual std::unique_ptr<ChunkIterator> NewIterator(
      std::unique_ptr<ChunkIterator> reuse = nullptr) const = 0;

  // Gives spare buffer capacity back, once no more appends are expected.
  virtual void Compact() = 0;
};

// Whether Strata has an implementation of `encoding`.
bool IsChunkEncodingSupported(ChunkEncoding encoding);

// OK if Strata can decode chunks of `encoding`. Otherwise InvalidArgument
// naming the encoding byte: "unknown chunk encoding 7", or "chunk encoding
// 2 (histogram) is not supported" for one Prometheus defines but Strata
// does not implement yet. Callers that know where the chunk came from add
// the file and offset (and usually report DataLoss).
[[nodiscard]] Status CheckChunkEncoding(ChunkEncoding encoding);

// The chunk of `encoding` whose encoded bytes are `bytes` (borrowed: they
// must outlive the chunk unless Appender() copied them). The bytes are not
// decoded here; their damage shows in the iterator's status(). Fails as
// CheckChunkEncoding does.
[[nodiscard]] StatusOr<std::unique_ptr<Chunk>> ChunkFromData(ChunkEncoding encoding,
                                                             std::string_view bytes);

// A new chunk of `encoding` without samples, to append to. Fails as
// CheckChunkEncoding does.
[[nodiscard]] StatusOr<std::unique_ptr<Chunk>> NewEmptyChunk(ChunkEncoding encoding);

// ChunkFromData(encoding, bytes)->NewIterator(reuse) without the chunk in
// between: the readers' way to a chunk's samples. `bytes` must outlive the
// iteration. Fails as CheckChunkEncoding does.
[[nodiscard]] StatusOr<std::unique_ptr<ChunkIterator>> NewChunkIterator(
    ChunkEncoding encoding, std::string_view bytes, std::unique_ptr<ChunkIterator> reuse = nullptr);

}  // namespace strata::compression

#endif  // STRATA_COMPRESSION_CHUNK_H_
