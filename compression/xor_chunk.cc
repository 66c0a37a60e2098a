#include "compression/xor_chunk.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "base/strings.h"
#include "compression/internal/chunk_registry.h"
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

XorChunk::XorChunk() {
  // A 120-sample chunk of typical data takes 40-200 bytes. Prometheus'
  // NewXORChunk starts with room for 128 (make([]byte, 2, 128)); 192
  // spares most chunks a copy into a larger buffer, and a head the
  // smaller buffers left behind (see base/small_buffers.h; the head
  // reuses a series' buffer for its next chunk).
  writer_.ReserveBytes(kXorInitialBytes);
  Clear();
}

void XorChunk::Clear() {
  writer_.Clear();
  writer_.WriteBits(0, kHeaderBits);
  t_ = 0;
  t_delta_ = 0;
  value_bits_ = 0;
  leading_ = 0xff;
  trailing_ = 0;
  empty_last_byte_ = false;
}

StatusOr<XorChunk> XorChunk::Open(std::string_view bytes) {
  XorIterator it(bytes);
  while (it.Next()) {
  }
  if (!it.status().ok()) return it.status();
  XorChunk c;
  const XorIterator::State& s = it.s_;
  c.writer_.Reset(bytes, s.pos);
  c.t_ = s.t;
  c.t_delta_ = s.t_delta;
  c.value_bits_ = s.value_bits;
  c.leading_ = s.window_set ? s.leading : 0xff;
  c.trailing_ = s.trailing;
  c.empty_last_byte_ = s.last_sig != 0 && s.last_sig % 8 == 0 && s.pos % 8 == 0;
  return c;
}

[[gnu::always_inline]] inline void XorChunk::WriteValue(BitCursor& c, uint64_t vbits, uint64_t code,
                                                        unsigned n) {
  const uint64_t delta = vbits ^ value_bits_;
  if (delta == 0) {
    c.Put(code << 1, n + 1);  // '0'
    empty_last_byte_ = false;
    return;
  }
  unsigned leading = std::countl_zero(delta);
  const unsigned trailing = std::countr_zero(delta);
  if (leading >= 32) leading = 31;  // the field has 5 bits
  unsigned sig;
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    // '10' + the significant bits within the previous window.
    sig = 64 - leading_ - trailing_;
    const uint64_t bits = delta >> trailing_;
    if (n + 2 + sig < 64) {
      c.Put((code << (2 + sig)) | (0b10ull << sig) | bits, n + 2 + sig);
    } else {
      c.Put((code << 2) | 0b10, n + 2);
      c.Put(bits, sig);
    }
  } else {
    // '11' + 5 bits of leading zeros + 6 bits of significant-bit count;
    // 64 significant bits are written as 0, which cannot otherwise occur.
    leading_ = static_cast<uint8_t>(leading);
    trailing_ = static_cast<uint8_t>(trailing);
    sig = 64 - leading - trailing;
    const uint64_t header = (0b11ull << 11) | (uint64_t{leading} << 6) | (sig & 63);
    c.Put((code << 13) | header, n + 13);
    c.Put(delta >> trailing, sig);
  }
  empty_last_byte_ = sig % 8 == 0 && c.pos() % 8 == 0;
}

Status XorChunk::Append(int64_t timestamp_ms, double value) {
  const uint32_t num = num_samples();
  if (num >= kXorMaxSamples) {
    return absl::ResourceExhaustedError("xor chunk: full (65535 samples)");
  }
  if (num > 0 && timestamp_ms <= t_) {
    return absl::InvalidArgumentError(
        StrCat("xor chunk: timestamp ", timestamp_ms, " is not after the last sample's ", t_));
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
    BitCursor c = writer_.Cursor(8 * n + 13 + 64);
    for (size_t i = 0; i < n; ++i) c.Put(buf[i], 8);
    WriteValue(c, vbits, 0, 0);
    writer_.Commit(c);
  } else {
    AppendSteady(t_delta, vbits);
  }
  t_ = timestamp_ms;
  t_delta_ = t_delta;
  value_bits_ = vbits;
  StoreBE16(writer_.mutable_byte(0), static_cast<uint16_t>(num + 1));
  return absl::OkStatus();
}

