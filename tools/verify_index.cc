#include "tools/verify_index.h"

#include <algorithm>

#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "index/format.h"

namespace strata::tools::verify {
namespace {

namespace format = index::format;
using compression::ConsumeUvarint;
using compression::ConsumeVarint;
using compression::LoadBE32;
using compression::LoadBE64;

// Longest series entry a resynchronisation accepts: larger candidates are
// junk (an entry with 100k chunk metas is about 1 MiB).
constexpr uint64_t kMaxSeriesEntry = 4u << 20;

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

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Prometheus' labels.Compare on (name, value) pair lists.
int CompareLabels(const std::vector<std::pair<std::string_view, std::string_view>>& a,
                  const std::vector<std::pair<std::string_view, std::string_view>>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i].first != b[i].first) return a[i].first < b[i].first ? -1 : 1;
    if (a[i].second != b[i].second) return a[i].second < b[i].second ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

IndexChecker::IndexChecker(Findings& findings, const std::string& file, std::string_view data)
    : findings_(findings), file_(file), data_(data) {}

std::string IndexChecker::LabelsString(
    const std::vector<std::pair<std::string_view, std::string_view>>& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    StrAppend(&out, i == 0 ? "" : ", ", labels[i].first, "=\"", labels[i].second, "\"");
  }
  out += "}";
  return out;
}

void IndexChecker::Run(const std::function<void(const IndexSeries&)>& on_series) {
  if (!CheckHeaderAndToc()) return;
  CheckSymbols();
  CheckSeries(on_series);
  CheckLabelIndices();
  CheckPostings();
}

bool IndexChecker::IsSeriesRef(uint64_t ref) const {
  const uint64_t off = ref * format::kSeriesAlignment;
  if (toc_[format::kTocSeries] == 0 || off < series_start_ || off >= series_end_) return false;
  return series_starts_[(off - series_start_) / format::kSeriesAlignment];
}

uint64_t IndexChecker::SectionEnd(size_t entry) const {
  uint64_t end = toc_offset_;
  for (size_t i = 0; i < format::kTocEntries; ++i) {
    if (toc_[i] > toc_[entry]) end = std::min(end, toc_[i]);
  }
  return end;
}

bool IndexChecker::CheckHeaderAndToc() {
  if (data_.size() < format::kHeaderSize + format::kTocSize) {
    Problem(0, StrCat("file of ", data_.size(), " bytes is too short for an index"));
    return false;
  }
  if (LoadBE32(data_.data()) != format::kMagic) {
    Problem(0, "bad magic number (not an index file)");
  }
  if (const uint8_t v = static_cast<uint8_t>(data_[4]); v != format::kVersion2) {
    Problem(4, StrCat("unsupported index version ", v, " (want 2)"));
  }
  toc_offset_ = data_.size() - format::kTocSize;
  const std::string_view toc = data_.substr(toc_offset_, format::kTocEntries * 8);
  const uint32_t want = LoadBE32(data_.data() + data_.size() - 4);
  const uint32_t got = compression::crc32c::Value(toc);
  if (want != got) {
    Problem(toc_offset_, StrCat("TOC CRC mismatch (want ", Crc(want), ", got ", Crc(got), ")"));
  }
  // Even with a bad CRC the offsets may be usable; they are if they are
  // inside the file and in section order.
  // (Prometheus writes postings before the label offset table, so the
  // TOC is not in file order.)
  bool usable = true;
  for (size_t i = 0; i < format::kTocEntries; ++i) {
    toc_[i] = LoadBE64(toc.data() + 8 * i);
    if (toc_[i] == 0) continue;
    if (toc_[i] >= toc_offset_ || toc_[i] < format::kHeaderSize) {
      Problem(toc_offset_ + 8 * i, StrCat("TOC section offset ", toc_[i], " outside the file"));
      usable = false;
    }
  }
  if (!usable) {
    Problem(toc_offset_, "TOC unusable: the rest of the index was not checked");
    return false;
  }
  series_end_ = SectionEnd(format::kTocSeries);
  // Prometheus pads the start of the series section to 16 bytes.
  series_start_ = AlignUp(toc_[format::kTocSeries], format::kSeriesAlignment);
  if (toc_[format::kTocSeries] != 0 && series_start_ < series_end_) {
    series_starts_.assign((series_end_ - series_start_) / format::kSeriesAlignment + 1, false);
  } else {
    series_start_ = series_end_;
  }
  return true;
}

