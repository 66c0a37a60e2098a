#include "tools/flag_parser.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"
#include "query/literals.h"
#include "tools/commands.h"

namespace strata::tools {
namespace {

// Prometheus' byte units (alecthomas/units bytesUnitMap and
// oldBytesUnitMap, both base 2), largest first for FormatByteSize.
struct ByteUnit {
  std::string_view name;
  std::string_view alias;  // the same multiple in the other spelling
  uint64_t bytes;
};
constexpr ByteUnit kByteUnits[] = {
    {"EiB", "EB", uint64_t{1} << 60},
    {"PiB", "PB", uint64_t{1} << 50},
    {"TiB", "TB", uint64_t{1} << 40},
    {"GiB", "GB", uint64_t{1} << 30},
    {"MiB", "MB", uint64_t{1} << 20},
    {"KiB", "KB", uint64_t{1} << 10},
    {"B", "B", 1},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

StatusOr<uint64_t> ParseByteSize(std::string_view s) {
  constexpr std::string_view kSyntax =
      "want <number><unit> with units B, KB, MB, GB, TB, PB, EB or KiB ... EiB (powers of "
      "1024; e.g. 512MB, 1GiB), a number of bytes, or 0";
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat(why, kSyntax));
  };
  if (s.empty()) return invalid("");
  uint64_t bare = 0;
  if (std::all_of(s.begin(), s.end(), IsDigit)) {
    if (!absl::SimpleAtoi(ToAbsl(s), &bare)) return absl::InvalidArgumentError("out of range");
    return bare;
  }
  uint64_t total = 0;
  const auto add = [&total](uint64_t n) {
    if (n > std::numeric_limits<uint64_t>::max() - total) return false;
    total += n;
    return true;
  };
  for (size_t i = 0; i < s.size();) {
    // <digits>[.<digits>]
    const size_t start = i;
    uint64_t whole = 0;
    bool overflow = false;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (whole > (std::numeric_limits<uint64_t>::max() - 9) / 10) overflow = true;
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    double fraction = 0;
    if (i < s.size() && s[i] == '.') {
      double scale = 0.1;
      for (++i; i < s.size() && IsDigit(s[i]); ++i, scale /= 10) fraction += (s[i] - '0') * scale;
    }
    if (i == start || (i == start + 1 && s[start] == '.')) return invalid("");
    const size_t unit_start = i;
    while (i < s.size() && !IsDigit(s[i]) && s[i] != '.') ++i;
    const std::string_view unit = s.substr(unit_start, i - unit_start);
    if (unit.empty()) return invalid("missing unit; ");
    const ByteUnit* u = nullptr;
    for (const ByteUnit& b : kByteUnits) {
      if (unit == b.name || unit == b.alias) u = &b;
    }
    if (u == nullptr) return invalid(StrCat("unknown unit \"", unit, "\"; "));
    if (overflow || (whole != 0 && whole > std::numeric_limits<uint64_t>::max() / u->bytes) ||
        !add(whole * u->bytes) || !add(static_cast<uint64_t>(fraction * u->bytes))) {
      return absl::InvalidArgumentError("out of range");
    }
  }
  return total;
}

std::string FormatByteSize(uint64_t bytes) {
  if (bytes == 0) return "0";
  for (const ByteUnit& u : kByteUnits) {
    if (bytes % u.bytes == 0) return StrCat(bytes / u.bytes, u.name);
  }
  return StrCat(bytes, "B");  // not reached: B divides everything
}

StatusOr<absl::Duration> ParseFlagDuration(std::string_view s) {
  StatusOr<int64_t> ms = query::ParseDuration(s);
  if (ms.ok()) return absl::Milliseconds(*ms);
  if (ms.status().message() == "duration out of range") {
    return absl::InvalidArgumentError("out of range");
  }
  return absl::InvalidArgumentError(
      "want <number><unit> parts, largest unit first, units y, w, d, h, m, s, ms (e.g. 15s, "
      "1m30s, 90d), or 0");
}

std::string FormatFlagDuration(absl::Duration d) {
  return query::FormatDuration(std::max<int64_t>(0, absl::ToInt64Milliseconds(d)));
}

FlagParser::FlagParser(std::string usage, std::string description)
    : usage_(std::move(usage)), description_(std::move(description)) {}

void FlagParser::Add(Flag flag) {
  if (flag.default_value.empty() && flag.show) flag.default_value = flag.show();
  flags_.push_back(std::move(flag));
}

void FlagParser::String(const std::string& name, std::string* target, const std::string& help) {
  Flag f(name, help);
  f.set = [target](const std::string& v) {
    *target = v;
    return Status();
  };
  f.show = [target] { return *target; };
  Add(std::move(f));
}

void FlagParser::Int(const std::string& name, int64_t* target, const std::string& help) {
  Flag f(name, help);
  f.set = [target](const std::string& v) {
    if (absl::SimpleAtoi(v, target)) return Status();
    return absl::InvalidArgumentError(StrCat("invalid integer \"", v, "\""));
  };
  f.show = [target] { return StrCat(*target); };
  Add(std::move(f));
}

void FlagParser::Double(const std::string& name, double* target, const std::string& help) {
  Flag f(name, help);
  f.set = [target](const std::string& v) {
    if (absl::SimpleAtod(v, target)) return Status();
    return absl::InvalidArgumentError(StrCat("invalid number \"", v, "\""));
  };
  f.show = [target] { return StrCat(*target); };
  Add(std::move(f));
}

void FlagParser::Bool(const std::string& name, bool* target, const std::string& help) {
  Flag f(name, help);
  f.is_bool = true;
  f.set = [target](const std::string& v) {
    if (absl::SimpleAtob(v, target)) return Status();
    return absl::InvalidArgumentError(StrCat("invalid boolean \"", v, "\": want true or false"));
  };
  f.show = [target] { return std::string(*target ? "true" : "false"); };
  Add(std::move(f));
}

void FlagParser::StringList(const std::string& name, std::vector<std::string>* target,
                            const std::string& help) {
  Flag f(name, help);
  f.repeatable = true;
  f.default_value = "none; repeatable";
  f.set = [target](const std::string& v) {
    target->push_back(v);
    return Status();
  };
  Add(std::move(f));
}

void FlagParser::Duration(const std::string& name, absl::Duration* target,
                          const std::string& help) {
  Flag f(name, help);
  f.set = [target](const std::string& v) -> Status {
    StatusOr<absl::Duration> d = ParseFlagDuration(v);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          StrCat("invalid duration \"", v, "\": ", d.status().message()));
    }
    *target = *d;
    return Status();
  };
  f.show = [target] { return FormatFlagDuration(*target); };
  Add(std::move(f));
}

