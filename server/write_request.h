// A zero-copy decoder for Prometheus remote-write 1.0 bodies: the snappy
// block and the protobuf `prometheus.WriteRequest` of prompb/remote.proto
// and prompb/types.proto, read in place from the decompressed bytes
// without libprotobuf or a per-request arena.
//
//   WriteRequest   { repeated TimeSeries timeseries = 1;
//                    repeated MetricMetadata metadata = 3; }
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
//                    repeated Exemplar exemplars = 3;
//                    repeated Histogram histograms = 4; }
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }
//   Exemplar       { repeated Label labels = 1; double value = 2;
//                    int64 timestamp = 3; }
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2;
//                    string help = 4; string unit = 5; }
//
// Decoding memory is bounded by what arrived (issue #16): Decode checks
// the whole message once (wire format, every nested message, the
// WriteLimits) and stores nothing per item; the view then walks the bytes
// again as the caller iterates (WireRange), each item decoded on the way.
// A decoder thus holds its decompressed buffer and nothing else, however
// many series, labels or samples the bytes describe: 16 M empty
// TimeSeries in 32 MiB cost 32 MiB, where one record per series cost 56
// bytes per 2 bytes of input. allocated_bytes() reports it.
//
// Unknown fields are skipped, as protobuf requires. Native histograms
// (field 4) are counted but not decoded yet. Damage is InvalidArgument
// naming the byte offset in the decompressed protobuf and what was
// expected; a limit exceeded is InvalidArgument (labels per series) or
// ResourceExhausted (the request is too large), naming the series.
//
// Thread-safety: a WriteRequestDecoder is used by one request at a time;
// its buffer is reused across requests. Views and ranges are values that
// read immutable bytes: any number of threads may iterate them.
#ifndef STRATA_SERVER_WRITE_REQUEST_H_
#define STRATA_SERVER_WRITE_REQUEST_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include "server/internal/protowire.h"
#include "strata/status.h"

