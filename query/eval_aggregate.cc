// Aggregation operators (sum, min, max, avg, group, stddev, stdvar, count,
// count_values, bottomk, topk, quantile) with `by`/`without` and the
// arithmetic of Prometheus 2.42 (engine.go aggregation): incremental means,
// Welford variance, NaN handling of min/max and topk. Each step sees its
// series in input order; the aggregations that keep only a running state
// read the input series by series, the others step by step.
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

// One group's running aggregate at one step; count 0 means no value yet.
struct Acc {
  double value = 0;
  double mean = 0;
  double count = 0;
};

struct GroupState {
  int64_t stamp = -1;  // step of the last update; older means empty
  Acc acc;
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

void Accumulate(AggregateOp op, Acc& g, double v) {
  if (g.count == 0) {
    g.value = v;
    g.mean = v;
    g.count = 1;
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

double Result(AggregateOp op, const Acc& g) {
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
// input order. Which of several equal values survive depends on that
// heap's shape, so it is reproduced step for step (Go's container/heap)
// rather than sorted. Prometheus 3 replaces the root by a strictly better
// value (or a number over a NaN root) and fixes the heap; Prometheus 2.42
// (`prometheus2`) pops the root and pushes the newcomer, and lets any
// value replace a NaN root: the same values, different ties.
void SelectLikePrometheus(bool top, bool prometheus2, size_t k,
                          std::span<const std::pair<uint32_t, double>> items,
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
  auto down = [&](size_t i, size_t n) {
    const size_t start = i;
    for (;;) {
      size_t j = 2 * i + 1;
      if (j >= n) break;
      if (j + 1 < n && less(h[j + 1], h[j])) ++j;
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
    if (prometheus2) {
      if (!better && !std::isnan(root)) continue;
      if (k == 1) {
        h[0] = item;
        continue;
      }
      std::swap(h[0], h.back());  // heap.Pop
      down(0, h.size() - 1);
      h.back() = item;  // heap.Push
      up(h.size() - 1);
    } else if (better || (std::isnan(root) && !std::isnan(item.second))) {
      h[0] = item;
      if (k > 1 && !down(0, h.size())) up(0);
    }
  }
}

// Whether an aggregation's value at a step needs only a running state per
// group (no parameter, no list of the step's values).
bool Streams(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
    case AggregateOp::kAvg:
    case AggregateOp::kCount:
    case AggregateOp::kGroup:
    case AggregateOp::kMin:
    case AggregateOp::kMax:
    case AggregateOp::kStddev:
    case AggregateOp::kStdvar:
      return true;
    default:
      return false;
  }
}

// A streaming aggregation read series by series into one Acc per group and
// step, instead of transposing the whole input to steps first: each step
// still sees its series in input order, so the arithmetic is the same.
// Output series are created in the order the step-by-step evaluation would
// create them (by the first step a group has a value, then by its first
// series at that step), since a later topk's ties depend on that order.
StatusOr<Value> AggregateBySeries(Context& ctx, AggregateOp op, const std::vector<Series>& series,
                                  const std::vector<int>& group_of, const Grouper& grouper,
                                  const Grid& grid) {
  const size_t steps = static_cast<size_t>(grid.size());
  std::vector<Acc> acc(grouper.size() * steps);
  std::vector<std::pair<int64_t, size_t>> first(grouper.size(), {INT64_MAX, 0});
  for (size_t i = 0; i < series.size(); ++i) {
    if ((i & 255) == 0) STRATA_RETURN_IF_ERROR(ctx.CheckDeadline());
    const size_t g = static_cast<size_t>(group_of[i]);
    Acc* row = &acc[g * steps];
    for (const Point& p : series[i].points) {
      const int64_t step = grid.Index(p.t);
      Accumulate(op, row[step], p.v);
      if (step < first[g].first) first[g] = {step, i};
    }
  }
  std::vector<size_t> order;
  for (size_t g = 0; g < first.size(); ++g) {
    if (first[g].first != INT64_MAX) order.push_back(g);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return first[a] < first[b]; });
  SeriesBuilder out;
  for (size_t g : order) {
    const int o = out.Intern(grouper.labels(static_cast<int>(g)));
    const Acc* row = &acc[g * steps];
    for (size_t step = 0; step < steps; ++step) {
      if (row[step].count == 0) continue;
      STRATA_RETURN_IF_ERROR(out.Add(o, grid.T(static_cast<int64_t>(step)), Result(op, row[step])));
    }
  }
  Value result;
  result.type = ValueType::kVector;
  result.series = out.Finish();
  return result;
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
  if (Streams(e.op)) {
    // One state per group and step, when that is no more than the input.
    size_t points = 0;
    for (const Series& s : input.series) points += s.points.size();
    if (grouper.size() * static_cast<size_t>(grid.size()) <= points) {
      return AggregateBySeries(ctx, e.op, input.series, group_of, grouper, grid);
    }
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
      if (gs.stamp != step) {
        touched.push_back(g);
        gs.stamp = step;
        gs.acc = Acc{};
        gs.items.clear();
      }
      Accumulate(e.op, gs.acc, v);
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
        SelectLikePrometheus(top, !ctx.left_open(), k, gs.items, &selected);
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
        v = Result(e.op, gs.acc);
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
