// The `.test` script runner: parsing of commands and series descriptions
// (FORMAT.md §1-5) and the comparison of results (§6).
#include "query/test_script.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "index/labels.h"
#include "query/literals.h"
#include "query/parser.h"
#include "query/printer.h"
#include "re2/re2.h"

namespace strata::query {
namespace {

constexpr double kEpsilon = 1e-6;
constexpr double kMinNormal = 2.2250738585072014e-308;

bool IsStale(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

// Skips `n` whitespace-separated words and returns the rest, trimmed.
std::string_view AfterWords(std::string_view s, int n) {
  size_t i = 0;
  for (int w = 0; w < n; ++w) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
  }
  return Trim(s.substr(std::min(i, s.size())));
}

bool ParseFloatStrict(std::string_view s, double* out) {
  if (s.empty()) return false;
  if (s.size() > 1 && (s[0] == '0' || ((s[0] == '+' || s[0] == '-') && s[1] == '0'))) {
    const size_t p = (s[0] == '0') ? 1 : 2;
    if (p < s.size() && (s[p] == 'x' || s[p] == 'X')) return false;  // no hex here
  }
  const std::string str(s);
  char* end = nullptr;
  *out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

struct SeriesValue {
  bool blank = false;
  bool stale = false;
  double v = 0;
};

// Parses the items of a series description (FORMAT.md §3.2).
Status ParseItems(std::string_view text, std::vector<SeriesValue>* out) {
  for (std::string_view item : Fields(text)) {
    if (item == "_") {
      out->push_back(SeriesValue{true});
      continue;
    }
    if (item == "stale") {
      out->push_back(SeriesValue{false, true});
      continue;
    }
    if (item.find("{{") != std::string_view::npos) {
      return absl::UnimplementedError("native histogram values are not supported");
    }
    const size_t x = item.rfind('x');
    if (x == std::string_view::npos) {
      double v;
      if (!ParseFloatStrict(item, &v)) {
        return absl::InvalidArgumentError(absl::StrFormat("bad value %s", item));
      }
      out->push_back(SeriesValue{false, false, v});
      continue;
    }
    const std::string count_text(item.substr(x + 1));
    char* end = nullptr;
    const long long n = std::strtoll(count_text.c_str(), &end, 10);
    if (count_text.empty() || *end != '\0' || n < 0 || n > 10'000'000) {
      return absl::InvalidArgumentError(absl::StrFormat("bad repetition %s", item));
    }
    std::string_view head = item.substr(0, x);
    if (head == "_") {
      for (long long i = 0; i < n; ++i) out->push_back(SeriesValue{true});
      continue;
    }
    if (head == "stale") {
      for (long long i = 0; i <= n; ++i) out->push_back(SeriesValue{false, true});
      continue;
    }
    // Find the sign that joins start and delta: not at 0, not after e/E.
    size_t sign = std::string_view::npos;
    for (size_t i = 1; i < head.size(); ++i) {
      if ((head[i] == '+' || head[i] == '-') && head[i - 1] != 'e' && head[i - 1] != 'E') {
        sign = i;
        break;
      }
    }
    double start, delta = 0;
    const bool ok = sign == std::string_view::npos
                        ? ParseFloatStrict(head, &start)
                        : ParseFloatStrict(head.substr(0, sign), &start) &&
                              ParseFloatStrict(head.substr(sign), &delta);
    if (!ok) return absl::InvalidArgumentError(absl::StrFormat("bad value %s", item));
    double v = start;
    for (long long i = 0; i <= n; ++i) {
      out->push_back(SeriesValue{false, false, v});
      v += delta;
    }
  }
  return absl::OkStatus();
}

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Parses `metric{a="b",...} items` into labels and the items' text.
Status ParseSeriesLine(std::string_view line, index::Labels* labels, std::string_view* items) {
  index::LabelsBuilder b;
  size_t i = 0;
  while (i < line.size() && IsNameChar(line[i], i == 0)) ++i;
  if (i > 0) b.Set(index::kMetricName, line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == ',')) ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      const size_t ns = i;
      while (i < line.size() && IsNameChar(line[i], i == ns)) ++i;
      if (i == ns) return absl::InvalidArgumentError("bad label name");
      const std::string_view name = line.substr(ns, i - ns);
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || line[i] != '=') return absl::InvalidArgumentError("expected =");
      ++i;
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size()) return absl::InvalidArgumentError("expected label value");
      const char q = line[i];
      size_t j = i + 1;
      while (j < line.size() && line[j] != q) {
        if (line[j] == '\\' && q != '`') ++j;
        ++j;
      }
      if (j >= line.size()) return absl::InvalidArgumentError("unterminated label value");
      STRATA_ASSIGN_OR_RETURN(std::string value, Unquote(line.substr(i, j - i + 1)));
      b.Set(name, value);
      i = j + 1;
    }
  } else if (i == 0) {
    return absl::InvalidArgumentError("expected a metric name or {");
  }
  *labels = b.Build();
  *items = Trim(line.substr(i));
  return absl::OkStatus();
}

