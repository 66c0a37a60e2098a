#include "index/postings.h"

#include <algorithm>
#include <queue>
#include <utility>

namespace strata::index {
namespace {

// Ratio of list sizes from which IntersectLists gallops through the longer
// list instead of walking both: galloping costs about 2*log2(ratio)
// comparisons per element of the short list, walking about 1 + ratio, so
// the crossover is near 4.
constexpr size_t kGallopRatio = 4;

class ListPostings final : public Postings {
 public:
  explicit ListPostings(std::vector<uint64_t> refs) : refs_(std::move(refs)) {}
  bool Next() override {
    if (started_ && pos_ < refs_.size()) ++pos_;
    started_ = true;
    return pos_ < refs_.size();
  }
  bool Seek(uint64_t target) override {
    started_ = true;
    if (pos_ >= refs_.size()) return false;
    if (refs_[pos_] >= target) return true;
    pos_ = std::lower_bound(refs_.begin() + pos_, refs_.end(), target) - refs_.begin();
    return pos_ < refs_.size();
  }
  uint64_t At() const override { return refs_[pos_]; }

 private:
  std::vector<uint64_t> refs_;
  size_t pos_ = 0;
  bool started_ = false;
};

class IntersectPostings final : public Postings {
 public:
  explicit IntersectPostings(std::vector<std::unique_ptr<Postings>> its) : its_(std::move(its)) {}
  bool Next() override {
    if (!its_[0]->Next()) return false;
    return Align(its_[0]->At());
  }
  bool Seek(uint64_t target) override {
    if (!its_[0]->Seek(target)) return false;
    return Align(its_[0]->At());
  }
  uint64_t At() const override { return current_; }
  Status status() const override {
    for (const auto& it : its_) {
      if (!it->status().ok()) return it->status();
    }
    return absl::OkStatus();
  }

 private:
  // Seeks every input to `target`, raising it until all agree.
  bool Align(uint64_t target) {
    for (size_t i = 0; i < its_.size();) {
      if (!its_[i]->Seek(target)) return false;
      if (its_[i]->At() > target) {
        target = its_[i]->At();
        i = 0;
        continue;
      }
      ++i;
    }
    current_ = target;
    return true;
  }
  std::vector<std::unique_ptr<Postings>> its_;
  uint64_t current_ = 0;
};

class MergePostings final : public Postings {
 public:
  explicit MergePostings(std::vector<std::unique_ptr<Postings>> its) : its_(std::move(its)) {}
  bool Next() override {
    if (!started_) return Init([](Postings& p) { return p.Next(); });
    if (done_) return false;
    return Advance(current_ + 1);
  }
  bool Seek(uint64_t target) override {
    if (!started_) return Init([target](Postings& p) { return p.Seek(target); });
    if (done_) return false;
    if (current_ >= target) return true;
    return Advance(target);
  }
  uint64_t At() const override { return current_; }
  Status status() const override {
    for (const auto& it : its_) {
      if (!it->status().ok()) return it->status();
    }
    return absl::OkStatus();
  }

 private:
  using Entry = std::pair<uint64_t, size_t>;  // (current ref, input index)
  template <typename Step>
  bool Init(Step step) {
    started_ = true;
    for (size_t i = 0; i < its_.size(); ++i) {
      if (step(*its_[i])) heap_.emplace(its_[i]->At(), i);
    }
    return Top();
  }
  // Seeks every input whose ref is below `floor` to `floor`.
  bool Advance(uint64_t floor) {
    while (!heap_.empty() && heap_.top().first < floor) {
      const size_t i = heap_.top().second;
      heap_.pop();
      if (its_[i]->Seek(floor)) heap_.emplace(its_[i]->At(), i);
    }
    return Top();
  }
  bool Top() {
    if (heap_.empty()) {
      done_ = true;
      return false;
    }
    current_ = heap_.top().first;
    return true;
  }
  std::vector<std::unique_ptr<Postings>> its_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  uint64_t current_ = 0;
  bool started_ = false;
  bool done_ = false;
};

class WithoutPostings final : public Postings {
 public:
  WithoutPostings(std::unique_ptr<Postings> full, std::unique_ptr<Postings> drop)
      : full_(std::move(full)), drop_(std::move(drop)) {}
  bool Next() override { return full_->Next() && SkipDropped(); }
  bool Seek(uint64_t target) override { return full_->Seek(target) && SkipDropped(); }
  uint64_t At() const override { return full_->At(); }
  Status status() const override {
    if (!full_->status().ok()) return full_->status();
    return drop_->status();
  }

