// Minimal protobuf wire-format helpers for the remote-read messages
// (https://protobuf.dev/programming-guides/encoding/): a bounds-checked
// reader of tags, varints, fixed64 and length-delimited fields, and
// appenders for the same. server/ may not use compression/ (STYLE.md §1),
// hence these few lines of its own.
//
// Thread-safety: value types, one thread at a time.
#ifndef STRATA_SERVER_INTERNAL_PROTOWIRE_H_
#define STRATA_SERVER_INTERNAL_PROTOWIRE_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace strata::server::internal {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Reads fields from `data`; every method returns false on damage (and the
// reader is then unusable).
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  size_t pos() const { return pos_; }

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Tag(uint32_t* field, uint32_t* wire) {
    uint64_t t = 0;
    if (!Varint(&t) || (t >> 3) == 0 || (t >> 3) > 0x1fffffff) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *wire = static_cast<uint32_t>(t & 7);
    return true;
  }
  bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > data_.size() - pos_) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (data_.size() - pos_ < 8) return false;
    uint64_t x = 0;
    for (int i = 7; i >= 0; --i) x = (x << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += 8;
    *v = x;
    return true;
  }
  // Skips a field of wire type `wire` whose tag was read.
  bool Skip(uint32_t wire) {
    uint64_t v = 0;
    std::string_view s;
    switch (wire) {
      case kVarint:
        return Varint(&v);
      case kFixed64:
        return Fixed64(&v);
      case kLengthDelimited:
        return Bytes(&s);
      case kFixed32:
        if (data_.size() - pos_ < 4) return false;
        pos_ += 4;
        return true;
      default:
        return false;
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

inline void PutVarint(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}
inline void PutTag(std::string* dst, uint32_t field, uint32_t wire) {
  PutVarint(dst, (static_cast<uint64_t>(field) << 3) | wire);
}
inline void PutBytes(std::string* dst, uint32_t field, std::string_view b) {
  PutTag(dst, field, kLengthDelimited);
  PutVarint(dst, b.size());
  dst->append(b);
}
inline void PutInt64(std::string* dst, uint32_t field, int64_t v) {
  PutTag(dst, field, kVarint);
  PutVarint(dst, static_cast<uint64_t>(v));
}
inline void PutDouble(std::string* dst, uint32_t field, double v) {
  PutTag(dst, field, kFixed64);
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  for (int i = 0; i < 8; ++i) dst->push_back(static_cast<char>(bits >> (8 * i)));
}

}  // namespace strata::server::internal

#endif  // STRATA_SERVER_INTERNAL_PROTOWIRE_H_
