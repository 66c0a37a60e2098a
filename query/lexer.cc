// PromQL lexer; see lexer.h. Mirrors the states of Prometheus 2.42's
// lex.go (lexStatements, lexInsideBraces, lexDuration, lexString, ...).
#include "query/lexer.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "query/literals.h"

namespace strata::query {
namespace {

struct Keyword {
  std::string_view word;
  TokenType type;
};
// Matched case-insensitively, as Prometheus lowercases the word first.
constexpr Keyword kKeywords[] = {
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"avg", TokenType::kAvg},
    {"bottomk", TokenType::kBottomk},
    {"count", TokenType::kCount},
    {"count_values", TokenType::kCountValues},
    {"group", TokenType::kGroup},
    {"max", TokenType::kMax},
    {"min", TokenType::kMin},
    {"quantile", TokenType::kQuantile},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"sum", TokenType::kSum},
    {"topk", TokenType::kTopk},
    {"bool", TokenType::kBool},
    {"by", TokenType::kBy},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"ignoring", TokenType::kIgnoring},
    {"offset", TokenType::kOffset},
    {"on", TokenType::kOn},
    {"without", TokenType::kWithout},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
};

constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kHexDigits = "0123456789abcdefABCDEF";

bool IsAlpha(int c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(int c) { return c >= '0' && c <= '9'; }
bool IsAlnum(int c) { return IsAlpha(c) || IsDigit(c); }
bool IsSpace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Go's "%#U": U+0078 'x' (the character only when printable).
std::string FormatRuneU(uint32_t r) {
  std::string out = absl::StrFormat("U+%04X", r);
  if (r >= 0x20 && r != 0x7f && r != 0xFFFD) {
    out += " '";
    AppendRune(r, &out);
    out += "'";
  }
  return out;
}

// Quotes the first 10 runes of `s` and appends "..." when it was longer,
// like Go's "%.10q...".
std::string QuoteTruncated(std::string_view s) {
  size_t i = 0;
  int runes = 0;
  while (i < s.size() && runes < 10) {
    int size = 1;
    DecodeRune(s.substr(i), &size);
    i += size;
    ++runes;
  }
  if (i >= s.size()) return Quote(s);
  return StrCat(Quote(s.substr(0, i)), "...");
}

}  // namespace

bool IsOperator(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kAt; }
bool IsAggregator(TokenType t) { return t >= TokenType::kAvg && t <= TokenType::kTopk; }
bool IsKeyword(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }

std::string DescribeToken(const Token& t) {
  switch (t.type) {
    case TokenType::kEof:
      return "end of input";
    case TokenType::kError:
      return StrCat("error ", t.text);
    case TokenType::kComment:
      return StrCat("comment ", QuoteTruncated(t.text));
    case TokenType::kIdentifier:
      return StrCat("identifier ", Quote(t.text));
    case TokenType::kMetricIdentifier:
      return StrCat("metric identifier ", Quote(t.text));
    case TokenType::kString:
      return StrCat("string ", QuoteTruncated(t.text));
    case TokenType::kNumber:
      return StrCat("number ", QuoteTruncated(t.text));
    case TokenType::kDuration:
      return StrCat("duration ", QuoteTruncated(t.text));
    default:
      break;
  }
  if (IsOperator(t.type)) return StrCat("<op:", t.text, ">");
  if (IsAggregator(t.type)) return StrCat("<aggr:", t.text, ">");
  if (IsKeyword(t.type)) return StrCat("<", t.text, ">");
  return Quote(t.text);
}

int Lexer::Peek() const {
  return pos_ < input_.size() ? static_cast<unsigned char>(input_[pos_]) : -1;
}

bool Lexer::Accept(std::string_view valid) {
  if (pos_ < input_.size() && valid.find(input_[pos_]) != std::string_view::npos) {
    ++pos_;
    return true;
  }
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Accept(valid)) {
  }
}

void Lexer::SkipSpaces() {
  while (IsSpace(Peek())) ++pos_;
  start_ = pos_;
}

Token Lexer::Emit(TokenType type) {
  Token t{type, static_cast<int>(start_), std::string(input_.substr(start_, pos_ - start_))};
  start_ = pos_;
  return t;
}

Token Lexer::Error(std::string message) {
  done_ = true;
  return Token{TokenType::kError, static_cast<int>(start_), std::move(message)};
}

Token Lexer::Next() {
  if (done_) {
    start_ = pos_ = input_.size();
    return Emit(TokenType::kEof);
  }
  if (brace_open_) return LexInsideBraces();
  if (bracket_start_) return LexBracketStart();
  return LexStatement();
}

