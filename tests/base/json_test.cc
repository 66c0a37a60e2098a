#include "base/json.h"

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(JsonTest, ParsesEveryKindOfValue) {
  auto v =
      ParseJson(R"( {"a": [1, -2.5e3, 9223372036854775807], "b": {"c": "x\"\\\n\u00e9\ud83d\ude00"},
                          "t": true, "f": false, "n": null, "e": {}, "l": []} )");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->type(), JsonValue::Type::kObject);
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->array().size(), 3u);
  EXPECT_EQ(a->array()[1].number(), -2500);
  EXPECT_EQ(*a->array()[2].AsInt64(), 9223372036854775807);  // beyond 2^53, exact
  EXPECT_EQ(a->array()[1].AsInt64().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v->Find("b")->Find("c")->string_value(), "x\"\\\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(v->Find("t")->bool_value());
  EXPECT_FALSE(v->Find("f")->bool_value());
  EXPECT_TRUE(v->Find("n")->is_null());
  EXPECT_TRUE(v->Find("e")->object().empty());
  EXPECT_TRUE(v->Find("l")->array().empty());
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonTest, ErrorsNameTheOffset) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "json offset 0: unexpected end of input"},
      {"{\"a\" 1}", "json offset 5: expected ':'"},
      {"[1 2]", "json offset 3: expected ',' or ']'"},
      {"\"abc", "json offset 4: unterminated string"},
      {"01", "json offset 1: unexpected data after the JSON value"},
      {"1.", "json offset 2: bad number: digits expected after '.'"},
      {"\"\\x\"", "json offset 2: bad escape in string"},
      {"\"\\ud800\"", "json offset 7: unpaired surrogate in \\u escape"},
      {"tru", "json offset 0: unexpected character 't'"},
      {"{} x", "json offset 3: unexpected data after the JSON value"},
  };
  for (const Case& c : cases) {
    auto v = ParseJson(c.text);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(v.status().message(), c.error) << c.text;
  }
}

TEST(JsonTest, DeepNestingIsAnErrorNotACrash) {
  EXPECT_TRUE(ParseJson(std::string(60, '[') + std::string(60, ']')).ok());
  auto deep = ParseJson(std::string(100000, '['));
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(deep.status().message()).find("nested too deeply"), std::string::npos);
}

TEST(JsonTest, StringsAreEscapedToValidJson) {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\nd\x01\xc3\xa9\xff");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\xef\xbf\xbd\"");
  auto back = ParseJson(out);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->string_value(), "a\"b\\c\nd\x01\xc3\xa9\xef\xbf\xbd");
}

}  // namespace
}  // namespace strata
