// Big-endian loads and stores, the byte order of every Prometheus on-disk
// integer (chunk headers, index sections, WAL page headers).
//
// Thread-safety: stateless.
#ifndef STRATA_COMPRESSION_BYTE_ORDER_H_
#define STRATA_COMPRESSION_BYTE_ORDER_H_

#include <cstdint>
#include <cstring>
#include <string>

namespace strata::compression {

inline uint16_t LoadBE16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}
inline uint32_t LoadBE32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}
inline uint64_t LoadBE64(const void* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}
inline void StoreBE16(void* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof v);
}
inline void StoreBE32(void* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof v);
}
inline void StoreBE64(void* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof v);
}
inline void PutBE16(std::string* dst, uint16_t v) {
  char b[2];
  StoreBE16(b, v);
  dst->append(b, 2);
}
inline void PutBE32(std::string* dst, uint32_t v) {
  char b[4];
  StoreBE32(b, v);
  dst->append(b, 4);
}
inline void PutBE64(std::string* dst, uint64_t v) {
  char b[8];
  StoreBE64(b, v);
  dst->append(b, 8);
}

}  // namespace strata::compression

#endif  // STRATA_COMPRESSION_BYTE_ORDER_H_
