#include "index/index_reader.h"

#include <algorithm>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "index/format.h"
#include "index/postings.h"

namespace strata::index {
namespace {

using compression::ConsumeUvarint;
using compression::ConsumeVarint;
using compression::LoadBE32;
using compression::LoadBE64;

Status Damaged(std::string_view section, uint64_t offset, std::string_view what) {
  return absl::DataLossError(StrCat(section, " at offset ", offset, ": ", what));
}

bool ConsumeBE32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = LoadBE32(in->data());
  in->remove_prefix(4);
  return true;
}

bool ConsumeString(std::string_view* in, std::string_view* s) {
  uint64_t n;
  if (!ConsumeUvarint(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// Decodes the chunk metas that end a series entry (index.md "Series"):
// deltas wrap as Prometheus' uint64 arithmetic does.
Status DecodeChunkMetas(std::string_view body, uint64_t off, std::vector<ChunkMeta>* out) {
  const std::string_view section = format::kSectionSeries;
  uint64_t count;
  if (!ConsumeUvarint(&body, &count) || count > body.size() / 3) {
    return Damaged(section, off, "bad chunk count");
  }
  out->reserve(count);
  ChunkMeta prev;
  for (uint64_t i = 0; i < count; ++i) {
    ChunkMeta c;
    uint64_t span = 0;
    bool ok;
    if (i == 0) {
      ok = ConsumeVarint(&body, &c.min_time_ms) && ConsumeUvarint(&body, &span) &&
           ConsumeUvarint(&body, &c.ref);
    } else {
      uint64_t gap = 0;
      int64_t ref_delta = 0;
      ok = ConsumeUvarint(&body, &gap) && ConsumeUvarint(&body, &span) &&
           ConsumeVarint(&body, &ref_delta);
      c.min_time_ms = static_cast<int64_t>(static_cast<uint64_t>(prev.max_time_ms) + gap);
      c.ref = prev.ref + static_cast<uint64_t>(ref_delta);
    }
    if (!ok) return Damaged(section, off, StrCat("chunk meta ", i, " is truncated"));
    c.max_time_ms = static_cast<int64_t>(static_cast<uint64_t>(c.min_time_ms) + span);
    out->push_back(c);
    prev = c;
  }
  return absl::OkStatus();
}

}  // namespace

IndexReader::IndexReader(std::unique_ptr<MappedFile> file, std::string_view data)
    : file_(std::move(file)), data_(data) {}

IndexReader::~IndexReader() = default;

StatusOr<std::unique_ptr<IndexReader>> IndexReader::Open(Env& env, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto file, env.MapFile(path));
  const std::string_view data = file->data();
  std::unique_ptr<IndexReader> r(new IndexReader(std::move(file), data));
  STRATA_RETURN_IF_ERROR(Annotate(r->Init(), StrCat("open ", path)));
  return r;
}

StatusOr<std::unique_ptr<IndexReader>> IndexReader::OpenBytes(std::string_view data) {
  std::unique_ptr<IndexReader> r(new IndexReader(nullptr, data));
  STRATA_RETURN_IF_ERROR(r->Init());
  return r;
}

Status IndexReader::Init() {
  if (data_.size() < format::kHeaderSize + format::kTocSize) {
    return Damaged(format::kSectionHeader, 0,
                   StrCat("file of ", data_.size(), " bytes is too short"));
  }
  if (LoadBE32(data_.data()) != format::kMagic) {
    return Damaged(format::kSectionHeader, 0, "bad magic number (not an index file)");
  }
  if (const uint8_t v = static_cast<uint8_t>(data_[4]); v != format::kVersion2) {
    return Damaged(format::kSectionHeader, 4, StrCat("unsupported index version ", v, " (want 2)"));
  }
  toc_offset_ = data_.size() - format::kTocSize;
  const std::string_view toc = data_.substr(toc_offset_, format::kTocEntries * 8);
  if (compression::crc32c::Value(toc) != LoadBE32(data_.data() + data_.size() - 4)) {
    return Damaged(format::kSectionToc, toc_offset_, "checksum mismatch");
  }
  for (size_t i = 0; i < format::kTocEntries; ++i) {
    toc_[i] = LoadBE64(toc.data() + 8 * i);
    if (toc_[i] > toc_offset_ || (toc_[i] != 0 && toc_[i] < format::kHeaderSize)) {
      return Damaged(format::kSectionToc, toc_offset_ + 8 * i,
                     StrCat("section offset ", toc_[i], " outside the file"));
    }
  }
  // The series section ends where the next section present begins.
  series_end_ = toc_offset_;
  for (size_t i = format::kTocLabelIndices; i < format::kTocEntries; ++i) {
    if (toc_[i] > toc_[format::kTocSeries]) series_end_ = std::min(series_end_, toc_[i]);
  }
  STRATA_RETURN_IF_ERROR(ReadSymbols());
  STRATA_RETURN_IF_ERROR(CheckLabelIndices());
  return ReadPostingsOffsets();
}

StatusOr<std::string_view> IndexReader::Section(uint64_t offset, std::string_view section) const {
  if (offset > toc_offset_ || toc_offset_ - offset < 4) {
    return Damaged(section, offset, "length field outside the file");
  }
  const uint64_t len = LoadBE32(data_.data() + offset);
  if (toc_offset_ - offset - 4 < len + format::kCrcSize) {
    return Damaged(section, offset, StrCat("length ", len, " runs past the end of the data"));
  }
  const std::string_view body = data_.substr(offset + 4, len);
  if (compression::crc32c::Value(body) != LoadBE32(data_.data() + offset + 4 + len)) {
    return Damaged(section, offset, "checksum mismatch");
  }
  return body;
}

Status IndexReader::ReadSymbols() {
  const uint64_t off = toc_[format::kTocSymbols];
  if (off == 0) return absl::OkStatus();
  STRATA_ASSIGN_OR_RETURN(std::string_view body, Section(off, format::kSectionSymbols));
  uint32_t count;
  if (!ConsumeBE32(&body, &count) || count > body.size()) {
    return Damaged(format::kSectionSymbols, off, "bad symbol count");
  }
  symbols_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view s;
    if (!ConsumeString(&body, &s)) {
      return Damaged(format::kSectionSymbols, off, StrCat("symbol ", i, " is truncated"));
    }
    symbols_.push_back(s);
  }
  return absl::OkStatus();
}

Status IndexReader::CheckLabelIndices() {
  const uint64_t off = toc_[format::kTocLabelOffsetTable];
  if (off == 0) return absl::OkStatus();
  STRATA_ASSIGN_OR_RETURN(std::string_view body, Section(off, format::kSectionLabelOffsets));
  uint32_t count;
  if (!ConsumeBE32(&body, &count)) return Damaged(format::kSectionLabelOffsets, off, "no count");
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name;
    uint64_t index_off;
    if (body.empty() || static_cast<uint8_t>(body[0]) != format::kLabelOffsetKeyCount) {
      return Damaged(format::kSectionLabelOffsets, off, StrCat("entry ", i, ": bad key count"));
    }
    body.remove_prefix(1);
    if (!ConsumeString(&body, &name) || !ConsumeUvarint(&body, &index_off)) {
      return Damaged(format::kSectionLabelOffsets, off, StrCat("entry ", i, " is truncated"));
    }
    STRATA_ASSIGN_OR_RETURN(std::string_view li, Section(index_off, format::kSectionLabelIndex));
    uint32_t names, entries;
    if (!ConsumeBE32(&li, &names) || !ConsumeBE32(&li, &entries) ||
        uint64_t{entries} * 4 != li.size()) {
      return Damaged(format::kSectionLabelIndex, index_off, "entry count does not match length");
    }
  }
  return absl::OkStatus();
}