void FlagParser::ByteSize(const std::string& name, uint64_t* target, const std::string& help) {
  Flag f(name, help);
  f.set = [target](const std::string& v) -> Status {
    StatusOr<uint64_t> n = ParseByteSize(v);
    if (!n.ok()) {
      return absl::InvalidArgumentError(
          StrCat("invalid byte size \"", v, "\": ", n.status().message()));
    }
    *target = *n;
    return Status();
  };
  f.show = [target] { return FormatByteSize(*target); };
  Add(std::move(f));
}

Status FlagParser::EnumError(const std::string& value, const std::vector<std::string>& names) {
  return absl::InvalidArgumentError(
      StrCat("invalid value \"", value, "\": want one of ", absl::StrJoin(names, ", ")));
}

const FlagParser::Flag* FlagParser::Find(const std::string& name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

StatusOr<std::vector<std::string>> FlagParser::Parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      continue;
    }
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const Flag* flag = Find(name);
    if (flag == nullptr && name.compare(0, 3, "no-") == 0 && !has_value) {
      flag = Find(name.substr(3));
      if (flag != nullptr && flag->is_bool) {
        if (Status s = flag->set("false"); !s.ok()) return s;
        continue;
      }
      flag = nullptr;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(StrCat("flag --", name, " needs a value"));
      }
    }
    if (Status s = flag->set(value); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("--", name, ": ", s.message()));
    }
  }
  return positional;
}

std::vector<std::pair<std::string, std::string>> FlagParser::Values() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Flag& f : flags_) {
    if (f.show) out.emplace_back(f.name, f.show());
  }
  return out;
}

std::optional<int> FlagParser::ParseCommand(const std::vector<std::string>& args, size_t want,
                                            std::string_view what,
                                            std::vector<std::string>* positional) {
  StatusOr<std::vector<std::string>> parsed = Parse(args);
  if (help_requested_) {
    std::fputs(Help().c_str(), stdout);
    return kExitOk;
  }
  if (!parsed.ok()) return UsageError(parsed.status());
  if (want != kAnyCount && parsed->size() != want) {
    return UsageError(StrCat("want ", what, ", got ", parsed->size(), " argument",
                             parsed->size() == 1 ? "" : "s", " (see --help)"));
  }
  *positional = *std::move(parsed);
  return std::nullopt;
}

int FlagParser::UsageError(std::string_view message) const {
  // The command is the usage line's leading lower-case words.
  std::string command;
  for (size_t start = 0; start < usage_.size();) {
    size_t end = usage_.find(' ', start);
    if (end == std::string::npos) end = usage_.size();
    if (end == start || !absl::ascii_islower(static_cast<unsigned char>(usage_[start]))) break;
    if (!command.empty()) command.push_back(' ');
    command.append(usage_, start, end - start);
    start = end + 1;
  }
  std::fprintf(stderr, "%s: %.*s\n", command.c_str(), static_cast<int>(message.size()),
               message.data());
  return kExitUsage;
}

int FlagParser::UsageError(const Status& status) const {
  const std::string message(status.message());
  return UsageError(std::string_view(message));
}

std::string FlagParser::Help() const {
  std::string out = StrCat("usage: ", usage_, "\n\n", description_, "\n");
  if (!flags_.empty()) out += "\nflags:\n";
  for (const Flag& f : flags_) {
    absl::StrAppendFormat(&out, "  --%-28s %s (default: %s)\n", f.name, f.help,
                          f.default_value.empty() ? "\"\"" : f.default_value);
  }
  out += "  --help                         show this help\n";
  return out;
}

}  // namespace strata::tools