// The third and later samples: the delta of delta's bucket and the XOR
// value, merged into as few writes as possible.
void XorChunk::AppendSteady(uint64_t t_delta, uint64_t vbits) {
  BitCursor c = writer_.Cursor(4 + 64 + 13 + 64);  // the most one sample takes
  const int64_t dod = static_cast<int64_t>(t_delta - t_delta_);
  const uint64_t u = static_cast<uint64_t>(dod);
  uint64_t code = 0;  // pending bits, written together with the value
  unsigned n = 1;
  if (dod == 0) {
    // '0'
  } else if (InBucket(dod, 14)) {
    code = (0b10ull << 14) | (u & Mask(14));
    n = 2 + 14;
  } else if (InBucket(dod, 17)) {
    code = (0b110ull << 17) | (u & Mask(17));
    n = 3 + 17;
  } else if (InBucket(dod, 20)) {
    code = (0b1110ull << 20) | (u & Mask(20));
    n = 4 + 20;
  } else {
    c.Put(0b1111, 4);
    c.Put(u, 64);
    n = 0;
  }
  WriteValue(c, vbits, code, n);
  writer_.Commit(c);
}

namespace {

// Bytes a sample may span at most: 4 + 64 bits of timestamp, 13 + 64 bits
// of value, plus the 9-byte loads that read them.
constexpr size_t kMaxSampleBytes = 24;

// The 64 bits at bit `pos`. kUnchecked: the caller guarantees 9 readable
// bytes at pos / 8.
// The next bits at `pos`, at least 57 of them valid. kUnchecked: the
// caller guarantees 8 readable bytes at pos / 8.
template <bool kUnchecked>
inline uint64_t Peek57(const uint8_t* data, size_t size, uint64_t pos) {
  if constexpr (kUnchecked) {
    return LoadBE64(data + (pos >> 3)) << (pos & 7);
  } else {
    return PeekBits64(data, size, pos);
  }
}

template <bool kUnchecked>
inline uint64_t Peek(const uint8_t* data, size_t size, uint64_t pos) {
  if constexpr (kUnchecked) {
    const size_t p = pos >> 3;
    const unsigned o = pos & 7;
    return (LoadBE64(data + p) << o) | (static_cast<uint64_t>(data[p + 8]) >> (8 - o));
  } else {
    return PeekBits64(data, size, pos);
  }
}

// Decodes an XOR-encoded value at s.pos, where `w` holds the next bits
// (at least 13 valid). Returns false if the header is impossible.
template <bool kUnchecked>
[[gnu::always_inline]] inline bool DecodeValue(const uint8_t* data, size_t size,
                                               XorIterator::State& s, uint64_t w) {
  if ((w >> 63) == 0) {
    s.pos += 1;
    s.last_sig = 0;
    return true;
  }
  unsigned sig;
  if (((w >> 62) & 1) == 0) {
    sig = 64 - s.leading - s.trailing;
    s.pos += 2;
  } else {
    const unsigned leading = (w >> 57) & 31;
    sig = (w >> 51) & 63;
    if (sig == 0) sig = 64;  // 64 is written as 0 (xor.go)
    if (leading + sig > 64) return false;
    s.leading = static_cast<uint8_t>(leading);
    s.trailing = static_cast<uint8_t>(64 - leading - sig);
    s.window_set = true;
    s.pos += 13;
  }
  const uint64_t bits =
      sig <= 57 ? Peek57<kUnchecked>(data, size, s.pos) : Peek<kUnchecked>(data, size, s.pos);
  s.value_bits ^= (bits >> (64 - sig)) << s.trailing;
  s.pos += sig;
  s.last_sig = static_cast<uint8_t>(sig);
  return true;
}

// Decodes one sample after the second: delta of delta, then the value.
// kUnchecked: REQUIRES kMaxSampleBytes readable bytes at s.pos / 8;
// otherwise reads past the end yield zero bits and the caller checks
// s.pos against the size.
template <bool kUnchecked>
[[gnu::always_inline]] inline bool DecodeSample(const uint8_t* data, size_t size,
                                                XorIterator::State& s) {
  uint64_t w = Peek57<kUnchecked>(data, size, s.pos);  // dod (<= 24 bits) + value header (13)
  int64_t dod = 0;
  const unsigned ones = std::countl_one(w);
  if (ones == 0) {
    s.pos += 1;
    w <<= 1;
  } else if (ones < 4) {
    static constexpr unsigned kBits[] = {0, 14, 17, 20};
    const unsigned sz = kBits[ones];
    const unsigned used = ones + 1 + sz;
    uint64_t bits = (w << (ones + 1)) >> (64 - sz);
    // Values above 2^(sz-1) are negative (tsdb/docs/bstream.md).
    if (bits > (uint64_t{1} << (sz - 1))) bits -= uint64_t{1} << sz;
    dod = static_cast<int64_t>(bits);
    s.pos += used;
    w <<= used;
  } else {
    dod = static_cast<int64_t>(Peek<kUnchecked>(data, size, s.pos + 4));
    s.pos += 4 + 64;
    w = Peek57<kUnchecked>(data, size, s.pos);
  }
  s.t_delta += static_cast<uint64_t>(dod);
  s.t = static_cast<int64_t>(static_cast<uint64_t>(s.t) + s.t_delta);
  return DecodeValue<kUnchecked>(data, size, s, w);
}

// Reads a Go varint's bytes at bit `*pos` (byte-aligned in practice).
bool ReadUvarintBits(const uint8_t* data, size_t size, uint64_t* pos, uint64_t* v) {
  uint64_t u = 0;
  for (size_t i = 0; i < kMaxVarintLen64; ++i) {
    const uint64_t b = PeekBits64(data, size, *pos) >> 56;
    *pos += 8;
    if (b < 0x80) {
      if (i == kMaxVarintLen64 - 1 && b > 1) return false;
      *v = u | (b << (7 * i));
      return true;
    }
    u |= (b & 0x7f) << (7 * i);
  }
  return false;
}

}  // namespace