bool Equal(double want, double got, bool v242) {
  const bool ws = IsStale(want), gs = IsStale(got);
  if (!v242 && (ws || gs)) return ws && gs;
  if (std::isnan(want) && std::isnan(got)) return true;
  if (!v242 && want == got) return true;
  if (want == got) return true;
  if (want == 0 || got == 0 || std::fabs(want) + std::fabs(got) < kMinNormal ||
      (v242 && std::fabs(want - got) < kMinNormal)) {
    return std::fabs(want - got) < kEpsilon * kMinNormal;
  }
  const double sum = std::min(std::fabs(want) + std::fabs(got), 1.7976931348623157e308);
  return std::fabs(want - got) / sum < kEpsilon;
}

struct ExpectedSeries {
  index::Labels labels;
  std::vector<SeriesValue> values;
};

struct EvalCommand {
  int line = 0;
  std::string expr;
  bool range = false;
  int64_t at = 0, start = 0, end = 0, step = 0;
  bool fail = false;
  std::optional<std::string> fail_msg, fail_regex;
  bool ordered = false;
  bool range_vector = false;  // instant eval with `expect range vector`
  std::optional<std::string> string_result;
  std::optional<double> scalar;
  std::vector<ExpectedSeries> series;
};

std::string Describe(const index::Labels& l, const std::vector<Point>& pts) {
  std::string s = l.ToString();
  for (const Point& p : pts) absl::StrAppendFormat(&s, " %g@%d", p.v, p.t);
  return s;
}

// Compares points with the expected values at start + i*step.
std::string CompareSeries(const ExpectedSeries& want, const std::vector<Point>& got, int64_t start,
                          int64_t step, bool v242) {
  size_t g = 0;
  for (size_t i = 0; i < want.values.size(); ++i) {
    const SeriesValue& w = want.values[i];
    const int64_t t = start + static_cast<int64_t>(i) * step;
    if (w.blank) {
      if (g < got.size() && got[g].t == t) return absl::StrFormat("unexpected point at %d", t);
      continue;
    }
    if (g >= got.size() || got[g].t != t) return absl::StrFormat("missing point at %d", t);
    const double wv = w.stale ? std::bit_cast<double>(kStaleNaNBits) : w.v;
    if (!Equal(wv, got[g].v, v242)) {
      return absl::StrFormat("at %d want %s got %s", t, FormatFloat(wv), FormatFloat(got[g].v));
    }
    ++g;
  }
  if (g != got.size()) return absl::StrFormat("unexpected extra points from %d", got[g].t);
  return "";
}

