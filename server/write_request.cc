#include "server/write_request.h"

#include <bit>
#include <cstring>

#include "base/status_macros.h"
#include "base/strings.h"
#include "snappy.h"

namespace strata::server {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

// Reads protobuf wire format from [p, end); `base` is where the whole
// message starts, for offsets in errors.
class ProtoReader {
 public:
  ProtoReader(std::string_view bytes, const char* base)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()), base_(base) {}

  bool done() const { return p_ >= end_; }
  size_t offset() const { return static_cast<size_t>(p_ - base_); }

  Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        StrCat("remote write: protobuf offset ", offset(), ": ", what));
  }

  bool Varint(uint64_t* v) {
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(*p_++);
      x |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = x;
        return true;
      }
    }
    return false;
  }

  Status Tag(uint32_t* field, uint32_t* wire) {
    uint64_t t;
    if (!Varint(&t) || (t >> 3) == 0 || (t >> 3) > UINT32_MAX) return Error("bad field tag");
    *field = static_cast<uint32_t>(t >> 3);
    *wire = static_cast<uint32_t>(t & 7);
    return absl::OkStatus();
  }

  Status Bytes(std::string_view* out) {
    uint64_t len;
    if (!Varint(&len) || len > static_cast<uint64_t>(end_ - p_)) {
      return Error("length-delimited field runs past the end of its message");
    }
    *out = std::string_view(p_, static_cast<size_t>(len));
    p_ += len;
    return absl::OkStatus();
  }

  Status Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return Error("truncated 64-bit field");
    std::memcpy(v, p_, 8);  // little-endian, as protobuf
    p_ += 8;
    return absl::OkStatus();
  }

  Status Skip(uint32_t wire) {
    uint64_t v;
    std::string_view bytes;
    switch (wire) {
      case kVarint:
        return Varint(&v) ? absl::OkStatus() : Error("bad varint");
      case kFixed64:
        return Fixed64(&v);
      case kBytes:
        return Bytes(&bytes);
      case kFixed32:
        if (end_ - p_ < 4) return Error("truncated 32-bit field");
        p_ += 4;
        return absl::OkStatus();
      default:
        return Error(StrCat("unsupported wire type ", wire));
    }
  }

  // Checks that field `field` has wire type `want`.
  Status Expect(uint32_t field, uint32_t wire, uint32_t want) const {
    if (wire == want) return absl::OkStatus();
    return Error(StrCat("field ", field, " has wire type ", wire, ", expected ", want));
  }

 private:
  const char* p_;
  const char* end_;
  const char* base_;
};

Status DecodeLabel(ProtoReader r, WireLabel* out) {
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    STRATA_RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field == 1 || field == 2) {
      STRATA_RETURN_IF_ERROR(r.Expect(field, wire, kBytes));
      STRATA_RETURN_IF_ERROR(r.Bytes(field == 1 ? &out->name : &out->value));
    } else {
      STRATA_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return absl::OkStatus();
}

// Sample {double value = 1; int64 timestamp = 2;} and the value/timestamp
// fields of Exemplar (2 and 3) share the decoding.
Status DecodeValueAndTime(ProtoReader r, uint32_t value_field, uint32_t time_field,
                          const char* base, std::vector<WireLabel>* labels, double* value,
                          int64_t* timestamp_ms) {
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    STRATA_RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field == value_field) {
      STRATA_RETURN_IF_ERROR(r.Expect(field, wire, kFixed64));
      uint64_t bits = 0;
      STRATA_RETURN_IF_ERROR(r.Fixed64(&bits));
      *value = std::bit_cast<double>(bits);
    } else if (field == time_field) {
      STRATA_RETURN_IF_ERROR(r.Expect(field, wire, kVarint));
      uint64_t t = 0;
      if (!r.Varint(&t)) return r.Error("bad timestamp varint");
      *timestamp_ms = static_cast<int64_t>(t);
    } else if (field == 1 && labels != nullptr) {  // Exemplar.labels
      STRATA_RETURN_IF_ERROR(r.Expect(field, wire, kBytes));
      std::string_view msg;
      STRATA_RETURN_IF_ERROR(r.Bytes(&msg));
      WireLabel l;
      STRATA_RETURN_IF_ERROR(DecodeLabel(ProtoReader(msg, base), &l));
      labels->push_back(l);
    } else {
      STRATA_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return absl::OkStatus();
}

Status DecodeMetadata(ProtoReader r, WireMetadata* out) {
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    STRATA_RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field == 1) {
      STRATA_RETURN_IF_ERROR(r.Expect(field, wire, kVarint));
      uint64_t t = 0;
      if (!r.Varint(&t)) return r.Error("bad metric type");
      out->type = static_cast<int32_t>(t);
    } else if (field == 2 || field == 4 || field == 5) {
      STRATA_RETURN_IF_ERROR(r.Expect(field, wire, kBytes));
      STRATA_RETURN_IF_ERROR(r.Bytes(field == 2   ? &out->metric_family_name
                                     : field == 4 ? &out->help
                                                  : &out->unit));
    } else {
      STRATA_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return absl::OkStatus();
}

