// Constants of the chunk files Prometheus' TSDB writes, which Strata writes
// byte for byte: block chunk segments (tsdb/docs/format/chunks.md) and
// head chunk files (tsdb/docs/format/head_chunks.md).
#ifndef STRATA_ENGINE_CHUNK_FORMAT_H_
#define STRATA_ENGINE_CHUNK_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace strata::engine {

// Block chunk segment: magic <4>, version <1>, padding <3>, then chunks of
// len <uvarint> | encoding <1> | data | CRC32C(encoding, data) <4, BE>.
inline constexpr uint32_t kChunkSegmentMagic = 0x85BD40DD;
inline constexpr uint8_t kChunkSegmentVersion = 1;
inline constexpr size_t kChunkSegmentHeaderSize = 8;
// Prometheus' DefaultChunkSegmentSize: a segment is cut before it would
// grow past this (a single larger chunk still gets a segment of its own).
inline constexpr uint64_t kDefaultChunkSegmentSize = 512ull << 20;
inline constexpr size_t kChunkChecksumSize = 4;

// Head chunk file: magic <4>, version <1>, padding <3>, then chunks of
// series ref <8> | mint <8> | maxt <8> | encoding <1> | len <uvarint> |
// data | CRC32C(all before) <4>. Files are preallocated, so zeros end them.
inline constexpr uint32_t kHeadChunkMagic = 0x0130BC91;
inline constexpr uint8_t kHeadChunkVersion = 1;
inline constexpr size_t kHeadChunkHeaderSize = 8;
inline constexpr size_t kHeadChunkMetaSize = 8 + 8 + 8 + 1;
// Prometheus' MaxHeadChunkFileSize.
inline constexpr uint64_t kMaxHeadChunkFileSize = 128ull << 20;

// A chunk reference in the index (block chunks) or the head: the segment
// sequence in the upper 32 bits and the byte offset in the lower 32. For
// block chunks the sequence is 0 for the file 000001.
struct ChunkRef {
  static constexpr uint64_t Pack(uint32_t sequence, uint32_t offset) {
    return (uint64_t{sequence} << 32) | offset;
  }
  static constexpr uint32_t Sequence(uint64_t ref) { return static_cast<uint32_t>(ref >> 32); }
  static constexpr uint32_t Offset(uint64_t ref) { return static_cast<uint32_t>(ref); }
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_CHUNK_FORMAT_H_
