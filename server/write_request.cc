#include "server/write_request.h"

#include <bit>
#include <limits>

#include "base/strings.h"
#include "snappy.h"

namespace strata::server {

using internal::kFixed64;
using internal::kLengthDelimited;
using internal::kVarint;
using internal::ProtoReader;

// Where and why a request is damaged; the parsers below return false
// and fill it. (Returning Status from each of them costs a third of the
// decoding time.)
struct WireError {
  size_t offset = 0;
  const char* what = "";
  uint32_t field = 0, wire = 0, want = 0;  // a field of the wrong wire type, if want != wire
};

namespace {

// These take values, not the reader, so that it can stay in registers.
[[gnu::cold, gnu::noinline]] bool SetDamage(size_t offset, const char* what, WireError* err) {
  *err = {offset, what, 0, 0, 0};
  return false;
}
[[gnu::always_inline]] inline bool Damage(const ProtoReader& r, WireError* err) {
  return SetDamage(r.offset(), r.error(), err);
}

[[gnu::cold, gnu::noinline]] bool SetWrongWireType(size_t offset, uint32_t field, uint32_t wire,
                                                   uint32_t want, WireError* err) {
  *err = {offset, "", field, wire, want};
  return false;
}
[[gnu::always_inline]] inline bool WrongWireType(const ProtoReader& r, uint32_t field,
                                                 uint32_t wire, uint32_t want, WireError* err) {
  return SetWrongWireType(r.offset(), field, wire, want, err);
}

[[gnu::cold]] Status ToStatus(const WireError& err) {
  if (err.want != err.wire) {
    return absl::InvalidArgumentError(StrCat("remote write: protobuf offset ", err.offset,
                                             ": field ", err.field, " has wire type ", err.wire,
                                             ", expected ", err.want));
  }
  return absl::InvalidArgumentError(
      StrCat("remote write: protobuf offset ", err.offset, ": ", err.what));
}

[[gnu::always_inline]] inline bool ReadBytes(ProtoReader& r, uint32_t field, uint32_t wire,
                                             std::string_view* out, WireError* err) {
  if (wire != kLengthDelimited) [[unlikely]] {
    return WrongWireType(r, field, wire, kLengthDelimited, err);
  }
  return r.Bytes(out) || Damage(r, err);
}

[[gnu::always_inline]] inline bool ReadDouble(ProtoReader& r, uint32_t field, uint32_t wire,
                                              double* out, WireError* err) {
  if (wire != kFixed64) [[unlikely]] {
    return WrongWireType(r, field, wire, kFixed64, err);
  }
  uint64_t bits = 0;
  if (!r.Fixed64(&bits)) [[unlikely]] {
    return Damage(r, err);
  }
  *out = std::bit_cast<double>(bits);
  return true;
}

[[gnu::always_inline]] inline bool ReadInt64(ProtoReader& r, uint32_t field, uint32_t wire,
                                             int64_t* out, WireError* err) {
  if (wire != kVarint) [[unlikely]] {
    return WrongWireType(r, field, wire, kVarint, err);
  }
  uint64_t v = 0;
  if (!r.Varint(&v)) [[unlikely]] {
    return Damage(r, err);
  }
  *out = static_cast<int64_t>(v);
  return true;
}

[[gnu::always_inline]] inline bool ReadTag(ProtoReader& r, uint32_t* field, uint32_t* wire,
                                           WireError* err) {
  return r.Tag(field, wire) || Damage(r, err);
}

[[gnu::always_inline]] inline bool SkipField(ProtoReader& r, uint32_t wire, WireError* err) {
  return r.Skip(wire) || Damage(r, err);
}

// Label {string name = 1; string value = 2;}.
[[gnu::always_inline]] inline bool ParseLabel(ProtoReader r, WireLabel* out, WireError* err) {
  if (internal::FastDecode(r.data(), out)) return true;
  uint32_t field = 0, wire = 0;
  while (!r.done()) {
    if (!ReadTag(r, &field, &wire, err)) return false;
    if (field == 1 || field == 2) {
      if (!ReadBytes(r, field, wire, field == 1 ? &out->name : &out->value, err)) return false;
    } else if (!SkipField(r, wire, err)) {
      return false;
    }
  }
  return true;
}

// Sample {double value = 1; int64 timestamp = 2;}.
[[gnu::always_inline]] inline bool ParseSample(ProtoReader r, WireSample* out, WireError* err) {
  if (internal::FastDecode(r.data(), out)) return true;
  uint32_t field = 0, wire = 0;
  while (!r.done()) {
    if (!ReadTag(r, &field, &wire, err)) return false;
    bool ok;
    if (field == 1) {
      ok = ReadDouble(r, field, wire, &out->value, err);
    } else if (field == 2) {
      ok = ReadInt64(r, field, wire, &out->timestamp_ms, err);
    } else {
      ok = SkipField(r, wire, err);
    }
    if (!ok) return false;
  }
  return true;
}

// Exemplar {repeated Label labels = 1; double value = 2; int64 timestamp = 3;}.
bool ParseExemplar(ProtoReader r, WireExemplar* out, WireError* err) {
  const ProtoReader whole = r;
  uint32_t field = 0, wire = 0, num_labels = 0;
  while (!r.done()) {
    if (!ReadTag(r, &field, &wire, err)) return false;
    bool ok;
    if (field == 1) {
      std::string_view msg;
      WireLabel l;
      ok = ReadBytes(r, field, wire, &msg, err) && ParseLabel(r.Sub(msg), &l, err);
      ++num_labels;
    } else if (field == 2) {
      ok = ReadDouble(r, field, wire, &out->value, err);
    } else if (field == 3) {
      ok = ReadInt64(r, field, wire, &out->timestamp_ms, err);
    } else {
      ok = SkipField(r, wire, err);
    }
    if (!ok) return false;
  }
  out->labels = WireRange<WireLabel>(whole.data(), whole.offset(), 1, num_labels);
  return true;
}

// MetricMetadata {MetricType type = 1; string metric_family_name = 2;
// string help = 4; string unit = 5;}.
bool ParseMetadata(ProtoReader r, WireMetadata* out, WireError* err) {
  uint32_t field = 0, wire = 0;
  while (!r.done()) {
    if (!ReadTag(r, &field, &wire, err)) return false;
    bool ok;
    if (field == 1) {
      int64_t t = 0;
      ok = ReadInt64(r, field, wire, &t, err);
      out->type = static_cast<int32_t>(t);
    } else if (field == 2 || field == 4 || field == 5) {
      ok = ReadBytes(r, field, wire,
                     field == 2   ? &out->metric_family_name
                     : field == 4 ? &out->help
                                  : &out->unit,
                     err);
    } else {
      ok = SkipField(r, wire, err);
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// Counts the items of a TimeSeries; with kCheck, every nested message is
// decoded as well, so that iterating it later cannot fail.
template <bool kCheck>
bool ParseSeries(ProtoReader r, WireSeries* out, WireError* err) {
  out->message_ = r.data();
  out->offset_ = r.offset();
  uint32_t field = 0, wire = 0;
  while (!r.done()) {
    if (!ReadTag(r, &field, &wire, err)) return false;
    if (field < 1 || field > 4) {
      if (!SkipField(r, wire, err)) return false;
      continue;
    }
    std::string_view item;
    if (!ReadBytes(r, field, wire, &item, err)) return false;
    switch (field) {
      case 1:
        if constexpr (kCheck) {
          WireLabel l;
          if (!ParseLabel(r.Sub(item), &l, err)) return false;
        }
        ++out->num_labels_;
        break;
      case 2:
        if constexpr (kCheck) {
          WireSample s;
          if (!ParseSample(r.Sub(item), &s, err)) return false;
        }
        ++out->num_samples_;
        break;
      case 3:
        if constexpr (kCheck) {
          WireExemplar e;
          if (!ParseExemplar(r.Sub(item), &e, err)) return false;
        }
        ++out->num_exemplars_;
        break;
      default:
        ++out->num_histograms_;
    }
  }
  return true;
}

// The items were checked by Decode: parsing them again cannot fail, and
// the error is not looked at.
void DecodeWireItem(std::string_view message, size_t offset, WireLabel* out) {
  WireError unused;
  ParseLabel(ProtoReader(message, offset), out, &unused);
}
void DecodeWireItem(std::string_view message, size_t offset, WireSample* out) {
  WireError unused;
  ParseSample(ProtoReader(message, offset), out, &unused);
}
void DecodeWireItem(std::string_view message, size_t offset, WireExemplar* out) {
  WireError unused;
  ParseExemplar(ProtoReader(message, offset), out, &unused);
}
void DecodeWireItem(std::string_view message, size_t offset, WireSeries* out) {
  WireError unused;
  ParseSeries<false>(ProtoReader(message, offset), out, &unused);
}
void DecodeWireItem(std::string_view message, size_t offset, WireMetadata* out) {
  WireError unused;
  ParseMetadata(ProtoReader(message, offset), out, &unused);
}

namespace {

// Whether `n` exceeds `limit` (0: no limit).
bool Over(uint64_t n, uint64_t limit) { return limit != 0 && n > limit; }

}  // namespace

StatusOr<const WriteRequestView*> WriteRequestDecoder::DecodeSnappy(std::string_view body,
                                                                    size_t max_uncompressed_bytes,
                                                                    const WriteLimits& limits) {
  size_t len;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &len)) {
    return absl::InvalidArgumentError("remote write: body is not a snappy block");
  }
  if (len > max_uncompressed_bytes) {
    return absl::ResourceExhaustedError(StrCat("remote write: body decompresses to ", len,
                                               " bytes, more than the limit of ",
                                               max_uncompressed_bytes));
  }
  view_ = WriteRequestView();
  if (uncompressed_.capacity() > kRetainedBufferBytes && len < uncompressed_.capacity() / 4) {
    std::string().swap(uncompressed_);
  }
  uncompressed_.resize(len);
  if (!snappy::RawUncompress(body.data(), body.size(), uncompressed_.data())) {
    return absl::InvalidArgumentError("remote write: corrupt snappy block");
  }
  return Decode(uncompressed_, limits);
}

StatusOr<const WriteRequestView*> WriteRequestDecoder::Decode(std::string_view proto,
                                                              const WriteLimits& limits) {
  view_ = WriteRequestView();
  if (proto.size() > std::numeric_limits<uint32_t>::max()) {
    // Counts are 32-bit; no body limit comes near this.
    return absl::ResourceExhaustedError(
        StrCat("remote write: request of ", proto.size(), " bytes is larger than 4 GiB"));
  }
  uint64_t num_series = 0, num_metadata = 0, num_samples = 0;
  ProtoReader r(proto);
  uint32_t field = 0, wire = 0;
  WireError err;
  while (!r.done()) {
    if (!ReadTag(r, &field, &wire, &err)) return ToStatus(err);
    if (field != 1 && field != 3) {
      if (!SkipField(r, wire, &err)) return ToStatus(err);
      continue;
    }
    std::string_view msg;
    if (!ReadBytes(r, field, wire, &msg, &err)) return ToStatus(err);
    if (field == 3) {
      WireMetadata m;
      if (!ParseMetadata(r.Sub(msg), &m, &err)) return ToStatus(err);
      ++num_metadata;
      continue;
    }
    const uint64_t index = num_series++;
    const ProtoReader series_reader = r.Sub(msg);
    if (Over(num_series, limits.max_series_per_request)) {
      return absl::ResourceExhaustedError(
          StrCat("remote write: request has more than ", limits.max_series_per_request,
                 " series, the limit (--web.max-series-per-request); series ", index,
                 " starts at protobuf offset ", series_reader.offset()));
    }
    WireSeries s;
    if (!ParseSeries<true>(series_reader, &s, &err)) return ToStatus(err);
    if (Over(s.labels().size(), limits.max_labels_per_series)) {
      return absl::InvalidArgumentError(
          StrCat("remote write: series ", index, " (protobuf offset ", s.offset(), ") has ",
                 s.labels().size(), " labels, more than the limit of ",
                 limits.max_labels_per_series, " (--web.max-labels-per-series)"));
    }
    num_samples += s.samples().size() + s.num_histograms();
    if (Over(num_samples, limits.max_samples_per_request)) {
      return absl::ResourceExhaustedError(
          StrCat("remote write: request has more than ", limits.max_samples_per_request,
                 " samples, the limit (--web.max-samples-per-request), by series ", index,
                 " (protobuf offset ", s.offset(), ")"));
    }
  }
  view_ = WriteRequestView(proto, static_cast<uint32_t>(num_series),
                           static_cast<uint32_t>(num_metadata), num_samples);
  return &view_;
}

}  // namespace strata::server
