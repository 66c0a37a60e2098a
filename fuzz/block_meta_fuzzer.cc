// Parses arbitrary bytes as meta.json: no crash, and whatever decodes
// re-encodes to text that decodes to the same meta.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/block_meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto meta = strata::engine::DecodeBlockMeta(text);
  if (!meta.ok()) return 0;
  auto again = strata::engine::DecodeBlockMeta(strata::engine::EncodeBlockMeta(*meta));
  if (!again.ok() || !(*again == *meta)) std::abort();
  return 0;
}
