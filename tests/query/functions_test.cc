// Tests for query/functions.h, the function table: it holds every function
// of Prometheus 2.42 with Prometheus' signature, every entry has an
// implementation, the type checker accepts exactly the calls the signature
// declares, and each implementation returns the declared type. That every
// entry also has a `.test` case is checked in promql_testdata_test.cc.
#include "query/functions.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "query/ast.h"
#include "query/engine.h"
#include "query/parser.h"
#include "strata/db.h"

namespace strata::query {
namespace {

namespace fs = std::filesystem;

TEST(FunctionsTest, RegistryIsSortedAndUnique) {
  const auto all = AllFunctions();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
}

// "name(args) -> return", in the letters of functions.cc (S scalar, V
// instant vector, M range vector, Str string); a trailing `?` marks the
// optional last argument (Variadic: 1), `...` the repeated last argument
// (Variadic: -1).
std::string SignatureOf(const Function& f) {
  auto letter = [](ValueType t) -> std::string {
    switch (t) {
      case ValueType::kScalar:
        return "S";
      case ValueType::kVector:
        return "V";
      case ValueType::kMatrix:
        return "M";
      case ValueType::kString:
        return "Str";
      case ValueType::kNone:
        break;
    }
    return "?";
  };
  std::string out = std::string(f.name) + "(";
  for (size_t i = 0; i < f.arg_types.size(); ++i) {
    if (i > 0) out += ", ";
    out += letter(f.arg_types[i]);
  }
  if (f.variadic == 1) out += "?";
  if (f.variadic < 0) out += "...";
  if (f.variadic > 1) out += "{" + std::to_string(f.variadic) + "}";
  return out + ") -> " + letter(f.return_type);
}

// Transcribed from Prometheus 2.42's promql/parser/functions.go, so that a
// slip in our table shows here.
TEST(FunctionsTest, TableHasThePrometheus242Signatures) {
  const std::vector<std::string> want = {
      "abs(V) -> V",
      "absent(V) -> V",
      "absent_over_time(M) -> V",
      "acos(V) -> V",
      "acosh(V) -> V",
      "asin(V) -> V",
      "asinh(V) -> V",
      "atan(V) -> V",
      "atanh(V) -> V",
      "avg_over_time(M) -> V",
      "ceil(V) -> V",
      "changes(M) -> V",
      "clamp(V, S, S) -> V",
      "clamp_max(V, S) -> V",
      "clamp_min(V, S) -> V",
      "cos(V) -> V",
      "cosh(V) -> V",
      "count_over_time(M) -> V",
      "day_of_month(V?) -> V",
      "day_of_week(V?) -> V",
      "day_of_year(V?) -> V",
      "days_in_month(V?) -> V",
      "deg(V) -> V",
      "delta(M) -> V",
      "deriv(M) -> V",
      "exp(V) -> V",
      "floor(V) -> V",
      "histogram_count(V) -> V",
      "histogram_fraction(S, S, V) -> V",
      "histogram_quantile(S, V) -> V",
      "histogram_sum(V) -> V",
      "holt_winters(M, S, S) -> V",
      "hour(V?) -> V",
      "idelta(M) -> V",
      "increase(M) -> V",
      "irate(M) -> V",
      "label_join(V, Str, Str, Str...) -> V",
      "label_replace(V, Str, Str, Str, Str) -> V",
      "last_over_time(M) -> V",
      "ln(V) -> V",
      "log10(V) -> V",
      "log2(V) -> V",
      "max_over_time(M) -> V",
      "min_over_time(M) -> V",
      "minute(V?) -> V",
      "month(V?) -> V",
      "pi() -> S",
      "predict_linear(M, S) -> V",
      "present_over_time(M) -> V",
      "quantile_over_time(S, M) -> V",
      "rad(V) -> V",
      "rate(M) -> V",
      "resets(M) -> V",
      "round(V, S?) -> V",
      "scalar(V) -> S",
      "sgn(V) -> V",
      "sin(V) -> V",
      "sinh(V) -> V",
      "sort(V) -> V",
      "sort_desc(V) -> V",
      "sqrt(V) -> V",
      "stddev_over_time(M) -> V",
      "stdvar_over_time(M) -> V",
      "sum_over_time(M) -> V",
      "tan(V) -> V",
      "tanh(V) -> V",
      "time() -> S",
      "timestamp(V) -> V",
      "vector(S) -> V",
      "year(V?) -> V",
  };
  std::vector<std::string> got;
  for (const Function& f : AllFunctions()) got.push_back(SignatureOf(f));
  EXPECT_EQ(got, want);
  for (const Function& f : AllFunctions()) EXPECT_EQ(LookupFunction(f.name), &f) << f.name;
  EXPECT_EQ(LookupFunction("nope"), nullptr);
  EXPECT_EQ(LookupFunction("Rate"), nullptr);  // names are case-sensitive
}

TEST(FunctionsTest, FlagsFollowPrometheus) {
  // Prometheus' AtModifierUnsafeFunctions (promql/engine.go).
  std::vector<std::string> unsafe;
  for (const Function& f : AllFunctions()) {
    if (f.has(kAtModifierUnsafe)) unsafe.emplace_back(f.name);
  }
  EXPECT_EQ(unsafe, (std::vector<std::string>{"day_of_month", "day_of_week", "day_of_year",
                                              "days_in_month", "hour", "minute", "month",
                                              "predict_linear", "time", "timestamp", "year"}));
  EXPECT_TRUE(LookupFunction("histogram_sum")->has(kExperimental));
  EXPECT_FALSE(LookupFunction("rate")->has(kExperimental));
}

TEST(FunctionsTest, EveryEntryHasAnImplementation) {
  for (const Function& f : AllFunctions()) EXPECT_TRUE(f.call != nullptr) << f.name;
}

TEST(FunctionsTest, MinAndMaxArgsFollowVariadic) {
  EXPECT_EQ(LookupFunction("rate")->min_args(), 1);
  EXPECT_EQ(LookupFunction("rate")->max_args(), 1);
  EXPECT_EQ(LookupFunction("time")->min_args(), 0);
  EXPECT_EQ(LookupFunction("time")->max_args(), 0);
  EXPECT_EQ(LookupFunction("round")->min_args(), 1);
  EXPECT_EQ(LookupFunction("round")->max_args(), 2);
  EXPECT_EQ(LookupFunction("hour")->min_args(), 0);
  EXPECT_EQ(LookupFunction("hour")->max_args(), 1);
  EXPECT_EQ(LookupFunction("label_join")->min_args(), 3);
  EXPECT_EQ(LookupFunction("label_join")->max_args(), -1);
}

// An argument of type `t` as PromQL text. Scalars are 0.5 so that every
// function accepts them at run time too (holt_winters wants 0 < sf, tf < 1).
std::string ArgOfType(ValueType t) {
  switch (t) {
    case ValueType::kScalar:
      return "0.5";
    case ValueType::kVector:
      return "v";
    case ValueType::kMatrix:
      return "v[5m]";
    case ValueType::kString:
      return "\"a\"";
    case ValueType::kNone:
      break;
  }
  return "";
}

// The declared type of argument i (the last type repeats for variadic
// functions; a scalar for a surplus argument of a function without any).
ValueType DeclaredType(const Function& f, size_t i) {
  if (f.arg_types.empty()) return ValueType::kScalar;
  return f.arg_types[std::min(i, f.arg_types.size() - 1)];
}

// A call of `f` with n arguments of the declared types; `wrong` (if >= 0)
// replaces argument `wrong` by one of type `wrong_type`.
std::string CallText(const Function& f, int n, int wrong = -1,
                     ValueType wrong_type = ValueType::kNone) {
  std::string out = std::string(f.name) + "(";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out += ArgOfType(i == wrong ? wrong_type : DeclaredType(f, i));
  }
  return out + ")";
}

TEST(FunctionsTest, TypeCheckerAcceptsExactlyTheDeclaredSignature) {
  const ValueType kTypes[] = {ValueType::kScalar, ValueType::kVector, ValueType::kMatrix,
                              ValueType::kString};
  for (const Function& f : AllFunctions()) {
    // Argument counts: every count from min to max parses, none outside.
    const int max = f.max_args() >= 0 ? f.max_args() : f.min_args() + 3;
    for (int n = 0; n <= max + 2; ++n) {
      const std::string text = CallText(f, n);
      const bool declared = n >= f.min_args() && (f.max_args() < 0 || n <= f.max_args());
      StatusOr<ExprPtr> e = ParseExpr(text);
      EXPECT_EQ(e.ok(), declared) << text << ": " << e.status();
      if (!e.ok()) continue;
      ASSERT_EQ((*e)->kind(), ExprKind::kCall) << text;
      const auto& call = static_cast<const Call&>(**e);
      EXPECT_EQ(call.func, &f) << text;
      EXPECT_EQ(call.type(), f.return_type) << text;
    }
    // Argument types: any other type at any position is refused.
    const int n = f.max_args() >= 0 ? f.max_args() : f.min_args() + 2;
    for (int i = 0; i < n; ++i) {
      for (ValueType t : kTypes) {
        if (t == DeclaredType(f, i)) continue;
        const std::string text = CallText(f, n, i, t);
        StatusOr<ExprPtr> e = ParseExpr(text);
        ASSERT_FALSE(e.ok()) << text;
        EXPECT_NE(e.status().message().find("expected type"), std::string_view::npos)
            << text << ": " << e.status();
      }
    }
  }
}

// Each implementation, called with arguments of the declared types, runs
// and returns a value of the declared return type, as an instant and as a
// range query, with and without its optional argument.
TEST(FunctionsTest, EveryImplementationReturnsItsDeclaredType) {
  std::string tmpl = (fs::temp_directory_path() / "strata_functions_test_XXXXXX").string();
  const std::string dir = mkdtemp(tmpl.data());
  Options o;
  o.background_compaction = false;
  o.retention_ms = 0;
  o.wal_sync = WalSyncPolicy::kNever;
  {
    auto db = DB::Open(o, dir + "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    auto app = (*db)->NewAppender();
    for (int64_t i = 0; i <= 10; ++i) {
      ASSERT_TRUE(app->Append({{"__name__", "v"}, {"a", "x"}}, i * 60'000, 1.5 * i).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
    const Engine engine(EngineOptions{});
    for (const Function& f : AllFunctions()) {
      std::vector<int> counts = {f.min_args()};
      if (f.max_args() != f.min_args()) counts.push_back(f.min_args() + 1);
      for (int n : counts) {
        const std::string text = CallText(f, n);
        StatusOr<Result> r = engine.Instant(**db, text, 10 * 60'000);
        ASSERT_TRUE(r.ok()) << text << ": " << r.status();
        EXPECT_EQ(r->type, f.return_type == ValueType::kScalar ? Result::Type::kScalar
                                                               : Result::Type::kVector)
            << text;
        StatusOr<Result> rr = engine.Range(**db, text, 5 * 60'000, 10 * 60'000, 60'000);
        ASSERT_TRUE(rr.ok()) << text << ": " << rr.status();
        EXPECT_EQ(rr->type, Result::Type::kMatrix) << text;
      }
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strata::query