// Where a series' items lie in the decoder's vectors, until they stop
// growing and spans can be taken.
struct SeriesRanges {
  size_t labels_begin, labels_end;
  size_t samples_begin, samples_end;
  size_t exemplars_begin, exemplars_end;
  uint32_t histograms;
};

struct ExemplarRange {
  size_t labels_begin, labels_end;
  double value;
  int64_t timestamp_ms;
};

}  // namespace

StatusOr<const WriteRequestView*> WriteRequestDecoder::DecodeSnappy(std::string_view body,
                                                                    size_t max_uncompressed_bytes) {
  size_t len;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &len)) {
    return absl::InvalidArgumentError("remote write: body is not a snappy block");
  }
  if (len > max_uncompressed_bytes) {
    return absl::ResourceExhaustedError(StrCat("remote write: body decompresses to ", len,
                                               " bytes, more than the limit of ",
                                               max_uncompressed_bytes));
  }
  uncompressed_.resize(len);
  if (!snappy::RawUncompress(body.data(), body.size(), uncompressed_.data())) {
    return absl::InvalidArgumentError("remote write: corrupt snappy block");
  }
  return Decode(uncompressed_);
}

StatusOr<const WriteRequestView*> WriteRequestDecoder::Decode(std::string_view proto) {
  labels_.clear();
  samples_.clear();
  exemplars_.clear();
  exemplars_labels_.clear();
  view_.series.clear();
  view_.metadata.clear();
  std::vector<SeriesRanges> ranges;
  std::vector<ExemplarRange> exemplar_ranges;
  const char* base = proto.data();
  ProtoReader r(proto, base);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    STRATA_RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field != 1 && field != 3) {
      STRATA_RETURN_IF_ERROR(r.Skip(wire));
      continue;
    }
    STRATA_RETURN_IF_ERROR(r.Expect(field, wire, kBytes));
    std::string_view msg;
    STRATA_RETURN_IF_ERROR(r.Bytes(&msg));
    if (field == 3) {
      WireMetadata m;
      STRATA_RETURN_IF_ERROR(DecodeMetadata(ProtoReader(msg, base), &m));
      view_.metadata.push_back(m);
      continue;
    }
    SeriesRanges s{labels_.size(), 0, samples_.size(), 0, exemplar_ranges.size(), 0, 0};
    ProtoReader ts(msg, base);
    while (!ts.done()) {
      uint32_t f = 0, w = 0;
      STRATA_RETURN_IF_ERROR(ts.Tag(&f, &w));
      if (f < 1 || f > 4) {
        STRATA_RETURN_IF_ERROR(ts.Skip(w));
        continue;
      }
      STRATA_RETURN_IF_ERROR(ts.Expect(f, w, kBytes));
      std::string_view item;
      STRATA_RETURN_IF_ERROR(ts.Bytes(&item));
      if (f == 1) {
        WireLabel l;
        STRATA_RETURN_IF_ERROR(DecodeLabel(ProtoReader(item, base), &l));
        labels_.push_back(l);
      } else if (f == 2) {
        WireSample smp{0, 0};
        STRATA_RETURN_IF_ERROR(DecodeValueAndTime(ProtoReader(item, base), 1, 2, base, nullptr,
                                                  &smp.value, &smp.timestamp_ms));
        samples_.push_back(smp);
      } else if (f == 3) {
        // Exemplar labels go after the series' own; keep them apart.
        ExemplarRange e{0, 0, 0, 0};
        std::vector<WireLabel> exemplar_labels;
        STRATA_RETURN_IF_ERROR(DecodeValueAndTime(ProtoReader(item, base), 2, 3, base,
                                                  &exemplar_labels, &e.value, &e.timestamp_ms));
        e.labels_begin = exemplars_labels_.size();
        exemplars_labels_.insert(exemplars_labels_.end(), exemplar_labels.begin(),
                                 exemplar_labels.end());
        e.labels_end = exemplars_labels_.size();
        exemplar_ranges.push_back(e);
      } else {
        ++s.histograms;
      }
    }
    s.labels_end = labels_.size();
    s.samples_end = samples_.size();
    s.exemplars_end = exemplar_ranges.size();
    ranges.push_back(s);
  }
  // The vectors are complete: take spans.
  exemplars_.reserve(exemplar_ranges.size());
  for (const ExemplarRange& e : exemplar_ranges) {
    exemplars_.push_back({std::span<const WireLabel>(exemplars_labels_.data() + e.labels_begin,
                                                     e.labels_end - e.labels_begin),
                          e.value, e.timestamp_ms});
  }
  view_.series.reserve(ranges.size());
  for (const SeriesRanges& s : ranges) {
    view_.series.push_back(
        {std::span<const WireLabel>(labels_.data() + s.labels_begin, s.labels_end - s.labels_begin),
         std::span<const WireSample>(samples_.data() + s.samples_begin,
                                     s.samples_end - s.samples_begin),
         std::span<const WireExemplar>(exemplars_.data() + s.exemplars_begin,
                                       s.exemplars_end - s.exemplars_begin),
         s.histograms});
  }
  return &view_;
}

}  // namespace strata::server