namespace strata::server {

// What one remote-write request may hold. 0 means no limit. The defaults
// are far above what real senders batch (Prometheus 2.42 sends at most
// max_samples_per_send = 500 samples per request, 2,000 in later
// versions, each float sample its own TimeSeries; vmagent at most 10,000
// rows, -remoteWrite.maxRowsPerBlock) and at or above what a 32 MiB body
// of realistic series holds (~18 bytes per sample, ~100 per series), so
// they refuse only malformed or hostile requests. They bound the work a
// request causes after decoding (appender buffers, WAL records); the
// decoder's own memory is its decompressed buffer whatever they are.
struct WriteLimits {
  // Labels on one TimeSeries (--web.max-labels-per-series). Prometheus'
  // scrape label_limit is unlimited by default, Mimir's and
  // VictoriaMetrics' per-series limits are 30 and 40: 256 is far above
  // any real metric and refuses e.g. 5,000 labels, which would cost the
  // index per series. Exceeding it refuses the request (InvalidArgument).
  uint32_t max_labels_per_series = 256;
  // TimeSeries messages in one request, empty ones included
  // (--web.max-series-per-request): 100x vmagent's default batch, 500x
  // a current Prometheus'. Exceeding it refuses the request
  // (ResourceExhausted).
  uint64_t max_series_per_request = 1'000'000;
  // Float samples plus native-histogram samples in one request
  // (--web.max-samples-per-request): 1,000x vmagent's default batch.
  // Exceeding it refuses the request (ResourceExhausted).
  uint64_t max_samples_per_request = 10'000'000;
  // Bytes of one label name and value (--web.max-label-name-bytes,
  // --web.max-label-value-bytes), so that a runaway client cannot put
  // megabytes into the index per series (Prometheus leaves this to scrape
  // configs' label_*_length_limit; remote write has no other guard).
  // Checked by Api::RemoteWrite per series: such a series is refused and
  // the rest of the request kept, like every other bad series.
  uint64_t max_label_name_bytes = 1024;
  uint64_t max_label_value_bytes = 64 * 1024;
};

struct WireLabel {
  std::string_view name;
  std::string_view value;
};

struct WireSample {
  double value = 0;
  int64_t timestamp_ms = 0;
};

namespace internal {

// Fast paths for the encoding every protobuf library writes for the two
// hot messages, fields in order and lengths under 128 bytes:
//   Label  0a <n> name 12 <n> value
//   Sample 09 <8 bytes value> 10 <varint timestamp>
// They return false for anything else, which the general decoder reads.
inline bool FastDecode(std::string_view m, WireLabel* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(m.data());
  const size_t n = m.size();
  if (n < 4 || p[0] != 0x0a || p[1] >= 0x80) return false;
  const size_t v = 2 + size_t{p[1]};  // where the value's tag is
  if (v + 2 > n || p[v] != 0x12 || p[v + 1] >= 0x80 || v + 2 + p[v + 1] != n) return false;
  out->name = std::string_view(m.data() + 2, p[1]);
  out->value = std::string_view(m.data() + v + 2, n - v - 2);
  return true;
}
inline bool FastDecode(std::string_view m, WireSample* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(m.data());
  const size_t n = m.size();
  if (n < 11 || n > 20 || p[0] != 0x09 || p[9] != 0x10) return false;
  uint64_t t = 0;
  for (size_t i = 10; i < n; ++i) {
    t |= static_cast<uint64_t>(p[i] & 0x7f) << (7 * (i - 10));
    if ((p[i] < 0x80) != (i == n - 1)) return false;  // the varint ends with the message
  }
  uint64_t bits;
  std::memcpy(&bits, p + 1, 8);  // little-endian, as protobuf
  out->value = std::bit_cast<double>(bits);
  out->timestamp_ms = static_cast<int64_t>(t);
  return true;
}
template <typename T>
bool FastDecode(std::string_view, T*) {
  return false;
}

}  // namespace internal

// The items of one repeated message field, decoded as they are iterated:
// an input range (like std::istream_iterator's, each item lives in its
// iterator until that advances; iterate again from begin() for another
// pass).
// Valid while the bytes it reads are (see WriteRequestView).
// Intentionally copyable.
template <typename T>
class WireRange {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    Iterator() = default;
    const T& operator*() const { return item_; }
    const T* operator->() const { return &item_; }
    Iterator& operator++() {
      Advance();
      return *this;
    }
    void operator++(int) { Advance(); }
    // Iterators are equal at the end, or at the same item of one range.
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.done_ == b.done_ && (a.done_ || a.reader_.pos() == b.reader_.pos());
    }

   private:
    friend class WireRange;
    Iterator(std::string_view message, size_t offset, uint32_t field)
        : reader_(message, offset), field_(field), done_(false) {
      Advance();
    }
    // Finds the next field `field_` and decodes it into item_, or sets
    // done_. The bytes were checked by WriteRequestDecoder::Decode.
    void Advance() {
      uint32_t field = 0, wire = 0;
      while (!reader_.done() && reader_.Tag(&field, &wire)) {
        std::string_view message;
        if (wire != internal::kLengthDelimited) {  // not one of ours
          if (!reader_.Skip(wire)) break;
          continue;
        }
        if (!reader_.Bytes(&message)) break;
        if (field != field_) continue;
        item_ = T{};
        if (!internal::FastDecode(message, &item_)) {
          DecodeWireItem(message, reader_.offset() - message.size(), &item_);
        }
        return;
      }
      done_ = true;
    }

    internal::ProtoReader reader_{std::string_view()};
    uint32_t field_ = 0;
    bool done_ = true;
    T item_{};
  };

  WireRange() = default;
  // The fields `field` of `message`, which starts at `offset` of the
  // request and holds `size` of them.
  WireRange(std::string_view message, size_t offset, uint32_t field, uint32_t size)
      : message_(message), offset_(offset), field_(field), size_(size) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Iterator begin() const { return Iterator(message_, offset_, field_); }
  Iterator end() const { return Iterator(); }

 private:
  std::string_view message_;
  size_t offset_ = 0;
  uint32_t field_ = 0;
  uint32_t size_ = 0;
};

struct WireExemplar {
  WireRange<WireLabel> labels;
  double value = 0;
  int64_t timestamp_ms = 0;
};

struct WireError;  // write_request.cc

// One TimeSeries message.
class WireSeries {
 public:
  WireSeries() = default;  // intentionally copyable

