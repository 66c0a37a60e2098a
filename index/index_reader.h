// IndexReader: reads a block's v2 `index` file (tsdb/docs/format/index.md),
// whether Strata or Prometheus wrote it.
//
// Open() maps the file through Env::MapFile and checks the header, the TOC,
// the symbol table, the label offset table with every label index it points
// to, and the postings offset table (each checksum). Series and postings
// lists are checked when read. Every access is bounds-checked: a damaged
// file gives DataLoss naming the section and byte offset ("index postings at
// offset 4096: checksum mismatch"), never a crash or an out-of-bounds read.
//
// Memory: the symbol table and the whole postings offset table are decoded
// into views of the mapping (about 40 bytes per label pair). Prometheus
// keeps only every 32nd postings offset; TODO(#4): do the same for blocks
// with millions of label pairs. Postings lists are decoded per query.
//
// Thread-safety: immutable after Open(); all methods may be called
// concurrently. Returned string_views point into the mapping and are valid
// while the reader is alive.
#ifndef STRATA_INDEX_INDEX_READER_H_
#define STRATA_INDEX_INDEX_READER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/chunk_meta.h"
#include "index/labels.h"
#include "index/matcher.h"
#include "index/postings_for_matchers.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::index {

// One series as the index stores it.
struct SeriesEntry {
  Labels labels;
  std::vector<ChunkMeta> chunks;
};

class IndexReader final : public LabelPostingsSource {
 public:
  // Maps and checks `path`. Errors: those of Env::MapFile; DataLoss if the
  // file is not a valid v2 index (wrong magic, unknown version, damage).
  [[nodiscard]] static StatusOr<std::unique_ptr<IndexReader>> Open(Env& env,
                                                                   const std::string& path);
  // Reads an index held in memory. `data` must outlive the reader. Errors as
  // Open(). For tests and fuzzing.
  [[nodiscard]] static StatusOr<std::unique_ptr<IndexReader>> OpenBytes(std::string_view data);

  IndexReader(const IndexReader&) = delete;
  IndexReader& operator=(const IndexReader&) = delete;
  ~IndexReader() override;

  // The symbol table, sorted as stored.
  std::span<const std::string_view> Symbols() const { return symbols_; }
  // Label names (without the all-postings key), sorted.
  std::vector<std::string_view> LabelNames() const;
  // Values of label `name`, sorted; empty if the name is unknown.
  std::vector<std::string_view> LabelValues(std::string_view name) const;

  // Refs of the series with name=value; empty if the pair is unknown.
  // Errors: DataLoss if the postings list is damaged.
  [[nodiscard]] StatusOr<std::vector<uint64_t>> Postings(std::string_view name,
                                                         std::string_view value) const;
  // Refs of all series.
  [[nodiscard]] StatusOr<std::vector<uint64_t>> AllPostings() const;
  // The labels and chunk metas of series `ref`. Errors: NotFound if `ref`
  // lies outside the series section; DataLoss if the entry is damaged.
  [[nodiscard]] StatusOr<SeriesEntry> Series(uint64_t ref) const;

  // The refs of the series `matchers` select (see postings_for_matchers.h).
  [[nodiscard]] StatusOr<std::vector<uint64_t>> PostingsForMatchers(
      std::span<const Matcher> matchers) const;

  // LabelPostingsSource.
  StatusOr<PostingsList> PostingsForValues(
      std::string_view name, absl::FunctionRef<bool(std::string_view)> match) const override;
  StatusOr<PostingsList> PostingsForValueList(std::string_view name,
                                              std::span<const std::string> values) const override;

 private:
  struct ValueOffset {
    std::string_view value;
    uint64_t offset;  // of the postings list
  };
  struct NameEntry {
    std::string_view name;
    std::vector<ValueOffset> values;  // sorted by value
  };

  IndexReader(std::unique_ptr<MappedFile> file, std::string_view data);
  [[nodiscard]] Status Init();
  [[nodiscard]] StatusOr<std::string_view> Section(uint64_t offset, std::string_view section) const;
  [[nodiscard]] Status ReadSymbols();
  [[nodiscard]] Status CheckLabelIndices();
  [[nodiscard]] Status ReadPostingsOffsets();
  [[nodiscard]] StatusOr<std::vector<uint64_t>> ReadPostings(uint64_t offset) const;
  const NameEntry* FindName(std::string_view name) const;

  std::unique_ptr<MappedFile> file_;  // null for OpenBytes
  const std::string_view data_;
  uint64_t toc_[6] = {};
  uint64_t toc_offset_ = 0;  // where the TOC starts; sections end before it
  uint64_t series_end_ = 0;  // end of the series section
  std::vector<std::string_view> symbols_;
  std::vector<NameEntry> names_;  // sorted by name; names_[0] is "" if present
};

}  // namespace strata::index

#endif  // STRATA_INDEX_INDEX_READER_H_
