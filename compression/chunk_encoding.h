// Chunk encodings, numbered as Prometheus numbers them on disk
// (tsdb/chunkenc/chunk.go: EncNone, EncXOR, EncHistogram,
// EncFloatHistogram). The byte is stored before every chunk in block and
// head chunk files (tsdb/docs/format/chunks.md).
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

std::string_view ChunkEncodingName(ChunkEncoding e);

}  // namespace strata::compression

#endif  // STRATA_COMPRESSION_CHUNK_ENCODING_H_