std::string CheckResult(const EvalCommand& c, const Result& r, bool v242) {
  if (c.string_result) {
    if (r.type != Result::Type::kString) return "expected a string result";
    return r.string_value == *c.string_result ? "" : "string differs: " + r.string_value;
  }
  if (c.scalar) {
    if (r.type != Result::Type::kScalar) return "expected a scalar result";
    return Equal(*c.scalar, r.scalar.v, v242)
               ? ""
               : absl::StrFormat("scalar: want %s got %s", FormatFloat(*c.scalar),
                                 FormatFloat(r.scalar.v));
  }
  if (r.type == Result::Type::kScalar) return "unexpected scalar result";
  if (r.type == Result::Type::kString) return "unexpected string result";
  absl::flat_hash_map<std::string, size_t> want;
  for (size_t i = 0; i < c.series.size(); ++i) want[std::string(c.series[i].labels.encoded())] = i;
  if (c.range || c.range_vector) {
    if (r.type != Result::Type::kMatrix) return "expected a matrix result";
    if (r.matrix.size() != c.series.size()) {
      std::string s = absl::StrFormat("want %d series, got %d:", c.series.size(), r.matrix.size());
      for (const SeriesResult& sr : r.matrix) s += "\n    " + Describe(sr.labels, sr.points);
      return s;
    }
    for (size_t i = 1; i < r.matrix.size(); ++i) {
      if (!(r.matrix[i - 1].labels < r.matrix[i].labels)) return "matrix not sorted by labels";
    }
    for (const SeriesResult& sr : r.matrix) {
      auto it = want.find(std::string(sr.labels.encoded()));
      if (it == want.end()) return "unexpected series " + Describe(sr.labels, sr.points);
      const std::string err = CompareSeries(c.series[it->second], sr.points, c.start, c.step, v242);
      if (!err.empty()) return sr.labels.ToString() + ": " + err;
    }
    return "";
  }
  if (r.type != Result::Type::kVector) return "expected an instant vector result";
  if (r.vector.size() != c.series.size()) {
    std::string s = absl::StrFormat("want %d series, got %d:", c.series.size(), r.vector.size());
    for (const VectorElement& e : r.vector) {
      s += "\n    " + e.labels.ToString() + " " + FormatFloat(e.v);
    }
    return s;
  }
  for (size_t pos = 0; pos < r.vector.size(); ++pos) {
    const VectorElement& e = r.vector[pos];
    auto it = want.find(std::string(e.labels.encoded()));
    if (it == want.end())
      return "unexpected series " + e.labels.ToString() + " " + FormatFloat(e.v);
    const ExpectedSeries& w = c.series[it->second];
    if (c.ordered && it->second != pos) {
      return absl::StrFormat("%s at position %d, want %d", e.labels.ToString(), pos + 1,
                             it->second + 1);
    }
    if (w.values.size() != 1 || w.values[0].blank) return "bad expected line for instant eval";
    const double wv = w.values[0].stale ? std::bit_cast<double>(kStaleNaNBits) : w.values[0].v;
    if (!Equal(wv, e.v, v242)) {
      return absl::StrFormat("%s: want %s got %s", e.labels.ToString(), FormatFloat(wv),
                             FormatFloat(e.v));
    }
  }
  return "";
}

Status ParseEvalLine(std::string_view line, int n, EvalCommand* c) {
  const std::vector<std::string_view> f = Fields(line);
  const std::string_view cmd = f[0];
  if (cmd == "eval_fail") c->fail = true;
  if (cmd == "eval_ordered") c->ordered = true;
  if (f.size() < 2) return absl::InvalidArgumentError(absl::StrFormat("line %d: bad eval", n));
  if (f[1] == "instant") {
    if (f.size() < 5 || f[2] != "at") {
      return absl::InvalidArgumentError(absl::StrFormat("line %d: bad instant eval", n));
    }
    STRATA_ASSIGN_OR_RETURN(c->at, ParseDuration(f[3]));
    c->expr = std::string(AfterWords(line, 4));
  } else if (f[1] == "range") {
    if (f.size() < 9 || f[2] != "from" || f[4] != "to" || f[6] != "step") {
      return absl::InvalidArgumentError(absl::StrFormat("line %d: bad range eval", n));
    }
    c->range = true;
    STRATA_ASSIGN_OR_RETURN(c->start, ParseDuration(f[3]));
    STRATA_ASSIGN_OR_RETURN(c->end, ParseDuration(f[5]));
    STRATA_ASSIGN_OR_RETURN(c->step, ParseDuration(f[7]));
    c->expr = std::string(AfterWords(line, 8));
  } else {
    return absl::InvalidArgumentError(absl::StrFormat("line %d: bad eval", n));
  }
  return absl::OkStatus();
}

