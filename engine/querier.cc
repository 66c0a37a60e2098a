#include "engine/querier.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/merge.h"

namespace strata::engine {

namespace {

index::MatchType ToMatchType(LabelMatcher::Type t) {
  switch (t) {
    case LabelMatcher::Type::kEqual:
      return index::MatchType::kEqual;
    case LabelMatcher::Type::kNotEqual:
      return index::MatchType::kNotEqual;
    case LabelMatcher::Type::kRegexMatch:
      return index::MatchType::kRegexMatch;
    case LabelMatcher::Type::kRegexNoMatch:
      return index::MatchType::kRegexNoMatch;
  }
  return index::MatchType::kEqual;
}

// A series of one block: its labels and the chunk metas in range.
struct BlockSeries {
  index::Labels labels;
  std::vector<index::ChunkMeta> chunks;
  size_t block;                              // index into SelectState::blocks
  std::shared_ptr<const Intervals> deleted;  // null if none
};

// What a Select found; shared by the set and every iterator it made, so
// iterators outlive Next() and the set.
struct SelectState {
  int64_t mint = 0;
  int64_t maxt = 0;
  std::vector<std::shared_ptr<Block>> blocks;
  std::vector<HeadSeriesData> head;
  std::vector<BlockSeries> block_series;
  struct Entry {
    const index::Labels* labels;
    std::vector<size_t> blocks;  // indexes into block_series
    int64_t head = -1;           // index into head, -1 if none
  };
  std::vector<Entry> entries;
};

class PublicIterator final : public SeriesIterator {
 public:
  PublicIterator(std::shared_ptr<const SelectState> state, std::unique_ptr<SampleIterator> it)
      : state_(std::move(state)), it_(std::move(it)) {}
  bool Next() override { return it_->Next(); }
  bool Seek(int64_t t) override { return it_->Seek(t); }
  int64_t timestamp_ms() const override { return it_->timestamp_ms(); }
  double value() const override { return it_->value(); }
  Status status() const override { return it_->status(); }

 private:
  std::shared_ptr<const SelectState> state_;  // keeps the chunk bytes alive
  std::unique_ptr<SampleIterator> it_;
};

std::unique_ptr<SampleIterator> NewEntryIterator(const SelectState& st,
                                                 const SelectState::Entry& e) {
  std::vector<std::unique_ptr<SampleIterator>> its;
  std::vector<TimeRange> ranges;  // each input's, for the merge to skip its heap
  auto add = [&](std::unique_ptr<SampleIterator> it, TimeRange r) {
    its.push_back(std::move(it));
    ranges.push_back(r);
  };
  for (size_t bi : e.blocks) {
    const BlockSeries& bs = st.block_series[bi];
    const Block& block = *st.blocks[bs.block];
    std::vector<TimedChunk> chunks;
    chunks.reserve(bs.chunks.size());
    TimeRange range;
    for (const index::ChunkMeta& m : bs.chunks) {
      StatusOr<ChunkView> c = block.chunks().Chunk(m.ref);
      if (!c.ok()) {
        add(NewErrorSampleIterator(Annotate(c.status(), StrCat("block ", block.dir()))),
            {INT64_MIN, INT64_MAX});
        chunks.clear();
        break;
      }
      chunks.push_back({m.min_time_ms, m.max_time_ms, c->encoding, c->data});
      range.Extend(m.min_time_ms, m.max_time_ms);
    }
    if (!chunks.empty()) {
      add(NewChunkSampleIterator(std::move(chunks), bs.deleted.get(), st.mint, st.maxt), range);
    }
  }
  if (e.head >= 0) {
    const HeadSeriesData& h = st.head[e.head];
    TimeRange range;
    for (const TimedChunk& c : h.chunks) range.Extend(c.min_time_ms, c.max_time_ms);
    if (!h.ooo_timestamps.empty()) {
      range.Extend(h.ooo_timestamps.front(), h.ooo_timestamps.back());
    }
    if (!h.status.ok()) range = {INT64_MIN, INT64_MAX};
    add(h.NewIterator(st.mint, st.maxt), range);
  }
  return NewMergeSampleIterator(std::move(its), ranges);
}

class MergedSeriesSet final : public SeriesSet {
 public:
  explicit MergedSeriesSet(std::shared_ptr<const SelectState> state) : state_(std::move(state)) {}
  bool Next() override {
    if (pos_ + 1 >= static_cast<int64_t>(state_->entries.size())) {
      pos_ = state_->entries.size();
      return false;
    }
    ++pos_;
    labels_ = ToPublicLabels(*state_->entries[pos_].labels);
    return true;
  }
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SeriesIterator> NewIterator() const override {
    return std::make_unique<PublicIterator>(state_,
                                            NewEntryIterator(*state_, state_->entries[pos_]));
  }
  Status status() const override { return absl::OkStatus(); }

