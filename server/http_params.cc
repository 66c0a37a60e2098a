#include "server/http_params.h"

#include "base/status_macros.h"
#include "base/strings.h"

namespace strata::server {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Status UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c != '%') {
      out->push_back(c);
    } else {
      const int hi = i + 1 < in.size() ? HexDigit(in[i + 1]) : -1;
      const int lo = i + 2 < in.size() ? HexDigit(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(StrCat(
            "invalid URL escape \"", in.substr(i, std::min<size_t>(3, in.size() - i)), "\""));
      }
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return absl::OkStatus();
}

Status HttpParams::AddUrlEncoded(std::string_view text) {
  while (!text.empty()) {
    const size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name;
    std::string value;
    STRATA_RETURN_IF_ERROR(UrlDecode(pair.substr(0, eq), &name));
    if (eq != std::string_view::npos) {
      STRATA_RETURN_IF_ERROR(UrlDecode(pair.substr(eq + 1), &value));
    }
    pairs_.emplace_back(std::move(name), std::move(value));
  }
  return absl::OkStatus();
}

std::string_view HttpParams::Get(std::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name) return v;
  }
  return {};
}

bool HttpParams::Has(std::string_view name) const {
  for (const auto& p : pairs_) {
    if (p.first == name) return true;
  }
  return false;
}

std::vector<std::string_view> HttpParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : pairs_) {
    if (n == name) out.push_back(v);
  }
  return out;
}

}  // namespace strata::server
