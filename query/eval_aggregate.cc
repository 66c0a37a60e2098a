// Aggregation operators (sum, min, max, avg, group, stddev, stdvar, count,
// count_values, bottomk, topk, quantile) with `by`/`without`, computed step
// by step with the arithmetic of Prometheus 2.42 (engine.go aggregation):
// incremental means, Welford variance, NaN handling of min/max and topk.
#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "query/internal/evaluator.h"

namespace strata::query::internal {
namespace {

struct GroupState {
  int64_t stamp = -1;  // step of the last update; older means empty
  double value = 0;
  double mean = 0;
  double count = 0;
  std::vector<std::pair<uint32_t, double>> items;  // topk, bottomk, quantile
};

class Grouper {
 public:
  Grouper(const AggregateExpr& e) : e_(e), names_(e.grouping) {
    std::sort(names_.begin(), names_.end());
  }
  // The group of `labels`, creating it with its output labels.
  int Of(const index::Labels& labels) {
    key_.clear();
    index::LabelsBuilder b;
    for (const index::Label& l : labels) {
      const bool listed = std::binary_search(names_.begin(), names_.end(), l.name);
      const bool use = e_.without ? (!listed && l.name != index::kMetricName) : listed;
      if (!use) continue;
      key_.append(l.name);
      key_.push_back('\xff');
      key_.append(l.value);
      key_.push_back('\xff');
    }
    auto [it, inserted] = ids_.try_emplace(key_, static_cast<int>(out_labels_.size()));
    if (inserted) {
      for (const index::Label& l : labels) {
        const bool listed = std::binary_search(names_.begin(), names_.end(), l.name);
        if (e_.without ? (!listed && l.name != index::kMetricName) : listed) {
          b.Set(l.name, l.value);
        }
      }
      out_labels_.push_back(b.Build());
    }
    return it->second;
  }
  const index::Labels& labels(int g) const { return out_labels_[g]; }
  size_t size() const { return out_labels_.size(); }