  // As sent: not validated, sorted or deduplicated.
  WireRange<WireLabel> labels() const { return {message_, offset_, 1, num_labels_}; }
  WireRange<WireSample> samples() const { return {message_, offset_, 2, num_samples_}; }
  WireRange<WireExemplar> exemplars() const { return {message_, offset_, 3, num_exemplars_}; }
  // Native histograms, not decoded yet.
  uint32_t num_histograms() const { return num_histograms_; }
  // Where the message's bytes start in the decompressed request.
  size_t offset() const { return offset_; }

 private:
  template <bool kCheck>
  friend bool ParseSeries(internal::ProtoReader r, WireSeries* out, WireError* err);

  std::string_view message_;
  size_t offset_ = 0;
  uint32_t num_labels_ = 0;
  uint32_t num_samples_ = 0;
  uint32_t num_exemplars_ = 0;
  uint32_t num_histograms_ = 0;
};

struct WireMetadata {
  int32_t type = 0;  // prompb MetricMetadata.MetricType: 0 unknown .. 7 stateset
  std::string_view metric_family_name;
  std::string_view help;
  std::string_view unit;
};

// Decode one checked item for WireRange (not for callers): the message
// and its offset in the request in, the item out.
void DecodeWireItem(std::string_view message, size_t offset, WireLabel* out);
void DecodeWireItem(std::string_view message, size_t offset, WireSample* out);
void DecodeWireItem(std::string_view message, size_t offset, WireExemplar* out);
void DecodeWireItem(std::string_view message, size_t offset, WireSeries* out);
void DecodeWireItem(std::string_view message, size_t offset, WireMetadata* out);

// A decoded request: ranges over the checked bytes, valid until the
// decoder's next Decode (or, after Decode(proto), while `proto` is).
// Intentionally copyable.
class WriteRequestView {
 public:
  WriteRequestView() = default;
  WriteRequestView(std::string_view proto, uint32_t num_series, uint32_t num_metadata,
                   uint64_t num_samples)
      : proto_(proto),
        num_series_(num_series),
        num_metadata_(num_metadata),
        num_samples_(num_samples) {}

  // Every TimeSeries in order, empty ones included.
  WireRange<WireSeries> series() const { return {proto_, 0, 1, num_series_}; }
  WireRange<WireMetadata> metadata() const { return {proto_, 0, 3, num_metadata_}; }
  // Float samples plus native-histogram samples over all series.
  uint64_t num_samples() const { return num_samples_; }

 private:
  std::string_view proto_;
  uint32_t num_series_ = 0;
  uint32_t num_metadata_ = 0;
  uint64_t num_samples_ = 0;
};

class WriteRequestDecoder {
 public:
  WriteRequestDecoder() = default;
  WriteRequestDecoder(const WriteRequestDecoder&) = delete;
  WriteRequestDecoder& operator=(const WriteRequestDecoder&) = delete;

  // Decompresses the snappy block `body` (at most `max_uncompressed_bytes`
  // once decompressed, else ResourceExhausted) and decodes the protobuf
  // as Decode does. A buffer grown past kRetainedBufferBytes by an earlier
  // request is given back when this one needs less than a quarter of it,
  // so that one large request does not pin its memory to the thread.
  [[nodiscard]] StatusOr<const WriteRequestView*> DecodeSnappy(std::string_view body,
                                                               size_t max_uncompressed_bytes,
                                                               const WriteLimits& limits);

  // Checks an uncompressed protobuf `WriteRequest` against the wire format
  // and `limits`, and returns a view of it; `proto` must stay alive and
  // unchanged while the view is used. Errors: InvalidArgument for damage
  // or too many labels on a series, ResourceExhausted for too many series
  // or samples; the message names the offset or the series.
  [[nodiscard]] StatusOr<const WriteRequestView*> Decode(std::string_view proto,
                                                         const WriteLimits& limits);

  // Bytes this decoder has allocated (its buffer's capacity): at most the
  // larger of kRetainedBufferBytes and 4x the current request's
  // decompressed size, and exactly that size after a first request.
  size_t allocated_bytes() const { return uncompressed_.capacity(); }

  static constexpr size_t kRetainedBufferBytes = 4 << 20;

 private:
  std::string uncompressed_;
  WriteRequestView view_;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_WRITE_REQUEST_H_
