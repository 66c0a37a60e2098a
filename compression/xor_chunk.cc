#include "compression/xor_chunk.h"

#include <bit>

#include "base/strings.h"
#include "compression/varint.h"

namespace strata::compression {
namespace {

constexpr unsigned kHeaderBits = 16;

// Whether `dod` fits the signed bucket of `nbits` bits as Prometheus
// defines it (xor.go bitRange): [-(2^(n-1) - 1), 2^(n-1)].
constexpr bool InBucket(int64_t dod, unsigned nbits) {
  return -((int64_t{1} << (nbits - 1)) - 1) <= dod && dod <= (int64_t{1} << (nbits - 1));
}

constexpr uint64_t Mask(unsigned nbits) { return nbits == 64 ? ~0ull : (1ull << nbits) - 1; }

}  // namespace

XorChunk::XorChunk() { writer_.WriteBits(0, kHeaderBits); }

uint32_t XorChunk::num_samples() const {
  return LoadBE16(bytes().data());
}

StatusOr<XorChunk> XorChunk::Open(std::string_view bytes) {
  XorIterator it(bytes);
  while (it.Next()) {
  }
  if (!it.status().ok()) return it.status();
  XorChunk c;
  c.writer_.Reset(bytes, it.reader_.position() < kHeaderBits ? kHeaderBits
                                                             : it.reader_.position());
  c.t_ = it.t_;
  c.t_delta_ = it.t_delta_;
  c.value_bits_ = it.value_bits_;
  c.leading_ = it.window_set_ ? it.leading_ : 0xff;
  c.trailing_ = it.trailing_;
  c.empty_last_byte_ = it.empty_last_byte_;
  return c;
}

Status XorChunk::Append(int64_t timestamp_ms, double value) {
  const uint32_t num = num_samples();
  if (num >= kXorMaxSamples) {
    return absl::ResourceExhaustedError("xor chunk: full (65535 samples)");
  }
  if (num > 0 && timestamp_ms <= t_) {
    return absl::InvalidArgumentError(StrCat("xor chunk: timestamp ", timestamp_ms,
                                                   " is not after the last sample's ", t_));
  }
  const uint64_t vbits = std::bit_cast<uint64_t>(value);
  // Deltas are computed modulo 2^64, as Go's int64 arithmetic wraps.
  const uint64_t t_delta = static_cast<uint64_t>(timestamp_ms) - static_cast<uint64_t>(t_);
  if (num == 0) {
    uint8_t buf[kMaxVarintLen64];
    const size_t n = EncodeVarint(buf, timestamp_ms);
    for (size_t i = 0; i < n; ++i) writer_.WriteBits(buf[i], 8);
    writer_.WriteBits(vbits, 64);
    empty_last_byte_ = true;  // byte-aligned after byte-wise writes
  } else if (num == 1) {
    uint8_t buf[kMaxVarintLen64];
    const size_t n = EncodeUvarint(buf, t_delta);
    for (size_t i = 0; i < n; ++i) writer_.WriteBits(buf[i], 8);
    WriteValue(vbits);
  } else {
    const int64_t dod = static_cast<int64_t>(t_delta - t_delta_);
    const uint64_t u = static_cast<uint64_t>(dod);
    if (dod == 0) {
      writer_.WriteBits(0, 1);
    } else if (InBucket(dod, 14)) {
      writer_.WriteBits((0b10ull << 14) | (u & Mask(14)), 2 + 14);
    } else if (InBucket(dod, 17)) {
      writer_.WriteBits((0b110ull << 17) | (u & Mask(17)), 3 + 17);
    } else if (InBucket(dod, 20)) {
      writer_.WriteBits((0b1110ull << 20) | (u & Mask(20)), 4 + 20);
    } else {
      writer_.WriteBits(0b1111, 4);
      writer_.WriteBits(u, 64);
    }
    WriteValue(vbits);
  }
  t_ = timestamp_ms;
  t_delta_ = t_delta;
  value_bits_ = vbits;
  StoreBE16(writer_.mutable_byte(0), static_cast<uint16_t>(num + 1));
  return absl::OkStatus();
}

void XorChunk::WriteValue(uint64_t vbits) {
  const uint64_t delta = vbits ^ value_bits_;
  if (delta == 0) {
    writer_.WriteBits(0, 1);
    empty_last_byte_ = false;
    return;
  }
  unsigned leading = std::countl_zero(delta);
  const unsigned trailing = std::countr_zero(delta);
  if (leading >= 32) leading = 31;  // the field has 5 bits
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    const unsigned sig = 64 - leading_ - trailing_;
    if (sig <= 62) {
      writer_.WriteBits((0b10ull << sig) | (delta >> trailing_), 2 + sig);
    } else {
      writer_.WriteBits(0b10, 2);
      writer_.WriteBits(delta >> trailing_, sig);
    }
    empty_last_byte_ = sig % 8 == 0 && writer_.bit_length() % 8 == 0;
    return;
  }
  leading_ = static_cast<uint8_t>(leading);
  trailing_ = static_cast<uint8_t>(trailing);
  const unsigned sig = 64 - leading - trailing;
  // 64 significant bits do not fit 6 bits; they are written as 0, which
  // cannot otherwise occur (delta != 0).
  writer_.WriteBits((0b11ull << 11) | (uint64_t{leading} << 6) | (sig & 63), 2 + 5 + 6);
  writer_.WriteBits(delta >> trailing, sig);
  empty_last_byte_ = sig % 8 == 0 && writer_.bit_length() % 8 == 0;
}