Status IndexReader::ReadPostingsOffsets() {
  const uint64_t off = toc_[format::kTocPostingsOffsetTable];
  if (off == 0) return absl::OkStatus();
  const std::string_view section = format::kSectionPostingsOffsets;
  STRATA_ASSIGN_OR_RETURN(std::string_view body, Section(off, section));
  uint32_t count;
  if (!ConsumeBE32(&body, &count) || count > body.size()) return Damaged(section, off, "bad count");
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name, value;
    uint64_t list_off;
    if (body.empty() || static_cast<uint8_t>(body[0]) != format::kPostingsOffsetKeyCount) {
      return Damaged(section, off, StrCat("entry ", i, ": bad key count"));
    }
    body.remove_prefix(1);
    if (!ConsumeString(&body, &name) || !ConsumeString(&body, &value) ||
        !ConsumeUvarint(&body, &list_off)) {
      return Damaged(section, off, StrCat("entry ", i, " is truncated"));
    }
    if (names_.empty() || names_.back().name != name) {
      if (!names_.empty() && name < names_.back().name) {
        return Damaged(section, off, StrCat("entry ", i, ": label names out of order"));
      }
      names_.push_back(NameEntry{name, {}});
    } else if (value <= names_.back().values.back().value) {
      return Damaged(section, off, StrCat("entry ", i, ": label values out of order"));
    }
    names_.back().values.push_back(ValueOffset{value, list_off});
  }
  return absl::OkStatus();
}

