#include "bench/loadgen/write_request_encoder.h"

#include <bit>

#include "compression/varint.h"
#include "snappy.h"

namespace strata::loadgen {
namespace {

using compression::PutUvarint;
using compression::UvarintLength;

// Field tags: (field number << 3) | wire type.
constexpr char kTimeSeries = (1 << 3) | 2;
constexpr char kLabel = (1 << 3) | 2;
constexpr char kSample = (2 << 3) | 2;
constexpr char kName = (1 << 3) | 2;
constexpr char kValue = (2 << 3) | 2;
constexpr char kSampleValue = (1 << 3) | 1;
constexpr char kSampleTimestamp = (2 << 3) | 0;

size_t BytesFieldSize(size_t len) { return 1 + UvarintLength(len) + len; }

size_t LabelSize(const std::pair<std::string, std::string>& l) {
  return BytesFieldSize(l.first.size()) + BytesFieldSize(l.second.size());
}

size_t SampleSize(const EncodeSample& s) {
  return 1 + 8 + 1 + UvarintLength(static_cast<uint64_t>(s.timestamp_ms));
}

void PutBytesField(char tag, std::string_view v, std::string* out) {
  out->push_back(tag);
  PutUvarint(out, v.size());
  out->append(v);
}

}  // namespace

void AppendWriteRequest(std::span<const EncodeSeries> series, std::string* out) {
  for (const EncodeSeries& ts : series) {
    size_t size = 0;
    for (const auto& l : ts.labels) size += BytesFieldSize(LabelSize(l));
    for (const EncodeSample& s : ts.samples) size += BytesFieldSize(SampleSize(s));
    out->push_back(kTimeSeries);
    PutUvarint(out, size);
    for (const auto& l : ts.labels) {
      out->push_back(kLabel);
      PutUvarint(out, LabelSize(l));
      PutBytesField(kName, l.first, out);
      PutBytesField(kValue, l.second, out);
    }
    for (const EncodeSample& s : ts.samples) {
      out->push_back(kSample);
      PutUvarint(out, SampleSize(s));
      out->push_back(kSampleValue);
      const uint64_t bits = std::bit_cast<uint64_t>(s.value);
      for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
      out->push_back(kSampleTimestamp);
      PutUvarint(out, static_cast<uint64_t>(s.timestamp_ms));
    }
  }
}

void SnappyCompress(std::string_view data, std::string* out) {
  out->clear();
  snappy::Compress(data.data(), data.size(), out);
}

}  // namespace strata::loadgen
