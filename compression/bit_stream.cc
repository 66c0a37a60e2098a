#include "compression/bit_stream.h"

#include <algorithm>

namespace strata::compression {

void BitWriter::Reset(std::string_view bytes, uint64_t bit_length) {
  const size_t nbytes = (bit_length + 7) >> 3;
  buf_.assign(nbytes + 16, 0);
  std::copy_n(reinterpret_cast<const uint8_t*>(bytes.data()), nbytes, buf_.begin());
  if (const unsigned o = bit_length & 7; o != 0) {
    buf_[nbytes - 1] &= static_cast<uint8_t>(0xff << (8 - o));  // clear bits past the end
  }
  bit_length_ = bit_length;
}

}  // namespace strata::compression
