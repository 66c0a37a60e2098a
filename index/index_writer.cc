#include "index/index_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "index/format.h"

namespace strata::index {
namespace {

using compression::PutBE32;
using compression::PutBE64;
using compression::PutUvarint;
using compression::PutVarint;

// Bytes buffered before they are handed to the file.
constexpr size_t kFlushBytes = 1 << 20;

void PutCrc(std::string* dst, std::string_view covered) {
  PutBE32(dst, compression::crc32c::Value(covered));
}

}  // namespace

IndexWriter::IndexWriter(std::unique_ptr<WritableFile> file, std::string path)
    : file_(std::move(file)), path_(std::move(path)) {}

IndexWriter::~IndexWriter() {
  // An unfinished index is garbage either way; closing only frees the fd.
  if (stage_ != Stage::kDone) file_->Close().IgnoreError();
}

StatusOr<std::unique_ptr<IndexWriter>> IndexWriter::Create(Env& env, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
  std::unique_ptr<IndexWriter> w(new IndexWriter(std::move(file), path));
  PutBE32(&w->buf_, format::kMagic);
  w->buf_.push_back(static_cast<char>(format::kVersion2));
  w->pos_ = format::kHeaderSize;
  w->toc_[format::kTocSymbols] = format::kHeaderSize;
  return w;
}

Status IndexWriter::Write(std::string_view bytes) {
  buf_.append(bytes);
  pos_ += bytes.size();
  if (buf_.size() >= kFlushBytes) return Flush();
  return absl::OkStatus();
}

Status IndexWriter::Flush() {
  if (buf_.empty()) return absl::OkStatus();
  Status s = file_->Append(buf_);
  buf_.clear();
  return Annotate(s, StrCat("write index ", path_));
}

Status IndexWriter::Pad(uint64_t alignment) {
  const uint64_t rem = pos_ % alignment;
  if (rem == 0) return absl::OkStatus();
  return Write(std::string(alignment - rem, '\0'));
}

Status IndexWriter::WriteSection(std::string_view body) {
  std::string len;
  PutBE32(&len, static_cast<uint32_t>(body.size()));
  STRATA_RETURN_IF_ERROR(Write(len));
  STRATA_RETURN_IF_ERROR(Write(body));
  std::string crc;
  PutCrc(&crc, body);
  return Write(crc);
}

Status IndexWriter::AddSymbol(std::string_view symbol) {
  if (stage_ != Stage::kSymbols) {
    return absl::FailedPreconditionError(
        absl::StrFormat("index writer %s: symbol \"%s\" added after series", path_, symbol));
  }
  if (!symbols_.empty() && symbol <= symbols_.back()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("index writer %s: symbol \"%s\" out of order (after \"%s\")", path_, symbol,
                        symbols_.back()));
  }
  symbols_.emplace_back(symbol);
  return absl::OkStatus();
}

Status IndexWriter::FinishSymbols() {
  if (symbols_.size() > UINT32_MAX) {
    return absl::ResourceExhaustedError(StrCat("index writer ", path_, ": too many symbols"));
  }
  std::string body;
  PutBE32(&body, static_cast<uint32_t>(symbols_.size()));
  for (const std::string& s : symbols_) {
    PutUvarint(&body, s.size());
    body.append(s);
  }
  STRATA_RETURN_IF_ERROR(WriteSection(body));
  toc_[format::kTocSeries] = pos_;
  stage_ = Stage::kSeries;
  return absl::OkStatus();
}

StatusOr<uint32_t> IndexWriter::SymbolRef(std::string_view s) const {
  const auto it = std::lower_bound(symbols_.begin(), symbols_.end(), s);
  if (it == symbols_.end() || *it != s) {
    return absl::InvalidArgumentError(
        absl::StrFormat("index writer %s: \"%s\" is not a symbol", path_, s));
  }
  return static_cast<uint32_t>(it - symbols_.begin());
}

