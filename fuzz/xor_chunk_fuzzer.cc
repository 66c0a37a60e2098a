// Decodes arbitrary bytes as an XOR chunk: iteration, Reset, Seek and
// reopening for append must never crash or read outside the buffer, and whatever
// decodes must re-encode to a chunk that decodes to the same samples.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "compression/xor_chunk.h"

using strata::compression::XorChunk;
using strata::compression::XorIterator;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy so ASan sees the exact bounds.
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<int64_t, uint64_t>> samples;
  XorIterator it(bytes);
  while (it.Next()) samples.emplace_back(it.timestamp_ms(), it.value_bits());

  // The batch decoder must agree with Next() sample for sample.
  {
    XorIterator batch(bytes);
    int64_t ts[37];
    uint64_t vs[37];
    size_t i = 0;
    for (;;) {
      const size_t n = batch.NextBatch(ts, vs, 37);
      for (size_t k = 0; k < n; ++k, ++i) {
        if (i >= samples.size() || samples[i].first != ts[k] || samples[i].second != vs[k]) {
          std::abort();
        }
      }
      if (n < 37) break;
    }
    if (i != samples.size() || batch.status().code() != it.status().code()) std::abort();
  }

  // A reused iterator (the chunk interface's Reset) starts over exactly.
  {
    it.Reset(bytes);
    size_t i = 0;
    while (it.Next()) {
      if (i >= samples.size() || samples[i].first != it.timestamp_ms() ||
          samples[i].second != it.value_bits()) {
        std::abort();
      }
      ++i;
    }
    if (i != samples.size()) std::abort();
  }

  if (size >= 10) {
    XorIterator seeker(bytes);
    int64_t target;
    __builtin_memcpy(&target, data + 2, sizeof target);
    if (seeker.Seek(target) && seeker.timestamp_ms() < target) std::abort();
  }

  if (!it.status().ok()) return 0;
  // Decoded samples may be non-increasing (nothing in the format forbids
  // it); re-encode only the strictly increasing ones and compare.
  XorChunk c;
  std::vector<std::pair<int64_t, uint64_t>> kept;
  for (auto [t, v] : samples) {
    if (c.Append(t, std::bit_cast<double>(v)).ok()) kept.emplace_back(t, v);
  }
  XorIterator again(c.bytes());
  size_t i = 0;
  while (again.Next()) {
    if (i >= kept.size() || again.timestamp_ms() != kept[i].first ||
        again.value_bits() != kept[i].second) {
      std::abort();
    }
    ++i;
  }
  if (i != kept.size() || !again.status().ok()) std::abort();
  auto reopened = XorChunk::Open(bytes);
  if (!reopened.ok()) std::abort();  // it iterated fine above
  return 0;
}