IndexChecker::Section IndexChecker::ReadSection(uint64_t offset, std::string_view what) {
  Section s;
  if (offset > toc_offset_ || toc_offset_ - offset < 4) {
    Problem(offset, StrCat(what, ": length field outside the file"));
    return s;
  }
  const uint64_t len = LoadBE32(data_.data() + offset);
  if (toc_offset_ - offset - 4 < len + format::kCrcSize) {
    Problem(offset, StrCat(what, ": length ", len, " runs past the end of the data"));
    return s;
  }
  s.ok = true;
  s.body = data_.substr(offset + 4, len);
  s.end = offset + 4 + len + format::kCrcSize;
  const uint32_t want = LoadBE32(data_.data() + offset + 4 + len);
  const uint32_t got = compression::crc32c::Value(s.body);
  s.crc_ok = want == got;
  if (!s.crc_ok) {
    Problem(offset, StrCat(what, " CRC mismatch (want ", Crc(want), ", got ", Crc(got), ")"));
  }
  return s;
}

void IndexChecker::CheckSymbols() {
  const uint64_t off = toc_[format::kTocSymbols];
  if (off == 0) return;
  Section s = ReadSection(off, "symbol table");
  if (!s.ok) return;
  std::string_view body = s.body;
  uint32_t count;
  if (!ConsumeBE32(&body, &count) || count > body.size()) {
    Problem(off, "symbol table: bad symbol count");
    return;
  }
  symbols_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view sym;
    if (!ConsumeString(&body, &sym)) {
      Problem(off, StrCat("symbol table: symbol ", i, " is truncated"));
      return;
    }
    if (!symbols_.empty() && sym <= symbols_.back() && s.crc_ok) {
      Problem(off, StrCat("symbol table: symbol ", i, " out of order"));
    }
    symbols_.push_back(sym);
  }
}

uint64_t IndexChecker::SeriesEntryAt(uint64_t off, bool report, std::string_view* body) {
  std::string_view in = data_.substr(off, series_end_ - off);
  const size_t before = in.size();
  uint64_t len;
  if (!ConsumeUvarint(&in, &len) || len == 0 || in.size() < format::kCrcSize ||
      len > in.size() - format::kCrcSize || (!report && len > kMaxSeriesEntry)) {
    if (report) Problem(off, "series entry: length runs past the end of the series section");
    return 0;
  }
  *body = in.substr(0, len);
  const uint32_t want = LoadBE32(in.data() + len);
  const uint32_t got = compression::crc32c::Value(*body);
  if (want != got) {
    if (report) {
      Problem(off, StrCat("series entry CRC mismatch (want ", Crc(want), ", got ", Crc(got), ")"));
    }
    return 0;
  }
  return off + (before - in.size()) + len + format::kCrcSize;
}

void IndexChecker::CheckSeries(const std::function<void(const IndexSeries&)>& on_series) {
  if (toc_[format::kTocSeries] == 0) return;
  const uint64_t start = series_start_;
  IndexSeries prev;
  uint64_t off = start;
  while (off < series_end_) {
    // Zero padding ends the section (before the label indices).
    if (data_[off] == 0) {
      const std::string_view rest = data_.substr(off, series_end_ - off);
      if (rest.find_first_not_of('\0') == std::string_view::npos) break;
    }
    std::string_view body;
    const uint64_t end = SeriesEntryAt(off, true, &body);
    if (end != 0) {
      DecodeSeries(off, body, &prev, on_series);
      off = AlignUp(end, format::kSeriesAlignment);
      continue;
    }
    // Resynchronise: the next aligned offset whose entry checks out.
    series_damaged_ = true;
    uint64_t next = off + format::kSeriesAlignment;
    for (; next < series_end_; next += format::kSeriesAlignment) {
      if (SeriesEntryAt(next, false, &body) != 0) break;
    }
    if (next < series_end_) {
      findings_.Warning(file_, static_cast<int64_t>(off),
                        StrCat("skipped ", next - off,
                               " damaged bytes of series entries; "
                               "resumed at offset ",
                               next));
    }
    off = next;
  }
}

