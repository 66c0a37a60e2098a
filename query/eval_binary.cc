// Binary operators: arithmetic, comparisons (filtering or `bool`), set
// operators and vector matching (on/ignoring, group_left/group_right), with
// the result labels and error messages of Prometheus 2.42 (engine.go
// VectorBinop, VectorscalarBinop, resultMetric).
#include <algorithm>
#include <cmath>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "query/internal/evaluator.h"

namespace strata::query::internal {
namespace {

bool IsArithmetic(BinaryOp op) { return !IsComparison(op) && !IsSetOperator(op); }

// Prometheus' shouldDropMetricName: arithmetic except atan2.
bool DropsName(BinaryOp op) { return IsArithmetic(op) && op != BinaryOp::kAtan2; }

// Prometheus' vectorElemBinop: the value and whether to keep the element.
std::pair<double, bool> ElemOp(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd:
      return {l + r, true};
    case BinaryOp::kSub:
      return {l - r, true};
    case BinaryOp::kMul:
      return {l * r, true};
    case BinaryOp::kDiv:
      return {l / r, true};
    case BinaryOp::kPow:
      return {std::pow(l, r), true};
    case BinaryOp::kMod:
      return {std::fmod(l, r), true};
    case BinaryOp::kAtan2:
      return {std::atan2(l, r), true};
    case BinaryOp::kEql:
      return {l, l == r};
    case BinaryOp::kNeq:
      return {l, l != r};
    case BinaryOp::kGtr:
      return {l, l > r};
    case BinaryOp::kLss:
      return {l, l < r};
    case BinaryOp::kGte:
      return {l, l >= r};
    case BinaryOp::kLte:
      return {l, l <= r};
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
    case BinaryOp::kUnless:
      break;
  }
  return {NAN, false};
}

StatusOr<Value> ScalarScalar(const BinaryExpr& e, Value lhs, const Value& rhs) {
  for (size_t i = 0; i < lhs.scalar.size(); ++i) {
    auto [v, keep] = ElemOp(e.op, lhs.scalar[i], rhs.scalar[i]);
    if (IsComparison(e.op)) v = keep ? 1 : 0;
    lhs.scalar[i] = v;
  }
  return lhs;
}

StatusOr<Value> VectorScalar(const BinaryExpr& e, Value vec, const Value& scalar, bool swap,
                             const Grid& grid) {
  const bool drop_name = DropsName(e.op) || e.return_bool;
  SeriesBuilder out;
  for (Series& s : vec.series) {
    const int idx = out.Intern(drop_name ? DropMetricName(s.labels) : s.labels);
    for (const Point& p : s.points) {
      double lv = p.v;
      double rv = scalar.scalar[grid.Index(p.t)];
      if (swap) std::swap(lv, rv);
      auto [value, keep] = ElemOp(e.op, lv, rv);
      if (IsComparison(e.op) && swap) value = rv;
      if (e.return_bool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (keep) STRATA_RETURN_IF_ERROR(out.Add(idx, p.t, value));
    }
  }
  vec.series = out.Finish();
  return vec;
}

// Computes matching signatures as small integers shared by both sides.
class Signatures {
 public:
  Signatures(const VectorMatching& m) : m_(m) {
    names_ = m.matching_labels;
    std::sort(names_.begin(), names_.end());
  }
  int Of(const index::Labels& labels) {
    key_.clear();
    for (const index::Label& l : labels) {
      const bool listed = std::binary_search(names_.begin(), names_.end(), l.name);
      const bool use = m_.on ? listed : (!listed && l.name != index::kMetricName);
      if (!use) continue;
      key_.append(l.name);
      key_.push_back('\xff');
      key_.append(l.value);
      key_.push_back('\xff');
    }
    auto [it, inserted] = ids_.try_emplace(key_, static_cast<int>(ids_.size()));
    return it->second;
  }
  size_t size() const { return ids_.size(); }
  // Prometheus' MatchLabels, for messages.
  index::Labels MatchLabels(const index::Labels& labels) const {
    index::LabelsBuilder b;
    for (const index::Label& l : labels) {
      const bool listed = std::binary_search(names_.begin(), names_.end(), l.name);
      if (m_.on ? listed : (!listed && l.name != index::kMetricName)) b.Set(l.name, l.value);
    }
    return b.Build();
  }

 private:
  const VectorMatching& m_;
  std::vector<std::string> names_;
  std::string key_;
  absl::flat_hash_map<std::string, int> ids_;
};

// Prometheus' resultMetric. `lhs` is the "many" side.
index::Labels ResultMetric(const index::Labels& lhs, const index::Labels& rhs, BinaryOp op,
                           const VectorMatching& m) {
  index::LabelsBuilder b;
  auto keep = [&](std::string_view name) {
    if (DropsName(op) && name == index::kMetricName) return false;
    if (m.card != Cardinality::kOneToOne) return true;
    const bool listed = std::find(m.matching_labels.begin(), m.matching_labels.end(), name) !=
                        m.matching_labels.end();
    return m.on ? listed : !listed;
  };
  for (const index::Label& l : lhs) {
    if (keep(l.name)) b.Set(l.name, l.value);
  }
  for (const std::string& name : m.include) {
    const std::string_view v = rhs.Get(name);
    if (!v.empty()) {
      b.Set(name, v);
    } else {
      b.Del(name);
    }
  }
  return b.Build();
}

StatusOr<Value> SetOperation(Context& ctx, const BinaryExpr& e, Value lhs, Value rhs,
                             const Grid& grid) {
  Signatures sigs(*e.matching);
  std::vector<int> lsig, rsig;
  for (const Series& s : lhs.series) lsig.push_back(sigs.Of(s.labels));
  for (const Series& s : rhs.series) rsig.push_back(sigs.Of(s.labels));
  const StepView lv = Transpose(lhs.series, grid);
  const StepView rv = Transpose(rhs.series, grid);
  std::vector<char> mark(sigs.size(), 0);
  SeriesBuilder out;
  std::vector<int> lout(lhs.series.size(), -1), rout(rhs.series.size(), -1);
  auto add_l = [&](uint32_t i, int64_t t, double v) -> Status {
    if (lout[i] < 0) lout[i] = out.Intern(lhs.series[i].labels);
    return out.Add(lout[i], t, v);
  };
  auto add_r = [&](uint32_t i, int64_t t, double v) -> Status {
    if (rout[i] < 0) rout[i] = out.Intern(rhs.series[i].labels);
    return out.Add(rout[i], t, v);
  };
  for (int64_t step = 0; step < grid.size(); ++step) {
    if ((step & 255) == 255) STRATA_RETURN_IF_ERROR(ctx.CheckDeadline());
    const int64_t t = grid.T(step);
    const auto& ls = lv.Step(step);
    const auto& rs = rv.Step(step);
    if (e.op == BinaryOp::kOr) {
      for (auto [i, v] : ls) {
        mark[lsig[i]] = 1;
        STRATA_RETURN_IF_ERROR(add_l(i, t, v));
      }
      for (auto [i, v] : rs) {
        if (!mark[rsig[i]]) STRATA_RETURN_IF_ERROR(add_r(i, t, v));
      }
      for (auto [i, v] : ls) mark[lsig[i]] = 0;
      continue;
    }
    for (auto [i, v] : rs) mark[rsig[i]] = 1;
    const bool want = e.op == BinaryOp::kAnd;
    for (auto [i, v] : ls) {
      if (static_cast<bool>(mark[lsig[i]]) == want) STRATA_RETURN_IF_ERROR(add_l(i, t, v));
    }
    for (auto [i, v] : rs) mark[rsig[i]] = 0;
  }
  lhs.series = out.Finish();
  return lhs;
}

StatusOr<Value> VectorVector(Context& ctx, const BinaryExpr& e, Value lhs_in, Value rhs_in,
                             const Grid& grid) {
  const VectorMatching& m = *e.matching;
  if (m.card == Cardinality::kManyToMany) {
    return absl::InternalError("many-to-many only allowed for set operators");
  }
  const bool swapped = m.card == Cardinality::kOneToMany;
  // `many` is the side iterated (Prometheus' lhs after the swap).
  std::vector<Series>& many = swapped ? rhs_in.series : lhs_in.series;
  std::vector<Series>& one = swapped ? lhs_in.series : rhs_in.series;
  Signatures sigs(m);
  std::vector<int> msig, osig;
  for (const Series& s : many) msig.push_back(sigs.Of(s.labels));
  for (const Series& s : one) osig.push_back(sigs.Of(s.labels));
  const StepView mv = Transpose(many, grid);
  const StepView ov = Transpose(one, grid);
  struct Slot {
    int64_t index = -1;
    double v = 0;
  };
  std::vector<Slot> one_at(sigs.size());
  std::vector<char> matched(sigs.size(), 0);
  absl::flat_hash_map<uint64_t, int> out_index;  // (many, one) -> output series
  absl::flat_hash_set<uint64_t> inserted;        // (sig, output) at this step
  SeriesBuilder out;
  for (int64_t step = 0; step < grid.size(); ++step) {
    if ((step & 255) == 255) STRATA_RETURN_IF_ERROR(ctx.CheckDeadline());
    const int64_t t = grid.T(step);
    for (auto [j, v] : ov.Step(step)) {
      Slot& slot = one_at[osig[j]];
      if (slot.index >= 0) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "found duplicate series for the match group %s on the %s hand-side of the "
            "operation: [%s, %s];many-to-many matching not allowed: matching labels must be "
            "unique on one side",
            sigs.MatchLabels(one[j].labels).ToString(), swapped ? "left" : "right",
            one[j].labels.ToString(), one[slot.index].labels.ToString()));
      }
      slot = Slot{j, v};
    }
    for (auto [i, v] : mv.Step(step)) {
      const Slot& slot = one_at[msig[i]];
      if (slot.index < 0) continue;
      double vl = v, vr = slot.v;
      if (swapped) std::swap(vl, vr);
      auto [value, keep] = ElemOp(e.op, vl, vr);
      if (e.return_bool) {
        value = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      const uint64_t pair = (static_cast<uint64_t>(i) << 32) | static_cast<uint64_t>(slot.index);
      auto it = out_index.find(pair);
      if (it == out_index.end()) {
        index::Labels metric = ResultMetric(many[i].labels, one[slot.index].labels, e.op, m);
        if (e.return_bool) metric = DropMetricName(metric);
        it = out_index.emplace(pair, out.Intern(metric)).first;
      }
      if (m.card == Cardinality::kOneToOne) {
        if (matched[msig[i]]) {
          return absl::FailedPreconditionError(
              "multiple matches for labels: many-to-one matching must be explicit "
              "(group_left/group_right)");
        }
        matched[msig[i]] = 1;
      } else {
        const uint64_t key = (static_cast<uint64_t>(msig[i]) << 32) | it->second;
        if (!inserted.insert(key).second) {
          return absl::FailedPreconditionError(
              "multiple matches for labels: grouping labels must ensure unique matches");
        }
      }
      STRATA_RETURN_IF_ERROR(out.Add(it->second, t, value));
    }
    for (auto [j, v] : ov.Step(step)) one_at[osig[j]] = Slot{};
    for (auto [i, v] : mv.Step(step)) matched[msig[i]] = 0;
    inserted.clear();
  }
  Value result;
  result.type = ValueType::kVector;
  result.series = out.Finish();
  return result;
}

}  // namespace

StatusOr<Value> EvalBinaryOp(Context& ctx, const BinaryExpr& e, Value lhs, Value rhs,
                             const Grid& grid) {
  STRATA_RETURN_IF_ERROR(ctx.CheckDeadline());
  const bool ls = lhs.type == ValueType::kScalar;
  const bool rs = rhs.type == ValueType::kScalar;
  if (ls && rs) return ScalarScalar(e, std::move(lhs), rhs);
  if (!ls && rs) return VectorScalar(e, std::move(lhs), rhs, false, grid);
  if (ls && !rs) return VectorScalar(e, std::move(rhs), lhs, true, grid);
  if (lhs.type != ValueType::kVector || rhs.type != ValueType::kVector || !e.matching) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "binary operator %s: operands must be scalars or instant vectors", BinaryOpString(e.op)));
  }
  if (IsSetOperator(e.op)) return SetOperation(ctx, e, std::move(lhs), std::move(rhs), grid);
  return VectorVector(ctx, e, std::move(lhs), std::move(rhs), grid);
}

}  // namespace strata::query::internal
