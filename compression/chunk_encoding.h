// Chunk encodings, numbered as Prometheus numbers them on disk
// (tsdb/chunkenc/chunk.go: EncNone, EncXOR, EncHistogram,
// EncFloatHistogram). The byte is stored before every chunk in block and
// head chunk files (tsdb/docs/format/chunks.md). Which of them Strata can
// read and write is up to the implementations registered behind the chunk
// interface (compression/chunk.h); a byte read from a file may hold any
// value, so code never switches over this enum to decode.
#ifndef STRATA_COMPRESSION_CHUNK_ENCODING_H_
#define STRATA_COMPRESSION_CHUNK_ENCODING_H_

#include <cstdint>
#include <string_view>

namespace strata::compression {

enum class ChunkEncoding : uint8_t {
  kNone = 0,
  kXor = 1,
  kHistogram = 2,
  kFloatHistogram = 3,
};

// "XOR", "histogram", ...; "unknown" for a value Prometheus does not
// define.
std::string_view ChunkEncodingName(ChunkEncoding e);

// Whether `e` is the byte of a defined chunk encoding (Prometheus' XOR,
// histogram and float histogram, and any Strata adds), implemented here or
// not. kNone is not: no stored chunk carries it. File readers reject any
// other byte as damage.
bool IsKnownChunkEncoding(ChunkEncoding e);

}  // namespace strata::compression

#endif  // STRATA_COMPRESSION_CHUNK_ENCODING_H_
