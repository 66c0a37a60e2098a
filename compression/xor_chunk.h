// The XOR chunk: Gorilla compression of (timestamp, float) samples,
// byte-for-byte the encoding of Prometheus' tsdb/chunkenc/xor.go.
//
// Layout (docs/format/xor_chunk.md):
//   2 bytes   number of samples, big-endian
//   sample 0: timestamp as varint, value as 64 raw bits
//   sample 1: timestamp delta as uvarint, value XOR-encoded
//   sample n: delta-of-delta of the timestamp in one of five buckets
//               '0'                 dod == 0
//               '10'   + 14 bits    dod in [-8191, 8192]
//               '110'  + 17 bits    dod in [-65535, 65536]
//               '1110' + 20 bits    dod in [-524287, 524288]
//               '1111' + 64 bits    anything else
//             then the value XOR-encoded:
//               '0'                          same value as before
//               '10' + significant bits      within the previous window
//               '11' + 5 bits leading zeros + 6 bits significant-bit count
//                    (0 meaning 64) + significant bits
// Every float is kept bit-exactly, including NaN payloads such as the
// staleness marker 0x7ff0000000000002.
//
// XorChunk is the concrete encoder the head appends with; the XOR
// implementation of the chunk interface (compression/chunk.h: Chunk,
// ChunkAppender) wraps it, and XorIterator is that interface's iterator,
// a final class so that code holding one calls it directly.
//
// Thread-safety: XorChunk is a value type without internal locking; a
// const chunk may be iterated by many threads, appends need exclusive
// access. An XorIterator belongs to one thread.
#ifndef STRATA_COMPRESSION_XOR_CHUNK_H_
#define STRATA_COMPRESSION_XOR_CHUNK_H_

#include <bit>
#include <cstdint>
#include <string_view>

#include "compression/bit_stream.h"
#include "compression/chunk.h"
#include "strata/status.h"

namespace strata::compression {

// The sample count is stored in 16 bits.
inline constexpr uint32_t kXorMaxSamples = 0xffff;
// The bytes a new chunk has room for before its buffer grows.
inline constexpr size_t kXorInitialBytes = 192;

class XorChunk {
 public:
  // An empty chunk.
  XorChunk();
  // Intentionally copyable.

  // Opens the encoded chunk `bytes` (copied) for appending, continuing at
  // the exact bit where its last sample ends, so appending to a reopened
  // chunk writes the same bytes as having appended everything at once.
  // Fails with DataLoss if `bytes` does not decode.
  [[nodiscard]] static StatusOr<XorChunk> Open(std::string_view bytes);

  // Empties the chunk but keeps its buffer, for a next chunk that will
  // likely need as much (the head's next chunk of the same series).
  void Clear();

  // Appends a sample. Fails with InvalidArgument if `timestamp_ms` is not
  // greater than the last sample's (the chunk is unchanged), and with
  // ResourceExhausted if the chunk already holds kXorMaxSamples samples.
  [[nodiscard]] Status Append(int64_t timestamp_ms, double value);

  // The encoded chunk. Valid until the next Append.
  std::string_view bytes() const {
    const std::string_view b = writer_.bytes();
    return std::string_view(b.data(), b.size() + (empty_last_byte_ ? 1 : 0));
  }
  uint32_t num_samples() const { return LoadBE16(writer_.bytes().data()); }
  // Timestamp of the last sample; meaningless when empty.
  int64_t last_timestamp_ms() const { return t_; }
  size_t memory_bytes() const { return writer_.memory_bytes(); }
  // Bits written, the 16-bit header included.
  uint64_t bit_length() const { return writer_.bit_length(); }
  // The two places an Append touches, the header and the end (see
  // BitWriter::start_address), for a caller appending to many chunks.
  const void* header_address() const { return writer_.start_address(); }
  const void* tail_address() const { return writer_.write_address(); }

 private:
  void AppendSteady(uint64_t t_delta, uint64_t value_bits);
  // Writes `value_bits` XOR-encoded, preceded by the `n` pending bits of
  // `code`, at cursor `c`. REQUIRES: room reserved for n + 13 + 64 bits.
  void WriteValue(BitCursor& c, uint64_t value_bits, uint64_t code, unsigned n);

  BitWriter writer_;
  int64_t t_ = 0;
  uint64_t t_delta_ = 0;
  uint64_t value_bits_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no XOR window written yet
  uint8_t trailing_ = 0;
  // Prometheus' bstream writes whole bytes with writeByte, which always
  // appends the next byte; so when a sample ends byte-aligned after a
  // byte-wise write, its chunk carries one more, empty, byte. Kept so the
  // bytes are identical (see WriteValue).
  bool empty_last_byte_ = false;
};

// Iterates over the samples of an encoded XOR chunk. Damaged bytes stop
// the iteration and set status() to DataLoss naming the sample; no read
// ever leaves the buffer.
// Intentionally copyable.
class XorIterator final : public ChunkIterator {
 public:
  // Iterates over `bytes`, which must outlive the iterator.
  explicit XorIterator(std::string_view bytes) { Reset(bytes); }

  ChunkEncoding encoding() const override { return ChunkEncoding::kXor; }
  void Reset(std::string_view bytes) override;

  // Advances to the next sample. Returns false at the end or on error.
  bool Next() override;
  // Advances to the first sample with timestamp >= `timestamp_ms`; stays
  // put if the current sample already qualifies. Returns false if there is
  // none (or on error).
  bool Seek(int64_t timestamp_ms) override;
  // Decodes up to `max` next samples into `timestamps_ms` and
  // `value_bits` (the IEEE-754 patterns) and returns how many; fewer than
  // `max` only at the end or on error. The fast path for scans: several
  // times quicker per sample than Next(). Afterwards the current sample is
  // the last one decoded (unless status() is an error).
  size_t NextBatch(int64_t* timestamps_ms, uint64_t* value_bits, size_t max) override;

  // The current sample. REQUIRES: the last Next/Seek returned true.
  int64_t timestamp_ms() const override { return s_.t; }
  uint64_t value_bits() const override { return s_.value_bits; }
  // Hides ChunkIterator::value() to read the register without a virtual
  // call.
  double value() const { return std::bit_cast<double>(s_.value_bits); }

  // OK unless the chunk was found damaged.
  const Status& status() const override { return status_; }
  uint32_t num_samples() const { return num_total_; }

  // The decoder's registers; public only for the inline decoding step.
  struct State {
    uint64_t pos = 0;  // in bits
    int64_t t = 0;
    uint64_t t_delta = 0;
    uint64_t value_bits = 0;
    uint8_t leading = 0;
    uint8_t trailing = 0;
    uint8_t last_sig = 0;     // significant bits of the last value; 0: unchanged
    bool window_set = false;  // a '11' value header has been read
  };

 private:
  friend class XorChunk;  // reads the decoder state to reopen a chunk

  bool Fail(std::string_view what);
  bool ReadFirstTwo();
  bool ReadOne();
  bool ReadTail();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint32_t num_total_ = 0;
  uint32_t num_read_ = 0;
  State s_;
  bool valid_ = false;  // the current sample is one
  Status status_;
};

}  // namespace strata::compression

#endif  // STRATA_COMPRESSION_XOR_CHUNK_H_
