#include "index/labels.h"

#include <algorithm>

#include "compression/varint.h"
#include "xxhash.h"

namespace strata::index {
namespace {

using compression::ConsumeUvarint;
using compression::PutUvarint;

// Decodes one length-prefixed string from the front of `*in`.
bool ConsumeString(std::string_view* in, std::string_view* s) {
  uint64_t n;
  if (!ConsumeUvarint(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// Go's strconv.Quote for the characters label values realistically hold.
void AppendQuoted(std::string* dst, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  dst->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        dst->append("\\\"");
        break;
      case '\\':
        dst->append("\\\\");
        break;
      case '\n':
        dst->append("\\n");
        break;
      case '\t':
        dst->append("\\t");
        break;
      case '\r':
        dst->append("\\r");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          dst->append("\\x");
          dst->push_back(kHex[c >> 4]);
          dst->push_back(kHex[c & 15]);
        } else {
          dst->push_back(static_cast<char>(c));
        }
    }
  }
  dst->push_back('"');
}

}  // namespace

void AppendLabelEncoding(std::string* dst, std::string_view name, std::string_view value) {
  PutUvarint(dst, name.size());
  dst->append(name);
  PutUvarint(dst, value.size());
  dst->append(value);
}

void Labels::Iterator::Decode() {
  pos_ = next_;
  if (pos_ == end_) return;
  std::string_view in(pos_, end_ - pos_);
  // The encoding was validated when the Labels was built.
  (void)ConsumeString(&in, &current_.name);
  (void)ConsumeString(&in, &current_.value);
  next_ = in.data();
}

Labels Labels::FromPairs(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  LabelsBuilder b;
  for (const auto& [name, value] : pairs) b.Set(name, value);
  return b.Build();
}

bool Labels::FromEncoded(std::string encoded, Labels* out) {
  std::string_view in = encoded;
  std::string_view prev_name;
  bool first = true;
  while (!in.empty()) {
    std::string_view name, value;
    if (!ConsumeString(&in, &name) || !ConsumeString(&in, &value)) return false;
    if (name.empty() || value.empty()) return false;
    if (!first && name <= prev_name) return false;
    prev_name = name;
    first = false;
  }
  out->data_ = std::move(encoded);
  return true;
}

size_t Labels::size() const { return static_cast<size_t>(std::distance(begin(), end())); }

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : *this) {
    if (l.name == name) return l.value;
    if (l.name > name) break;
  }
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

uint64_t Labels::Hash() const { return XXH3_64bits(data_.data(), data_.size()); }

std::string Labels::ToString() const {
  std::string out = "{";
  bool first = true;
  for (const Label& l : *this) {
    if (!first) out.append(", ");
    first = false;
    out.append(l.name);
    out.push_back('=');
    AppendQuoted(&out, l.value);
  }
  out.push_back('}');
  return out;
}

int Compare(const Labels& a, const Labels& b) {
  auto ia = a.begin(), ib = b.begin();
  const auto ea = a.end(), eb = b.end();
  for (; ia != ea && ib != eb; ++ia, ++ib) {
    if (int c = ia->name.compare(ib->name); c != 0) return c < 0 ? -1 : 1;
    if (int c = ia->value.compare(ib->value); c != 0) return c < 0 ? -1 : 1;
  }
  if (ia != ea) return 1;
  if (ib != eb) return -1;
  return 0;
}

int CompareDecoded(std::span<const Label> a, std::span<const Label> b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a[i].name.compare(b[i].name); c != 0) return c < 0 ? -1 : 1;
    if (int c = a[i].value.compare(b[i].value); c != 0) return c < 0 ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return 0;
}

LabelsBuilder::LabelsBuilder(const Labels& base) {
  for (const Label& l : base) pairs_.emplace_back(std::string(l.name), std::string(l.value));
}

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  if (value.empty()) return Del(name);
  for (auto& p : pairs_) {
    if (p.first == name) {
      p.second.assign(value);
      return *this;
    }
  }
  pairs_.emplace_back(std::string(name), std::string(value));
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  std::erase_if(pairs_, [name](const auto& p) { return p.first == name; });
  return *this;
}

void LabelsBuilder::Reset() { pairs_.clear(); }

Labels LabelsBuilder::Build() const {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(pairs_.size());
  size_t bytes = 0;
  for (const auto& p : pairs_) {
    if (p.first.empty()) continue;  // a nameless label cannot be stored
    sorted.push_back(&p);
    bytes += p.first.size() + p.second.size() + 2;
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  Labels out;
  out.data_.reserve(bytes);
  for (const auto* p : sorted) AppendLabelEncoding(&out.data_, p->first, p->second);
  return out;
}

}  // namespace strata::index
