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

}  // namespace strata::compression
