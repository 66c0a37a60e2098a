// Bit streams, most significant bit first: the layout of Prometheus'
// bstream (tsdb/chunkenc/bstream.go), which the XOR chunk is written in.
//
// BitWriter appends bits to a growable byte buffer. BitReader reads them
// back with 64-bit loads; reading past the end yields zero bits and sets
// overrun(), so a decoder checks once per value instead of once per bit.
//
// Thread-safety: not thread-safe; a BitReader over immutable bytes may be
// used alongside other readers of the same bytes.
#ifndef STRATA_COMPRESSION_BIT_STREAM_H_
#define STRATA_COMPRESSION_BIT_STREAM_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "base/small_buffers.h"
#include "compression/byte_order.h"

namespace strata::compression {

// A write position in a buffer with room reserved: the hot encoding loop
// keeps its bit position in a register this way (stores through uint8_t*
// may alias any member, so a member position would be reloaded after
// every store). Obtained from BitWriter::Cursor and handed back with
// BitWriter::Commit.
class BitCursor {
 public:
  BitCursor(uint8_t* data, uint64_t pos) : data_(data), pos_(pos) {}

  // Appends the low `nbits` bits of `v`. REQUIRES: 1 <= nbits <= 64, within
  // the reserved room.
  void Put(uint64_t v, unsigned nbits) {
    v <<= 64 - nbits;
    uint8_t* b = data_ + (pos_ >> 3);
    const unsigned o = pos_ & 7;
    StoreBE64(b, LoadBE64(b) | (v >> o));
    if (o + nbits > 64) b[8] |= static_cast<uint8_t>((v << (64 - o)) >> 56);
    pos_ += nbits;
  }
  uint64_t pos() const { return pos_; }

