// The read side of the Prometheus API: query, query_range, series,
// labels, label values, status/tsdb, exemplars.
#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "query/parser.h"
#include "server/api.h"
#include "server/api_format.h"
#include "server/internal/api_util.h"

namespace strata::server {

using internal::RespondError;
using internal::RespondStatus;
using internal::RespondSuccess;

namespace {

// Prometheus' maximum number of points per series of a range query.
constexpr int64_t kMaxRangePoints = 11000;

void AppendResultJson(std::string* out, const query::Result& r) {
  out->append("{\"resultType\":");
  switch (r.type) {
    case query::Result::Type::kScalar:
      out->append("\"scalar\",\"result\":");
      AppendApiPoint(out, r.scalar.t, r.scalar.v);
      break;
    case query::Result::Type::kString:
      out->append("\"string\",\"result\":[");
      AppendApiTimestamp(out, r.scalar.t);
      out->push_back(',');
      AppendJsonString(out, r.string_value);
      out->push_back(']');
      break;
    case query::Result::Type::kVector:
      out->append("\"vector\",\"result\":[");
      for (size_t i = 0; i < r.vector.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append("{\"metric\":");
        internal::AppendLabelsJson(out, r.vector[i].labels);
        out->append(",\"value\":");
        AppendApiPoint(out, r.vector[i].t, r.vector[i].v);
        out->push_back('}');
      }
      out->push_back(']');
      break;
    case query::Result::Type::kMatrix:
      out->append("\"matrix\",\"result\":[");
      for (size_t i = 0; i < r.matrix.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append("{\"metric\":");
        internal::AppendLabelsJson(out, r.matrix[i].labels);
        out->append(",\"values\":[");
        for (size_t j = 0; j < r.matrix[i].points.size(); ++j) {
          if (j > 0) out->push_back(',');
          AppendApiPoint(out, r.matrix[i].points[j].t, r.matrix[i].points[j].v);
        }
        out->append("]}");
      }
      out->push_back(']');
      break;
  }
  out->push_back('}');
}

void RespondQueryError(HttpResponse* res, const Status& st) {
  const std::string_view msg = FromAbsl(st.message());
  if (st.code() == absl::StatusCode::kInvalidArgument &&
      msg.find("parse error") != std::string_view::npos) {
    RespondError(res, "bad_data", StrCat("invalid parameter \"query\": ", msg));
    return;
  }
  RespondStatus(res, st);
}

// The optional `timeout` parameter, which shortens --query.timeout for
// this query (Prometheus applies it as a context deadline).
StatusOr<query::QueryOptions> QueryLimits(const HttpParams& params) {
  query::QueryOptions limits;
  const std::string_view v = params.Get("timeout");
  if (v.empty()) return limits;
  StatusOr<int64_t> d = ParseApiDuration(v);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        StrCat("invalid parameter \"timeout\": ", FromAbsl(d.status().message())));
  }
  limits.timeout_ms = std::max<int64_t>(*d, 1);
  return limits;
}

// The `limit` parameter: 0 (no limit) when absent.
StatusOr<int64_t> LimitParam(const HttpParams& params) {
  const std::string_view v = params.Get("limit");
  if (v.empty()) return 0;
  int64_t limit = 0;
  if (!absl::SimpleAtoi(ToAbsl(v), &limit) || limit < 0) {
    return absl::InvalidArgumentError(
        StrCat("invalid parameter \"limit\": cannot parse \"", v, "\" to a valid limit"));
  }
  return limit;
}

void AppendStringArray(std::string* out, const std::vector<std::string>& values, int64_t limit) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (limit > 0 && static_cast<int64_t>(i) >= limit) break;
    if (i > 0) out->push_back(',');
    AppendJsonString(out, values[i]);
  }
  out->push_back(']');
}

std::vector<std::string> TruncationWarning(size_t n, int64_t limit) {
  if (limit > 0 && static_cast<int64_t>(n) > limit) return {"results truncated due to limit"};
  return {};
}

}  // namespace

