// PromQL lexer: turns query text into tokens, as Prometheus 2.42's
// promql/parser/lex.go does, including its error messages.
//
// The lexer is a small state machine: inside `{...}` every word is an
// identifier (keywords are label names there); after `[` a duration is
// expected; parentheses are counted so an unbalanced one is reported by the
// lexer. Positions are byte offsets into the input. The parser turns an
// offset into "line:column" (see parser.h).
//
// Thread-safety: a Lexer is used by one thread; distinct Lexers are
// independent.
#ifndef STRATA_QUERY_LEXER_H_
#define STRATA_QUERY_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::query {

enum class TokenType {
  kEof,
  kError,  // text is the error message; lexing stops
  kComment,
  kIdentifier,
  kMetricIdentifier,  // an identifier with a ':'
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kAssign,  // '=' (label matcher)
  kColon,
  kString,    // text keeps its quotes; see Unquote in literals.h
  kNumber,    // decimal, hex, exponent, Inf, NaN
  kDuration,  // 5m, 1h30m
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,
  kLss,
  kLte,
  kGtr,
  kGte,
  kEqlRegex,
  kNeqRegex,
  kLand,
  kLor,
  kLunless,
  kAtan2,
  kAt,
  // Aggregation operators.
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // @ modifier preprocessors.
  kStart,
  kEnd,
};

bool IsOperator(TokenType t);    // kAdd..kAt
bool IsAggregator(TokenType t);  // kAvg..kTopk
bool IsKeyword(TokenType t);     // kBool..kWithout

// One token. `text` is the token's bytes as written (for kError: the
// message), `pos` its byte offset.
struct Token {
  TokenType type = TokenType::kEof;
  int pos = 0;
  std::string text;
};

// Describes a token for "unexpected ..." messages exactly as Prometheus'
// Item.desc(): `identifier "foo"`, `<op:+>`, `<aggr:sum>`, `<by>`, `"("`,
// `number "1"`, `end of input`.
std::string DescribeToken(const Token& token);

class Lexer {
 public:
  // `input` must outlive the lexer.
  explicit Lexer(std::string_view input) : input_(input) {}
  Lexer(const Lexer&) = delete;
  Lexer& operator=(const Lexer&) = delete;

  // Returns the next token. After kEof or kError every call returns kEof.
  Token Next();

 private:
  Token Emit(TokenType type);
  Token Error(std::string message);
  int Peek() const;  // next byte or -1 at the end
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);
  void SkipSpaces();

  Token LexStatement();
  Token LexInsideBraces();
  Token LexBracketStart();
  Token LexNumberOrDuration();
  Token LexKeywordOrIdentifier();
  Token LexIdentifier();
  Token LexString(char quote);
  Token LexRawString();
  Token LexComment();
  bool ScanNumber();
  bool AcceptRemainingDuration();
  // Validates the escape after a backslash; returns an error message or "".
  std::string LexEscape(char quote);

  const std::string_view input_;
  size_t pos_ = 0;    // next byte to read
  size_t start_ = 0;  // first byte of the token being scanned
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool bracket_start_ = false;  // just after '[': a duration must follow
  bool got_colon_ = false;
  bool done_ = false;
};

}  // namespace strata::query

#endif  // STRATA_QUERY_LEXER_H_