void XorIterator::Reset(std::string_view bytes) {
  data_ = reinterpret_cast<const uint8_t*>(bytes.data());
  size_ = bytes.size();
  num_total_ = 0;
  num_read_ = 0;
  s_ = State();
  valid_ = false;
  status_ = absl::OkStatus();
  if (size_ < 2) {
    Fail("shorter than its 2-byte header");
    return;
  }
  num_total_ = LoadBE16(data_);
  s_.pos = kHeaderBits;
}

bool XorIterator::Fail(std::string_view what) {
  if (status_.ok()) {
    status_ = absl::DataLossError(
        StrCat("xor chunk: sample ", num_read_, " of ", num_total_, ": ", what));
  }
  num_read_ = num_total_;  // stop for good
  return false;
}

// Sample 0: varint timestamp and raw value; sample 1: uvarint timestamp
// delta and an XOR-encoded value.
bool XorIterator::ReadFirstTwo() {
  uint64_t u;
  if (num_read_ == 0) {
    if (!ReadUvarintBits(data_, size_, &s_.pos, &u)) return Fail("bad timestamp varint");
    s_.t = ZigZagDecode(u);
    s_.value_bits = PeekBits64(data_, size_, s_.pos);
    s_.pos += 64;
    s_.last_sig = 64;
  } else {
    if (!ReadUvarintBits(data_, size_, &s_.pos, &u)) return Fail("bad timestamp delta");
    s_.t_delta = u;
    s_.t = static_cast<int64_t>(static_cast<uint64_t>(s_.t) + u);
    if (!DecodeValue<false>(data_, size_, s_, PeekBits64(data_, size_, s_.pos))) {
      return Fail("leading zeros and significant bits exceed 64");
    }
  }
  if (s_.pos > uint64_t{8} * size_) return Fail("truncated");
  ++num_read_;
  return true;
}

// Decodes one sample near the end of the chunk, where the unchecked
// loads could leave the buffer: from a zero-padded copy of the remaining
// bytes (reading zeros past the end is what PeekBits64 would do), then
// checks that the sample ended inside the chunk.
bool XorIterator::ReadTail() {
  const size_t base = s_.pos >> 3;
  const size_t n = base < size_ ? size_ - base : 0;  // < kMaxSampleBytes here
  uint8_t buf[3 * kMaxSampleBytes] = {};
  if (n > 0) std::memcpy(buf, data_ + base, n);
  State t = s_;
  t.pos -= uint64_t{8} * base;
  if (!DecodeSample<true>(buf, sizeof buf, t)) {
    return Fail("leading zeros and significant bits exceed 64");
  }
  if (t.pos > uint64_t{8} * n) return Fail("truncated");
  t.pos += uint64_t{8} * base;
  s_ = t;
  return true;
}

bool XorIterator::ReadOne() {
  if (num_read_ < 2) return ReadFirstTwo();
  if ((s_.pos >> 3) + kMaxSampleBytes <= size_) {
    if (!DecodeSample<true>(data_, size_, s_)) {
      return Fail("leading zeros and significant bits exceed 64");
    }
  } else if (!ReadTail()) {
    return false;
  }
  ++num_read_;
  return true;
}

bool XorIterator::Next() {
  valid_ = num_read_ < num_total_ && ReadOne();
  return valid_;
}