Status ParseEvalBody(const std::vector<std::string_view>& body, int first_line, EvalCommand* c) {
  for (size_t k = 0; k < body.size(); ++k) {
    const std::string_view line = body[k];
    const int n = first_line + static_cast<int>(k);
    const std::vector<std::string_view> f = Fields(line);
    if (f[0] == "expect") {
      if (f.size() < 2)
        return absl::InvalidArgumentError(absl::StrFormat("line %d: bad expect", n));
      if (f[1] == "fail") {
        c->fail = true;
        const size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
          const std::string_view kind = Trim(AfterWords(line.substr(0, colon), 2));
          const std::string text(Trim(line.substr(colon + 1)));
          if (kind == "msg") c->fail_msg = text;
          if (kind == "regex") c->fail_regex = text;
        }
      } else if (f[1] == "ordered") {
        c->ordered = true;
      } else if (f[1] == "range" && f.size() >= 9) {
        c->range_vector = true;
        STRATA_ASSIGN_OR_RETURN(c->start, ParseDuration(f[4]));
        STRATA_ASSIGN_OR_RETURN(c->end, ParseDuration(f[6]));
        STRATA_ASSIGN_OR_RETURN(c->step, ParseDuration(f[8]));
        c->at = c->end;
      } else if (f[1] == "string") {
        STRATA_ASSIGN_OR_RETURN(std::string s, Unquote(Trim(AfterWords(line, 2))));
        c->string_result = s;
      }
      // warn, info, no_warn, no_info: annotations are not checked.
      continue;
    }
    if (f.size() == 1) {
      auto v = ParseNumber(f[0]);
      if (v.ok()) {
        c->scalar = *v;
        continue;
      }
    }
    ExpectedSeries s;
    std::string_view items;
    Status st = ParseSeriesLine(line, &s.labels, &items);
    if (st.ok()) st = ParseItems(items, &s.values);
    if (!st.ok()) return Annotate(st, absl::StrFormat("line %d", n));
    c->series.push_back(std::move(s));
  }
  return absl::OkStatus();
}

Status RunLoad(DB& db, std::string_view step_text, const std::vector<std::string_view>& body,
               int first_line) {
  STRATA_ASSIGN_OR_RETURN(int64_t step, ParseDuration(step_text));
  // A series listed twice in one block: the later line wins.
  std::vector<std::pair<index::Labels, std::vector<SeriesValue>>> series;
  absl::flat_hash_map<std::string, size_t> index_of;
  for (size_t k = 0; k < body.size(); ++k) {
    index::Labels labels;
    std::string_view items;
    std::vector<SeriesValue> values;
    Status st = ParseSeriesLine(body[k], &labels, &items);
    // Start timestamps (`metric@st ...`, HEAD only) are not supported; the
    // sample line after them is loaded without.
    if (st.ok() && items.substr(0, 3) == "@st") continue;
    if (st.ok()) st = ParseItems(items, &values);
    if (absl::IsUnimplemented(st)) continue;  // native histograms: not loaded
    if (!st.ok()) return Annotate(st, absl::StrFormat("line %d", first_line + static_cast<int>(k)));
    auto [it, inserted] = index_of.try_emplace(std::string(labels.encoded()), series.size());
    if (inserted) {
      series.emplace_back(std::move(labels), std::move(values));
    } else {
      series[it->second].second = std::move(values);
    }
  }
  std::unique_ptr<Appender> app = db.NewAppender();
  for (const auto& [labels, values] : series) {
    std::vector<LabelView> views;
    for (const index::Label& l : labels) views.push_back(LabelView{l.name, l.value});
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].blank) continue;
      const double v = values[i].stale ? std::bit_cast<double>(kStaleNaNBits) : values[i].v;
      STRATA_RETURN_IF_ERROR(app->Append(views, static_cast<int64_t>(i) * step, v).status());
    }
  }
  return app->Commit();
}

