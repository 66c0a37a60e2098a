#include "compression/varint.h"

namespace strata::compression {

void PutUvarint(std::string* dst, uint64_t v) {
  uint8_t buf[kMaxVarintLen64];
  dst->append(reinterpret_cast<const char*>(buf), EncodeUvarint(buf, v));
}

void PutVarint(std::string* dst, int64_t v) { PutUvarint(dst, ZigZagEncode(v)); }

VarintStatus DecodeUvarint(const uint8_t* p, const uint8_t* limit, uint64_t* v, size_t* length) {
  uint64_t x = 0;
  unsigned shift = 0;
  for (size_t i = 0; i < kMaxVarintLen64; ++i) {
    if (p + i >= limit) return VarintStatus::kTruncated;
    const uint8_t b = p[i];
    if (b < 0x80) {
      // Go rejects a 10th byte that would set bits above 63.
      if (i == kMaxVarintLen64 - 1 && b > 1) return VarintStatus::kOverflow;
      *v = x | (static_cast<uint64_t>(b) << shift);
      *length = i + 1;
      return VarintStatus::kOk;
    }
    x |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
  }
  return VarintStatus::kOverflow;
}

VarintStatus DecodeVarint(const uint8_t* p, const uint8_t* limit, int64_t* v, size_t* length) {
  uint64_t u;
  VarintStatus s = DecodeUvarint(p, limit, &u, length);
  if (s == VarintStatus::kOk) *v = ZigZagDecode(u);
  return s;
}

bool ConsumeUvarint(std::string_view* in, uint64_t* v) {
  const auto* p = reinterpret_cast<const uint8_t*>(in->data());
  size_t n;
  if (DecodeUvarint(p, p + in->size(), v, &n) != VarintStatus::kOk) return false;
  in->remove_prefix(n);
  return true;
}

bool ConsumeVarint(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!ConsumeUvarint(in, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

}  // namespace strata::compression
