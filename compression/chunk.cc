#include "compression/chunk.h"

#include <utility>

#include "base/strings.h"
#include "compression/internal/chunk_registry.h"

namespace strata::compression {
namespace internal {
namespace {

// Every chunk encoding Strata implements: adding one is one line here
// (docs/development.md, "Adding a chunk encoding").
constexpr const ChunkEncodingImpl* kRegistered[] = {
    &kXorChunkEncoding,
};

}  // namespace

const ChunkEncodingImpl* FindChunkEncoding(ChunkEncoding encoding) {
  for (const ChunkEncodingImpl* impl : kRegistered) {
    if (impl->encoding == encoding) return impl;
  }
  return nullptr;
}

}  // namespace internal

bool IsChunkEncodingSupported(ChunkEncoding encoding) {
  return internal::FindChunkEncoding(encoding) != nullptr;
}

Status CheckChunkEncoding(ChunkEncoding encoding) {
  if (IsChunkEncodingSupported(encoding)) return absl::OkStatus();
  const int byte = static_cast<int>(encoding);
  if (!IsKnownChunkEncoding(encoding)) {
    return absl::InvalidArgumentError(StrCat("unknown chunk encoding ", byte));
  }
  return absl::InvalidArgumentError(
      StrCat("chunk encoding ", byte, " (", ChunkEncodingName(encoding), ") is not supported"));
}

StatusOr<std::unique_ptr<Chunk>> ChunkFromData(ChunkEncoding encoding, std::string_view bytes) {
  const internal::ChunkEncodingImpl* impl = internal::FindChunkEncoding(encoding);
  if (impl == nullptr) return CheckChunkEncoding(encoding);
  return impl->from_data(bytes);
}

StatusOr<std::unique_ptr<Chunk>> NewEmptyChunk(ChunkEncoding encoding) {
  const internal::ChunkEncodingImpl* impl = internal::FindChunkEncoding(encoding);
  if (impl == nullptr) return CheckChunkEncoding(encoding);
  return impl->new_empty();
}

StatusOr<std::unique_ptr<ChunkIterator>> NewChunkIterator(ChunkEncoding encoding,
                                                          std::string_view bytes,
                                                          std::unique_ptr<ChunkIterator> reuse) {
  if (reuse != nullptr && reuse->encoding() == encoding) {
    reuse->Reset(bytes);
    return reuse;
  }
  const internal::ChunkEncodingImpl* impl = internal::FindChunkEncoding(encoding);
  if (impl == nullptr) return CheckChunkEncoding(encoding);
  return impl->new_iterator(bytes);
}

}  // namespace strata::compression
