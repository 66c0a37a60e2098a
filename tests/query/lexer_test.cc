// Tests for query/lexer.h, ported from Prometheus' promql/parser/lex_test.go.
#include "query/lexer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::query {
namespace {

using T = TokenType;

struct Tok {
  TokenType type;
  int pos;
  std::string text;
  bool operator==(const Tok&) const = default;
};

void PrintTo(const Tok& t, std::ostream* os) {
  *os << "{" << static_cast<int>(t.type) << ", " << t.pos << ", \"" << t.text << "\"}";
}

// All tokens up to (excluding) EOF; an error token ends the list.
std::vector<Tok> LexAll(std::string_view input) {
  Lexer lexer(input);
  std::vector<Tok> out;
  for (int i = 0; i < 1000; ++i) {
    Token t = lexer.Next();
    if (t.type == T::kEof) break;
    out.push_back({t.type, t.pos, t.text});
    if (t.type == T::kError) break;
  }
  return out;
}

struct LexCase {
  std::string input;
  std::vector<Tok> want;
};

void ExpectLexes(const std::vector<LexCase>& cases) {
  for (const LexCase& c : cases) {
    EXPECT_EQ(LexAll(c.input), c.want) << "input: " << c.input;
  }
}

TEST(LexerTest, CommonTokens) {
  ExpectLexes({
      {",", {{T::kComma, 0, ","}}},
      {"()", {{T::kLeftParen, 0, "("}, {T::kRightParen, 1, ")"}}},
      {"{}", {{T::kLeftBrace, 0, "{"}, {T::kRightBrace, 1, "}"}}},
      {"[5m]", {{T::kLeftBracket, 0, "["}, {T::kDuration, 1, "5m"}, {T::kRightBracket, 3, "]"}}},
      {"[ 5m]", {{T::kLeftBracket, 0, "["}, {T::kDuration, 2, "5m"}, {T::kRightBracket, 4, "]"}}},
      {"[  5m]", {{T::kLeftBracket, 0, "["}, {T::kDuration, 3, "5m"}, {T::kRightBracket, 5, "]"}}},
      {"[  5m ]", {{T::kLeftBracket, 0, "["}, {T::kDuration, 3, "5m"}, {T::kRightBracket, 6, "]"}}},
      {"\r\n\r", {}},
  });
}

TEST(LexerTest, Numbers) {
  ExpectLexes({
      {"1", {{T::kNumber, 0, "1"}}},
      {"4.23", {{T::kNumber, 0, "4.23"}}},
      {".3", {{T::kNumber, 0, ".3"}}},
      {"5.", {{T::kNumber, 0, "5."}}},
      {"NaN", {{T::kNumber, 0, "NaN"}}},
      {"nAN", {{T::kNumber, 0, "nAN"}}},
      {"NaN 123", {{T::kNumber, 0, "NaN"}, {T::kNumber, 4, "123"}}},
      {"NaN123", {{T::kIdentifier, 0, "NaN123"}}},
      {"iNf", {{T::kNumber, 0, "iNf"}}},
      {"Inf", {{T::kNumber, 0, "Inf"}}},
      {"+Inf", {{T::kAdd, 0, "+"}, {T::kNumber, 1, "Inf"}}},
      {"+Inf 123", {{T::kAdd, 0, "+"}, {T::kNumber, 1, "Inf"}, {T::kNumber, 5, "123"}}},
      {"-Inf", {{T::kSub, 0, "-"}, {T::kNumber, 1, "Inf"}}},
      {"Infoo", {{T::kIdentifier, 0, "Infoo"}}},
      {"-Infoo", {{T::kSub, 0, "-"}, {T::kIdentifier, 1, "Infoo"}}},
      {"-Inf 123", {{T::kSub, 0, "-"}, {T::kNumber, 1, "Inf"}, {T::kNumber, 5, "123"}}},
      {"0x123", {{T::kNumber, 0, "0x123"}}},
      {"0X1aF", {{T::kNumber, 0, "0X1aF"}}},
      {"1e5", {{T::kNumber, 0, "1e5"}}},
      {"1E-3", {{T::kNumber, 0, "1E-3"}}},
      {"2.5e+10", {{T::kNumber, 0, "2.5e+10"}}},
  });
}

TEST(LexerTest, Strings) {
  ExpectLexes({
      {"\"test\\tsequence\"", {{T::kString, 0, "\"test\\tsequence\""}}},
      {"\"test\\\\.expression\"", {{T::kString, 0, "\"test\\\\.expression\""}}},
      {"\"test\\.expression\"", {{T::kError, 0, "unknown escape sequence U+002E '.'"}}},
      {"`test\\.expression`", {{T::kString, 0, "`test\\.expression`"}}},
      {".٩", {{T::kError, 0, "unexpected character: '.'"}}},
      {"'single \\' quoted'", {{T::kString, 0, "'single \\' quoted'"}}},
      {"\"a\\'b\"", {{T::kError, 0, "unknown escape sequence U+0027 '''"}}},
      {"\"\\x4\"", {{T::kError, 0, "illegal character U+0022 '\"' in escape sequence"}}},
      {"\"\\ud800\"", {{T::kError, 0, "escape sequence is an invalid Unicode code point"}}},
      {"\"abc", {{T::kError, 0, "unterminated quoted string"}}},
      {"\"a\nb\"", {{T::kError, 0, "unterminated quoted string"}}},
      {"`abc", {{T::kError, 0, "unterminated raw string"}}},
      {"`a\xff`", {{T::kError, 0, "invalid UTF-8 rune"}}},
  });
}

TEST(LexerTest, Durations) {
  ExpectLexes({
      {"5s", {{T::kDuration, 0, "5s"}}},
      {"123m", {{T::kDuration, 0, "123m"}}},
      {"1h", {{T::kDuration, 0, "1h"}}},
      {"3w", {{T::kDuration, 0, "3w"}}},
      {"1y", {{T::kDuration, 0, "1y"}}},
      {"1h30m", {{T::kDuration, 0, "1h30m"}}},
      {"500ms", {{T::kDuration, 0, "500ms"}}},
      {"5mm", {{T::kError, 0, "bad number or duration syntax: \"5mm\""}}},
      {"[5mm]", {{T::kLeftBracket, 0, "["}, {T::kError, 1, "bad duration syntax: \"5mm\""}}},
      {"[5m1]", {{T::kLeftBracket, 0, "["}, {T::kError, 1, "bad duration syntax: \"5m1\""}}},
      {"[5]", {{T::kLeftBracket, 0, "["}, {T::kError, 1, "missing unit character in duration"}}},
      {"[]", {{T::kLeftBracket, 0, "["}, {T::kError, 1, "missing unit character in duration"}}},
  });
}

TEST(LexerTest, Identifiers) {
  ExpectLexes({
      {"abc", {{T::kIdentifier, 0, "abc"}}},
      {"a:bc", {{T::kMetricIdentifier, 0, "a:bc"}}},
      {"abc d", {{T::kIdentifier, 0, "abc"}, {T::kIdentifier, 4, "d"}}},
      {":bc", {{T::kMetricIdentifier, 0, ":bc"}}},
      {"0a:bc", {{T::kError, 0, "bad number or duration syntax: \"0\""}}},
  });
}

TEST(LexerTest, Comments) {
  ExpectLexes({
      {"# some comment", {{T::kComment, 0, "# some comment"}}},
      {"5 # 1+1\n5", {{T::kNumber, 0, "5"}, {T::kComment, 2, "# 1+1"}, {T::kNumber, 8, "5"}}},
  });
}

TEST(LexerTest, Operators) {
  ExpectLexes({
      {"=", {{T::kAssign, 0, "="}}},
      {"{=}", {{T::kLeftBrace, 0, "{"}, {T::kAssign, 1, "="}, {T::kRightBrace, 2, "}"}}},
      {"==", {{T::kEqlc, 0, "=="}}},
      {"!=", {{T::kNeq, 0, "!="}}},
      {"<", {{T::kLss, 0, "<"}}},
      {">", {{T::kGtr, 0, ">"}}},
      {">=", {{T::kGte, 0, ">="}}},
      {"<=", {{T::kLte, 0, "<="}}},
      {"+", {{T::kAdd, 0, "+"}}},
      {"-", {{T::kSub, 0, "-"}}},
      {"*", {{T::kMul, 0, "*"}}},
      {"/", {{T::kDiv, 0, "/"}}},
      {"^", {{T::kPow, 0, "^"}}},
      {"%", {{T::kMod, 0, "%"}}},
      {"@", {{T::kAt, 0, "@"}}},
      {"AND", {{T::kLand, 0, "AND"}}},
      {"or", {{T::kLor, 0, "or"}}},
      {"unless", {{T::kLunless, 0, "unless"}}},
      {"atan2", {{T::kAtan2, 0, "atan2"}}},
  });
}

TEST(LexerTest, AggregatorsAndKeywords) {
  ExpectLexes({
      {"sum", {{T::kSum, 0, "sum"}}},
      {"AVG", {{T::kAvg, 0, "AVG"}}},
      {"Max", {{T::kMax, 0, "Max"}}},
      {"min", {{T::kMin, 0, "min"}}},
      {"count", {{T::kCount, 0, "count"}}},
      {"stdvar", {{T::kStdvar, 0, "stdvar"}}},
      {"stddev", {{T::kStddev, 0, "stddev"}}},
      {"group", {{T::kGroup, 0, "group"}}},
      {"topk", {{T::kTopk, 0, "topk"}}},
      {"bottomk", {{T::kBottomk, 0, "bottomk"}}},
      {"quantile", {{T::kQuantile, 0, "quantile"}}},
      {"count_values", {{T::kCountValues, 0, "count_values"}}},
      {"offset", {{T::kOffset, 0, "offset"}}},
      {"by", {{T::kBy, 0, "by"}}},
      {"without", {{T::kWithout, 0, "without"}}},
      {"on", {{T::kOn, 0, "on"}}},
      {"ignoring", {{T::kIgnoring, 0, "ignoring"}}},
      {"group_left", {{T::kGroupLeft, 0, "group_left"}}},
      {"group_right", {{T::kGroupRight, 0, "group_right"}}},
      {"bool", {{T::kBool, 0, "bool"}}},
      {"start", {{T::kStart, 0, "start"}}},
      {"end", {{T::kEnd, 0, "end"}}},
  });
}

TEST(LexerTest, Selectors) {
  ExpectLexes({
      {"台北", {{T::kError, 0, "unexpected character: '台'"}}},
      {"{台北='a'}",
       {{T::kLeftBrace, 0, "{"}, {T::kError, 1, "unexpected character inside braces: '台'"}}},
      {"{0a='a'}",
       {{T::kLeftBrace, 0, "{"}, {T::kError, 1, "unexpected character inside braces: '0'"}}},
      {"{foo='bar'}",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "foo"},
        {T::kAssign, 4, "="},
        {T::kString, 5, "'bar'"},
        {T::kRightBrace, 10, "}"}}},
      {"{foo=\"bar\"}",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "foo"},
        {T::kAssign, 4, "="},
        {T::kString, 5, "\"bar\""},
        {T::kRightBrace, 10, "}"}}},
      {"{NaN\t!~\"bar\"}",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "NaN"},
        {T::kNeqRegex, 5, "!~"},
        {T::kString, 7, "\"bar\""},
        {T::kRightBrace, 12, "}"}}},
      {"{alert=~\"bar\" }",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "alert"},
        {T::kEqlRegex, 6, "=~"},
        {T::kString, 8, "\"bar\""},
        {T::kRightBrace, 14, "}"}}},
      {"{on!~\"bar\"}",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "on"},
        {T::kNeqRegex, 3, "!~"},
        {T::kString, 5, "\"bar\""},
        {T::kRightBrace, 10, "}"}}},
      {"{alert!#\"bar\"}",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "alert"},
        {T::kError, 6, "unexpected character after '!' inside braces: '#'"}}},
      {"{foo:a=\"bar\"}",
       {{T::kLeftBrace, 0, "{"},
        {T::kIdentifier, 1, "foo"},
        {T::kError, 4, "unexpected character inside braces: ':'"}}},
  });
}

