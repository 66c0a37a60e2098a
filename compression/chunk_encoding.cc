#include "compression/chunk_encoding.h"

namespace strata::compression {

std::string_view ChunkEncodingName(ChunkEncoding e) {
  switch (e) {
    case ChunkEncoding::kNone:
      return "none";
    case ChunkEncoding::kXor:
      return "XOR";
    case ChunkEncoding::kHistogram:
      return "histogram";
    case ChunkEncoding::kFloatHistogram:
      return "floathistogram";
  }
  return "unknown";
}

bool IsKnownChunkEncoding(ChunkEncoding e) {
  return e == ChunkEncoding::kXor || e == ChunkEncoding::kHistogram ||
         e == ChunkEncoding::kFloatHistogram;
}

}  // namespace strata::compression