void IndexChecker::DecodeSeries(uint64_t off, std::string_view body, IndexSeries* prev,
                                const std::function<void(const IndexSeries&)>& on_series) {
  IndexSeries s;
  s.offset = off;
  uint64_t count;
  if (!ConsumeUvarint(&body, &count) || count == 0 || count > body.size()) {
    Problem(off, StrCat("series entry: bad label count ", count));
    return;
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t name, value;
    if (!ConsumeUvarint(&body, &name) || !ConsumeUvarint(&body, &value)) {
      Problem(off, StrCat("series entry: label ", i, " is truncated"));
      return;
    }
    if (name >= symbols_.size() || value >= symbols_.size()) {
      Problem(off, StrCat("series entry: label ", i, " references symbol ", std::max(name, value),
                          " but the table has ", symbols_.size()));
      return;
    }
    s.labels.emplace_back(symbols_[name], symbols_[value]);
    if (i > 0 && s.labels[i - 1].first >= s.labels[i].first) {
      Problem(off, StrCat("series ", LabelsString(s.labels), ": label names not sorted"));
    }
  }
  uint64_t chunks;
  if (!ConsumeUvarint(&body, &chunks) || chunks > body.size()) {
    Problem(off, "series entry: bad chunk count");
    return;
  }
  for (uint64_t i = 0; i < chunks; ++i) {
    index::ChunkMeta c;
    uint64_t span = 0;
    bool ok;
    if (i == 0) {
      ok = ConsumeVarint(&body, &c.min_time_ms) && ConsumeUvarint(&body, &span) &&
           ConsumeUvarint(&body, &c.ref);
    } else {
      const index::ChunkMeta& p = s.chunks.back();
      uint64_t gap = 0;
      int64_t ref_delta = 0;
      ok = ConsumeUvarint(&body, &gap) && ConsumeUvarint(&body, &span) &&
           ConsumeVarint(&body, &ref_delta);
      c.min_time_ms = static_cast<int64_t>(static_cast<uint64_t>(p.max_time_ms) + gap);
      c.ref = p.ref + static_cast<uint64_t>(ref_delta);
    }
    if (!ok) {
      Problem(off, StrCat("series ", LabelsString(s.labels), ": chunk meta ", i, " is truncated"));
      return;
    }
    c.max_time_ms = static_cast<int64_t>(static_cast<uint64_t>(c.min_time_ms) + span);
    if (i > 0 && c.min_time_ms <= s.chunks.back().max_time_ms) {
      Problem(off, StrCat("series ", LabelsString(s.labels), ": chunk ", i,
                          " overlaps or precedes the chunk before it"));
    }
    s.chunks.push_back(c);
  }
  if (!body.empty()) {
    Problem(off, StrCat("series ", LabelsString(s.labels), ": ", body.size(),
                        " bytes left after the chunk metas"));
  }
  if (!prev->labels.empty() && CompareLabels(prev->labels, s.labels) >= 0) {
    Problem(off, StrCat("series ", LabelsString(s.labels), " not sorted after ",
                        LabelsString(prev->labels)));
  }
  series_starts_[(off - series_start_) / format::kSeriesAlignment] = true;
  ++series_;
  on_series(s);
  *prev = std::move(s);
}

void IndexChecker::CheckLabelIndices() {
  const uint64_t off = toc_[format::kTocLabelOffsetTable];
  if (off == 0) return;
  Section table = ReadSection(off, "label offset table");
  if (!table.ok) return;
  std::string_view body = table.body;
  uint32_t count;
  if (!ConsumeBE32(&body, &count)) {
    Problem(off, "label offset table: no entry count");
    return;
  }
  std::string_view prev_name;
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name;
    uint64_t index_off;
    if (body.empty() || static_cast<uint8_t>(body[0]) != format::kLabelOffsetKeyCount) {
      Problem(off, StrCat("label offset table: entry ", i, ": bad key count"));
      return;
    }
    body.remove_prefix(1);
    if (!ConsumeString(&body, &name) || !ConsumeUvarint(&body, &index_off)) {
      Problem(off, StrCat("label offset table: entry ", i, " is truncated"));
      return;
    }
    if (i > 0 && name <= prev_name) {
      Problem(off, StrCat("label offset table: entry ", i, " (", name, ") out of order"));
    }
    prev_name = name;
    const uint64_t lo = toc_[format::kTocLabelIndices];
    if (lo == 0 || index_off < lo || index_off >= SectionEnd(format::kTocLabelIndices)) {
      Problem(off, StrCat("label offset table: label index of ", name, " at offset ", index_off,
                          " outside the label index section"));
      continue;
    }
    Section li = ReadSection(index_off, StrCat("label index of ", name));
    if (!li.ok) continue;
    std::string_view lb = li.body;
    uint32_t names, entries;
    if (!ConsumeBE32(&lb, &names) || !ConsumeBE32(&lb, &entries) ||
        uint64_t{entries} * 4 != lb.size()) {
      Problem(index_off, StrCat("label index of ", name, ": entry count does not match length"));
      continue;
    }
    for (uint32_t e = 0; e < entries && li.crc_ok; ++e) {
      const uint32_t sym = LoadBE32(lb.data() + 4 * e);
      if (sym >= symbols_.size()) {
        Problem(index_off, StrCat("label index of ", name, ": entry ", e, " references symbol ",
                                  sym, " but the table has ", symbols_.size()));
        break;
      }
    }
  }
}