StatusOr<uint64_t> IndexWriter::AddSeries(const Labels& labels, std::span<const ChunkMeta> chunks) {
  if (stage_ == Stage::kSymbols) STRATA_RETURN_IF_ERROR(FinishSymbols());
  if (stage_ != Stage::kSeries) {
    return absl::FailedPreconditionError(StrCat("index writer ", path_, ": already finished"));
  }
  if (labels.empty() || (!last_series_.empty() && Compare(labels, last_series_) <= 0)) {
    return absl::InvalidArgumentError(StrCat("index writer ", path_, ": series ", labels.ToString(),
                                             " empty or out of order (after ",
                                             last_series_.ToString(), ")"));
  }
  STRATA_RETURN_IF_ERROR(Pad(format::kSeriesAlignment));
  const uint64_t ref = pos_ / format::kSeriesAlignment;
  if (ref > UINT32_MAX) {
    return absl::ResourceExhaustedError(
        StrCat("index writer ", path_, ": series section exceeds the format's 64 GiB"));
  }
  // Resolve every symbol before anything is recorded, so a failed call
  // leaves the postings untouched.
  label_refs_.clear();
  for (const Label& l : labels) {
    STRATA_ASSIGN_OR_RETURN(const uint32_t name, SymbolRef(l.name));
    STRATA_ASSIGN_OR_RETURN(const uint32_t value, SymbolRef(l.value));
    label_refs_.push_back((uint64_t{name} << 32) | value);
  }
  scratch_.clear();
  PutUvarint(&scratch_, label_refs_.size());
  for (uint64_t key : label_refs_) {
    PutUvarint(&scratch_, key >> 32);
    PutUvarint(&scratch_, static_cast<uint32_t>(key));
    postings_[key].push_back(static_cast<uint32_t>(ref));
  }
  PutUvarint(&scratch_, chunks.size());
  // Deltas wrap like Prometheus' uint64 conversions; the reader undoes them.
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkMeta& c = chunks[i];
    if (i == 0) {
      PutVarint(&scratch_, c.min_time_ms);
      PutUvarint(&scratch_, static_cast<uint64_t>(c.max_time_ms - c.min_time_ms));
      PutUvarint(&scratch_, c.ref);
    } else {
      PutUvarint(&scratch_, static_cast<uint64_t>(c.min_time_ms - chunks[i - 1].max_time_ms));
      PutUvarint(&scratch_, static_cast<uint64_t>(c.max_time_ms - c.min_time_ms));
      PutVarint(&scratch_, static_cast<int64_t>(c.ref - chunks[i - 1].ref));
    }
  }
  std::string head;
  PutUvarint(&head, scratch_.size());
  PutCrc(&scratch_, scratch_);
  STRATA_RETURN_IF_ERROR(Write(head));
  STRATA_RETURN_IF_ERROR(Write(scratch_));
  all_refs_.push_back(static_cast<uint32_t>(ref));
  last_series_ = labels;
  return ref;
}

Status IndexWriter::WriteLabelIndices(std::vector<std::pair<uint32_t, uint64_t>>* offsets) {
  // Postings keys sorted numerically are sorted by (name, value) strings,
  // because symbol refs follow string order.
  std::vector<uint64_t> keys;
  keys.reserve(postings_.size());
  for (const auto& [key, refs] : postings_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size();) {
    const uint32_t name = static_cast<uint32_t>(keys[i] >> 32);
    std::string body;
    PutBE32(&body, 1);  // #names
    PutBE32(&body, 0);  // #entries, patched below
    uint32_t n = 0;
    for (; i < keys.size() && (keys[i] >> 32) == name; ++i, ++n) {
      PutBE32(&body, static_cast<uint32_t>(keys[i]));
    }
    compression::StoreBE32(body.data() + 4, n);
    STRATA_RETURN_IF_ERROR(Pad(format::kListAlignment));
    offsets->emplace_back(name, pos_);
    STRATA_RETURN_IF_ERROR(WriteSection(body));
  }
  return absl::OkStatus();
}

