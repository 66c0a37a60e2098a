// Opens arbitrary bytes as a v2 index and reads everything reachable:
// symbols, label names and values, every postings list, the series of the
// all-postings list and a selector. Damage must give an error, never a
// crash or a read outside the buffer.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "index/index_reader.h"
#include "index/matcher.h"

using strata::index::IndexReader;
using strata::index::Matcher;
using strata::index::MatchType;

namespace {

// Bounds the work on inputs that claim huge lists.
constexpr size_t kMaxSeriesRead = 1000;

void ReadAll(const IndexReader& r) {
  size_t bytes = 0;
  for (std::string_view s : r.Symbols()) bytes += s.size();
  if (bytes > (size_t{1} << 32)) std::abort();  // views must lie in the input
  for (std::string_view name : r.LabelNames()) {
    for (std::string_view value : r.LabelValues(name)) {
      auto p = r.Postings(name, value);
      if (p.ok() && !std::is_sorted(p->begin(), p->end())) std::abort();
    }
  }
  auto all = r.AllPostings();
  if (all.ok()) {
    size_t n = 0;
    for (uint64_t ref : *all) {
      if (++n > kMaxSeriesRead) break;
      auto s = r.Series(ref);
      if (s.ok() && s->labels.empty()) std::abort();  // the reader rejects empty sets
    }
  }
  (void)r.Series(UINT64_MAX / 3).ok();
  const auto names = r.LabelNames();
  if (!names.empty()) {
    auto m = Matcher::Create(MatchType::kRegexMatch, names[0], ".+");
    if (m.ok()) (void)r.PostingsForMatchers(std::vector<Matcher>{*m}).ok();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy so ASan sees the exact bounds.
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto r = IndexReader::OpenBytes(bytes);
  if (!r.ok()) {
    if (r.status().code() != absl::StatusCode::kDataLoss) std::abort();
    return 0;
  }
  ReadAll(**r);
  return 0;
}
