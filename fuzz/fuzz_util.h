// Helpers shared by the fuzz targets that build a directory in a MemEnv
// from the input: splitting the input into files, writing them, and
// repairing their checksums.
//
// Checksums: a mutation almost never keeps a CRC32C right, so a target
// that only read its input would test little beyond the checksum check.
// The targets read each input as it is and, if the Fix* functions below
// changed it, once more with every checksum recomputed; the decoders
// behind the checksums then see arbitrary bytes too.
//
// Thread-safety: stateless.
#ifndef STRATA_FUZZ_FUZZ_UTIL_H_
#define STRATA_FUZZ_FUZZ_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "compression/crc32c.h"
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

namespace internal {

inline void StoreBE32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

// Reads a uvarint at `*pos`; false if it is cut off or too long.
inline bool Uvarint(const std::string& s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    const auto b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) return true;
  }
  return false;
}

inline uint32_t Crc(const std::string& s, size_t from, size_t n) {
  return compression::crc32c::Value(s.data() + from, n);
}

}  // namespace internal

// Recomputes the CRC32C at the end of a tombstones file (over all but the
// 5-byte header). Returns whether anything changed.
inline bool FixTombstonesCrc(std::string* s) {
  if (s->size() < 9) return false;
  const std::string before = *s;
  internal::StoreBE32(s, s->size() - 4, internal::Crc(*s, 5, s->size() - 9));
  return *s != before;
}

// Recomputes the CRC32C of every chunk of a block chunk segment
// (len <uvarint> | encoding <1> | data | CRC32C <4>), as far as the
// lengths lead. Returns whether anything changed.
inline bool FixChunkSegmentCrcs(std::string* s) {
  const std::string before = *s;
  for (size_t pos = 8; pos < s->size();) {
    uint64_t len;
    if (!internal::Uvarint(*s, &pos, &len) || len > s->size() || s->size() - pos < len + 5) break;
    internal::StoreBE32(s, pos + 1 + len, internal::Crc(*s, pos, 1 + len));
    pos += 1 + len + 4;
  }
  return *s != before;
}

// Recomputes the CRC32C of every chunk of a head chunk file (series ref,
// mint, maxt <8 each> | encoding <1> | len <uvarint> | data | CRC32C <4>)
// up to the zero padding that ends it. Returns whether anything changed.
inline bool FixHeadChunkCrcs(std::string* s) {
  const std::string before = *s;
  for (size_t start = 8; start + 25 < s->size();) {
    if (s->find_first_not_of('\0', start) >= start + 25) break;  // padding
    size_t pos = start + 25;
    uint64_t len;
    if (!internal::Uvarint(*s, &pos, &len) || len > s->size() || s->size() - pos < len + 4) break;
    internal::StoreBE32(s, pos + len, internal::Crc(*s, start, pos + len - start));
    start = pos + len + 4;
  }
  return *s != before;
}

// Recomputes the CRC32C of every fragment of a WAL segment (32 KiB pages
// of type <1> | len <2, BE> | CRC32C <4, BE> | data, a zero type byte
// padding the rest of a page). Returns whether anything changed.
inline bool FixWalCrcs(std::string* s) {
  constexpr size_t kPage = 32 * 1024, kHeader = 7;
  const std::string before = *s;
  for (size_t pos = 0; pos < s->size();) {
    const size_t page_end = (pos / kPage + 1) * kPage;
    if ((*s)[pos] == 0 || page_end - pos < kHeader) {
      pos = page_end;
      continue;
    }
    if (s->size() - pos < kHeader) break;
    const size_t len =
        static_cast<uint8_t>((*s)[pos + 1]) << 8 | static_cast<uint8_t>((*s)[pos + 2]);
    if (pos + kHeader + len > std::min(page_end, s->size())) break;
    internal::StoreBE32(s, pos + 3, internal::Crc(*s, pos + kHeader, len));
    pos += kHeader + len;
  }
  return *s != before;
}

}  // namespace strata::fuzz

#endif  // STRATA_FUZZ_FUZZ_UTIL_H_