TEST(LexerTest, Mismatched) {
  ExpectLexes({
      {"=~", {{T::kError, 0, "unexpected character after '=': '~'"}}},
      {"!~", {{T::kError, 0, "unexpected character after '!': '~'"}}},
      {"!(", {{T::kError, 0, "unexpected character after '!': '('"}}},
      {"1a", {{T::kError, 0, "bad number or duration syntax: \"1\""}}},
      {"(", {{T::kLeftParen, 0, "("}, {T::kError, 1, "unclosed left parenthesis"}}},
      {")", {{T::kError, 1, "unexpected right parenthesis ')'"}}},
      {"())",
       {{T::kLeftParen, 0, "("},
        {T::kRightParen, 1, ")"},
        {T::kError, 3, "unexpected right parenthesis ')'"}}},
      {"(()",
       {{T::kLeftParen, 0, "("},
        {T::kLeftParen, 1, "("},
        {T::kRightParen, 2, ")"},
        {T::kError, 3, "unclosed left parenthesis"}}},
      {"{", {{T::kLeftBrace, 0, "{"}, {T::kError, 1, "unexpected end of input inside braces"}}},
      {"}", {{T::kError, 0, "unexpected character: '}'"}}},
      {"{{", {{T::kLeftBrace, 0, "{"}, {T::kError, 1, "unexpected left brace '{'"}}},
      {"{{}}", {{T::kLeftBrace, 0, "{"}, {T::kError, 1, "unexpected left brace '{'"}}},
      {"[", {{T::kLeftBracket, 0, "["}, {T::kError, 1, "missing unit character in duration"}}},
      {"[[", {{T::kLeftBracket, 0, "["}, {T::kError, 1, "missing unit character in duration"}}},
      {"[]]", {{T::kLeftBracket, 0, "["}, {T::kError, 1, "missing unit character in duration"}}},
      {"]", {{T::kError, 0, "unexpected right bracket ']'"}}},
      {"[5m",
       {{T::kLeftBracket, 0, "["},
        {T::kDuration, 1, "5m"},
        {T::kError, 3, "unclosed left bracket"}}},
  });
}