void Api::Query(Call& c) {
  StatusOr<query::QueryOptions> limits = QueryLimits(c.params);
  if (!limits.ok()) return RespondStatus(c.res, limits.status());
  StatusOr<int64_t> t = internal::TimeParam(c.params, "time", NowMs());
  if (!t.ok()) return RespondStatus(c.res, t.status());
  if (evaluator_ == nullptr) {
    return RespondError(c.res, "execution", "this server was started without a query engine");
  }
  StatusOr<query::Result> r = evaluator_->Instant(*c.db, c.params.Get("query"), *t, *limits);
  if (!r.ok()) return RespondQueryError(c.res, r.status());
  std::string data;
  AppendResultJson(&data, *r);
  RespondSuccess(c.res, data, r->warnings);
}

void Api::QueryRange(Call& c) {
  auto param = [&](std::string_view name) -> StatusOr<std::string_view> {
    const std::string_view v = c.params.Get(name);
    if (v.empty()) {
      return absl::InvalidArgumentError(StrCat("invalid parameter \"", name,
                                               "\": cannot parse \"\" to a valid ",
                                               name == "step" ? "duration" : "timestamp"));
    }
    return v;
  };
  int64_t start = 0, end = 0, step = 0;
  for (std::string_view name : {"start", "end"}) {
    StatusOr<std::string_view> v = param(name);
    if (!v.ok()) return RespondStatus(c.res, v.status());
    StatusOr<int64_t> ms = internal::TimeParam(c.params, name, 0);
    if (!ms.ok()) return RespondStatus(c.res, ms.status());
    (name == "start" ? start : end) = *ms;
  }
  if (end < start) {
    return RespondError(c.res, "bad_data", "end timestamp must not be before start time");
  }
  StatusOr<std::string_view> step_text = param("step");
  if (!step_text.ok()) return RespondStatus(c.res, step_text.status());
  StatusOr<int64_t> step_ms = ParseApiDuration(*step_text);
  if (!step_ms.ok()) {
    return RespondError(
        c.res, "bad_data",
        StrCat("invalid parameter \"step\": ", FromAbsl(step_ms.status().message())));
  }
  step = *step_ms;
  if (step <= 0) {
    return RespondError(
        c.res, "bad_data",
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  // Unsigned: end - start may exceed int64 for the extreme times.
  if ((static_cast<uint64_t>(end) - static_cast<uint64_t>(start)) / static_cast<uint64_t>(step) >
      static_cast<uint64_t>(kMaxRangePoints)) {
    return RespondError(c.res, "bad_data",
                        "exceeded maximum resolution of 11,000 points per timeseries. Try "
                        "decreasing the query resolution (?step=XX)");
  }
  StatusOr<query::QueryOptions> limits = QueryLimits(c.params);
  if (!limits.ok()) return RespondStatus(c.res, limits.status());
  if (evaluator_ == nullptr) {
    return RespondError(c.res, "execution", "this server was started without a query engine");
  }
  StatusOr<query::Result> r =
      evaluator_->Range(*c.db, c.params.Get("query"), start, end, step, *limits);
  if (!r.ok()) return RespondQueryError(c.res, r.status());
  r->type = query::Result::Type::kMatrix;
  std::string data;
  AppendResultJson(&data, *r);
  RespondSuccess(c.res, data, r->warnings);
}

StatusOr<internal::QueryBudget> Api::Budget(const Call& c, std::string_view what) const {
  STRATA_ASSIGN_OR_RETURN(query::QueryOptions limits, QueryLimits(c.params));
  int64_t timeout_ms = options_.query_timeout_ms;
  if (limits.timeout_ms > 0 && (timeout_ms <= 0 || limits.timeout_ms < timeout_ms)) {
    timeout_ms = limits.timeout_ms;
  }
  return internal::QueryBudget(what, timeout_ms, options_.max_series, options_.steady_now_ns);
}

// One selector's series are sorted and unique already: they go straight
// into the JSON, without the set that merges several selectors.
void Api::SeriesOfOneSelector(Call& c, Querier& q, const std::vector<LabelMatcher>& matchers,
                              int64_t limit, internal::QueryBudget& budget) {
  StatusOr<std::unique_ptr<SeriesSet>> set = q.Select(matchers);
  if (!set.ok()) return RespondStatus(c.res, set.status());
  if (Status st = budget.CheckDeadline(); !st.ok()) return RespondStatus(c.res, st);
  std::string data = "[";
  int64_t n = 0;
  while ((*set)->Next()) {
    if (Status st = budget.AddSeries(); !st.ok()) return RespondStatus(c.res, st);
    if (limit > 0 && n == limit) {
      ++n;  // one more than the limit: the answer is truncated
      break;
    }
    if (n++ > 0) data.push_back(',');
    internal::AppendLabelsJson(&data, (*set)->labels());
  }
  if (!(*set)->status().ok()) return RespondStatus(c.res, (*set)->status());
  data.push_back(']');
  RespondSuccess(c.res, data, TruncationWarning(static_cast<size_t>(n), limit));
}

void Api::Series(Call& c) {
  StatusOr<internal::TimeRange> range = internal::StartEnd(c.params);
  if (!range.ok()) return RespondStatus(c.res, range.status());
  StatusOr<int64_t> limit = LimitParam(c.params);
  if (!limit.ok()) return RespondStatus(c.res, limit.status());
  if (!c.params.Has("match[]")) {
    return RespondError(c.res, "bad_data", "no match[] parameter provided");
  }
  StatusOr<std::vector<std::vector<LabelMatcher>>> matches = internal::MatchParams(c.params);
  if (!matches.ok()) return RespondStatus(c.res, matches.status());
  StatusOr<internal::QueryBudget> budget = Budget(c, "series");
  if (!budget.ok()) return RespondStatus(c.res, budget.status());
  StatusOr<std::unique_ptr<Querier>> q = c.db->NewQuerier(range->start_ms, range->end_ms);
  if (!q.ok()) return RespondStatus(c.res, q.status());
  if (matches->size() == 1) return SeriesOfOneSelector(c, **q, matches->front(), *limit, *budget);
  std::set<strata::Labels, bool (*)(const strata::Labels&, const strata::Labels&)> found(
      [](const strata::Labels& a, const strata::Labels& b) {
        return std::lexicographical_compare(
            a.begin(), a.end(), b.begin(), b.end(), [](const Label& x, const Label& y) {
              return x.name != y.name ? x.name < y.name : x.value < y.value;
            });
      });
  for (const auto& ms : *matches) {
    StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(ms);
    if (!set.ok()) return RespondStatus(c.res, set.status());
    if (Status st = budget->CheckDeadline(); !st.ok()) return RespondStatus(c.res, st);
    // A set is sorted, so the first `limit` series of the union are among
    // the first limit + 1 of each set (the one more shows truncation).
    int64_t taken = 0;
    while ((*set)->Next()) {
      if (Status st = budget->AddSeries(); !st.ok()) return RespondStatus(c.res, st);
      found.insert((*set)->labels());
      if (*limit > 0 && ++taken > *limit) break;
    }
    if (!(*set)->status().ok()) return RespondStatus(c.res, (*set)->status());
  }
  std::string data = "[";
  int64_t n = 0;
  for (const strata::Labels& ls : found) {
    if (*limit > 0 && n >= *limit) break;
    if (n++ > 0) data.push_back(',');
    internal::AppendLabelsJson(&data, ls);
  }
  data.push_back(']');
  RespondSuccess(c.res, data, TruncationWarning(found.size(), *limit));
}

namespace {

// The names (or, with `value_of`, the values of that label) of the series
// the match[] selectors select (all series without one). These are index
// look-ups in the engine that read no samples and copy no chunks (unlike
// Select), so they are not counted against the series cap; the deadline is
// checked after each.
StatusOr<std::vector<std::string>> LabelsOfSeries(
    Querier& q, const std::vector<std::vector<LabelMatcher>>& matches, const std::string* value_of,
    internal::QueryBudget& budget) {
  std::vector<std::string> out;
  const std::vector<LabelMatcher> none;
  for (size_t i = 0; i < std::max<size_t>(matches.size(), 1); ++i) {
    const std::vector<LabelMatcher>& ms = matches.empty() ? none : matches[i];
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> more,
                            value_of == nullptr ? q.LabelNames(ms) : q.LabelValues(*value_of, ms));
    STRATA_RETURN_IF_ERROR(budget.CheckDeadline());
    std::vector<std::string> merged;
    merged.reserve(out.size() + more.size());
    std::set_union(std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()),
                   std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()),
                   std::back_inserter(merged));
    out = std::move(merged);
  }
  return out;
}

}  // namespace