 private:
  uint8_t* data_;
  uint64_t pos_;
};

class BitWriter {
 public:
  BitWriter() = default;
  // Intentionally copyable (a chunk is a value).
  BitWriter(const BitWriter& other);
  BitWriter& operator=(const BitWriter& other);
  BitWriter(BitWriter&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        capacity_(std::exchange(other.capacity_, 0)),
        bit_length_(std::exchange(other.bit_length_, 0)) {}
  BitWriter& operator=(BitWriter&& other) noexcept;
  ~BitWriter() { Release(); }

  // Replaces the contents with the first `bit_length` bits of `bytes`;
  // later writes continue at exactly that bit.
  // REQUIRES: bit_length <= 8 * bytes.size().
  void Reset(std::string_view bytes, uint64_t bit_length);

  // Empties the stream, keeping the buffer.
  void Clear();

  // Appends the low `nbits` bits of `v`, most significant first.
  // REQUIRES: nbits <= 64.
  void WriteBits(uint64_t v, unsigned nbits) {
    if (nbits == 0) return;
    Reserve(nbits);
    WriteBitsReserved(v, nbits);
  }

  // Makes room for `nbits` more bits, so that writes adding up to at most
  // that many may use WriteBitsReserved.
  void Reserve(size_t nbits) {
    const size_t need = ((bit_length_ + nbits) >> 3) + 9;
    if (capacity_ < need) Grow(need);
  }

  // Makes the buffer at least `bytes` long, for a writer that knows about
  // how much it will write (of which the last 9 bytes stay spare).
  void ReserveBytes(size_t bytes) {
    if (capacity_ < bytes) Reallocate(bytes);
  }

  // A cursor at the end of the stream with room for `nbits` more bits.
  // Nothing else may write until Commit(cursor).
  BitCursor Cursor(size_t nbits) {
    Reserve(nbits);
    return BitCursor(data_, bit_length_);
  }
  void Commit(const BitCursor& c) { bit_length_ = c.pos(); }

  // WriteBits without the capacity check.
  // REQUIRES: 1 <= nbits <= 64, and a Reserve() that covers this write.
  void WriteBitsReserved(uint64_t v, unsigned nbits) {
    v <<= 64 - nbits;  // align the value to the top of the word
    const size_t p = bit_length_ >> 3;
    const unsigned o = bit_length_ & 7;
    uint8_t* b = data_ + p;
    StoreBE64(b, LoadBE64(b) | (v >> o));
    if (o + nbits > 64) b[8] |= static_cast<uint8_t>((v << (64 - o)) >> 56);
    bit_length_ += nbits;
  }
  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  // The written bytes; the last one is padded with zero bits. Valid until
  // the next write.
  std::string_view bytes() const {
    return std::string_view(reinterpret_cast<const char*>(data_), (bit_length_ + 7) >> 3);
  }
  // Writable access to byte `i` of the written bytes (headers fixed up later).
  uint8_t* mutable_byte(size_t i) { return data_ + i; }
  uint64_t bit_length() const { return bit_length_; }
  // Where the buffer starts and where the next bit goes: addresses for a
  // caller to prefetch before it writes to many buffers in a row.
  const uint8_t* start_address() const { return data_; }
  const uint8_t* write_address() const { return data_ + (bit_length_ >> 3); }
  // Bytes held in memory, including spare capacity.
  size_t memory_bytes() const { return capacity_; }

 private:
  // The buffer keeps 9 zero bytes after the last written bit so a write
  // can OR in a whole word; everything past the written bits is zero.
  // It comes from base/small_buffers.h: a head holds one open chunk per
  // series, and a million of them from malloc made each append a TLB
  // miss. Grows by 64 bytes (by a quarter once larger) rather than
  // doubling: an open chunk is ~200 bytes when full, and doubling would
  // leave a third of that memory unused on average (bench/engine_memory).
  void Grow(size_t need);
  // Makes the buffer `capacity` bytes (>= the written bytes), keeping them.
  void Reallocate(size_t capacity);
  void Release() {
    if (data_ != nullptr) FreeSmallBuffer(data_, capacity_);
  }

  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  uint64_t bit_length_ = 0;
};

// The 64 bits starting at bit `pos` of the `size` bytes at `data`, with
// zero bits past the end. Never reads outside the buffer.
inline uint64_t PeekBits64(const uint8_t* data, size_t size, uint64_t pos) {
  const size_t p = pos >> 3;
  const unsigned o = pos & 7;
  if (p + 9 <= size) {
    return (LoadBE64(data + p) << o) | (static_cast<uint64_t>(data[p + 8]) >> (8 - o));
  }
  uint8_t tmp[9] = {};
  for (size_t i = 0; i < 9 && p + i < size; ++i) tmp[i] = data[p + i];
  return (LoadBE64(tmp) << o) | (static_cast<uint64_t>(tmp[8]) >> (8 - o));
}

class BitReader {
 public:
  // Reads the `size` bytes at `data`, which must outlive the reader.
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // The next 64 bits without consuming them; zero bits past the end.
  uint64_t Peek64() const { return PeekBits64(data_, size_, pos_); }
  void Skip(unsigned nbits) { pos_ += nbits; }

  // Reads `nbits` bits as an unsigned number. REQUIRES: 1 <= nbits <= 64.
  uint64_t ReadBits(unsigned nbits) {
    uint64_t v = Peek64() >> (64 - nbits);
    pos_ += nbits;
    return v;
  }
  bool ReadBit() { return ReadBits(1) != 0; }

  // True once more bits were consumed than the buffer holds: the values
  // read since the last check contain made-up zero bits.
  bool overrun() const { return pos_ > uint64_t{8} * size_; }
  uint64_t position() const { return pos_; }
  void set_position(uint64_t pos) { pos_ = pos; }

 private:
  const uint8_t* data_;
  size_t size_;
  uint64_t pos_ = 0;
};

}  // namespace strata::compression

#endif  // STRATA_COMPRESSION_BIT_STREAM_H_
