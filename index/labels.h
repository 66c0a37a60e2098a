// Labels: the immutable, sorted label set that names a series.
//
// A series is identified by its labels, sorted by name, with the metric
// name stored as the label `__name__` like every other. Labels keeps the
// whole set in one string in a canonical encoding, for each label in name
// order: uvarint(len(name)) name uvarint(len(value)) value. One allocation
// per set, cheap to copy as bytes, and the input of Hash().
//
// Hash() is XXH3-64 over that encoding. Equal sets have equal hashes; the
// converse does not hold, so a map keyed by hash must compare the sets too
// (collisions are handled, never assumed away).
//
// Ordering is Prometheus' labels.Compare: pairwise by name, then by value,
// and a set that is a prefix of another sorts first.
//
// Labels built through LabelsBuilder never hold an empty value (Prometheus
// treats `a=""` as "no label a") nor a repeated name.
//
// Thread-safety: value type, intentionally copyable; const methods may be
// called concurrently.
#ifndef STRATA_INDEX_LABELS_H_
#define STRATA_INDEX_LABELS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::index {

inline constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const Label&, const Label&) = default;
};

class Labels {
 public:
  // Forward iterator over the labels in name order. The views it yields are
  // valid while the Labels object is alive and unmodified.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Label;
    using difference_type = std::ptrdiff_t;
    using pointer = const Label*;
    using reference = const Label&;

    Iterator() = default;
    const Label& operator*() const { return current_; }
    const Label* operator->() const { return &current_; }
    Iterator& operator++() {
      Decode();
      return *this;
    }
    Iterator operator++(int) {
      Iterator copy = *this;
      Decode();
      return copy;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.pos_ == b.pos_; }

   private:
    friend class Labels;
    Iterator(const char* pos, const char* end) : next_(pos), end_(end) { Decode(); }
    void Decode();

    const char* pos_ = nullptr;   // start of current_, or end_ when done
    const char* next_ = nullptr;  // start of the following label
    const char* end_ = nullptr;
    Label current_;
  };

  // The empty set.
  Labels() = default;

  // Builds a set from (name, value) pairs in any order. Pairs with an empty
  // value are dropped; for a repeated name the last pair wins. Meant for
  // tests and literals; hot paths use LabelsBuilder with a reused buffer.
  static Labels FromPairs(
      std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

  // Adopts `encoded`, which must be a canonical encoding (as produced by
  // encoded()). Returns false and leaves `*out` unchanged if it is not:
  // malformed varints, unsorted or repeated names, empty names or values.
  [[nodiscard]] static bool FromEncoded(std::string encoded, Labels* out);

  Iterator begin() const { return Iterator(data_.data(), data_.data() + data_.size()); }
  Iterator end() const {
    Iterator it;
    it.pos_ = it.next_ = it.end_ = data_.data() + data_.size();
    return it;
  }

  bool empty() const { return data_.empty(); }
  // Number of labels (walks the encoding).
  size_t size() const;

  // The value of label `name`, or "" if the set has no such label.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;

  // XXH3-64 of the canonical encoding.
  uint64_t Hash() const;

  // Prometheus' string form, for messages: {__name__="up", job="api"}.
  std::string ToString() const;

  // The canonical encoding; valid while this object is alive.
  std::string_view encoded() const { return data_; }

  // Prometheus labels.Compare: <0, 0 or >0.
  friend int Compare(const Labels& a, const Labels& b);
  friend bool operator==(const Labels& a, const Labels& b) { return a.data_ == b.data_; }
  friend bool operator<(const Labels& a, const Labels& b) { return Compare(a, b) < 0; }

 private:
  friend class LabelsBuilder;
  std::string data_;
};

// Compare on decoded sets: `a` and `b` are every label of a set, in order.
int CompareDecoded(std::span<const Label> a, std::span<const Label> b);

// Sorts `items` by the label set `labels_of(item)` returns (a const
// Labels&), in Compare's order; stable, so items with equal sets keep their
// order. Each set is decoded once, not at every
// comparison: sorting a query's or a block's series otherwise spends most
// of its time decoding the same labels again.
template <typename T, typename LabelsOf>
void SortByLabels(std::vector<T>& items, LabelsOf labels_of) {
  const size_t n = items.size();
  if (n < 2) return;
  std::vector<Label> flat;  // every item's labels, one after another
  std::vector<size_t> start(n + 1);
  for (size_t i = 0; i < n; ++i) {
    start[i] = flat.size();
    for (const Label& l : static_cast<const Labels&>(labels_of(items[i]))) flat.push_back(l);
  }
  start[n] = flat.size();
  auto set = [&](size_t i) {
    return std::span<const Label>(flat.data() + start[i], start[i + 1] - start[i]);
  };
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int c = CompareDecoded(set(a), set(b));
    return c != 0 ? c < 0 : a < b;
  });
  std::vector<T> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
}

// Appends one label in the canonical encoding to `dst`; a sequence of calls
// in strictly increasing name order yields input for Labels::FromEncoded.
void AppendLabelEncoding(std::string* dst, std::string_view name, std::string_view value);

// Accumulates labels and produces a sorted Labels. Reuse one builder (call
// Reset()) to avoid allocating a scratch vector per series.
//
// Thread-safety: not thread-safe.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  // Starts from the labels of `base`.
  explicit LabelsBuilder(const Labels& base);

  // Sets `name` to `value`, replacing an earlier value. An empty value
  // deletes the label, as in Prometheus. The strings are copied.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  void Reset();

  // The labels set so far, sorted by name. The builder keeps its contents.
  Labels Build() const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace strata::index

#endif  // STRATA_INDEX_LABELS_H_