 private:
  const AggregateExpr& e_;
  std::vector<std::string> names_;
  std::string key_;
  absl::flat_hash_map<std::string, int> ids_;
  std::vector<index::Labels> out_labels_;
};

void Accumulate(AggregateOp op, GroupState& g, double v, int64_t step) {
  if (g.stamp != step) {
    g.stamp = step;
    g.value = v;
    g.mean = v;
    g.count = 1;
    g.items.clear();
    if (op == AggregateOp::kStddev || op == AggregateOp::kStdvar) g.value = 0;
    return;
  }
  g.count += 1;
  switch (op) {
    case AggregateOp::kSum:
      g.value += v;
      break;
    case AggregateOp::kAvg:
      if (std::isinf(g.mean)) {
        if (std::isinf(v) && (g.mean > 0) == (v > 0)) break;
        if (!std::isinf(v) && !std::isnan(v)) break;
      }
      g.mean += v / g.count - g.mean / g.count;
      break;
    case AggregateOp::kMax:
      if (g.value < v || std::isnan(g.value)) g.value = v;
      break;
    case AggregateOp::kMin:
      if (g.value > v || std::isnan(g.value)) g.value = v;
      break;
    case AggregateOp::kStddev:
    case AggregateOp::kStdvar: {
      const double delta = v - g.mean;
      g.mean += delta / g.count;
      g.value += delta * (v - g.mean);
      break;
    }
    default:
      break;
  }
}

double Result(AggregateOp op, const GroupState& g) {
  switch (op) {
    case AggregateOp::kAvg:
      return g.mean;
    case AggregateOp::kCount:
    case AggregateOp::kCountValues:
      return g.count;
    case AggregateOp::kGroup:
      return 1;
    case AggregateOp::kStdvar:
      return g.value / g.count;
    case AggregateOp::kStddev:
      return std::sqrt(g.value / g.count);
    default:
      return g.value;
  }
}

// Orders for topk (descending, NaN last) and bottomk (ascending, NaN last).
bool Before(bool top, double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return top ? a > b : a < b;
}

// The k elements of `items` (series index, value; in input order) that
// Prometheus' topk/bottomk keep, ties included: a size-k heap ordered as
// its vectorByValueHeap (vectorByReverseValueHeap for bottomk), filled in
// input order, whose root is replaced only by a strictly better value.
// Which of several equal values survive depends on that heap's shape, so
// it is reproduced step for step (Go's container/heap) rather than sorted.
void SelectLikePrometheus(bool top, size_t k, std::span<const std::pair<uint32_t, double>> items,
                          std::vector<std::pair<uint32_t, double>>* heap) {
  auto less = [top](const std::pair<uint32_t, double>& a, const std::pair<uint32_t, double>& b) {
    if (std::isnan(a.second)) return true;
    return top ? a.second < b.second : a.second > b.second;
  };
  std::vector<std::pair<uint32_t, double>>& h = *heap;
  auto up = [&](size_t j) {
    while (j > 0) {
      const size_t i = (j - 1) / 2;
      if (!less(h[j], h[i])) break;
      std::swap(h[i], h[j]);
      j = i;
    }
  };
  auto down = [&](size_t i) {
    const size_t start = i;
    for (;;) {
      size_t j = 2 * i + 1;
      if (j >= h.size()) break;
      if (j + 1 < h.size() && less(h[j + 1], h[j])) ++j;
      if (!less(h[j], h[i])) break;
      std::swap(h[i], h[j]);
      i = j;
    }
    return i > start;
  };
  h.clear();
  for (const auto& item : items) {
    if (h.size() < k) {
      h.push_back(item);
      up(h.size() - 1);
      continue;
    }
    const double root = h[0].second;
    const bool better = top ? root < item.second : root > item.second;
    if (better || (std::isnan(root) && !std::isnan(item.second))) {
      h[0] = item;
      if (k > 1 && !down(0)) up(0);
    }
  }
}

}  // namespace

StatusOr<Value> EvalAggregateOp(Context& ctx, const AggregateExpr& e, const Value* param,
                                Value input, const Grid& grid) {
  if (input.type != ValueType::kVector) {
    return absl::InvalidArgumentError(
        absl::StrFormat("expected instant vector in aggregation %s", AggregateOpString(e.op)));
  }
  if (HasParam(e.op) && param == nullptr) {
    return absl::InvalidArgumentError("aggregation parameter missing");
  }
  std::string value_label;
  if (e.op == AggregateOp::kCountValues) {
    value_label = param->str;
    if (!IsValidLabelName(value_label)) {
      return absl::FailedPreconditionError(
          absl::StrFormat("invalid label name \"%s\"", value_label));
    }
  }
  const bool selects = e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk;
  AggregateExpr effective_e;  // count_values groups by the value label too
  const AggregateExpr* ge = &e;
  if (e.op == AggregateOp::kCountValues && !e.without) {
    effective_e.grouping = e.grouping;
    effective_e.grouping.push_back(value_label);
    effective_e.without = false;
    ge = &effective_e;
  }
  Grouper grouper(*ge);
  std::vector<int> group_of(input.series.size(), -1);
  if (e.op != AggregateOp::kCountValues) {
    for (size_t i = 0; i < input.series.size(); ++i)
      group_of[i] = grouper.Of(input.series[i].labels);
  }
  const StepView view = Transpose(input.series, grid);
  std::vector<GroupState> groups(grouper.size());
  std::vector<int> touched;
  SeriesBuilder out;
  std::vector<int> out_of_group;
  std::vector<int> out_of_series(selects ? input.series.size() : 0, -1);
  std::vector<std::pair<uint32_t, double>> selected;  // topk/bottomk of one group
  for (int64_t step = 0; step < grid.size(); ++step) {
    if ((step & 255) == 0) STRATA_RETURN_IF_ERROR(ctx.CheckDeadline());
    const int64_t t = grid.T(step);
    touched.clear();
    for (auto [i, v] : view.Step(step)) {
      int g = group_of[i];
      if (e.op == AggregateOp::kCountValues) {
        index::LabelsBuilder b(input.series[i].labels);
        b.Set(value_label, FormatValueLabel(v));
        g = grouper.Of(b.Build());
        if (static_cast<size_t>(g) >= groups.size()) groups.resize(g + 1);
      }
      GroupState& gs = groups[g];
      if (gs.stamp != step) touched.push_back(g);
      Accumulate(e.op, gs, v, step);
      if (selects || e.op == AggregateOp::kQuantile) gs.items.emplace_back(i, v);
    }
    if (out_of_group.size() < grouper.size()) out_of_group.resize(grouper.size(), -1);
    for (int g : touched) {
      GroupState& gs = groups[g];
      if (selects) {
        const double kf = param->scalar[step];
        if (!(kf >= 1)) continue;
        const size_t k =
            kf >= static_cast<double>(gs.items.size()) ? gs.items.size() : static_cast<size_t>(kf);
        const bool top = e.op == AggregateOp::kTopk;
        SelectLikePrometheus(top, k, gs.items, &selected);
        std::stable_sort(selected.begin(), selected.end(), [top](const auto& a, const auto& b) {
          return Before(top, a.second, b.second);
        });
        for (const auto& [i, v] : selected) {
          if (out_of_series[i] < 0) out_of_series[i] = out.Intern(input.series[i].labels);
          STRATA_RETURN_IF_ERROR(out.Add(out_of_series[i], t, v));
        }
        continue;
      }
      double v;
      if (e.op == AggregateOp::kQuantile) {
        std::vector<double> values;
        values.reserve(gs.items.size());
        for (const auto& it : gs.items) values.push_back(it.second);
        v = Quantile(param->scalar[step], values);
      } else {
        v = Result(e.op, gs);
      }
      if (out_of_group[g] < 0) out_of_group[g] = out.Intern(grouper.labels(g));
      STRATA_RETURN_IF_ERROR(out.Add(out_of_group[g], t, v));
    }
  }
  Value result;
  result.type = ValueType::kVector;
  result.series = out.Finish();
  return result;
}

}  // namespace strata::query::internal