XorIterator::XorIterator(std::string_view bytes)
    : reader_(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) {
  if (bytes.size() < 2) {
    Fail("shorter than its 2-byte header");
    return;
  }
  num_total_ = LoadBE16(bytes.data());
  reader_.Skip(kHeaderBits);
}

double XorIterator::value() const { return std::bit_cast<double>(value_bits_); }

bool XorIterator::Fail(std::string_view what) {
  if (status_.ok()) {
    status_ = absl::DataLossError(
        StrCat("xor chunk: sample ", num_read_, " of ", num_total_, ": ", what));
  }
  num_read_ = num_total_;  // stop for good
  return false;
}

bool XorIterator::ReadFirst() {
  uint64_t u = 0;
  unsigned shift = 0;
  for (size_t i = 0;; ++i) {
    if (i == kMaxVarintLen64) return Fail("timestamp varint overflows 64 bits");
    const uint64_t b = reader_.ReadBits(8);
    if (b < 0x80) {
      if (i == kMaxVarintLen64 - 1 && b > 1) return Fail("timestamp varint overflows 64 bits");
      u |= b << shift;
      break;
    }
    u |= (b & 0x7f) << shift;
    shift += 7;
  }
  t_ = ZigZagDecode(u);
  value_bits_ = reader_.ReadBits(64);
  if (reader_.overrun()) return Fail("truncated");
  empty_last_byte_ = true;
  ++num_read_;
  return true;
}

bool XorIterator::ReadSecond() {
  uint64_t u = 0;
  unsigned shift = 0;
  for (size_t i = 0;; ++i) {
    if (i == kMaxVarintLen64) return Fail("timestamp delta overflows 64 bits");
    const uint64_t b = reader_.ReadBits(8);
    if (b < 0x80) {
      if (i == kMaxVarintLen64 - 1 && b > 1) return Fail("timestamp delta overflows 64 bits");
      u |= b << shift;
      break;
    }
    u |= (b & 0x7f) << shift;
    shift += 7;
  }
  t_delta_ = u;
  t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + t_delta_);
  return ReadValue();
}

bool XorIterator::Next() {
  valid_ = Advance();
  return valid_;
}

bool XorIterator::Advance() {
  if (num_read_ >= num_total_) return false;
  if (num_read_ == 0) return ReadFirst();
  if (num_read_ == 1) return ReadSecond();

  const uint64_t w = reader_.Peek64();
  const unsigned ones = std::countl_one(w);
  int64_t dod;
  switch (ones) {
    case 0:
      dod = 0;
      reader_.Skip(1);
      break;
    case 1:
    case 2:
    case 3: {
      static constexpr unsigned kBits[] = {0, 14, 17, 20};
      const unsigned sz = kBits[ones];
      const unsigned prefix = ones + 1;
      uint64_t bits = (w << prefix) >> (64 - sz);
      // Values above 2^(sz-1) are negative (tsdb/docs/bstream.md).
      if (bits > (uint64_t{1} << (sz - 1))) bits -= uint64_t{1} << sz;
      dod = static_cast<int64_t>(bits);
      reader_.Skip(prefix + sz);
      break;
    }
    default:
      reader_.Skip(4);
      dod = static_cast<int64_t>(reader_.ReadBits(64));
      break;
  }
  t_delta_ += static_cast<uint64_t>(dod);
  t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + t_delta_);
  return ReadValue();
}

bool XorIterator::ReadValue() {
  const uint64_t w = reader_.Peek64();
  if ((w >> 63) == 0) {
    reader_.Skip(1);
    empty_last_byte_ = false;
  } else {
    unsigned sig;
    if (((w >> 62) & 1) == 0) {
      reader_.Skip(2);
      sig = 64 - leading_ - trailing_;
    } else {
      const unsigned leading = (w >> 57) & 31;
      sig = (w >> 51) & 63;
      if (sig == 0) sig = 64;
      if (leading + sig > 64) return Fail("leading zeros and significant bits exceed 64");
      leading_ = static_cast<uint8_t>(leading);
      trailing_ = static_cast<uint8_t>(64 - leading - sig);
      window_set_ = true;
      reader_.Skip(13);
    }
    value_bits_ ^= reader_.ReadBits(sig) << trailing_;
    empty_last_byte_ = sig % 8 == 0 && reader_.position() % 8 == 0;
  }
  if (reader_.overrun()) return Fail("truncated");
  ++num_read_;
  return true;
}

bool XorIterator::Seek(int64_t timestamp_ms) {
  if (valid_ && t_ >= timestamp_ms) return true;
  while (Next()) {
    if (t_ >= timestamp_ms) return true;
  }
  return false;
}

}  // namespace strata::compression
