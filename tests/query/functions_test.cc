// Tests for query/functions.h: the registry holds every function of
// Prometheus 2.42 with its signature.
#include "query/functions.h"

#include <string>

#include "gtest/gtest.h"

namespace strata::query {
namespace {

TEST(FunctionsTest, RegistryIsSortedAndUnique) {
  const auto all = AllFunctions();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
}

TEST(FunctionsTest, HasEveryFunctionOfPrometheus242) {
  const char* names[] = {
      "abs",
      "absent",
      "absent_over_time",
      "ceil",
      "changes",
      "clamp",
      "clamp_max",
      "clamp_min",
      "day_of_month",
      "day_of_week",
      "day_of_year",
      "days_in_month",
      "delta",
      "deriv",
      "exp",
      "floor",
      "histogram_quantile",
      "holt_winters",
      "hour",
      "idelta",
      "increase",
      "irate",
      "label_join",
      "label_replace",
      "ln",
      "log10",
      "log2",
      "minute",
      "month",
      "predict_linear",
      "rate",
      "resets",
      "round",
      "scalar",
      "sgn",
      "sort",
      "sort_desc",
      "sqrt",
      "time",
      "timestamp",
      "vector",
      "year",
      "avg_over_time",
      "min_over_time",
      "max_over_time",
      "sum_over_time",
      "count_over_time",
      "quantile_over_time",
      "stddev_over_time",
      "stdvar_over_time",
      "last_over_time",
      "present_over_time",
      "acos",
      "acosh",
      "asin",
      "asinh",
      "atan",
      "atanh",
      "cos",
      "cosh",
      "sin",
      "sinh",
      "tan",
      "tanh",
      "deg",
      "rad",
      "pi",
      "histogram_count",
      "histogram_sum",
      "histogram_fraction",
  };
  for (const char* name : names) {
    const Function* f = LookupFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
  }
  EXPECT_EQ(AllFunctions().size(), std::size(names));
  EXPECT_EQ(LookupFunction("nope"), nullptr);
  EXPECT_EQ(LookupFunction("Rate"), nullptr);  // names are case-sensitive
}

TEST(FunctionsTest, SignaturesMatchPrometheus) {
  const Function* rate = LookupFunction("rate");
  EXPECT_EQ(rate->arg_types, std::vector<ValueType>{ValueType::kMatrix});
  EXPECT_EQ(rate->return_type, ValueType::kVector);
  EXPECT_EQ(rate->variadic, 0);
  const Function* join = LookupFunction("label_join");
  EXPECT_EQ(join->arg_types.size(), 4u);
  EXPECT_EQ(join->variadic, -1);
  EXPECT_EQ(LookupFunction("round")->variadic, 1);
  EXPECT_EQ(LookupFunction("year")->variadic, 1);
  EXPECT_EQ(LookupFunction("time")->return_type, ValueType::kScalar);
  EXPECT_EQ(LookupFunction("scalar")->return_type, ValueType::kScalar);
  EXPECT_EQ(LookupFunction("pi")->arg_types.size(), 0u);
  EXPECT_EQ(LookupFunction("histogram_quantile")->arg_types,
            (std::vector<ValueType>{ValueType::kScalar, ValueType::kVector}));
  EXPECT_EQ(LookupFunction("holt_winters")->arg_types,
            (std::vector<ValueType>{ValueType::kMatrix, ValueType::kScalar, ValueType::kScalar}));
  EXPECT_EQ(LookupFunction("label_replace")->arg_types.size(), 5u);
  EXPECT_EQ(LookupFunction("quantile_over_time")->arg_types,
            (std::vector<ValueType>{ValueType::kScalar, ValueType::kMatrix}));
}

}  // namespace
}  // namespace strata::query
