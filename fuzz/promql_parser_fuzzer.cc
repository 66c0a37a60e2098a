// Parses arbitrary text as PromQL. Parsing must never crash (only return
// errors), and whatever parses must print to text that parses again and
// prints identically: Print(Parse(Print(Parse(x)))) == Print(Parse(x)).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "query/parser.h"
#include "query/printer.h"

using strata::query::ParseExpr;
using strata::query::Print;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy so ASan sees the exact bounds.
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto expr = ParseExpr(text);
  if (!expr.ok()) {
    if (expr.status().message().find("parse error: ") == std::string_view::npos) std::abort();
    return 0;
  }
  const std::string printed = Print(**expr);
  auto again = ParseExpr(printed);
  if (!again.ok()) {
    std::fprintf(stderr, "reprint does not parse: %s\n%s\n", printed.c_str(),
                 std::string(again.status().message()).c_str());
    std::abort();
  }
  const std::string reprinted = Print(**again);
  if (reprinted != printed) {
    std::fprintf(stderr, "reprint differs:\n%s\n%s\n", printed.c_str(), reprinted.c_str());
    std::abort();
  }
  return 0;
}
