// IndexChecker: walks the raw bytes of a block's v2 index
// (tsdb/docs/format/index.md; constants in index/format.h) and reports
// every damaged part to a Findings list, unlike index::IndexReader, which
// stops at the first. Checked: the header, the TOC and its CRC, the symbol
// table (CRC, order), every series entry (CRC, symbol references, label
// order, series order, chunk meta order), every label index and the label
// offset table, every postings list (CRC, order, references to series
// entries) and the postings offset table (CRC, order, offsets). A damaged
// series entry is skipped by resynchronising on the next 16-byte-aligned
// offset whose entry checks out.
//
// Memory: the symbol table as views into `data`, one bit per 16 bytes of
// the series section, and one series at a time.
//
// Thread-safety: not thread-safe.
#ifndef STRATA_TOOLS_VERIFY_INDEX_H_
#define STRATA_TOOLS_VERIFY_INDEX_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "index/chunk_meta.h"
#include "tools/verify_checks.h"

namespace strata::tools::verify {

// One series entry whose CRC matched, as decoded.
struct IndexSeries {
  uint64_t offset = 0;  // of the entry in the index file; its ref is offset / 16
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  std::vector<index::ChunkMeta> chunks;
};

class IndexChecker {
 public:
  // `data` is the whole index file, `file` its name for findings. Both
  // must outlive the checker.
  IndexChecker(Findings& findings, const std::string& file, std::string_view data);

  // Runs every check, calling `on_series` for each series entry that
  // passed its CRC, in file order.
  void Run(const std::function<void(const IndexSeries&)>& on_series);

  // Number of series entries found intact.
  uint64_t series() const { return series_; }
  // Whether `ref` is the ref of an intact series entry. Valid after Run.
  bool IsSeriesRef(uint64_t ref) const;
  // Formats labels as {a="b", ...}.
  static std::string LabelsString(
      const std::vector<std::pair<std::string_view, std::string_view>>& labels);

 private:
  struct Section {
    bool ok = false;      // length within the file
    bool crc_ok = false;  // checksum matched
    std::string_view body;
    uint64_t end = 0;  // offset after the CRC
  };

  bool CheckHeaderAndToc();
  // Where section `entry` of the TOC ends: at the next section in the file.
  uint64_t SectionEnd(size_t entry) const;
  Section ReadSection(uint64_t offset, std::string_view what);
  void CheckSymbols();
  void CheckSeries(const std::function<void(const IndexSeries&)>& on_series);
  // Decodes the entry at `off`; returns its end (CRC included) or 0 if its
  // length or CRC is bad. `report` says whether to report that.
  uint64_t SeriesEntryAt(uint64_t off, bool report, std::string_view* body);
  void DecodeSeries(uint64_t off, std::string_view body, IndexSeries* prev,
                    const std::function<void(const IndexSeries&)>& on_series);
  void CheckLabelIndices();
  void CheckPostings();
  void CheckPostingsList(uint64_t offset, std::string_view name, std::string_view value,
                         uint64_t* entries);
  void Problem(uint64_t offset, std::string message) {
    findings_.Problem(file_, static_cast<int64_t>(offset), std::move(message));
  }

  Findings& findings_;
  const std::string& file_;
  const std::string_view data_;
  uint64_t toc_[6] = {};
  uint64_t toc_offset_ = 0;
  uint64_t series_start_ = 0;  // the first 16-byte boundary at or after toc_[1]
  uint64_t series_end_ = 0;
  std::vector<std::string_view> symbols_;
  std::vector<bool> series_starts_;  // bit (offset - series_start_) / 16
  bool series_damaged_ = false;
  uint64_t series_ = 0;
};

}  // namespace strata::tools::verify

#endif  // STRATA_TOOLS_VERIFY_INDEX_H_