size_t XorIterator::NextBatch(int64_t* timestamps_ms, uint64_t* value_bits, size_t max) {
  size_t n = 0;
  while (n < max && num_read_ < num_total_ && num_read_ < 2) {
    if (!ReadOne()) return n;
    timestamps_ms[n] = s_.t;
    value_bits[n++] = s_.value_bits;
  }
  // Decodes from `data` (`size` readable bytes) while samples are wanted
  // and s.pos <= `fast_end`, keeping the decoder in registers. Returns
  // false on an impossible value header.
  State s = s_;
  size_t todo = std::min<size_t>(max - n, num_total_ - num_read_);
  auto run = [&](const uint8_t* data, size_t size, uint64_t fast_end)
      __attribute__((always_inline)) {
    while (todo > 0 && s.pos <= fast_end) {
      if (!DecodeSample<true>(data, size, s)) return false;
      timestamps_ms[n] = s.t;
      value_bits[n++] = s.value_bits;
      --todo;
    }
    return true;
  };
  const size_t start = n;
  bool ok = run(data_, size_, size_ >= kMaxSampleBytes ? (size_ - kMaxSampleBytes) * 8 : 0);
  if (ok && todo > 0) {
    // The last bytes: decode from a zero-padded copy (reads past the end
    // see zeros, as PeekBits64 would), stopping once a sample ends past
    // the real end.
    const size_t base = std::min<size_t>(s.pos >> 3, size_);
    const size_t rest = size_ - base;  // < kMaxSampleBytes
    uint8_t buf[3 * kMaxSampleBytes] = {};
    std::memcpy(buf, data_ + base, rest);
    s.pos -= uint64_t{8} * base;
    size_t before = n;
    ok = run(buf, sizeof buf, uint64_t{8} * rest);
    if (s.pos > uint64_t{8} * rest) {  // the last sample overran: drop it
      if (n > before) --n;
      s.pos += uint64_t{8} * base;
      s_ = s;
      num_read_ += static_cast<uint32_t>(n - start);
      valid_ = false;
      Fail("truncated");
      return n;
    }
    s.pos += uint64_t{8} * base;
  }
  s_ = s;
  num_read_ += static_cast<uint32_t>(n - start);
  if (!ok) {
    valid_ = false;
    Fail("leading zeros and significant bits exceed 64");
    return n;
  }
  valid_ = n > 0;
  return n;
}

bool XorIterator::Seek(int64_t timestamp_ms) {
  if (valid_ && s_.t >= timestamp_ms) return true;
  while (Next()) {
    if (s_.t >= timestamp_ms) return true;
  }
  return false;
}

namespace {

// The XOR encoding behind the chunk interface: a view of stored bytes
// until the first Appender() call, which opens an XorChunk on a copy.
class XorChunkImpl final : public Chunk, public ChunkAppender {
 public:
  explicit XorChunkImpl(std::string_view bytes) : view_(bytes) {}
  XorChunkImpl() : owned_(std::in_place) {}

  ChunkEncoding encoding() const override { return ChunkEncoding::kXor; }
  std::string_view bytes() const override { return owned_ ? owned_->bytes() : view_; }
  uint32_t num_samples() const override {
    if (owned_) return owned_->num_samples();
    return view_.size() < 2 ? 0 : LoadBE16(view_.data());
  }

  StatusOr<ChunkAppender*> Appender() override {
    if (!owned_) {
      StatusOr<XorChunk> opened = XorChunk::Open(view_);
      if (!opened.ok()) return opened.status();
      owned_ = std::move(*opened);
    }
    return static_cast<ChunkAppender*>(this);
  }
  Status Append(int64_t timestamp_ms, double value) override {
    return owned_->Append(timestamp_ms, value);  // set by Appender()
  }

  std::unique_ptr<ChunkIterator> NewIterator(std::unique_ptr<ChunkIterator> reuse) const override {
    if (reuse != nullptr && reuse->encoding() == ChunkEncoding::kXor) {
      reuse->Reset(bytes());
      return reuse;
    }
    return std::make_unique<XorIterator>(bytes());
  }

  // Nothing to give back: an XorChunk's buffer grows in small steps from
  // base/small_buffers.h, and a copy to trim it would cost more than the
  // few bytes it saves.
  void Compact() override {}

 private:
  std::string_view view_;
  std::optional<XorChunk> owned_;
};

}  // namespace

namespace internal {

const ChunkEncodingImpl kXorChunkEncoding = {
    ChunkEncoding::kXor,
    [](std::string_view bytes) -> std::unique_ptr<Chunk> {
      return std::make_unique<XorChunkImpl>(bytes);
    },
    []() -> std::unique_ptr<Chunk> { return std::make_unique<XorChunkImpl>(); },
    [](std::string_view bytes) -> std::unique_ptr<ChunkIterator> {
      return std::make_unique<XorIterator>(bytes);
    },
};

}  // namespace internal

}  // namespace strata::compression
