// Minimal protobuf wire-format helpers for the remote-write and
// remote-read messages (https://protobuf.dev/programming-guides/encoding/):
// a bounds-checked reader of tags, varints, fixed64 and length-delimited
// fields, and appenders for the same. server/ may not use compression/
// (STYLE.md §1), hence these few lines of its own.
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

// Reads fields from `data`; every method returns false on damage (the
// reader is then unusable, and error() says what was wrong at offset()).
class ProtoReader {
 public:
  // `base_offset` is where `data` starts in the outermost message, so
  // that offset() can name a byte of the whole request.
  explicit ProtoReader(std::string_view data, size_t base_offset = 0)
      : data_(data), base_offset_(base_offset) {}
  bool done() const { return pos_ >= data_.size(); }
  size_t pos() const { return pos_; }
  std::string_view data() const { return data_; }
  // The position in the outermost message.
  size_t offset() const { return base_offset_ + pos_; }
  // What the last failed read found; static storage.
  const char* error() const { return error_; }

  // A reader over `field`, a length-delimited field this reader returned
  // (it must lie inside its data); offsets keep counting from the
  // outermost message.
  ProtoReader Sub(std::string_view field) const {
    return ProtoReader(field, base_offset_ + static_cast<size_t>(field.data() - data_.data()));
  }

  [[gnu::always_inline]] bool Varint(uint64_t* v) {
    // Tags and lengths are mostly one byte.
    if (pos_ < data_.size() && static_cast<uint8_t>(data_[pos_]) < 0x80) [[likely]] {
      *v = static_cast<uint8_t>(data_[pos_++]);
      return true;
    }
    return VarintSlow(v);
  }
  // Field numbers are 1 .. 2^29-1.
  [[gnu::always_inline]] bool Tag(uint32_t* field, uint32_t* wire) {
    uint64_t t = 0;
    if (!Varint(&t) || (t >> 3) == 0 || (t >> 3) > 0x1fffffff) return Fail("bad field tag");
    *field = static_cast<uint32_t>(t >> 3);
    *wire = static_cast<uint32_t>(t & 7);
    return true;
  }
  [[gnu::always_inline]] bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > data_.size() - pos_) {
      return Fail("length-delimited field runs past the end of its message");
    }
    *out = std::string_view(data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  [[gnu::always_inline]] bool Fixed64(uint64_t* v) {
    if (data_.size() - pos_ < 8) return Fail("truncated 64-bit field");
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
        if (data_.size() - pos_ < 4) return Fail("truncated 32-bit field");
        pos_ += 4;
        return true;
      default:
        return Fail("unsupported wire type (3 and 4 are groups, 6 and 7 do not exist)");
    }
  }

 private:
  bool VarintSlow(uint64_t* v) {
    const size_t n = data_.size() - pos_;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(data_.data()) + pos_;
    uint64_t result = 0;
    // No bounds check per byte when a whole varint (10 bytes) fits.
    if (n >= 10) {
      for (size_t i = 0; i < 10; ++i) {
        result |= static_cast<uint64_t>(p[i] & 0x7f) << (7 * i);
        if (p[i] < 0x80) {
          pos_ += i + 1;
          *v = result;
          return true;
        }
      }
      pos_ += 10;
      return Fail("bad varint");
    }
    for (size_t i = 0; i < n; ++i) {
      result |= static_cast<uint64_t>(p[i] & 0x7f) << (7 * i);
      if (p[i] < 0x80) {
        pos_ += i + 1;
        *v = result;
        return true;
      }
    }
    pos_ += n;
    return Fail("bad varint");
  }
  bool Fail(const char* what) {
    error_ = what;
    return false;
  }

  std::string_view data_;
  size_t base_offset_;
  size_t pos_ = 0;
  const char* error_ = "";
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
