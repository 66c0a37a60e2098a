// PostingsForMatchers: resolves a selector's matchers to the sorted refs of
// the series it selects, with the semantics of Prometheus 2.42
// (tsdb/querier.go PostingsForMatchers):
//
//  - a matcher that does not match "" selects series whose label value it
//    matches (series lacking the label never qualify);
//  - a matcher that matches "" also selects series lacking the label, so it
//    is resolved as "all series minus those whose value it rejects";
//  - != and !~ on a label that another matcher requires to be set are
//    resolved by subtracting the postings of their inverse;
//  - at least one matcher must not match "", or the selector would select
//    everything: that is an InvalidArgument error (PromQL's "vector selector
//    must contain at least one non-empty matcher").
//
// Both the head index (MemIndex) and the block index (IndexReader) provide
// a LabelPostingsSource, so the rules live in one place.
//
// Thread-safety: PostingsForMatchers is as thread-safe as its source.
#ifndef STRATA_INDEX_POSTINGS_FOR_MATCHERS_H_
#define STRATA_INDEX_POSTINGS_FOR_MATCHERS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "index/matcher.h"
#include "strata/status.h"

namespace strata::index {

// The union of sorted lists of series refs that a LabelPostingsSource
// returns, left unmerged: intersecting a short list with each part (by
// galloping) is cheaper than merging the parts first. Each part is owned,
// or borrowed from the source (then valid only as long as the source's
// contents are: for MemIndex, while its lock is held).
//
// Thread-safety: value type; movable, not copyable.
class PostingsList {
 public:
  PostingsList() = default;
  PostingsList(PostingsList&&) = default;
  PostingsList& operator=(PostingsList&&) = default;

  // REQUIRES: `refs` strictly increasing.
  void AddBorrowed(std::span<const uint64_t> refs) {
    if (!refs.empty()) parts_.push_back(refs);
  }
  void AddOwned(std::vector<uint64_t> refs) {
    if (refs.empty()) return;
    owned_.push_back(std::move(refs));  // moving a vector keeps its buffer
    parts_.emplace_back(owned_.back());
  }

  std::span<const std::span<const uint64_t>> parts() const { return parts_; }
  bool empty() const { return parts_.empty(); }
  // Sum of the parts' sizes: an upper bound of the union's.
  size_t total_size() const {
    size_t n = 0;
    for (const auto& p : parts_) n += p.size();
    return n;
  }

 private:
  std::vector<std::vector<uint64_t>> owned_;
  std::vector<std::span<const uint64_t>> parts_;
};

// What PostingsForMatchers needs from an index.
class LabelPostingsSource {
 public:
  virtual ~LabelPostingsSource() = default;
  // The postings of every value v of label `name` with match(v) true. Only
  // values present in the index are considered.
  [[nodiscard]] virtual StatusOr<PostingsList> PostingsForValues(
      std::string_view name, absl::FunctionRef<bool(std::string_view)> match) const = 0;
  // The postings of `name` = each of `values`; values not in the index
  // contribute nothing.
  [[nodiscard]] virtual StatusOr<PostingsList> PostingsForValueList(
      std::string_view name, std::span<const std::string> values) const = 0;
};

// The refs of the series `matchers` select, sorted. Errors: InvalidArgument
// if no matcher rejects ""; otherwise whatever `source` returns.
[[nodiscard]] StatusOr<std::vector<uint64_t>> PostingsForMatchers(
    const LabelPostingsSource& source, std::span<const Matcher> matchers);

}  // namespace strata::index

#endif  // STRATA_INDEX_POSTINGS_FOR_MATCHERS_H_
