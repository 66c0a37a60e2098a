#include "server/metadata_store.h"

#include <algorithm>
#include <iterator>

#include "base/json.h"
#include "base/strings.h"

namespace strata::server {
namespace {

// prompb MetricMetadata.MetricType, by number, as /api/v1/metadata names
// them (Prometheus' model/textparse MetricType strings).
constexpr std::string_view kMetricTypes[] = {"unknown",        "counter", "gauge", "histogram",
                                             "gaugehistogram", "summary", "info",  "stateset"};

}  // namespace

void MetadataStore::Store(const WriteRequestView& request) {
  if (request.metadata().empty()) return;
  MutexLock l(&mu_);
  for (const WireMetadata& m : request.metadata()) {
    if (m.metric_family_name.empty()) continue;
    const size_t t = static_cast<size_t>(m.type);
    Entry e{t < std::size(kMetricTypes) ? kMetricTypes[t] : kMetricTypes[0], std::string(m.help),
            std::string(m.unit)};
    auto family = families_.find(m.metric_family_name);
    if (family == families_.end()) {
      const size_t cost = m.metric_family_name.size() + e.bytes();
      if (families_.size() >= options_.max_families || bytes_ + cost > options_.max_bytes) {
        ++dropped_;
        continue;
      }
      family = families_.emplace(std::string(m.metric_family_name), std::vector<Entry>()).first;
      bytes_ += m.metric_family_name.size();
    }
    std::vector<Entry>& list = family->second;
    // The newest description first.
    if (auto same = std::find(list.begin(), list.end(), e); same != list.end()) {
      std::rotate(list.begin(), same, same + 1);
      continue;
    }
    if (bytes_ + e.bytes() > options_.max_bytes) {
      ++dropped_;
      continue;
    }
    bytes_ += e.bytes();
    list.insert(list.begin(), std::move(e));
    if (list.size() > kMaxPerFamily) {
      bytes_ -= list.back().bytes();
      list.pop_back();
    }
  }
}

void MetadataStore::AppendJson(std::string_view metric, int64_t limit, int64_t limit_per_metric,
                               std::string* out) const {
  auto append_family = [&](const std::string& name, const std::vector<Entry>& list) {
    AppendJsonString(out, name);
    out->append(":[");
    int64_t k = 0;
    for (const Entry& e : list) {
      if (limit_per_metric > 0 && k >= limit_per_metric) break;
      if (k++ > 0) out->push_back(',');
      out->append("{\"type\":");
      AppendJsonString(out, e.type);
      out->append(",\"help\":");
      AppendJsonString(out, e.help);
      out->append(",\"unit\":");
      AppendJsonString(out, e.unit);
      out->push_back('}');
    }
    out->push_back(']');
  };
  out->push_back('{');
  MutexLock l(&mu_);
  if (!metric.empty()) {
    auto it = families_.find(metric);
    if (it != families_.end() && limit != 0) append_family(it->first, it->second);
  } else {
    int64_t n = 0;
    for (const auto& [name, list] : families_) {
      if (limit >= 0 && n >= limit) break;
      if (n++ > 0) out->push_back(',');
      append_family(name, list);
    }
  }
  out->push_back('}');
}

uint64_t MetadataStore::dropped() const {
  MutexLock l(&mu_);
  return dropped_;
}

size_t MetadataStore::num_families() const {
  MutexLock l(&mu_);
  return families_.size();
}

size_t MetadataStore::bytes() const {
  MutexLock l(&mu_);
  return bytes_;
}

}  // namespace strata::server