 private:
  std::shared_ptr<const SelectState> state_;
  int64_t pos_ = -1;
  Labels labels_;
};

}  // namespace

StatusOr<std::vector<index::Matcher>> ToIndexMatchers(std::span<const LabelMatcher> matchers) {
  std::vector<index::Matcher> out;
  out.reserve(matchers.size());
  for (const LabelMatcher& m : matchers) {
    STRATA_ASSIGN_OR_RETURN(index::Matcher im,
                            index::Matcher::Create(ToMatchType(m.type), m.name, m.value));
    out.push_back(std::move(im));
  }
  return out;
}

Labels ToPublicLabels(const index::Labels& labels) {
  Labels out;
  for (const index::Label& l : labels) out.push_back({std::string(l.name), std::string(l.value)});
  return out;
}

DBQuerier::DBQuerier(const Head* head, std::vector<std::shared_ptr<Block>> blocks,
                     int64_t min_time_ms, int64_t max_time_ms)
    : Querier(min_time_ms, max_time_ms), head_(head), blocks_([&] {
        std::vector<std::shared_ptr<Block>> in_range;
        for (auto& b : blocks) {
          // A block covers [min, max); the query range is closed.
          if (b->meta().min_time_ms <= max_time_ms && b->meta().max_time_ms > min_time_ms) {
            in_range.push_back(std::move(b));
          }
        }
        return in_range;
      }()) {}

StatusOr<std::unique_ptr<SeriesSet>> DBQuerier::Select(
    std::span<const LabelMatcher> matchers) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<index::Matcher> ms, ToIndexMatchers(matchers));
  return SelectIndex(ms);
}

