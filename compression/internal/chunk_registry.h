// What registering a chunk encoding means: one ChunkEncodingImpl, defined
// beside its implementation and listed in the table of
// compression/chunk.cc, through which ChunkFromData, NewEmptyChunk and
// NewChunkIterator (compression/chunk.h) find it. Modelled on DuckDB's
// CompressionFunction set (src/storage/compression/): plain function
// pointers, no static registration objects, so nothing depends on the
// order of static initialisation or on the linker keeping an object file.
//
// Thread-safety: the entries are constants.
#ifndef STRATA_COMPRESSION_INTERNAL_CHUNK_REGISTRY_H_
#define STRATA_COMPRESSION_INTERNAL_CHUNK_REGISTRY_H_

#include <memory>
#include <string_view>

#include "compression/chunk.h"
#include "compression/chunk_encoding.h"

namespace strata::compression::internal {

// One chunk encoding's implementation. Every function is required.
struct ChunkEncodingImpl {
  ChunkEncoding encoding;
  // The chunk whose bytes are `bytes` (borrowed, not decoded).
  std::unique_ptr<Chunk> (*from_data)(std::string_view bytes);
  // A chunk without samples.
  std::unique_ptr<Chunk> (*new_empty)();
  // An iterator over `bytes` (borrowed).
  std::unique_ptr<ChunkIterator> (*new_iterator)(std::string_view bytes);
};

// The registered implementations, each defined beside its encoding.
extern const ChunkEncodingImpl kXorChunkEncoding;  // compression/xor_chunk.cc

// The implementation of `encoding`, or null if there is none.
const ChunkEncodingImpl* FindChunkEncoding(ChunkEncoding encoding);

}  // namespace strata::compression::internal

#endif  // STRATA_COMPRESSION_INTERNAL_CHUNK_REGISTRY_H_