TEST(LexerTest, Subqueries) {
  ExpectLexes({
      {"test_name{on!~\"bar\"}[4m:4s]",
       {{T::kIdentifier, 0, "test_name"},
        {T::kLeftBrace, 9, "{"},
        {T::kIdentifier, 10, "on"},
        {T::kNeqRegex, 12, "!~"},
        {T::kString, 14, "\"bar\""},
        {T::kRightBrace, 19, "}"},
        {T::kLeftBracket, 20, "["},
        {T::kDuration, 21, "4m"},
        {T::kColon, 23, ":"},
        {T::kDuration, 24, "4s"},
        {T::kRightBracket, 26, "]"}}},
      {"test:name[ 5m]",
       {{T::kMetricIdentifier, 0, "test:name"},
        {T::kLeftBracket, 9, "["},
        {T::kDuration, 11, "5m"},
        {T::kRightBracket, 13, "]"}}},
      {"test[5m:]",
       {{T::kIdentifier, 0, "test"},
        {T::kLeftBracket, 4, "["},
        {T::kDuration, 5, "5m"},
        {T::kColon, 7, ":"},
        {T::kRightBracket, 8, "]"}}},
      {"test[5m::]",
       {{T::kIdentifier, 0, "test"},
        {T::kLeftBracket, 4, "["},
        {T::kDuration, 5, "5m"},
        {T::kColon, 7, ":"},
        {T::kError, 8, "unexpected colon ':'"}}},
      {"(rate(foo[5m]))[1h:]",
       {{T::kLeftParen, 0, "("},
        {T::kIdentifier, 1, "rate"},
        {T::kLeftParen, 5, "("},
        {T::kIdentifier, 6, "foo"},
        {T::kLeftBracket, 9, "["},
        {T::kDuration, 10, "5m"},
        {T::kRightBracket, 12, "]"},
        {T::kRightParen, 13, ")"},
        {T::kRightParen, 14, ")"},
        {T::kLeftBracket, 15, "["},
        {T::kDuration, 16, "1h"},
        {T::kColon, 18, ":"},
        {T::kRightBracket, 19, "]"}}},
  });
}

