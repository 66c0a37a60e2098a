// IndexWriter: writes a block's `index` file in the Prometheus v2 format
// (tsdb/docs/format/index.md; the same bytes Prometheus 2.42 writes for the
// same input, so promtool and Prometheus read it).
//
// Call order, as Prometheus' IndexWriter (tsdb/block.go):
//   1. AddSymbol() for every label name and value, in strictly increasing
//      byte order;
//   2. AddSeries() for every series, in strictly increasing label order
//      (labels Compare); it returns the series ref (offset / 16) that
//      postings and the chunk metas' owners use;
//   3. Finish(), which writes label indices, postings (the all-series list
//      first, under the empty name and value), the label offset table, the
//      postings offset table and the TOC, then syncs and closes the file.
// Postings are kept in memory until Finish (4 bytes per label per series).
//
// Thread-safety: not thread-safe; one writer is driven by one thread.
#ifndef STRATA_INDEX_INDEX_WRITER_H_
#define STRATA_INDEX_INDEX_WRITER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "index/chunk_meta.h"
#include "index/labels.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::index {

class IndexWriter {
 public:
  // Creates (truncates) `path` and writes the header. Errors: those of
  // Env::NewWritableFile.
  [[nodiscard]] static StatusOr<std::unique_ptr<IndexWriter>> Create(Env& env,
                                                                     const std::string& path);
  IndexWriter(const IndexWriter&) = delete;
  IndexWriter& operator=(const IndexWriter&) = delete;
  ~IndexWriter();

  // Adds the next symbol. Errors: InvalidArgument if `symbol` is not greater
  // than the previous one; FailedPrecondition after the first AddSeries.
  [[nodiscard]] Status AddSymbol(std::string_view symbol);

  // Adds the next series and returns its ref. Errors: InvalidArgument if
  // `labels` is empty, not greater than the previous series' labels, or uses
  // a string that was not added as a symbol; ResourceExhausted if the ref
  // would not fit the format's 32 bits; I/O errors of the file.
  [[nodiscard]] StatusOr<uint64_t> AddSeries(const Labels& labels,
                                             std::span<const ChunkMeta> chunks);

  // Writes the remaining sections and the TOC, syncs and closes. No other
  // call is allowed afterwards (FailedPrecondition).
  [[nodiscard]] Status Finish();

 private:
  IndexWriter(std::unique_ptr<WritableFile> file, std::string path);
  [[nodiscard]] Status Write(std::string_view bytes);
  [[nodiscard]] Status Flush();
  [[nodiscard]] Status Pad(uint64_t alignment);
  [[nodiscard]] Status FinishSymbols();
  // Writes `body` as a section: len <4b> | body | CRC32 <4b>.
  [[nodiscard]] Status WriteSection(std::string_view body);
  [[nodiscard]] StatusOr<uint32_t> SymbolRef(std::string_view s) const;
  [[nodiscard]] Status WriteLabelIndices(std::vector<std::pair<uint32_t, uint64_t>>* offsets);
  [[nodiscard]] Status WritePostings(std::vector<std::pair<uint64_t, uint64_t>>* offsets);
  [[nodiscard]] Status WriteLabelOffsetTable(
      std::span<const std::pair<uint32_t, uint64_t>> offsets);
  [[nodiscard]] Status WritePostingsOffsetTable(
      std::span<const std::pair<uint64_t, uint64_t>> offsets);
  [[nodiscard]] Status WriteToc();

  enum class Stage { kSymbols, kSeries, kDone };

  std::unique_ptr<WritableFile> file_;
  const std::string path_;
  Stage stage_ = Stage::kSymbols;
  std::string buf_;   // bytes not yet handed to file_
  uint64_t pos_ = 0;  // file offset of the end of buf_
  std::vector<std::string> symbols_;
  Labels last_series_;
  std::vector<uint32_t> all_refs_;
  // (name symbol << 32 | value symbol) -> series refs, in AddSeries order.
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> postings_;
  uint64_t toc_[6] = {};              // section offsets, indexed by format::TocEntry
  std::string scratch_;               // reused by AddSeries
  std::vector<uint64_t> label_refs_;  // reused by AddSeries
};

}  // namespace strata::index

#endif  // STRATA_INDEX_INDEX_WRITER_H_