StatusOr<std::unique_ptr<SeriesSet>> DBQuerier::SelectIndex(
    std::span<const index::Matcher> matchers) const {
  const int64_t mint = min_time_ms(), maxt = max_time_ms();
  auto st = std::make_shared<SelectState>();
  st->mint = mint;
  st->maxt = maxt;
  st->blocks = blocks_;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Block& block = *blocks_[b];
    StatusOr<std::vector<uint64_t>> refs = block.index().PostingsForMatchers(matchers);
    if (!refs.ok()) return Annotate(refs.status(), StrCat("block ", block.dir()));
    const std::shared_ptr<const Tombstones> tombs = block.tombstones();
    for (uint64_t ref : *refs) {
      StatusOr<index::SeriesEntry> entry = block.index().Series(ref);
      if (!entry.ok()) return Annotate(entry.status(), StrCat("block ", block.dir()));
      const Intervals* deleted = tombs->Get(ref);
      // Chunks outside the range, or wholly deleted, have nothing to
      // read; a series left without chunks is not selected (as in
      // Prometheus, so deleted series disappear from /api/v1/series too).
      std::erase_if(entry->chunks, [&](const index::ChunkMeta& m) {
        return m.max_time_ms < mint || m.min_time_ms > maxt ||
               (deleted != nullptr &&
                deleted->Covers(std::max(m.min_time_ms, mint), std::min(m.max_time_ms, maxt)));
      });
      if (entry->chunks.empty()) continue;
      BlockSeries bs{std::move(entry->labels), std::move(entry->chunks), b, nullptr};
      if (deleted != nullptr) bs.deleted = std::shared_ptr<const Intervals>(tombs, deleted);
      st->block_series.push_back(std::move(bs));
    }
  }
  if (head_ != nullptr) {
    STRATA_ASSIGN_OR_RETURN(st->head, head_->Select(matchers, mint, maxt));
  }

  // Group equal label sets: every source is sorted, so one sort of the
  // union (stable: blocks in time order, then the head) groups them.
  struct Item {
    const index::Labels* labels;
    int64_t block_series;  // -1 for the head
    int64_t head;
  };
  std::vector<Item> items;
  items.reserve(st->block_series.size() + st->head.size());
  for (size_t i = 0; i < st->block_series.size(); ++i) {
    items.push_back({&st->block_series[i].labels, static_cast<int64_t>(i), -1});
  }
  for (size_t i = 0; i < st->head.size(); ++i) {
    items.push_back({&st->head[i].labels, -1, static_cast<int64_t>(i)});
  }
  if (blocks_.size() + (st->head.empty() ? 0 : 1) > 1) {
    index::SortByLabels(items, [](const Item& it) -> const index::Labels& { return *it.labels; });
  }
  for (const Item& it : items) {
    if (st->entries.empty() || !(*st->entries.back().labels == *it.labels)) {
      st->entries.push_back({it.labels, {}, -1});
    }
    SelectState::Entry& e = st->entries.back();
    if (it.block_series >= 0) {
      e.blocks.push_back(static_cast<size_t>(it.block_series));
    } else {
      e.head = it.head;
    }
  }
  return std::unique_ptr<SeriesSet>(new MergedSeriesSet(std::move(st)));
}

StatusOr<std::vector<std::string>> DBQuerier::LabelNames(
    std::span<const LabelMatcher> matchers) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<index::Matcher> ms, ToIndexMatchers(matchers));
  absl::flat_hash_set<std::string> names;
  for (const auto& block : blocks_) {
    if (ms.empty()) {
      for (std::string_view n : block->index().LabelNames()) names.emplace(n);
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> refs, block->index().PostingsForMatchers(ms));
    for (uint64_t ref : refs) {
      STRATA_ASSIGN_OR_RETURN(index::SeriesEntry e, block->index().Series(ref));
      for (const index::Label& l : e.labels) names.emplace(l.name);
    }
  }
  if (head_ != nullptr && head_->max_time_ms() >= min_time_ms() &&
      head_->min_time_ms() <= max_time_ms()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> hn, head_->LabelNames(ms));
    for (std::string& n : hn) names.insert(std::move(n));
  }
  std::vector<std::string> out(names.begin(), names.end());
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<std::vector<std::string>> DBQuerier::LabelValues(
    std::string_view name, std::span<const LabelMatcher> matchers) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<index::Matcher> ms, ToIndexMatchers(matchers));
  absl::flat_hash_set<std::string> values;
  for (const auto& block : blocks_) {
    if (ms.empty()) {
      for (std::string_view v : block->index().LabelValues(name)) values.emplace(v);
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> refs, block->index().PostingsForMatchers(ms));
    for (uint64_t ref : refs) {
      STRATA_ASSIGN_OR_RETURN(index::SeriesEntry e, block->index().Series(ref));
      const std::string_view v = e.labels.Get(name);
      if (!v.empty()) values.emplace(v);
    }
  }
  if (head_ != nullptr && head_->max_time_ms() >= min_time_ms() &&
      head_->min_time_ms() <= max_time_ms()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> hv, head_->LabelValues(name, ms));
    for (std::string& v : hv) values.insert(std::move(v));
  }
  std::vector<std::string> out(values.begin(), values.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace strata::engine
