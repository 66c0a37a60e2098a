// A small JSON reader and string escaper: what meta.json, the HTTP API and
// the tools' --json output need, with no dependency beyond the standard
// library and Abseil.
//
// The parser takes RFC 8259 JSON, keeps object members in file order,
// keeps each number's text so integers beyond 2^53 (int64 timestamps)
// round-trip exactly, limits nesting depth, and reports errors as
// InvalidArgument with the byte offset ("json offset 17: expected ':'").
//
// Thread-safety: JsonValue is a value type (intentionally copyable); the
// functions are stateless.
#ifndef STRATA_BASE_JSON_H_
#define STRATA_BASE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }

  // REQUIRES: the matching type.
  bool bool_value() const { return bool_; }
  double number() const { return number_; }
  // A string's value, or a number's text.
  const std::string& string_value() const { return text_; }
  const std::vector<JsonValue>& array() const { return array_; }
  const std::vector<std::pair<std::string, JsonValue>>& object() const { return object_; }

  // The member `key` of an object, or null if absent or not an object.
  const JsonValue* Find(std::string_view key) const;

  // A number that is an integer within int64, parsed from its text.
  // Fails with InvalidArgument otherwise.
  [[nodiscard]] StatusOr<int64_t> AsInt64() const;
  // A number that is an integer within uint64 (no sign), from its text.
  [[nodiscard]] StatusOr<uint64_t> AsUint64() const;

 private:
  friend class JsonParser;

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string text_;
  std::vector<JsonValue> array_;
  std::vector<std::pair<std::string, JsonValue>> object_;
};

// Parses `text` (one JSON value, surrounding white space allowed).
[[nodiscard]] StatusOr<JsonValue> ParseJson(std::string_view text, int max_depth = 64);

// Appends `s` as a JSON string literal, quotes included. Bytes that are not
// valid UTF-8 are replaced by U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string* dst, std::string_view s);

}  // namespace strata

#endif  // STRATA_BASE_JSON_H_