Token Lexer::LexStatement() {
  SkipSpaces();
  if (Peek() == '#') return LexComment();
  if (pos_ >= input_.size()) {
    if (paren_depth_ != 0) return Error("unclosed left parenthesis");
    if (bracket_open_) return Error("unclosed left bracket");
    done_ = true;
    return Emit(TokenType::kEof);
  }
  const int c = static_cast<unsigned char>(input_[pos_++]);
  switch (c) {
    case ',':
      return Emit(TokenType::kComma);
    case '*':
      return Emit(TokenType::kMul);
    case '/':
      return Emit(TokenType::kDiv);
    case '%':
      return Emit(TokenType::kMod);
    case '+':
      return Emit(TokenType::kAdd);
    case '-':
      return Emit(TokenType::kSub);
    case '^':
      return Emit(TokenType::kPow);
    case '@':
      return Emit(TokenType::kAt);
    case '=':
      if (Accept("=")) return Emit(TokenType::kEqlc);
      if (Peek() == '~') return Error("unexpected character after '=': '~'");
      return Emit(TokenType::kAssign);
    case '!':
      if (!Accept("=")) {
        int size = 1;
        const uint32_t r = pos_ < input_.size() ? DecodeRune(input_.substr(pos_), &size) : 0xFFFD;
        return Error(StrCat("unexpected character after '!': ", QuoteRune(r)));
      }
      return Emit(TokenType::kNeq);
    case '<':
      return Emit(Accept("=") ? TokenType::kLte : TokenType::kLss);
    case '>':
      return Emit(Accept("=") ? TokenType::kGte : TokenType::kGtr);
    case '"':
    case '\'':
      return LexString(static_cast<char>(c));
    case '`':
      return LexRawString();
    case '(':
      ++paren_depth_;
      return Emit(TokenType::kLeftParen);
    case ')': {
      Token t = Emit(TokenType::kRightParen);
      // Prometheus reports this after the ')' (the lexer had emitted it).
      if (--paren_depth_ < 0) return Error("unexpected right parenthesis ')'");
      return t;
    }
    case '{':
      brace_open_ = true;
      return Emit(TokenType::kLeftBrace);
    case '[':
      if (bracket_open_) return Error("unexpected left bracket '['");
      bracket_open_ = bracket_start_ = true;
      got_colon_ = false;
      return Emit(TokenType::kLeftBracket);
    case ']':
      if (!bracket_open_) return Error("unexpected right bracket ']'");
      bracket_open_ = false;
      return Emit(TokenType::kRightBracket);
    default:
      break;
  }
  if (IsDigit(c) || (c == '.' && IsDigit(Peek()))) {
    --pos_;
    return LexNumberOrDuration();
  }
  if (bracket_open_ && c == ':') {
    if (got_colon_) return Error("unexpected colon ':'");
    got_colon_ = true;
    return Emit(TokenType::kColon);
  }
  if (bracket_open_ && IsAlpha(c)) {
    return Error(StrCat("unexpected character: ", QuoteRune(c), ", expected ':'"));
  }
  if (IsAlpha(c) || c == ':') {
    --pos_;
    return LexKeywordOrIdentifier();
  }
  int size = 1;
  const uint32_t r = DecodeRune(input_.substr(pos_ - 1), &size);
  return Error(StrCat("unexpected character: ", QuoteRune(r)));
}

Token Lexer::LexInsideBraces() {
  SkipSpaces();
  if (Peek() == '#') return LexComment();
  if (pos_ >= input_.size()) return Error("unexpected end of input inside braces");
  const int c = static_cast<unsigned char>(input_[pos_++]);
  if (IsAlpha(c)) {
    --pos_;
    return LexIdentifier();
  }
  switch (c) {
    case ',':
      return Emit(TokenType::kComma);
    case '"':
    case '\'':
      return LexString(static_cast<char>(c));
    case '`':
      return LexRawString();
    case '=':
      return Emit(Accept("~") ? TokenType::kEqlRegex : TokenType::kAssign);
    case '!':
      if (Accept("~")) return Emit(TokenType::kNeqRegex);
      if (Accept("=")) return Emit(TokenType::kNeq);
      {
        int size = 1;
        const uint32_t r = pos_ < input_.size() ? DecodeRune(input_.substr(pos_), &size) : 0xFFFD;
        return Error(StrCat("unexpected character after '!' inside braces: ", QuoteRune(r)));
      }
    case '{':
      return Error("unexpected left brace '{'");
    case '}':
      brace_open_ = false;
      return Emit(TokenType::kRightBrace);
    default:
      break;
  }
  int size = 1;
  const uint32_t r = DecodeRune(input_.substr(pos_ - 1), &size);
  return Error(StrCat("unexpected character inside braces: ", QuoteRune(r)));
}