// Runs one form of the eval: `expr` at `at` (instant) or over the range.
// Returns "" on success or what went wrong.
std::string RunOnce(DB& db, const EvalCommand& c, const std::string& expr, int64_t at,
                    const ScriptOptions& options) {
  Engine engine(options.engine);
  StatusOr<Result> r =
      c.range ? engine.Range(db, expr, c.start, c.end, c.step) : engine.Instant(db, expr, at);
  if (c.fail) {
    if (r.ok()) return "expected the query to fail, it succeeded";
    const std::string msg(r.status().message());
    if (c.fail_msg && msg != *c.fail_msg) return "error message differs: " + msg;
    if (c.fail_regex && !RE2::PartialMatch(msg, *c.fail_regex)) {
      return "error message does not match: " + msg;
    }
    return "";
  }
  if (!r.ok()) return "query failed: " + r.status().ToString();
  std::string err = CheckResult(c, *r, options.v242_tolerance);
  if (!err.empty()) return err;
  if (!options.range_check || c.range || c.range_vector || c.string_result ||
      r->type == Result::Type::kMatrix) {
    return "";
  }
  // FORMAT.md §7.2: the same query as a range query around `at`.
  StatusOr<Result> rr = engine.Range(db, expr, at - 60000, at + 60000, 60000);
  if (!rr.ok()) return "range-mode check failed: " + rr.status().ToString();
  if (c.ordered) return "";
  Result at_t;
  at_t.type = r->type;
  for (const SeriesResult& s : rr->matrix) {
    for (const Point& p : s.points) {
      if (p.t != at) continue;
      if (r->type == Result::Type::kScalar) at_t.scalar = p;
      if (r->type == Result::Type::kVector)
        at_t.vector.push_back(VectorElement{s.labels, p.t, p.v});
    }
  }
  err = CheckResult(c, at_t, options.v242_tolerance);
  return err.empty() ? "" : "range-mode check: " + err;
}

// Sets `@ at_ms` on every selector and subquery that has none, but not
// inside subqueries (as Prometheus' harness, atModifierTestCases).
void PinToTime(Expr& e, int64_t at_ms) {
  switch (e.kind()) {
    case ExprKind::kVectorSelector: {
      auto& vs = static_cast<VectorSelector&>(e);
      if (!vs.modifiers.has_at()) vs.modifiers.at_ms = at_ms;
      break;
    }
    case ExprKind::kMatrixSelector:
      PinToTime(*static_cast<MatrixSelector&>(e).selector, at_ms);
      break;
    case ExprKind::kSubquery: {
      // The subquery is pinned; what is inside it is left alone.
      auto& sq = static_cast<SubqueryExpr&>(e);
      if (!sq.modifiers.has_at()) sq.modifiers.at_ms = at_ms;
      break;
    }
    case ExprKind::kCall:
      for (ExprPtr& a : static_cast<Call&>(e).args) PinToTime(*a, at_ms);
      break;
    case ExprKind::kAggregate: {
      auto& a = static_cast<AggregateExpr&>(e);
      PinToTime(*a.expr, at_ms);
      if (a.param) PinToTime(*a.param, at_ms);
      break;
    }
    case ExprKind::kBinary: {
      auto& b = static_cast<BinaryExpr&>(e);
      PinToTime(*b.lhs, at_ms);
      PinToTime(*b.rhs, at_ms);
      break;
    }
    case ExprKind::kUnary:
      PinToTime(*static_cast<UnaryExpr&>(e).expr, at_ms);
      break;
    case ExprKind::kParen:
      PinToTime(*static_cast<ParenExpr&>(e).expr, at_ms);
      break;
    default:
      break;
  }
}

bool IsTimeDependent(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::kCall: {
      const auto& c = static_cast<const Call&>(e);
      if (c.func->has(kAtModifierUnsafe)) return true;
      for (const ExprPtr& a : c.args) {
        if (IsTimeDependent(*a)) return true;
      }
      return false;
    }
    case ExprKind::kMatrixSelector:
      return false;
    case ExprKind::kSubquery:
      return IsTimeDependent(*static_cast<const SubqueryExpr&>(e).expr);
    case ExprKind::kAggregate: {
      const auto& a = static_cast<const AggregateExpr&>(e);
      return IsTimeDependent(*a.expr) || (a.param && IsTimeDependent(*a.param));
    }
    case ExprKind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      return IsTimeDependent(*b.lhs) || IsTimeDependent(*b.rhs);
    }
    case ExprKind::kUnary:
      return IsTimeDependent(*static_cast<const UnaryExpr&>(e).expr);
    case ExprKind::kParen:
      return IsTimeDependent(*static_cast<const ParenExpr&>(e).expr);
    default:
      return false;
  }
}

