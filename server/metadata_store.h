// MetadataStore: the metric metadata (type, help, unit per metric family)
// that remote write carries in WriteRequest.metadata — Prometheus sends it
// every metadata_config.send_interval — kept in memory for
// GET /api/v1/metadata. It is not persisted: senders repeat it.
//
// Bounded, because the senders decide what arrives: at most
// Options::max_families families and Options::max_bytes of names and
// texts; a description that would exceed either is dropped and counted
// (dropped()). Each family keeps its few most recent distinct
// descriptions, newest first, as Prometheus lists one per target.
//
// Thread-safety: safe for concurrent use.
#ifndef STRATA_SERVER_METADATA_STORE_H_
#define STRATA_SERVER_METADATA_STORE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "server/write_request.h"

namespace strata::server {

class MetadataStore {
 public:
  struct Options {
    size_t max_families = 100'000;
    // Bytes of family names, types, help and unit texts.
    size_t max_bytes = 64 << 20;
  };
  // Distinct descriptions kept per family.
  static constexpr size_t kMaxPerFamily = 4;

  MetadataStore() : MetadataStore(Options()) {}
  explicit MetadataStore(const Options& options) : options_(options) {}
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // Keeps the metadata of `request` (entries without a family name are
  // skipped); a description already kept moves to the front.
  void Store(const WriteRequestView& request);

  // Appends the `data` object of /api/v1/metadata to `out`: families in
  // name order, each a list of {"type","help","unit"}. `metric` non-empty
  // selects one family; `limit` >= 0 caps the families and
  // `limit_per_metric` > 0 the descriptions per family (Prometheus 2.42's
  // parameters).
  void AppendJson(std::string_view metric, int64_t limit, int64_t limit_per_metric,
                  std::string* out) const;

  // Descriptions dropped because a bound was reached.
  uint64_t dropped() const;
  size_t num_families() const;
  size_t bytes() const;

 private:
  struct Entry {
    std::string_view type;  // static: one of kMetricTypes
    std::string help, unit;
    friend bool operator==(const Entry&, const Entry&) = default;
    size_t bytes() const { return type.size() + help.size() + unit.size(); }
  };

  const Options options_;
  mutable Mutex mu_;
  std::map<std::string, std::vector<Entry>, std::less<>> families_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_METADATA_STORE_H_
