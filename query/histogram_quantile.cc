// histogram_quantile() over classic histograms: series with an `le` label
// grouped by their other labels (without the metric name), as Prometheus
// 2.42's funcHistogramQuantile and bucketQuantile (quantile.go): buckets
// sorted by upper bound, equal bounds coalesced, counts made monotonic,
// NaN without a +Inf bucket, linear interpolation inside the bucket.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "base/status_macros.h"
#include "query/internal/evaluator.h"

namespace strata::query::internal {
namespace {

// Go's strconv.ParseFloat for `le` values: the whole string must parse.
bool ParseBound(std::string_view s, double* out) {
  if (s.empty()) return false;
  const std::string str(s);
  char* end = nullptr;
  *out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

}  // namespace

double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  if (buckets.empty()) return NAN;
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (!std::isinf(buckets.back().upper_bound) || buckets.back().upper_bound < 0) return NAN;
  // Coalesce buckets with the same bound.
  size_t n = 0;
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (buckets[i].upper_bound == buckets[n].upper_bound) {
      buckets[n].count += buckets[i].count;
    } else {
      buckets[++n] = buckets[i];
    }
  }
  buckets.resize(n + 1);
  // Make the counts monotonic.
  double max = -INFINITY;
  for (Bucket& b : buckets) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
  if (buckets.size() < 2) return NAN;
  const double observations = buckets.back().count;
  if (observations == 0) return NAN;
  double rank = q * observations;
  size_t b = 0;
  while (b < buckets.size() - 1 && !(buckets[b].count >= rank)) ++b;
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double start = 0;
  const double end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

StatusOr<Value> HistogramQuantile(Context& ctx, const Value& q, const Value& input,
                                  const Grid& grid) {
  absl::flat_hash_map<std::string, int> group_ids;
  std::vector<index::Labels> group_labels;
  std::vector<int> group_of(input.series.size(), -1);
  std::vector<double> bound_of(input.series.size(), 0);
  for (size_t i = 0; i < input.series.size(); ++i) {
    const index::Labels& labels = input.series[i].labels;
    if (!ParseBound(labels.Get("le"), &bound_of[i])) continue;
    // Grouped by all labels but `le` (so two metric names stay apart and
    // collide only in the output, which is then an error as in Prometheus).
    index::LabelsBuilder b(labels);
    b.Del("le");
    const index::Labels key = b.Build();
    auto [it, inserted] =
        group_ids.try_emplace(std::string(key.encoded()), static_cast<int>(group_labels.size()));
    if (inserted) group_labels.push_back(DropMetricName(key));
    group_of[i] = it->second;
  }
  const StepView view = Transpose(input.series, grid);
  std::vector<std::vector<Bucket>> buckets(group_labels.size());
  std::vector<int> touched;
  SeriesBuilder out;
  std::vector<int> out_index(group_labels.size(), -1);
  for (int64_t step = 0; step < grid.size(); ++step) {
    if ((step & 255) == 0) STRATA_RETURN_IF_ERROR(ctx.CheckDeadline());
    touched.clear();
    for (auto [i, v] : view.Step(step)) {
      const int g = group_of[i];
      if (g < 0) continue;
      if (buckets[g].empty()) touched.push_back(g);
      buckets[g].push_back(Bucket{bound_of[i], v});
    }
    for (int g : touched) {
      const double value = BucketQuantile(q.scalar[step], buckets[g]);
      buckets[g].clear();
      if (out_index[g] < 0) out_index[g] = out.Intern(group_labels[g]);
      STRATA_RETURN_IF_ERROR(out.Add(out_index[g], grid.T(step), value));
    }
  }
  Value result;
  result.type = ValueType::kVector;
  result.series = out.Finish();
  return result;
}

}  // namespace strata::query::internal