const IndexReader::NameEntry* IndexReader::FindName(std::string_view name) const {
  const auto it =
      std::lower_bound(names_.begin(), names_.end(), name,
                       [](const NameEntry& e, std::string_view n) { return e.name < n; });
  return it != names_.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string_view> IndexReader::LabelNames() const {
  std::vector<std::string_view> out;
  for (const NameEntry& e : names_) {
    if (!e.name.empty()) out.push_back(e.name);
  }
  return out;
}

std::vector<std::string_view> IndexReader::LabelValues(std::string_view name) const {
  std::vector<std::string_view> out;
  const NameEntry* e = name.empty() ? nullptr : FindName(name);
  if (e == nullptr) return out;
  out.reserve(e->values.size());
  for (const ValueOffset& v : e->values) out.push_back(v.value);
  return out;
}

StatusOr<std::vector<uint64_t>> IndexReader::ReadPostings(uint64_t offset) const {
  const std::string_view section = format::kSectionPostings;
  STRATA_ASSIGN_OR_RETURN(std::string_view body, Section(offset, section));
  uint32_t count;
  if (!ConsumeBE32(&body, &count) || uint64_t{count} * 4 != body.size()) {
    return Damaged(section, offset, "entry count does not match length");
  }
  std::vector<uint64_t> refs(count);
  for (uint32_t i = 0; i < count; ++i) {
    refs[i] = LoadBE32(body.data() + 4 * i);
    if (i > 0 && refs[i] <= refs[i - 1]) {
      return Damaged(section, offset, StrCat("series refs not increasing at entry ", i));
    }
  }
  return refs;
}

StatusOr<std::vector<uint64_t>> IndexReader::Postings(std::string_view name,
                                                      std::string_view value) const {
  const NameEntry* e = FindName(name);
  if (e == nullptr) return std::vector<uint64_t>{};
  const auto it =
      std::lower_bound(e->values.begin(), e->values.end(), value,
                       [](const ValueOffset& v, std::string_view x) { return v.value < x; });
  if (it == e->values.end() || it->value != value) return std::vector<uint64_t>{};
  return ReadPostings(it->offset);
}

StatusOr<std::vector<uint64_t>> IndexReader::AllPostings() const {
  return Postings(format::kAllPostingsName, format::kAllPostingsValue);
}

StatusOr<PostingsList> IndexReader::PostingsForValues(
    std::string_view name, absl::FunctionRef<bool(std::string_view)> match) const {
  const NameEntry* e = name.empty() ? nullptr : FindName(name);
  PostingsList out;
  if (e == nullptr) return out;
  for (const ValueOffset& v : e->values) {
    if (!match(v.value)) continue;
    STRATA_ASSIGN_OR_RETURN(auto refs, ReadPostings(v.offset));
    out.AddOwned(std::move(refs));
  }
  return out;
}

StatusOr<PostingsList> IndexReader::PostingsForValueList(
    std::string_view name, std::span<const std::string> values) const {
  PostingsList out;
  for (const std::string& v : values) {
    if (v.empty()) continue;
    STRATA_ASSIGN_OR_RETURN(auto refs, Postings(name, v));
    out.AddOwned(std::move(refs));
  }
  return out;
}

StatusOr<SeriesEntry> IndexReader::Series(uint64_t ref) const {
  const std::string_view section = format::kSectionSeries;
  const uint64_t start = toc_[format::kTocSeries];
  if (start == 0 || ref > series_end_ / format::kSeriesAlignment ||
      ref * format::kSeriesAlignment < start || ref * format::kSeriesAlignment >= series_end_) {
    return absl::NotFoundError(StrCat(section, ": series ref ", ref, " outside the section"));
  }
  const uint64_t off = ref * format::kSeriesAlignment;
  std::string_view in = data_.substr(off, series_end_ - off);
  uint64_t len;
  if (!ConsumeUvarint(&in, &len) || in.size() < format::kCrcSize ||
      len > in.size() - format::kCrcSize) {
    return Damaged(section, off, "length runs past the end of the section");
  }
  std::string_view body = in.substr(0, len);
  if (compression::crc32c::Value(body) != LoadBE32(in.data() + len)) {
    return Damaged(section, off, "checksum mismatch");
  }
  SeriesEntry entry;
  uint64_t count;
  if (!ConsumeUvarint(&body, &count) || count == 0 || count > body.size()) {
    return Damaged(section, off, StrCat("bad label count ", count));
  }
  std::string encoded;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t name, value;
    if (!ConsumeUvarint(&body, &name) || !ConsumeUvarint(&body, &value) ||
        name >= symbols_.size() || value >= symbols_.size()) {
      return Damaged(section, off, StrCat("label ", i, ": bad symbol reference"));
    }
    AppendLabelEncoding(&encoded, symbols_[name], symbols_[value]);
  }
  if (!Labels::FromEncoded(std::move(encoded), &entry.labels)) {
    return Damaged(section, off, "labels empty or not sorted");
  }
  STRATA_RETURN_IF_ERROR(DecodeChunkMetas(body, off, &entry.chunks));
  return entry;
}

StatusOr<std::vector<uint64_t>> IndexReader::PostingsForMatchers(
    std::span<const Matcher> matchers) const {
  return index::PostingsForMatchers(*this, matchers);
}

}  // namespace strata::index