Token Lexer::LexBracketStart() {
  bracket_start_ = false;
  SkipSpaces();
  if (ScanNumber()) return Error("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Error(StrCat("bad duration syntax: ", Quote(input_.substr(start_, pos_ - start_))));
  }
  return Emit(TokenType::kDuration);
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) return Emit(TokenType::kDuration);
  return Error(
      StrCat("bad number or duration syntax: ", Quote(input_.substr(start_, pos_ - start_))));
}

bool Lexer::ScanNumber() {
  std::string_view digits = kDigits;
  if (Accept("0") && Accept("xX")) digits = kHexDigits;
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun(kDigits);
  }
  return !IsAlnum(Peek());
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // "ms"; bad units like "hs" fail in ParseDuration
  while (Accept(kDigits)) {
    AcceptRun(kDigits);
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  if (IsAlnum(Peek())) {
    ++pos_;  // Prometheus includes the offending character in the message
    return false;
  }
  return true;
}

Token Lexer::LexKeywordOrIdentifier() {
  while (IsAlnum(Peek()) || Peek() == ':') ++pos_;
  const std::string_view word = input_.substr(start_, pos_ - start_);
  for (const Keyword& k : kKeywords) {
    if (EqualsLower(word, k.word)) return Emit(k.type);
  }
  if (word.find(':') != std::string_view::npos) return Emit(TokenType::kMetricIdentifier);
  return Emit(TokenType::kIdentifier);
}

Token Lexer::LexIdentifier() {
  while (IsAlnum(Peek())) ++pos_;
  return Emit(TokenType::kIdentifier);
}

std::string Lexer::LexEscape(char quote) {
  if (pos_ >= input_.size()) return "escape sequence not terminated";
  int size = 1;
  const uint32_t c = DecodeRune(input_.substr(pos_), &size);
  pos_ += size;
  int n = 0;
  uint32_t base = 0, max = 0;
  switch (c) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
      return "";
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      n = 3, base = 8, max = 255;
      --pos_;
      break;
    case 'x':
      n = 2, base = 16, max = 255;
      break;
    case 'u':
      n = 4, base = 16, max = 0x10FFFF;
      break;
    case 'U':
      n = 8, base = 16, max = 0x10FFFF;
      break;
    default:
      if (c == static_cast<unsigned char>(quote)) return "";
      return StrCat("unknown escape sequence ", FormatRuneU(c));
  }
  uint32_t x = 0;
  for (; n > 0; --n) {
    if (pos_ >= input_.size()) return "escape sequence not terminated";
    const uint32_t ch = DecodeRune(input_.substr(pos_), &size);
    uint32_t d = 16;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
    if (d >= base) return StrCat("illegal character ", FormatRuneU(ch), " in escape sequence");
    pos_ += size;
    x = x * base + d;
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    return "escape sequence is an invalid Unicode code point";
  }
  return "";
}

Token Lexer::LexString(char quote) {
  while (true) {
    if (pos_ >= input_.size()) return Error("unterminated quoted string");
    int size = 1;
    const uint32_t r = DecodeRune(input_.substr(pos_), &size);
    pos_ += size;
    if (r == '\\') {
      std::string message = LexEscape(quote);
      if (!message.empty()) return Error(std::move(message));
      continue;
    }
    if (r == 0xFFFD && size == 1) return Error("invalid UTF-8 rune");
    if (r == '\n') return Error("unterminated quoted string");
    if (r == static_cast<unsigned char>(quote)) break;
  }
  return Emit(TokenType::kString);
}

Token Lexer::LexRawString() {
  while (true) {
    if (pos_ >= input_.size()) return Error("unterminated raw string");
    int size = 1;
    const uint32_t r = DecodeRune(input_.substr(pos_), &size);
    pos_ += size;
    if (r == 0xFFFD && size == 1) return Error("invalid UTF-8 rune");
    if (r == '`') break;
  }
  return Emit(TokenType::kString);
}

Token Lexer::LexComment() {
  while (pos_ < input_.size() && input_[pos_] != '\n' && input_[pos_] != '\r') ++pos_;
  return Emit(TokenType::kComment);
}

}  // namespace strata::query
