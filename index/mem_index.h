// MemIndex: the head block's in-memory label index.
//
// Maps label name -> value -> postings (sorted series refs), keeps the list
// of all series and each series' labels, and answers label names, label
// values and selectors (PostingsForMatchers). Strings are interned in a
// SymbolTable, and each series' labels are stored as pairs of symbol ids in
// one shared vector, so a series costs its references, not its strings.
//
// Series refs are chosen by the caller (the head), usually increasing; an
// out-of-order ref is inserted in place (Prometheus MemPostings does the
// same). Series are never removed; the head rebuilds its index on
// truncation (TODO(#4): Delete for head GC if the engine needs it).
//
// Cost, measured with bench/index_bench.cc (node_exporter + HTTP shapes,
// 7-9 labels per series): about 170 bytes of RSS per series at 1 M and at
// 10 M series, labels included.
//
// Thread-safety: all methods may be called concurrently. One reader/writer
// mutex guards everything: Add() takes it exclusively; readers take it
// shared and return copies, so what a reader gets is a consistent snapshot —
// a series is either in every list a call consulted or in none.
// PostingsForMatchers holds the shared lock across all of its look-ups.
#ifndef STRATA_INDEX_MEM_INDEX_H_
#define STRATA_INDEX_MEM_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "index/labels.h"
#include "index/matcher.h"
#include "index/symbol_table.h"
#include "strata/status.h"

namespace strata::index {

class MemIndex {
 public:
  MemIndex() = default;
  MemIndex(const MemIndex&) = delete;
  MemIndex& operator=(const MemIndex&) = delete;

  // Indexes series `ref` with `labels`. Errors: AlreadyExists if `ref` was
  // added before; InvalidArgument if `labels` is empty.
  [[nodiscard]] Status Add(uint64_t ref, const Labels& labels) ABSL_LOCKS_EXCLUDED(mu_);

  // The labels of series `ref`; NotFound if it was never added.
  [[nodiscard]] StatusOr<Labels> SeriesLabels(uint64_t ref) const ABSL_LOCKS_EXCLUDED(mu_);

  // Refs of all series, sorted.
  std::vector<uint64_t> AllPostings() const ABSL_LOCKS_EXCLUDED(mu_);
  // Refs of the series with label name=value, sorted (empty if none).
  std::vector<uint64_t> Postings(std::string_view name, std::string_view value) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // All label names, sorted.
  std::vector<std::string> LabelNames() const ABSL_LOCKS_EXCLUDED(mu_);
  // The values of label `name`, sorted (empty if the name is unknown).
  std::vector<std::string> LabelValues(std::string_view name) const ABSL_LOCKS_EXCLUDED(mu_);

  // The refs of the series `matchers` select; see postings_for_matchers.h
  // for the rules and errors.
  [[nodiscard]] StatusOr<std::vector<uint64_t>> PostingsForMatchers(
      std::span<const Matcher> matchers) const ABSL_LOCKS_EXCLUDED(mu_);

  size_t num_series() const ABSL_LOCKS_EXCLUDED(mu_);
  // Heap bytes held by the index (symbols, series labels, postings),
  // counting container capacity; an estimate of hash-map overheads.
  size_t MemoryBytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class LockedSource;
  using ValueMap = absl::flat_hash_map<uint32_t, std::vector<uint64_t>>;  // value id -> refs

  // REQUIRES: mu_ held (shared suffices).
  const std::vector<uint64_t>* FindPostingsLocked(std::string_view name,
                                                  std::string_view value) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  SymbolTable symbols_ ABSL_GUARDED_BY(mu_);
  // Sorted series refs (the all-postings list) and, in parallel, where each
  // series' labels start in label_ids_: [count, name0, value0, name1, ...].
  std::vector<uint64_t> refs_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> label_start_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> label_ids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, ValueMap> postings_ ABSL_GUARDED_BY(mu_);  // name id ->
};

}  // namespace strata::index

#endif  // STRATA_INDEX_MEM_INDEX_H_
