// Variable-length integers exactly as Go's encoding/binary writes them:
// Uvarint is little-endian base-128 (LEB128), at most 10 bytes; Varint is
// the zig-zag mapping (x << 1) ^ (x >> 63) followed by Uvarint. Prometheus
// uses both in chunks, the index, the WAL and remote-read framing.
//
// Decoders never read past `limit` and follow Go's rules for bad input: a
// value that needs more than 64 bits (an 11th byte, or a 10th byte > 1) is
// an overflow, not a silently wrapped number.
//
// Thread-safety: stateless.
#ifndef STRATA_COMPRESSION_VARINT_H_
#define STRATA_COMPRESSION_VARINT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::compression {

// Longest encoding of a 64-bit value (Go's binary.MaxVarintLen64).
inline constexpr size_t kMaxVarintLen64 = 10;

// Writes `v` to `buf` (which must hold kMaxVarintLen64 bytes); returns the
// number of bytes written.
inline size_t EncodeUvarint(uint8_t* buf, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  buf[n++] = static_cast<uint8_t>(v);
  return n;
}

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline size_t EncodeVarint(uint8_t* buf, int64_t v) { return EncodeUvarint(buf, ZigZagEncode(v)); }

inline size_t UvarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutUvarint(std::string* dst, uint64_t v);
void PutVarint(std::string* dst, int64_t v);

// Result of decoding one varint from [p, limit).
enum class VarintStatus {
  kOk,
  kTruncated,  // the buffer ended inside the varint
  kOverflow,   // more than 64 bits (Go: "varint overflows a 64-bit integer")
};

// Decodes an Uvarint from [p, limit). On kOk stores the value in `*v` and
// the bytes consumed in `*length`.
VarintStatus DecodeUvarint(const uint8_t* p, const uint8_t* limit, uint64_t* v, size_t* length);
VarintStatus DecodeVarint(const uint8_t* p, const uint8_t* limit, int64_t* v, size_t* length);

// Decodes a varint from the front of `*in` and removes it. Returns false
// (leaving `*in` unchanged) if it is truncated or overflows.
bool ConsumeUvarint(std::string_view* in, uint64_t* v);
bool ConsumeVarint(std::string_view* in, int64_t* v);

}  // namespace strata::compression

#endif  // STRATA_COMPRESSION_VARINT_H_