void IndexChecker::CheckPostings() {
  const uint64_t off = toc_[format::kTocPostingsOffsetTable];
  if (off == 0) return;
  Section table = ReadSection(off, "postings offset table");
  if (!table.ok) return;
  std::string_view body = table.body;
  uint32_t count;
  if (!ConsumeBE32(&body, &count) || count > body.size()) {
    Problem(off, "postings offset table: bad entry count");
    return;
  }
  std::string_view prev_name, prev_value;
  uint64_t all_entries = 0;
  bool have_all = false;
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name, value;
    uint64_t list_off;
    if (body.empty() || static_cast<uint8_t>(body[0]) != format::kPostingsOffsetKeyCount) {
      Problem(off, StrCat("postings offset table: entry ", i, ": bad key count"));
      return;
    }
    body.remove_prefix(1);
    if (!ConsumeString(&body, &name) || !ConsumeString(&body, &value) ||
        !ConsumeUvarint(&body, &list_off)) {
      Problem(off, StrCat("postings offset table: entry ", i, " is truncated"));
      return;
    }
    if (i > 0 && (name < prev_name || (name == prev_name && value <= prev_value))) {
      Problem(off,
              StrCat("postings offset table: entry ", i, " (", name, "=", value, ") out of order"));
    }
    prev_name = name;
    prev_value = value;
    const uint64_t lo = toc_[format::kTocPostings];
    if (lo == 0 || list_off < lo || list_off >= SectionEnd(format::kTocPostings)) {
      Problem(off, StrCat("postings offset table: list of ", name, "=\"", value, "\" at offset ",
                          list_off, " outside the postings section"));
      continue;
    }
    uint64_t entries = 0;
    CheckPostingsList(list_off, name, value, &entries);
    if (name == format::kAllPostingsName && value == format::kAllPostingsValue) {
      have_all = true;
      all_entries = entries;
    }
  }
  if (have_all && !series_damaged_ && all_entries != series_) {
    Problem(off, StrCat("all-series postings list has ", all_entries, " entries but the index has ",
                        series_, " series"));
  }
}

void IndexChecker::CheckPostingsList(uint64_t offset, std::string_view name, std::string_view value,
                                     uint64_t* entries) {
  const std::string what = StrCat("postings list of ", name, "=\"", value, "\"");
  Section s = ReadSection(offset, what);
  if (!s.ok || !s.crc_ok) return;
  std::string_view body = s.body;
  uint32_t count;
  if (!ConsumeBE32(&body, &count) || uint64_t{count} * 4 != body.size()) {
    Problem(offset, StrCat(what, ": entry count does not match length"));
    return;
  }
  *entries = count;
  uint32_t prev = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t ref = LoadBE32(body.data() + 4 * i);
    if (i > 0 && ref <= prev) {
      Problem(offset, StrCat(what, ": series refs not increasing at entry ", i));
      return;
    }
    prev = ref;
    // With damaged series entries only the range can be checked.
    const bool known = series_damaged_ ? (ref * format::kSeriesAlignment >= series_start_ &&
                                          ref * format::kSeriesAlignment < series_end_)
                                       : IsSeriesRef(ref);
    if (!known) {
      Problem(offset,
              StrCat(what, ": entry ", i, " references series ", ref, " (offset ",
                     uint64_t{ref} * format::kSeriesAlignment, "), which is not a series entry"));
      return;
    }
  }
}

}  // namespace strata::tools::verify