Status IndexWriter::WritePostings(std::vector<std::pair<uint64_t, uint64_t>>* offsets) {
  auto write_list = [this](std::span<const uint32_t> refs) -> Status {
    std::string body;
    body.reserve(4 + 4 * refs.size());
    PutBE32(&body, static_cast<uint32_t>(refs.size()));
    for (uint32_t r : refs) PutBE32(&body, r);
    return WriteSection(body);
  };
  // The all-series list comes first: its key ("", "") sorts first.
  STRATA_RETURN_IF_ERROR(Pad(format::kListAlignment));
  offsets->emplace_back(UINT64_MAX, pos_);
  STRATA_RETURN_IF_ERROR(write_list(all_refs_));
  std::vector<uint64_t> keys;
  keys.reserve(postings_.size());
  for (const auto& [key, refs] : postings_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (uint64_t key : keys) {
    STRATA_RETURN_IF_ERROR(Pad(format::kListAlignment));
    offsets->emplace_back(key, pos_);
    STRATA_RETURN_IF_ERROR(write_list(postings_[key]));
  }
  return absl::OkStatus();
}

Status IndexWriter::WriteLabelOffsetTable(std::span<const std::pair<uint32_t, uint64_t>> offsets) {
  std::string body;
  PutBE32(&body, static_cast<uint32_t>(offsets.size()));
  for (const auto& [name, offset] : offsets) {
    body.push_back(static_cast<char>(format::kLabelOffsetKeyCount));
    PutUvarint(&body, symbols_[name].size());
    body.append(symbols_[name]);
    PutUvarint(&body, offset);
  }
  return WriteSection(body);
}

Status IndexWriter::WritePostingsOffsetTable(
    std::span<const std::pair<uint64_t, uint64_t>> offsets) {
  std::string body;
  PutBE32(&body, static_cast<uint32_t>(offsets.size()));
  for (const auto& [key, offset] : offsets) {
    std::string_view name = format::kAllPostingsName, value = format::kAllPostingsValue;
    if (key != UINT64_MAX) {
      name = symbols_[key >> 32];
      value = symbols_[static_cast<uint32_t>(key)];
    }
    body.push_back(static_cast<char>(format::kPostingsOffsetKeyCount));
    PutUvarint(&body, name.size());
    body.append(name);
    PutUvarint(&body, value.size());
    body.append(value);
    PutUvarint(&body, offset);
  }
  return WriteSection(body);
}

Status IndexWriter::WriteToc() {
  std::string toc;
  for (uint64_t offset : toc_) PutBE64(&toc, offset);
  PutCrc(&toc, toc);
  return Write(toc);
}

Status IndexWriter::Finish() {
  if (stage_ == Stage::kSymbols) STRATA_RETURN_IF_ERROR(FinishSymbols());
  if (stage_ == Stage::kDone) {
    return absl::FailedPreconditionError(StrCat("index writer ", path_, ": already finished"));
  }
  stage_ = Stage::kDone;
  std::vector<std::pair<uint32_t, uint64_t>> label_offsets;
  std::vector<std::pair<uint64_t, uint64_t>> postings_offsets;
  toc_[format::kTocLabelIndices] = pos_;
  STRATA_RETURN_IF_ERROR(WriteLabelIndices(&label_offsets));
  toc_[format::kTocPostings] = pos_;
  STRATA_RETURN_IF_ERROR(WritePostings(&postings_offsets));
  toc_[format::kTocLabelOffsetTable] = pos_;
  STRATA_RETURN_IF_ERROR(WriteLabelOffsetTable(label_offsets));
  toc_[format::kTocPostingsOffsetTable] = pos_;
  STRATA_RETURN_IF_ERROR(WritePostingsOffsetTable(postings_offsets));
  STRATA_RETURN_IF_ERROR(WriteToc());
  STRATA_RETURN_IF_ERROR(Flush());
  STRATA_RETURN_IF_ERROR(Annotate(file_->Sync(), StrCat("sync index ", path_)));
  return Annotate(file_->Close(), StrCat("close index ", path_));
}

}  // namespace strata::index