void Api::Labels(Call& c) {
  StatusOr<internal::TimeRange> range = internal::StartEnd(c.params);
  if (!range.ok()) return RespondStatus(c.res, range.status());
  StatusOr<int64_t> limit = LimitParam(c.params);
  if (!limit.ok()) return RespondStatus(c.res, limit.status());
  StatusOr<std::vector<std::vector<LabelMatcher>>> matches = internal::MatchParams(c.params);
  if (!matches.ok()) return RespondStatus(c.res, matches.status());
  StatusOr<internal::QueryBudget> budget = Budget(c, "labels");
  if (!budget.ok()) return RespondStatus(c.res, budget.status());
  StatusOr<std::unique_ptr<Querier>> q = c.db->NewQuerier(range->start_ms, range->end_ms);
  if (!q.ok()) return RespondStatus(c.res, q.status());
  StatusOr<std::vector<std::string>> names = LabelsOfSeries(**q, *matches, nullptr, *budget);
  if (!names.ok()) return RespondStatus(c.res, names.status());
  std::string data;
  AppendStringArray(&data, *names, *limit);
  RespondSuccess(c.res, data, TruncationWarning(names->size(), *limit));
}

void Api::LabelValues(Call& c) {
  std::string name;
  if (!UrlDecode(c.param, &name).ok()) name.clear();
  if (!internal::IsValidLabelName(name)) {
    return RespondError(c.res, "bad_data", StrCat("invalid label name: \"", name, "\""));
  }
  StatusOr<internal::TimeRange> range = internal::StartEnd(c.params);
  if (!range.ok()) return RespondStatus(c.res, range.status());
  StatusOr<int64_t> limit = LimitParam(c.params);
  if (!limit.ok()) return RespondStatus(c.res, limit.status());
  StatusOr<std::vector<std::vector<LabelMatcher>>> matches = internal::MatchParams(c.params);
  if (!matches.ok()) return RespondStatus(c.res, matches.status());
  StatusOr<internal::QueryBudget> budget = Budget(c, "label values");
  if (!budget.ok()) return RespondStatus(c.res, budget.status());
  StatusOr<std::unique_ptr<Querier>> q = c.db->NewQuerier(range->start_ms, range->end_ms);
  if (!q.ok()) return RespondStatus(c.res, q.status());
  const std::string label(name);
  StatusOr<std::vector<std::string>> values = LabelsOfSeries(**q, *matches, &label, *budget);
  if (!values.ok()) return RespondStatus(c.res, values.status());
  std::string data;
  AppendStringArray(&data, *values, *limit);
  RespondSuccess(c.res, data, TruncationWarning(values->size(), *limit));
}

