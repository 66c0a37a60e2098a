#include "tests/testing/promql_compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "base/json.h"
#include "base/strings.h"

namespace strata::testing {
namespace {

std::string FormatValue(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string FormatMs(int64_t ms) { return StrCat(PromTimeParam(ms), " (", ms, " ms)"); }

StatusOr<PromLabels> ParseLabels(const JsonValue& metric) {
  if (metric.type() != JsonValue::Type::kObject) {
    return absl::InvalidArgumentError("\"metric\" is not an object");
  }
  PromLabels labels;
  for (const auto& [name, value] : metric.object()) {
    if (value.type() != JsonValue::Type::kString) {
      return absl::InvalidArgumentError(StrCat("label ", name, " is not a string"));
    }
    labels.emplace_back(name, value.string_value());
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

// A `[<time>, "<value>"]` pair.
StatusOr<std::pair<int64_t, double>> ParsePoint(const JsonValue& pair) {
  if (pair.type() != JsonValue::Type::kArray || pair.array().size() != 2 ||
      pair.array()[0].type() != JsonValue::Type::kNumber ||
      pair.array()[1].type() != JsonValue::Type::kString) {
    return absl::InvalidArgumentError("a point is not [<number>, \"<value>\"]");
  }
  const std::string& text = pair.array()[1].string_value();
  double v = std::strtod(text.c_str(), nullptr);  // also "NaN", "+Inf", "-Inf"
  return std::make_pair(PromTimestampMs(pair.array()[0].string_value()), v);
}

// The `data` of a successful answer, or the error it carries.
StatusOr<JsonValue> Data(std::string_view json) {
  StatusOr<JsonValue> root = ParseJson(json);
  if (!root.ok()) return root.status();
  const JsonValue* status = root->Find("status");
  if (status == nullptr || status->type() != JsonValue::Type::kString) {
    return absl::InvalidArgumentError(StrCat("not an API answer: ", json.substr(0, 200)));
  }
  if (status->string_value() != "success") {
    const JsonValue* type = root->Find("errorType");
    const JsonValue* error = root->Find("error");
    return absl::FailedPreconditionError(StrCat(type != nullptr ? type->string_value() : "?", ": ",
                                                error != nullptr ? error->string_value() : "?"));
  }
  const JsonValue* data = root->Find("data");
  if (data == nullptr) return absl::InvalidArgumentError("answer without data");
  return *data;
}

}  // namespace

int64_t PromTimestampMs(std::string_view seconds_text) {
  // Exact decimal arithmetic: "1672531200.1235" must not suffer from the
  // binary representation of the seconds.
  std::string text(seconds_text);
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.erase(0, 1);
  const size_t dot = text.find('.');
  int64_t ms = std::strtoll(text.substr(0, dot).c_str(), nullptr, 10) * 1000;
  if (dot != std::string::npos) {
    std::string frac = text.substr(dot + 1);
    frac.resize(4, '0');
    const int64_t tenths_of_ms = std::strtoll(frac.c_str(), nullptr, 10);
    ms += (tenths_of_ms + 5) / 10;
  }
  return negative ? -ms : ms;
}

std::string PromTimeParam(int64_t ms) {
  char buf[40];
  const int64_t abs_ms = ms < 0 ? -ms : ms;
  std::snprintf(buf, sizeof(buf), "%s%lld.%03lld", ms < 0 ? "-" : "",
                static_cast<long long>(abs_ms / 1000), static_cast<long long>(abs_ms % 1000));
  return buf;
}

StatusOr<std::vector<std::string>> ReadQueryFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open"));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(begin, end - begin + 1));
  }
  return out;
}

std::string FormatPromLabels(const PromLabels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    StrAppend(&out, i == 0 ? "" : ", ", labels[i].first, "=\"", labels[i].second, "\"");
  }
  out += "}";
  return out;
}

StatusOr<PromResult> ParsePromQueryResponse(std::string_view json) {
  StatusOr<JsonValue> data = Data(json);
  if (!data.ok()) return data.status();
  const JsonValue* type = data->Find("resultType");
  const JsonValue* result = data->Find("result");
  if (type == nullptr || result == nullptr || type->type() != JsonValue::Type::kString) {
    return absl::InvalidArgumentError("data without resultType and result");
  }
  PromResult out;
  out.type = type->string_value();
  if (out.type == "scalar" || out.type == "string") {
    StatusOr<std::pair<int64_t, double>> p = ParsePoint(*result);
    if (!p.ok()) return p.status();
    if (out.type == "string") out.string_value = result->array()[1].string_value();
    out.series.push_back({{}, {*p}});
    return out;
  }
  if (result->type() != JsonValue::Type::kArray) {
    return absl::InvalidArgumentError("result is not an array");
  }
  for (const JsonValue& s : result->array()) {
    const JsonValue* metric = s.Find("metric");
    if (metric == nullptr) return absl::InvalidArgumentError("series without metric");
    StatusOr<PromLabels> labels = ParseLabels(*metric);
    if (!labels.ok()) return labels.status();
    PromSeries& series = out.series.emplace_back();
    series.labels = *std::move(labels);
    if (out.type == "vector") {
      const JsonValue* value = s.Find("value");
      if (value == nullptr) return absl::InvalidArgumentError("vector element without value");
      StatusOr<std::pair<int64_t, double>> p = ParsePoint(*value);
      if (!p.ok()) return p.status();
      series.points.push_back(*p);
      continue;
    }
    const JsonValue* values = s.Find("values");
    if (values == nullptr || values->type() != JsonValue::Type::kArray) {
      return absl::InvalidArgumentError("matrix series without values");
    }
    for (const JsonValue& v : values->array()) {
      StatusOr<std::pair<int64_t, double>> p = ParsePoint(v);
      if (!p.ok()) return p.status();
      series.points.push_back(*p);
    }
  }
  return out;
}

StatusOr<std::vector<PromLabels>> ParsePromSeriesResponse(std::string_view json) {
  StatusOr<JsonValue> data = Data(json);
  if (!data.ok()) return data.status();
  if (data->type() != JsonValue::Type::kArray) {
    return absl::InvalidArgumentError("data is not an array");
  }
  std::vector<PromLabels> out;
  for (const JsonValue& s : data->array()) {
    StatusOr<PromLabels> labels = ParseLabels(s);
    if (!labels.ok()) return labels.status();
    out.push_back(*std::move(labels));
  }
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<std::vector<std::string>> ParsePromStringListResponse(std::string_view json) {
  StatusOr<JsonValue> data = Data(json);
  if (!data.ok()) return data.status();
  if (data->type() != JsonValue::Type::kArray) {
    return absl::InvalidArgumentError("data is not an array");
  }
  std::vector<std::string> out;
  for (const JsonValue& s : data->array()) {
    if (s.type() != JsonValue::Type::kString) {
      return absl::InvalidArgumentError("data element is not a string");
    }
    out.push_back(s.string_value());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool SameValue(double a, double b, double relative_tolerance) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  return std::fabs(a - b) <= relative_tolerance * std::max(std::fabs(a), std::fabs(b));
}

std::vector<std::string> ComparePromResults(const PromResult& want, const PromResult& got,
                                            const CompareOptions& options, size_t max_diffs) {
  std::vector<std::string> diffs;
  size_t total = 0;
  auto add = [&](std::string line) {
    ++total;
    if (diffs.size() < max_diffs) diffs.push_back(std::move(line));
  };
  if (want.type != got.type) {
    add(StrCat("result type: want ", want.type, " got ", got.type));
  }
  if (want.string_value != got.string_value) {
    add(StrCat("string: want \"", want.string_value, "\" got \"", got.string_value, "\""));
  }
  std::map<PromLabels, const PromSeries*> by_labels;
  for (const PromSeries& s : got.series) {
    if (!by_labels.emplace(s.labels, &s).second) {
      add(StrCat("got the label set ", FormatPromLabels(s.labels), " twice"));
    }
  }
  std::map<PromLabels, bool> seen;
  for (size_t i = 0; i < want.series.size(); ++i) {
    const PromSeries& w = want.series[i];
    seen[w.labels] = true;
    auto it = by_labels.find(w.labels);
    if (it == by_labels.end()) {
      add(StrCat(
          "missing series ", FormatPromLabels(w.labels), " (", w.points.size(), " points, first ",
          w.points.empty() ? "-"
                           : FormatValue(w.points[0].second) + " at " + FormatMs(w.points[0].first),
          ")"));
      continue;
    }
    const PromSeries& g = *it->second;
    if (options.ordered && (i >= got.series.size() || got.series[i].labels != w.labels)) {
      add(StrCat("order: position ", i, " want ", FormatPromLabels(w.labels)));
    }
    const std::string name = FormatPromLabels(w.labels);
    size_t wi = 0, gi = 0;
    while (wi < w.points.size() || gi < g.points.size()) {
      if (gi == g.points.size() ||
          (wi < w.points.size() && w.points[wi].first < g.points[gi].first)) {
        add(StrCat(name, " t=", FormatMs(w.points[wi].first), ": want ",
                   FormatValue(w.points[wi].second), " got no point"));
        ++wi;
      } else if (wi == w.points.size() || g.points[gi].first < w.points[wi].first) {
        add(StrCat(name, " t=", FormatMs(g.points[gi].first), ": want no point got ",
                   FormatValue(g.points[gi].second)));
        ++gi;
      } else {
        if (!SameValue(w.points[wi].second, g.points[gi].second, options.relative_tolerance)) {
          add(StrCat(name, " t=", FormatMs(w.points[wi].first), ": want ",
                     FormatValue(w.points[wi].second), " got ", FormatValue(g.points[gi].second)));
        }
        ++wi;
        ++gi;
      }
    }
  }
  for (const PromSeries& g : got.series) {
    if (!seen.contains(g.labels)) {
      add(StrCat(
          "extra series ", FormatPromLabels(g.labels), " (", g.points.size(), " points, first ",
          g.points.empty() ? "-"
                           : FormatValue(g.points[0].second) + " at " + FormatMs(g.points[0].first),
          ")"));
    }
  }
  if (total > diffs.size()) {
    diffs.push_back(StrCat("... and ", total - diffs.size(), " more differences"));
  }
  return diffs;
}

}  // namespace strata::testing
