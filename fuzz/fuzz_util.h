// Helpers shared by the fuzz targets that build a directory in a MemEnv
// from the input: splitting the input into files, and writing them.
//
// Thread-safety: stateless.
#ifndef STRATA_FUZZ_FUZZ_UTIL_H_
#define STRATA_FUZZ_FUZZ_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "strata/env.h"

namespace strata::fuzz {

// Separates the files of one input. Seeds put it between whole files; the
// fuzzer finds it through libFuzzer's memcmp hooks.
inline constexpr std::string_view kFileSeparator = "#SPLIT#\n";

// Splits `input` at kFileSeparator into at most `max_parts` pieces (the last
// one takes the rest, separators included).
inline std::vector<std::string> SplitFiles(std::string_view input, size_t max_parts) {
  std::vector<std::string> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = input.find(kFileSeparator);
    if (at == std::string_view::npos) break;
    parts.emplace_back(input.substr(0, at));
    input.remove_prefix(at + kFileSeparator.size());
  }
  parts.emplace_back(input);
  return parts;
}

// Writes `data` to `path`, creating its directory. The Env is a MemEnv, so
// a failure is a bug in the target.
inline void PutFile(Env& env, const std::string& path, std::string_view data) {
  const std::string dir = path.substr(0, path.rfind('/'));
  if (!env.CreateDirs(dir).ok() || !WriteFileAtomic(env, path, data).ok()) std::abort();
}

// The `i`-th 32-bit little-endian word of the last 16 bytes of `input`
// (zero-extended when it is shorter): a cheap source of offsets and times
// that mutations reach.
inline uint32_t TailWord(std::string_view input, int i) {
  uint32_t w = 0;
  for (int b = 0; b < 4; ++b) {
    const size_t back = static_cast<size_t>(16 - 4 * i - b);
    if (back <= input.size())
      w |= uint32_t{static_cast<uint8_t>(input[input.size() - back])} << (8 * b);
  }
  return w;
}

}  // namespace strata::fuzz

#endif  // STRATA_FUZZ_FUZZ_UTIL_H_
