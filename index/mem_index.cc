#include "index/mem_index.h"

#include <algorithm>

#include "base/strings.h"
#include "index/postings.h"
#include "index/postings_for_matchers.h"

namespace strata::index {

// The index seen by PostingsForMatchers while the caller holds mu_ shared;
// the postings it returns are borrowed and valid while mu_ is held.
class MemIndex::LockedSource final : public LabelPostingsSource {
 public:
  explicit LockedSource(const MemIndex& ix) ABSL_SHARED_LOCKS_REQUIRED(ix.mu_) : ix_(ix) {}

  StatusOr<PostingsList> PostingsForValues(std::string_view name,
                                           absl::FunctionRef<bool(std::string_view)> match)
      const override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    PostingsList out;
    const auto name_id = ix_.symbols_.Find(name);
    if (!name_id) return out;
    const auto it = ix_.postings_.find(*name_id);
    if (it == ix_.postings_.end()) return out;
    for (const auto& [value_id, refs] : it->second) {
      if (match(ix_.symbols_.Get(value_id))) out.AddBorrowed(refs);
    }
    return out;
  }

  StatusOr<PostingsList> PostingsForValueList(std::string_view name,
                                              std::span<const std::string> values) const override
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    PostingsList out;
    for (const std::string& v : values) {
      if (const auto* refs = ix_.FindPostingsLocked(name, v)) out.AddBorrowed(*refs);
    }
    return out;
  }

 private:
  const MemIndex& ix_;
};

Status MemIndex::Add(uint64_t ref, const Labels& labels) {
  if (labels.empty()) {
    return absl::InvalidArgumentError(StrCat("index series ", ref, ": empty label set"));
  }
  MutexLock lock(&mu_);
  const auto pos = std::lower_bound(refs_.begin(), refs_.end(), ref);
  if (pos != refs_.end() && *pos == ref) {
    return absl::AlreadyExistsError(
        StrCat("index series ", ref, " already added (labels ", labels.ToString(), ")"));
  }
  const size_t i = pos - refs_.begin();
  refs_.insert(pos, ref);
  label_start_.insert(label_start_.begin() + i, label_ids_.size());
  const size_t count_at = label_ids_.size();
  label_ids_.push_back(0);
  uint32_t count = 0;
  for (const Label& l : labels) {
    const uint32_t name_id = symbols_.Intern(l.name);
    const uint32_t value_id = symbols_.Intern(l.value);
    label_ids_.push_back(name_id);
    label_ids_.push_back(value_id);
    ++count;
    std::vector<uint64_t>& list = postings_[name_id][value_id];
    if (list.empty() || list.back() < ref) {
      list.push_back(ref);
    } else {
      list.insert(std::lower_bound(list.begin(), list.end(), ref), ref);
    }
  }
  label_ids_[count_at] = count;
  return absl::OkStatus();
}

StatusOr<Labels> MemIndex::SeriesLabels(uint64_t ref) const {
  ReaderMutexLock lock(&mu_);
  const auto pos = std::lower_bound(refs_.begin(), refs_.end(), ref);
  if (pos == refs_.end() || *pos != ref) {
    return absl::NotFoundError(StrCat("index series ", ref, " not found"));
  }
  const uint64_t start = label_start_[pos - refs_.begin()];
  const uint32_t count = label_ids_[start];
  std::string encoded;
  for (uint32_t k = 0; k < count; ++k) {
    const std::string_view name = symbols_.Get(label_ids_[start + 1 + 2 * k]);
    const std::string_view value = symbols_.Get(label_ids_[start + 2 + 2 * k]);
    AppendLabelEncoding(&encoded, name, value);
  }
  Labels out;
  if (!Labels::FromEncoded(std::move(encoded), &out)) {
    return absl::InternalError(StrCat("index series ", ref, ": stored labels are not canonical"));
  }
  return out;
}

std::vector<uint64_t> MemIndex::AllPostings() const {
  ReaderMutexLock lock(&mu_);
  return refs_;
}

const std::vector<uint64_t>* MemIndex::FindPostingsLocked(std::string_view name,
                                                          std::string_view value) const {
  const auto name_id = symbols_.Find(name);
  const auto value_id = symbols_.Find(value);
  if (!name_id || !value_id) return nullptr;
  const auto it = postings_.find(*name_id);
  if (it == postings_.end()) return nullptr;
  const auto vit = it->second.find(*value_id);
  return vit == it->second.end() ? nullptr : &vit->second;
}

std::vector<uint64_t> MemIndex::Postings(std::string_view name, std::string_view value) const {
  ReaderMutexLock lock(&mu_);
  const auto* refs = FindPostingsLocked(name, value);
  return refs ? *refs : std::vector<uint64_t>{};
}

// Copies sorted views into strings (sorting views moves less memory).
static std::vector<std::string> SortedStrings(std::vector<std::string_view> views) {
  std::sort(views.begin(), views.end());
  return std::vector<std::string>(views.begin(), views.end());
}

std::vector<std::string> MemIndex::LabelNames() const {
  std::vector<std::string_view> views;
  ReaderMutexLock lock(&mu_);
  views.reserve(postings_.size());
  for (const auto& [name_id, values] : postings_) views.push_back(symbols_.Get(name_id));
  return SortedStrings(std::move(views));
}

std::vector<std::string> MemIndex::LabelValues(std::string_view name) const {
  std::vector<std::string_view> views;
  ReaderMutexLock lock(&mu_);
  const auto name_id = symbols_.Find(name);
  if (!name_id) return {};
  const auto it = postings_.find(*name_id);
  if (it == postings_.end()) return {};
  views.reserve(it->second.size());
  for (const auto& [value_id, refs] : it->second) views.push_back(symbols_.Get(value_id));
  return SortedStrings(std::move(views));
}

StatusOr<std::vector<uint64_t>> MemIndex::PostingsForMatchers(
    std::span<const Matcher> matchers) const {
  ReaderMutexLock lock(&mu_);
  return index::PostingsForMatchers(LockedSource(*this), matchers);
}

size_t MemIndex::num_series() const {
  ReaderMutexLock lock(&mu_);
  return refs_.size();
}

size_t MemIndex::MemoryBytes() const {
  ReaderMutexLock lock(&mu_);
  size_t bytes = symbols_.MemoryBytes() + refs_.capacity() * sizeof(uint64_t) +
                 label_start_.capacity() * sizeof(uint64_t) +
                 label_ids_.capacity() * sizeof(uint32_t);
  bytes += postings_.capacity() * (sizeof(uint32_t) + sizeof(ValueMap) + 1);
  for (const auto& [name_id, values] : postings_) {
    bytes += values.capacity() * (sizeof(uint32_t) + sizeof(std::vector<uint64_t>) + 1);
    for (const auto& [value_id, refs] : values) bytes += refs.capacity() * sizeof(uint64_t);
  }
  return bytes;
}

}  // namespace strata::index
