// Record payload encoding (see records.h and Prometheus tsdb/record/record.go).
#include "wal/records.h"

#include <bit>

#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/varint.h"

namespace strata::wal {
namespace {

using compression::LoadBE64;
using compression::PutBE64;
using compression::PutUvarint;
using compression::PutVarint;

// A cursor over a record that remembers the first failure, like Go's
// encoding.Decbuf: after an error every read returns 0.
class Decbuf {
 public:
  explicit Decbuf(std::string_view b) : b_(b) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return b_.size(); }

  uint8_t Byte() {
    if (!Need(1)) return 0;
    uint8_t v = static_cast<uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return v;
  }
  uint64_t Be64() {
    if (!Need(8)) return 0;
    uint64_t v = LoadBE64(b_.data());
    b_.remove_prefix(8);
    return v;
  }
  uint64_t Uvarint() {
    uint64_t v = 0;
    if (ok_ && !compression::ConsumeUvarint(&b_, &v)) ok_ = false;
    return ok_ ? v : 0;
  }
  int64_t Varint() {
    int64_t v = 0;
    if (ok_ && !compression::ConsumeVarint(&b_, &v)) ok_ = false;
    return ok_ ? v : 0;
  }
  std::string UvarintStr() {
    uint64_t n = Uvarint();
    if (!Need(n)) return {};
    std::string s(b_.substr(0, n));
    b_.remove_prefix(n);
    return s;
  }
  Labels DecodeLabels() {
    Labels labels;
    uint64_t n = Uvarint();
    // A hostile count cannot make this loop long: each label consumes at
    // least two bytes or fails.
    for (uint64_t i = 0; i < n && ok_; ++i) {
      std::string name = UvarintStr();
      std::string value = UvarintStr();
      labels.emplace_back(std::move(name), std::move(value));
    }
    return labels;
  }

 private:
  bool Need(uint64_t n) {
    if (ok_ && b_.size() < n) ok_ = false;
    return ok_;
  }

  std::string_view b_;
  bool ok_ = true;
};

void PutUvarintStr(std::string* dst, std::string_view s) {
  PutUvarint(dst, s.size());
  dst->append(s);
}

void EncodeLabels(const Labels& labels, std::string* dst) {
  PutUvarint(dst, labels.size());
  for (const auto& [name, value] : labels) {
    PutUvarintStr(dst, name);
    PutUvarintStr(dst, value);
  }
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
double FromBits(uint64_t v) { return std::bit_cast<double>(v); }

// Consumes the type byte; InvalidArgument if it is not `want`.
Status ExpectType(Decbuf& dec, RecordType want, std::string_view what) {
  if (static_cast<RecordType>(dec.Byte()) != want || !dec.ok()) {
    return absl::InvalidArgumentError(StrCat(what, " record: invalid record type"));
  }
  return absl::OkStatus();
}

Status Finish(const Decbuf& dec, std::string_view what, size_t decoded) {
  if (!dec.ok()) {
    return absl::DataLossError(
        StrCat(what, " record: truncated or malformed after ", decoded, " entries"));
  }
  if (dec.remaining() > 0) {
    return absl::DataLossError(
        StrCat(what, " record: unexpected ", dec.remaining(), " bytes left in entry"));
  }
  return absl::OkStatus();
}

}  // namespace

RecordType GetRecordType(std::string_view record) {
  if (record.empty()) return RecordType::kUnknown;
  uint8_t t = static_cast<uint8_t>(record[0]);
  if (t >= 1 && t <= 8) return static_cast<RecordType>(t);
  return RecordType::kUnknown;
}

void EncodeSeries(std::span<const RefSeries> series, std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kSeries));
  for (const RefSeries& s : series) {
    PutBE64(dst, s.ref);
    EncodeLabels(s.labels, dst);
  }
}

void EncodeSamples(std::span<const RefSample> samples, std::string* dst) {
  // The hot record: written through a raw pointer into room for the
  // longest encoding, then cut to size (appending byte by byte to the
  // string was a sixth of an append's instructions).
  constexpr size_t kMaxPerSample = 2 * compression::kMaxVarintLen64 + 8;
  const size_t start = dst->size();
  dst->resize(start + 1 + 16 + samples.size() * kMaxPerSample);
  uint8_t* const base = reinterpret_cast<uint8_t*>(dst->data()) + start;
  uint8_t* p = base;
  *p++ = static_cast<uint8_t>(RecordType::kSamples);
  if (!samples.empty()) {
    const RefSample& first = samples.front();
    compression::StoreBE64(p, first.ref);
    compression::StoreBE64(p + 8, static_cast<uint64_t>(first.t));
    p += 16;
    for (const RefSample& s : samples) {
      p += compression::EncodeVarint(p, static_cast<int64_t>(s.ref - first.ref));
      p += compression::EncodeVarint(
          p, static_cast<int64_t>(static_cast<uint64_t>(s.t) - static_cast<uint64_t>(first.t)));
      compression::StoreBE64(p, Bits(s.v));
      p += 8;
    }
  }
  dst->resize(start + static_cast<size_t>(p - base));
}

