// Postings: sorted lists of series refs and their algebra.
//
// A postings list holds the refs of the series that carry one label pair,
// strictly increasing. Selectors combine them: intersection for "and",
// k-way merge for "or" (the values of a regex), subtraction for negative
// matchers (Prometheus tsdb/index/postings.go).
//
// Two forms are offered:
//  - the Postings iterator (Next/Seek/At), lazily combined by Intersect,
//    Merge and Without, for lists that are large or come from disk;
//  - list helpers over std::span, which the matcher resolution uses because
//    the head's lists live in memory anyway. IntersectLists gallops
//    (exponential then binary search) when one list is much shorter.
//
// Thread-safety: an iterator is used by one thread. The list helpers are
// stateless.
#ifndef STRATA_INDEX_POSTINGS_H_
#define STRATA_INDEX_POSTINGS_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "strata/status.h"

namespace strata::index {

class Postings {
 public:
  Postings() = default;
  Postings(const Postings&) = delete;
  Postings& operator=(const Postings&) = delete;
  virtual ~Postings() = default;

  // Moves to the next ref; false when exhausted (or on error: see status()).
  virtual bool Next() = 0;
  // Moves to the first ref >= `target` and returns true, or returns false if
  // there is none. Never moves backwards: if the current ref is already
  // >= target it stays. May be called before the first Next().
  virtual bool Seek(uint64_t target) = 0;
  // The current ref. REQUIRES: the last Next()/Seek() returned true.
  virtual uint64_t At() const = 0;
  // An error that ended the iteration early (e.g. a damaged file).
  virtual Status status() const { return absl::OkStatus(); }
};

// Iterates over `refs`, which must be strictly increasing.
std::unique_ptr<Postings> NewListPostings(std::vector<uint64_t> refs);
std::unique_ptr<Postings> NewEmptyPostings();

// Refs present in every input. No inputs gives the empty list.
std::unique_ptr<Postings> Intersect(std::vector<std::unique_ptr<Postings>> its);
// Refs present in any input, each once.
std::unique_ptr<Postings> Merge(std::vector<std::unique_ptr<Postings>> its);
// Refs of `full` that are not in `drop`.
std::unique_ptr<Postings> Without(std::unique_ptr<Postings> full, std::unique_ptr<Postings> drop);

// Drains `p` into a vector; fails with p's status if it stopped on an error.
[[nodiscard]] StatusOr<std::vector<uint64_t>> ExpandPostings(Postings& p);

// List helpers. Inputs must be strictly increasing; so are the results.
std::vector<uint64_t> IntersectLists(std::span<const uint64_t> a, std::span<const uint64_t> b);
std::vector<uint64_t> MergeLists(std::span<const std::span<const uint64_t>> lists);
std::vector<uint64_t> SubtractLists(std::span<const uint64_t> a, std::span<const uint64_t> b);

}  // namespace strata::index

#endif  // STRATA_INDEX_POSTINGS_H_
