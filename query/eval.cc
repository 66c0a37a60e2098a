// The evaluator's core: the shared query context, the helpers that every
// node uses (parallel loops, step transposition, output collection), the
// dispatch over node kinds, selectors, subqueries and unary minus.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "query/internal/evaluator.h"

namespace strata::query::internal {

Context::Context(DB& db, const EngineOptions& options, int64_t query_start, int64_t query_end)
    : db_(db), options_(options), query_start_(query_start), query_end_(query_end) {
  threads_ = options.threads > 0
                 ? options.threads
                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
}

Status Context::CheckDeadline() const {
  if (options_.timeout_ms > 0 && std::chrono::steady_clock::now() > deadline_) {
    return absl::DeadlineExceededError(absl::StrFormat(
        "query timed out in expression evaluation (timeout %dms)", options_.timeout_ms));
  }
  return absl::OkStatus();
}

Status Context::AddSamples(int64_t n) {
  const int64_t total = samples_.fetch_add(n) + n;
  if (options_.max_samples > 0 && total > options_.max_samples) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("query processing would load too many samples into memory in query "
                        "execution (limit %d samples)",
                        options_.max_samples));
  }
  return absl::OkStatus();
}

Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn) {
  const size_t workers = std::min<size_t>(static_cast<size_t>(std::max(1, threads)), n);
  if (workers <= 1 || n < 4) {
    for (size_t i = 0; i < n; ++i) STRATA_RETURN_IF_ERROR(fn(i));
    return absl::OkStatus();
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first = absl::OkStatus();
  auto work = [&] {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> l(mu);
        if (first.ok()) first = std::move(s);
        failed = true;
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return first;
}

StepView Transpose(const std::vector<Series>& series, const Grid& grid) {
  StepView view;
  const size_t steps = static_cast<size_t>(grid.size());
  view.offsets.assign(steps + 1, 0);
  for (const Series& s : series) {
    for (const Point& p : s.points) ++view.offsets[grid.Index(p.t) + 1];
  }
  for (size_t i = 0; i < steps; ++i) view.offsets[i + 1] += view.offsets[i];
  view.entries.resize(view.offsets[steps]);
  std::vector<size_t> fill(view.offsets.begin(), view.offsets.end() - 1);
  for (size_t s = 0; s < series.size(); ++s) {
    for (const Point& p : series[s].points) {
      view.entries[fill[grid.Index(p.t)]++] = {static_cast<uint32_t>(s), p.v};
    }
  }
  return view;
}

int SeriesBuilder::Intern(const index::Labels& labels) {
  auto [it, inserted] = index_.try_emplace(std::string(labels.encoded()), out_.size());
  if (inserted) out_.push_back(Series{labels, {}});
  return it->second;
}

Status SeriesBuilder::Add(int index, int64_t t, double v) {
  std::vector<Point>& pts = out_[index].points;
  if (!pts.empty() && pts.back().t >= t) {
    return absl::FailedPreconditionError("vector cannot contain metrics with the same labelset");
  }
  pts.push_back(Point{t, v});
  return absl::OkStatus();
}

std::vector<Series> SeriesBuilder::Finish() {
  std::vector<Series> out;
  out.reserve(out_.size());
  for (Series& s : out_) {
    if (!s.points.empty()) out.push_back(std::move(s));
  }
  out_.clear();
  index_.clear();
  return out;
}

index::Labels DropMetricName(const index::Labels& labels) {
  if (!labels.Has(index::kMetricName)) return labels;
  index::LabelsBuilder b(labels);
  b.Del(index::kMetricName);
  return b.Build();
}

bool IsStaleNaN(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaNBits;
}

std::string FormatValueLabel(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  // NaN sorts first, as Prometheus' vectorByValueHeap.
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

const Expr& UnwrapParens(const Expr& e) {
  const Expr* p = &e;
  while (p->kind() == ExprKind::kParen) p = static_cast<const ParenExpr*>(p)->expr.get();
  return *p;
}

index::Labels AbsentLabels(const VectorSelector* vs) {
  if (vs == nullptr) return index::Labels();
  index::LabelsBuilder b;
  std::vector<std::string_view> set, unset;
  for (const query::LabelMatcher& m : vs->matchers) {
    if (m.name == index::kMetricName) continue;
    if (m.type == MatchType::kEqual && std::find(set.begin(), set.end(), m.name) == set.end()) {
      b.Set(m.name, m.value);
      set.push_back(m.name);
    } else {
      unset.push_back(m.name);
    }
  }
  for (std::string_view n : unset) b.Del(n);
  return b.Build();
}

namespace {

strata::LabelMatcher::Type ToApiType(MatchType t) {
  switch (t) {
    case MatchType::kEqual:
      return strata::LabelMatcher::Type::kEqual;
    case MatchType::kNotEqual:
      return strata::LabelMatcher::Type::kNotEqual;
    case MatchType::kRegexMatch:
      return strata::LabelMatcher::Type::kRegexMatch;
    case MatchType::kRegexNoMatch:
      return strata::LabelMatcher::Type::kRegexNoMatch;
  }
  return strata::LabelMatcher::Type::kEqual;
}

std::vector<strata::LabelMatcher> ApiMatchers(const VectorSelector& vs, bool dot_matches_newline) {
  std::vector<strata::LabelMatcher> out;
  out.reserve(vs.matchers.size());
  for (const query::LabelMatcher& m : vs.matchers) {
    strata::LabelMatcher am;
    am.type = ToApiType(m.type);
    am.name = m.name;
    am.value = m.value;
    const bool regex = m.type == MatchType::kRegexMatch || m.type == MatchType::kRegexNoMatch;
    // Prometheus 3 compiles matchers with the `s` flag: `.` matches "\n".
    if (regex && dot_matches_newline) am.value = "(?s:" + m.value + ")";
    out.push_back(std::move(am));
  }
  return out;
}

index::Labels ToIndexLabels(const strata::Labels& labels) {
  index::LabelsBuilder b;
  for (const strata::Label& l : labels) b.Set(l.name, l.value);
  return b.Build();
}

// The selected series of one selector over [mint, maxt], with iterators
// made on the calling thread.
struct Selection {
  std::unique_ptr<Querier> querier;
  std::vector<index::Labels> labels;
  std::vector<std::unique_ptr<SeriesIterator>> iterators;
};

StatusOr<std::shared_ptr<Selection>> Select(Context& ctx, const VectorSelector& vs, int64_t mint,
                                            int64_t maxt) {
  auto sel = std::make_shared<Selection>();
  STRATA_ASSIGN_OR_RETURN(sel->querier, ctx.db().NewQuerier(mint, maxt));
  const std::vector<strata::LabelMatcher> matchers = ApiMatchers(vs, ctx.left_open());
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<SeriesSet> set, sel->querier->Select(matchers));
  while (set->Next()) {
    sel->labels.push_back(ToIndexLabels(set->labels()));
    sel->iterators.push_back(set->NewIterator());
  }
  STRATA_RETURN_IF_ERROR(set->status());
  return sel;
}

int64_t CeilToMultiple(int64_t v, int64_t step) {
  int64_t q = v / step;
  if (q * step < v) ++q;
  return q * step;
}

}  // namespace

int64_t Evaluator::RefTime(const TimeModifiers& mods, int64_t t) const {
  switch (mods.at_preprocessor) {
    case AtPreprocessor::kStart:
      return ctx_.query_start();
    case AtPreprocessor::kEnd:
      return ctx_.query_end();
    case AtPreprocessor::kNone:
      break;
  }
  return mods.at_ms ? *mods.at_ms : t;
}

StatusOr<Value> Evaluator::Eval(const Expr& expr, const Grid& grid) {
  STRATA_RETURN_IF_ERROR(ctx_.CheckDeadline());
  switch (expr.kind()) {
    case ExprKind::kNumberLiteral: {
      Value v;
      v.type = ValueType::kScalar;
      v.scalar.assign(grid.size(), static_cast<const NumberLiteral&>(expr).value);
      return v;
    }
    case ExprKind::kStringLiteral: {
      Value v;
      v.type = ValueType::kString;
      v.str = static_cast<const StringLiteral&>(expr).value;
      return v;
    }
    case ExprKind::kVectorSelector:
      return EvalVectorSelector(static_cast<const VectorSelector&>(expr), grid, false);
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery:
      return EvalMatrix(expr, grid);
    case ExprKind::kCall: {
      // The parser resolved the call to its table entry (functions.h).
      const auto& call = static_cast<const Call&>(expr);
      if (call.func->call == nullptr) {
        return absl::UnimplementedError(
            absl::StrFormat("function %s is not implemented", call.func->name));
      }
      return call.func->call(*this, call, grid);
    }
    case ExprKind::kAggregate: {
      const auto& e = static_cast<const AggregateExpr&>(expr);
      std::optional<Value> param;
      if (e.param) {
        STRATA_ASSIGN_OR_RETURN(param, Eval(*e.param, grid));
      }
      STRATA_ASSIGN_OR_RETURN(Value input, Eval(*e.expr, grid));
      return EvalAggregateOp(ctx_, e, param ? &*param : nullptr, std::move(input), grid);
    }
    case ExprKind::kBinary: {
      const auto& e = static_cast<const BinaryExpr&>(expr);
      STRATA_ASSIGN_OR_RETURN(Value lhs, Eval(*e.lhs, grid));
      STRATA_ASSIGN_OR_RETURN(Value rhs, Eval(*e.rhs, grid));
      return EvalBinaryOp(ctx_, e, std::move(lhs), std::move(rhs), grid);
    }
    case ExprKind::kUnary:
      return EvalUnary(static_cast<const UnaryExpr&>(expr), grid);
    case ExprKind::kParen:
      return Eval(*static_cast<const ParenExpr&>(expr).expr, grid);
  }
  return absl::InternalError("unknown expression kind");
}

StatusOr<Value> Evaluator::EvalUnary(const UnaryExpr& e, const Grid& grid) {
  STRATA_ASSIGN_OR_RETURN(Value v, Eval(*e.expr, grid));
  if (e.op == UnaryOp::kAdd) return v;
  if (v.type == ValueType::kScalar) {
    for (double& x : v.scalar) x = -x;
    return v;
  }
  if (v.type != ValueType::kVector) {
    return absl::InvalidArgumentError("unary minus is only allowed on scalars and instant vectors");
  }
  SeriesBuilder out;
  for (Series& s : v.series) {
    const int idx = out.Intern(DropMetricName(s.labels));
    for (const Point& p : s.points) STRATA_RETURN_IF_ERROR(out.Add(idx, p.t, -p.v));
  }
  v.series = out.Finish();
  return v;
}

StatusOr<Value> Evaluator::EvalVectorSelector(const VectorSelector& vs, const Grid& grid,
                                              bool timestamps) {
  const int64_t lookback = ctx_.options().lookback_delta_ms;
  const bool pinned = vs.modifiers.has_at();
  const int64_t first_ref = RefTime(vs.modifiers, grid.start) - vs.modifiers.offset_ms;
  const int64_t last_ref = RefTime(vs.modifiers, grid.end) - vs.modifiers.offset_ms;
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Selection> sel,
                          Select(ctx_, vs, first_ref - lookback, last_ref));
  Value out;
  out.type = ValueType::kVector;
  out.series.resize(sel->labels.size());
  const bool left_open = ctx_.left_open();
  auto in_window = [&](int64_t sample_t, int64_t ref) {
    return left_open ? sample_t > ref - lookback : sample_t >= ref - lookback;
  };
  STRATA_RETURN_IF_ERROR(ParallelFor(sel->labels.size(), ctx_.threads(), [&](size_t i) -> Status {
    STRATA_RETURN_IF_ERROR(ctx_.CheckDeadline());
    SeriesIterator& it = *sel->iterators[i];
    std::vector<Point>& points = out.series[i].points;
    bool has = it.Next();
    bool prev_ok = false;
    Point prev{0, 0};
    for (int64_t step = 0; step < grid.size(); ++step) {
      const int64_t t = grid.T(step);
      const int64_t ref = pinned ? first_ref : t - vs.modifiers.offset_ms;
      if (pinned && step > 0) {
        if (!points.empty()) points.push_back(Point{t, points.back().v});
        continue;
      }
      if (has && it.timestamp_ms() < ref - lookback) {
        prev_ok = false;
        has = it.Seek(ref - lookback);
      }
      while (has && it.timestamp_ms() <= ref) {
        prev = Point{it.timestamp_ms(), it.value()};
        prev_ok = true;
        has = it.Next();
      }
      if (prev_ok && in_window(prev.t, ref) && !IsStaleNaN(prev.v)) {
        points.push_back(Point{t, timestamps ? static_cast<double>(prev.t) / 1000.0 : prev.v});
      }
    }
    STRATA_RETURN_IF_ERROR(it.status());
    out.series[i].labels = sel->labels[i];
    return ctx_.AddSamples(static_cast<int64_t>(points.size()));
  }));
  // Series without points in the grid are not part of the value.
  std::erase_if(out.series, [](const Series& s) { return s.points.empty(); });
  return out;
}

StatusOr<Evaluator::RangeSource> Evaluator::MakeRangeSource(const Expr& expr_in, const Grid& grid) {
  const Expr& expr = UnwrapParens(expr_in);
  RangeSource src;
  if (expr.kind() == ExprKind::kMatrixSelector) {
    const auto& ms = static_cast<const MatrixSelector&>(expr);
    const VectorSelector& vs = *ms.selector;
    src.range_ms = ms.range_ms;
    src.offset_ms = vs.modifiers.offset_ms;
    src.selector = &vs;
    if (vs.modifiers.has_at()) src.at_ms = RefTime(vs.modifiers, 0);
    const int64_t first_ref = RefTime(vs.modifiers, grid.start) - src.offset_ms;
    const int64_t last_ref = RefTime(vs.modifiers, grid.end) - src.offset_ms;
    const int64_t mint = first_ref - ms.range_ms;
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Selection> sel, Select(ctx_, vs, mint, last_ref));
    src.labels = sel->labels;
    Context* ctx = &ctx_;
    src.load = [sel, mint, last_ref, ctx](size_t i, std::vector<Point>* buf) -> Status {
      buf->clear();
      SeriesIterator& it = *sel->iterators[i];
      for (bool ok = it.Seek(mint); ok && it.timestamp_ms() <= last_ref; ok = it.Next()) {
        const double v = it.value();
        if (!IsStaleNaN(v)) buf->push_back(Point{it.timestamp_ms(), v});
      }
      STRATA_RETURN_IF_ERROR(it.status());
      return ctx->AddSamples(static_cast<int64_t>(buf->size()));
    };
    src.keep_alive = sel;
    return src;
  }
  if (expr.kind() != ExprKind::kSubquery) {
    return absl::InvalidArgumentError("expected a range vector (matrix selector or subquery)");
  }
  const auto& sq = static_cast<const SubqueryExpr&>(expr);
  src.range_ms = sq.range_ms;
  src.offset_ms = sq.modifiers.offset_ms;
  if (sq.modifiers.has_at()) src.at_ms = RefTime(sq.modifiers, 0);
  Grid inner;
  inner.step = sq.step_ms > 0 ? sq.step_ms : kDefaultSubqueryStepMs;
  const int64_t first_ref = RefTime(sq.modifiers, grid.start) - src.offset_ms;
  const int64_t last_ref = RefTime(sq.modifiers, grid.end) - src.offset_ms;
  inner.start = CeilToMultiple(first_ref - sq.range_ms, inner.step);
  inner.end = last_ref;
  auto data = std::make_shared<std::vector<Series>>();
  if (inner.start <= inner.end) {
    // Every inner step may hold a point per series: refuse what could
    // never fit under the sample limit before allocating for it.
    const int64_t steps = (inner.end - inner.start) / inner.step + 1;
    if (steps < 0 || (ctx_.options().max_samples > 0 && steps > ctx_.options().max_samples)) {
      return absl::ResourceExhaustedError(
          "query processing would load too many samples into memory in subquery evaluation");
    }
    STRATA_ASSIGN_OR_RETURN(Value v, Eval(*sq.expr, inner));
    if (v.type == ValueType::kScalar) {
      Series s;
      for (int64_t i = 0; i < inner.size(); ++i) s.points.push_back(Point{inner.T(i), v.scalar[i]});
      data->push_back(std::move(s));
    } else if (v.type == ValueType::kVector) {
      *data = std::move(v.series);
    } else {
      return absl::InvalidArgumentError("subquery is only allowed on instant vectors and scalars");
    }
  }
  for (const Series& s : *data) src.labels.push_back(s.labels);
  src.load = [data](size_t i, std::vector<Point>* buf) -> Status {
    buf->clear();
    for (const Point& p : (*data)[i].points) {
      if (!IsStaleNaN(p.v)) buf->push_back(p);
    }
    return absl::OkStatus();
  };
  src.keep_alive = data;
  return src;
}

StatusOr<Value> Evaluator::EvalMatrix(const Expr& expr, const Grid& grid) {
  if (grid.size() != 1) {
    return absl::InvalidArgumentError(
        "invalid expression type \"range vector\" for range query, must be Scalar or instant "
        "Vector");
  }
  STRATA_ASSIGN_OR_RETURN(RangeSource src, MakeRangeSource(expr, grid));
  const int64_t ref = (src.at_ms ? *src.at_ms : grid.start) - src.offset_ms;
  const int64_t lo = ref - src.range_ms;
  Value out;
  out.type = ValueType::kMatrix;
  std::vector<Point> buf;
  for (size_t i = 0; i < src.labels.size(); ++i) {
    STRATA_RETURN_IF_ERROR(src.load(i, &buf));
    Series s;
    s.labels = src.labels[i];
    for (const Point& p : buf) {
      const bool after_lo = ctx_.left_open() ? p.t > lo : p.t >= lo;
      if (after_lo && p.t <= ref) s.points.push_back(p);
    }
    if (!s.points.empty()) out.series.push_back(std::move(s));
  }
  return out;
}

}  // namespace strata::query::internal