void EncodeTombstones(std::span<const Tombstone> tombstones, std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kTombstones));
  for (const Tombstone& t : tombstones) {
    PutBE64(dst, t.ref);
    PutVarint(dst, t.mint);
    PutVarint(dst, t.maxt);
  }
}

void EncodeExemplars(std::span<const RefExemplar> exemplars, std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kExemplars));
  if (exemplars.empty()) return;
  const RefExemplar& first = exemplars.front();
  PutBE64(dst, first.ref);
  PutBE64(dst, static_cast<uint64_t>(first.t));
  for (const RefExemplar& e : exemplars) {
    PutVarint(dst, static_cast<int64_t>(e.ref - first.ref));
    PutVarint(dst,
              static_cast<int64_t>(static_cast<uint64_t>(e.t) - static_cast<uint64_t>(first.t)));
    PutBE64(dst, Bits(e.v));
    EncodeLabels(e.labels, dst);
  }
}

void EncodeMetadata(std::span<const RefMetadata> metadata, std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kMetadata));
  for (const RefMetadata& m : metadata) {
    PutUvarint(dst, m.ref);
    dst->push_back(static_cast<char>(m.type));
    PutUvarint(dst, 2);  // fields: UNIT and HELP, as record.go writes them
    PutUvarintStr(dst, "UNIT");
    PutUvarintStr(dst, m.unit);
    PutUvarintStr(dst, "HELP");
    PutUvarintStr(dst, m.help);
  }
}

Status DecodeSeries(std::string_view record, std::vector<RefSeries>* out) {
  Decbuf dec(record);
  Status s = ExpectType(dec, RecordType::kSeries, "series");
  if (!s.ok()) return s;
  size_t n = 0;
  while (dec.remaining() > 0 && dec.ok()) {
    RefSeries series;
    series.ref = dec.Be64();
    series.labels = dec.DecodeLabels();
    if (!dec.ok()) break;
    out->push_back(std::move(series));
    ++n;
  }
  return Finish(dec, "series", n);
}

Status DecodeSamples(std::string_view record, std::vector<RefSample>* out) {
  Decbuf dec(record);
  Status s = ExpectType(dec, RecordType::kSamples, "samples");
  if (!s.ok() || dec.remaining() == 0) return s;
  const uint64_t base_ref = dec.Be64();
  const uint64_t base_time = dec.Be64();
  out->reserve(out->size() + dec.remaining() / 10);
  size_t n = 0;
  while (dec.remaining() > 0 && dec.ok()) {
    const int64_t dref = dec.Varint();
    const int64_t dtime = dec.Varint();
    const uint64_t bits = dec.Be64();
    if (!dec.ok()) break;
    out->push_back({base_ref + static_cast<uint64_t>(dref),
                    static_cast<int64_t>(base_time + static_cast<uint64_t>(dtime)),
                    FromBits(bits)});
    ++n;
  }
  return Finish(dec, "samples", n);
}

Status DecodeTombstones(std::string_view record, std::vector<Tombstone>* out) {
  Decbuf dec(record);
  Status s = ExpectType(dec, RecordType::kTombstones, "tombstones");
  if (!s.ok()) return s;
  size_t n = 0;
  while (dec.remaining() > 0 && dec.ok()) {
    Tombstone t;
    t.ref = dec.Be64();
    t.mint = dec.Varint();
    t.maxt = dec.Varint();
    if (!dec.ok()) break;
    out->push_back(t);
    ++n;
  }
  return Finish(dec, "tombstones", n);
}

Status DecodeExemplars(std::string_view record, std::vector<RefExemplar>* out) {
  Decbuf dec(record);
  Status s = ExpectType(dec, RecordType::kExemplars, "exemplars");
  if (!s.ok() || dec.remaining() == 0) return s;
  const uint64_t base_ref = dec.Be64();
  const uint64_t base_time = dec.Be64();
  size_t n = 0;
  while (dec.remaining() > 0 && dec.ok()) {
    RefExemplar e;
    e.ref = base_ref + static_cast<uint64_t>(dec.Varint());
    e.t = static_cast<int64_t>(base_time + static_cast<uint64_t>(dec.Varint()));
    e.v = FromBits(dec.Be64());
    e.labels = dec.DecodeLabels();
    if (!dec.ok()) break;
    out->push_back(std::move(e));
    ++n;
  }
  return Finish(dec, "exemplars", n);
}

Status DecodeMetadata(std::string_view record, std::vector<RefMetadata>* out) {
  Decbuf dec(record);
  Status s = ExpectType(dec, RecordType::kMetadata, "metadata");
  if (!s.ok()) return s;
  size_t n = 0;
  while (dec.remaining() > 0 && dec.ok()) {
    RefMetadata m;
    m.ref = dec.Uvarint();
    m.type = dec.Byte();
    const uint64_t fields = dec.Uvarint();
    // Unknown fields are decoded and dropped, as record.go does.
    for (uint64_t i = 0; i < fields && dec.ok(); ++i) {
      std::string name = dec.UvarintStr();
      std::string value = dec.UvarintStr();
      if (name == "UNIT") m.unit = std::move(value);
      if (name == "HELP") m.help = std::move(value);
    }
    if (!dec.ok()) break;
    out->push_back(std::move(m));
    ++n;
  }
  return Finish(dec, "metadata", n);
}

}  // namespace strata::wal
