// The querier behind strata::Querier: one read view over the head and the
// blocks that overlap [mint, maxt] (Prometheus' tsdb/querier.go plus
// storage/merge.go). Series with the same labels in several sources
// (blocks that overlap, or a block and the head after out-of-order
// appends) come out once, their samples merged and de-duplicated.
//
// Thread-safety: Select/LabelNames/LabelValues may be called concurrently.
// The querier pins its blocks (shared_ptr), so compaction and retention
// can replace them meanwhile; the head must outlive the querier.
#ifndef STRATA_ENGINE_QUERIER_H_
#define STRATA_ENGINE_QUERIER_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/block.h"
#include "engine/head.h"
#include "index/matcher.h"
#include "strata/db.h"
#include "strata/status.h"

namespace strata::engine {

// Converts public matchers; InvalidArgument naming a bad regex.
[[nodiscard]] StatusOr<std::vector<index::Matcher>> ToIndexMatchers(
    std::span<const LabelMatcher> matchers);
Labels ToPublicLabels(const index::Labels& labels);

class DBQuerier final : public Querier {
 public:
  // `head` may be null (a querier over blocks only).
  DBQuerier(const Head* head, std::vector<std::shared_ptr<Block>> blocks, int64_t min_time_ms,
            int64_t max_time_ms);

  StatusOr<std::unique_ptr<SeriesSet>> Select(
      std::span<const LabelMatcher> matchers) const override;
  StatusOr<std::vector<std::string>> LabelNames(
      std::span<const LabelMatcher> matchers) const override;
  StatusOr<std::vector<std::string>> LabelValues(
      std::string_view name, std::span<const LabelMatcher> matchers) const override;

  // The same, with matchers already converted (for compaction and tools).
  [[nodiscard]] StatusOr<std::unique_ptr<SeriesSet>> SelectIndex(
      std::span<const index::Matcher> matchers) const;

 private:
  const Head* head_;
  const std::vector<std::shared_ptr<Block>> blocks_;  // those overlapping the range
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_QUERIER_H_