TEST(LexerTest, AtAndOffset) {
  ExpectLexes({
      {"foo @ start() offset -5m",
       {{T::kIdentifier, 0, "foo"},
        {T::kAt, 4, "@"},
        {T::kStart, 6, "start"},
        {T::kLeftParen, 11, "("},
        {T::kRightParen, 12, ")"},
        {T::kOffset, 14, "offset"},
        {T::kSub, 21, "-"},
        {T::kDuration, 22, "5m"}}},
      {"foo @ 1.5e3", {{T::kIdentifier, 0, "foo"}, {T::kAt, 4, "@"}, {T::kNumber, 6, "1.5e3"}}},
  });
}

TEST(LexerTest, DescribeTokenMatchesPrometheus) {
  EXPECT_EQ(DescribeToken({T::kEof, 0, ""}), "end of input");
  EXPECT_EQ(DescribeToken({T::kIdentifier, 0, "foo"}), "identifier \"foo\"");
  EXPECT_EQ(DescribeToken({T::kMetricIdentifier, 0, "a:b"}), "metric identifier \"a:b\"");
  EXPECT_EQ(DescribeToken({T::kAdd, 0, "+"}), "<op:+>");
  EXPECT_EQ(DescribeToken({T::kLand, 0, "and"}), "<op:and>");
  EXPECT_EQ(DescribeToken({T::kSum, 0, "SUM"}), "<aggr:SUM>");
  EXPECT_EQ(DescribeToken({T::kBy, 0, "by"}), "<by>");
  EXPECT_EQ(DescribeToken({T::kLeftParen, 0, "("}), "\"(\"");
  EXPECT_EQ(DescribeToken({T::kNumber, 0, "1"}), "number \"1\"");
  EXPECT_EQ(DescribeToken({T::kDuration, 0, "5m"}), "duration \"5m\"");
  EXPECT_EQ(DescribeToken({T::kString, 0, "\"abcdefghijkl\""}), "string \"\\\"abcdefghi\"...");
}

TEST(LexerTest, KeepsReturningEofAfterError) {
  Lexer lexer("}");
  EXPECT_EQ(lexer.Next().type, T::kError);
  EXPECT_EQ(lexer.Next().type, T::kEof);
  EXPECT_EQ(lexer.Next().type, T::kEof);
}

}  // namespace
}  // namespace strata::query
