#include "compression/bit_stream.h"

#include <algorithm>
#include <cstring>

namespace strata::compression {

BitWriter::BitWriter(const BitWriter& other) : bit_length_(other.bit_length_) {
  if (other.data_ == nullptr) return;
  capacity_ = other.capacity_;
  data_ = static_cast<uint8_t*>(AllocateSmallBuffer(capacity_));
  std::memcpy(data_, other.data_, capacity_);
}

BitWriter& BitWriter::operator=(const BitWriter& other) {
  if (this != &other) *this = BitWriter(other);
  return *this;
}

BitWriter& BitWriter::operator=(BitWriter&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    bit_length_ = std::exchange(other.bit_length_, 0);
  }
  return *this;
}

void BitWriter::Grow(size_t need) {
  Reallocate(std::max({need + 16, capacity_ + 64, capacity_ + capacity_ / 4}));
}

void BitWriter::Reallocate(size_t capacity) {
  capacity = SmallBufferSize(capacity);
  auto* data = static_cast<uint8_t*>(AllocateSmallBuffer(capacity));
  const size_t used = (bit_length_ + 7) >> 3;
  if (used > 0) std::memcpy(data, data_, used);
  std::memset(data + used, 0, capacity - used);
  Release();
  data_ = data;
  capacity_ = capacity;
}

void BitWriter::Clear() {
  if (data_ != nullptr) std::memset(data_, 0, (bit_length_ + 7) >> 3);
  bit_length_ = 0;
}

void BitWriter::Reset(std::string_view bytes, uint64_t bit_length) {
  const size_t nbytes = (bit_length + 7) >> 3;
  Clear();  // nothing of the old contents is kept
  if (capacity_ < nbytes + 16) Reallocate(nbytes + 16);
  if (nbytes > 0) std::memcpy(data_, bytes.data(), nbytes);
  if (const unsigned o = bit_length & 7; o != 0) {
    data_[nbytes - 1] &= static_cast<uint8_t>(0xff << (8 - o));  // clear bits past the end
  }
  bit_length_ = bit_length;
}

}  // namespace strata::compression