EvalOutcome RunEval(DB& db, const EvalCommand& c, const ScriptOptions& options) {
  EvalOutcome out;
  out.line = c.line;
  out.expr = c.expr;
  std::string err = RunOnce(db, c, c.expr, c.at, options);
  if (err.empty() && options.at_variants && !c.range && !c.range_vector) {
    // FORMAT.md §7.1: pinned to the eval time with `@`, the query must
    // give the same result whenever it runs.
    auto parsed = ParseExpr(c.expr);
    if (parsed.ok() && !IsTimeDependent(**parsed)) {
      PinToTime(**parsed, c.at);
      const std::string pinned = Print(**parsed);
      const std::vector<int64_t> times =
          c.at == 0 ? std::vector<int64_t>{-1000, 0, 1000}
                    : std::vector<int64_t>{-10 * c.at, 0, c.at / 5, c.at, 10 * c.at};
      for (int64_t t : times) {
        err = RunOnce(db, c, pinned, t, options);
        if (!err.empty()) {
          err = absl::StrFormat("@ variant %s at %d: %s", pinned, t, err);
          break;
        }
      }
    }
  }
  if (!err.empty()) {
    out.status = EvalOutcome::Status::kFail;
    out.message = std::move(err);
  }
  return out;
}

}  // namespace

StatusOr<ScriptReport> RunTestScript(std::string_view script, const DBFactory& open_db,
                                     const ScriptOptions& options) {
  // Split into trimmed lines; comment lines become empty.
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos <= script.size();) {
    size_t nl = script.find('\n', pos);
    if (nl == std::string_view::npos) nl = script.size();
    std::string_view l = Trim(script.substr(pos, nl - pos));
    if (!l.empty() && l[0] == '#') l = {};
    lines.push_back(l);
    pos = nl + 1;
  }
  ScriptReport report;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, open_db());
  for (size_t i = 0; i < lines.size();) {
    if (lines[i].empty()) {
      ++i;
      continue;
    }
    const int n = static_cast<int>(i) + 1;
    const std::string_view cmd_line = lines[i];
    std::vector<std::string_view> body;
    size_t j = i + 1;
    while (j < lines.size() && !lines[j].empty()) body.push_back(lines[j++]);
    const std::vector<std::string_view> f = Fields(cmd_line);
    std::string cmd(f[0]);
    std::transform(cmd.begin(), cmd.end(), cmd.begin(), ::tolower);
    if (cmd == "clear") {
      STRATA_RETURN_IF_ERROR(db->Close());
      db.reset();
      STRATA_ASSIGN_OR_RETURN(db, open_db());
      ++i;
      continue;
    }
    i = j;
    if (cmd.rfind("load", 0) == 0) {
      if (f.size() != 2) return absl::InvalidArgumentError(absl::StrFormat("line %d: bad load", n));
      STRATA_RETURN_IF_ERROR(RunLoad(*db, f[1], body, n + 1));
      continue;
    }
    if (cmd.rfind("eval", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrFormat("line %d: invalid command", n));
    }
    EvalCommand c;
    c.line = n;
    STRATA_RETURN_IF_ERROR(ParseEvalLine(cmd_line, n, &c));
    std::string skip = options.skip ? options.skip(n) : "";
    Status body_status = ParseEvalBody(body, n + 1, &c);
    if (skip.empty() && absl::IsUnimplemented(body_status)) skip = "native histograms";
    if (!skip.empty()) {
      report.evals.push_back(EvalOutcome{n, EvalOutcome::Status::kSkip, c.expr, skip});
      ++report.skipped;
      continue;
    }
    if (!body_status.ok()) return body_status;
    EvalOutcome o = RunEval(*db, c, options);
    if (o.status == EvalOutcome::Status::kPass) ++report.passed;
    if (o.status == EvalOutcome::Status::kFail) ++report.failed;
    report.evals.push_back(std::move(o));
  }
  STRATA_RETURN_IF_ERROR(db->Close());
  return report;
}

}  // namespace strata::query