void Api::TsdbStatus(Call& c) {
  StatusOr<int64_t> limit_param = LimitParam(c.params);
  if (!limit_param.ok()) return RespondStatus(c.res, limit_param.status());
  const size_t limit = *limit_param > 0 ? static_cast<size_t>(*limit_param) : 10;
  const DBStats stats = c.db->Stats();
  const bool empty = stats.head_series == 0;
  const int64_t min_t = empty ? INT64_MAX : stats.head_min_time_ms;
  const int64_t max_t = empty ? INT64_MIN : stats.head_max_time_ms;
  std::map<std::string, uint64_t> by_metric, by_pair, bytes_by_name;
  std::map<std::string, std::set<std::string>> values_by_name;
  uint64_t pairs = 0;
  StatusOr<internal::QueryBudget> budget = Budget(c, "status/tsdb");
  if (!budget.ok()) return RespondStatus(c.res, budget.status());
  if (!empty) {
    StatusOr<std::unique_ptr<Querier>> q = c.db->NewQuerier(min_t, max_t);
    if (!q.ok()) return RespondStatus(c.res, q.status());
    const LabelMatcher all{LabelMatcher::Type::kRegexMatch, "__name__", ".+"};
    StatusOr<std::unique_ptr<SeriesSet>> set = (*q)->Select(std::span(&all, 1));
    if (!set.ok()) return RespondStatus(c.res, set.status());
    if (Status st = budget->CheckDeadline(); !st.ok()) return RespondStatus(c.res, st);
    std::set<std::string> pair_set;
    while ((*set)->Next()) {
      if (Status st = budget->AddSeries(); !st.ok()) return RespondStatus(c.res, st);
      for (const Label& l : (*set)->labels()) {
        if (l.name == "__name__") ++by_metric[l.value];
        std::string pair = StrCat(l.name, "=", l.value);
        ++by_pair[pair];
        if (values_by_name[l.name].insert(l.value).second) {
          bytes_by_name[l.name] += l.value.size();
        }
        pair_set.insert(std::move(pair));
      }
    }
    if (!(*set)->status().ok()) return RespondStatus(c.res, (*set)->status());
    pairs = pair_set.size();
  }
  auto top = [limit](std::string* out, const std::map<std::string, uint64_t>& m) {
    std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > limit) v.resize(limit);
    out->push_back('[');
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"name\":");
      AppendJsonString(out, v[i].first);
      StrAppend(out, ",\"value\":", v[i].second, "}");
    }
    out->push_back(']');
  };
  std::map<std::string, uint64_t> value_counts;
  for (const auto& [name, vs] : values_by_name) value_counts[name] = vs.size();
  std::string data =
      StrCat("{\"headStats\":{\"numSeries\":", stats.head_series, ",\"numLabelPairs\":", pairs,
             ",\"chunkCount\":", stats.head_chunks, ",\"minTime\":", min_t, ",\"maxTime\":", max_t,
             "},\"seriesCountByMetricName\":");
  top(&data, by_metric);
  data.append(",\"labelValueCountByLabelName\":");
  top(&data, value_counts);
  data.append(",\"memoryInBytesByLabelName\":");
  top(&data, bytes_by_name);
  data.append(",\"seriesCountByLabelValuePair\":");
  top(&data, by_pair);
  data.push_back('}');
  RespondSuccess(c.res, data);
}

// Prometheus 2.42's queryExemplars checks: start, end, a query that
// parses. Strata keeps no exemplars, so the answer is always empty.
void Api::QueryExemplars(Call& c) {
  StatusOr<internal::TimeRange> range = internal::StartEnd(c.params);
  if (!range.ok()) return RespondStatus(c.res, range.status());
  StatusOr<internal::QueryBudget> budget = Budget(c, "query_exemplars");
  if (!budget.ok()) return RespondStatus(c.res, budget.status());
  StatusOr<query::ExprPtr> expr = query::ParseExpr(c.params.Get("query"));
  if (!expr.ok()) return RespondStatus(c.res, expr.status());
  if (Status st = budget->CheckDeadline(); !st.ok()) return RespondStatus(c.res, st);
  RespondSuccess(c.res, "[]");
}

}  // namespace strata::server