 private:
  // Advances full_ past refs that drop_ holds.
  bool SkipDropped() {
    while (true) {
      if (drop_ok_) drop_ok_ = drop_->Seek(full_->At());
      if (!drop_ok_ || drop_->At() != full_->At()) return true;
      if (!full_->Next()) return false;
    }
  }
  std::unique_ptr<Postings> full_;
  std::unique_ptr<Postings> drop_;
  bool drop_ok_ = true;  // drop_ not yet exhausted
};

// First index in [lo, a.size()) with a[i] >= target, searching exponentially.
size_t Gallop(std::span<const uint64_t> a, size_t lo, uint64_t target) {
  size_t step = 1, hi = lo;
  while (hi < a.size() && a[hi] < target) {
    lo = hi + 1;
    hi += step;
    step <<= 1;
  }
  hi = std::min(hi, a.size());
  return std::lower_bound(a.begin() + lo, a.begin() + hi, target) - a.begin();
}

}  // namespace

std::unique_ptr<Postings> NewListPostings(std::vector<uint64_t> refs) {
  return std::make_unique<ListPostings>(std::move(refs));
}

std::unique_ptr<Postings> NewEmptyPostings() { return NewListPostings({}); }

std::unique_ptr<Postings> Intersect(std::vector<std::unique_ptr<Postings>> its) {
  if (its.empty()) return NewEmptyPostings();
  if (its.size() == 1) return std::move(its[0]);
  return std::make_unique<IntersectPostings>(std::move(its));
}

std::unique_ptr<Postings> Merge(std::vector<std::unique_ptr<Postings>> its) {
  if (its.empty()) return NewEmptyPostings();
  if (its.size() == 1) return std::move(its[0]);
  return std::make_unique<MergePostings>(std::move(its));
}

std::unique_ptr<Postings> Without(std::unique_ptr<Postings> full, std::unique_ptr<Postings> drop) {
  return std::make_unique<WithoutPostings>(std::move(full), std::move(drop));
}

StatusOr<std::vector<uint64_t>> ExpandPostings(Postings& p) {
  std::vector<uint64_t> out;
  while (p.Next()) out.push_back(p.At());
  if (!p.status().ok()) return p.status();
  return out;
}

std::vector<uint64_t> IntersectLists(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  if (a.size() > b.size()) std::swap(a, b);
  std::vector<uint64_t> out;
  if (a.empty()) return out;
  if (b.size() / a.size() >= kGallopRatio) {
    size_t j = 0;
    for (uint64_t v : a) {
      j = Gallop(b, j, v);
      if (j == b.size()) break;
      if (b[j] == v) out.push_back(v);
    }
    return out;
  }
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint64_t> MergeLists(std::span<const std::span<const uint64_t>> lists) {
  std::vector<uint64_t> out;
  if (lists.size() == 1) return std::vector<uint64_t>(lists[0].begin(), lists[0].end());
  if (lists.size() == 2) {
    std::set_union(lists[0].begin(), lists[0].end(), lists[1].begin(), lists[1].end(),
                   std::back_inserter(out));
    return out;
  }
  using Entry = std::pair<uint64_t, size_t>;  // (ref, list index)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  std::vector<size_t> pos(lists.size(), 0);
  size_t total = 0;
  for (size_t i = 0; i < lists.size(); ++i) {
    total += lists[i].size();
    if (!lists[i].empty()) heap.emplace(lists[i][0], i);
  }
  out.reserve(total);
  while (!heap.empty()) {
    auto [v, i] = heap.top();
    heap.pop();
    if (out.empty() || out.back() != v) out.push_back(v);
    if (++pos[i] < lists[i].size()) heap.emplace(lists[i][pos[i]], i);
  }
  return out;
}

std::vector<uint64_t> SubtractLists(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  std::vector<uint64_t> out;
  out.reserve(a.size());
  if (!a.empty() && b.size() / a.size() >= kGallopRatio) {
    size_t j = 0;
    for (uint64_t v : a) {
      j = Gallop(b, j, v);
      if (j == b.size() || b[j] != v) out.push_back(v);
    }
    return out;
  }
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace strata::index
