#include "tools/flag_parser.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "tools/commands.h"

namespace strata::tools {

FlagParser::FlagParser(std::string usage, std::string description)
    : usage_(std::move(usage)), description_(std::move(description)) {}

void FlagParser::String(const std::string& name, std::string* target, const std::string& help) {
  flags_.push_back({name, Kind::kString, target, help, *target});
}
void FlagParser::Int(const std::string& name, int64_t* target, const std::string& help) {
  flags_.push_back({name, Kind::kInt, target, help, StrCat(*target)});
}
void FlagParser::Double(const std::string& name, double* target, const std::string& help) {
  flags_.push_back({name, Kind::kDouble, target, help, StrCat(*target)});
}
void FlagParser::Bool(const std::string& name, bool* target, const std::string& help) {
  flags_.push_back({name, Kind::kBool, target, help, *target ? "true" : "false"});
}

void FlagParser::StringList(const std::string& name, std::vector<std::string>* target,
                            const std::string& help) {
  flags_.push_back({name, Kind::kStringList, target, help, "none; repeatable"});
}

const FlagParser::Flag* FlagParser::Find(const std::string& name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Status FlagParser::Set(const Flag& flag, const std::string& value) {
  auto bad = [&](std::string_view want) {
    return absl::InvalidArgumentError(
        StrCat("flag --", flag.name, ": \"", value, "\" is not ", want));
  };
  switch (flag.kind) {
    case Kind::kString:
      *static_cast<std::string*>(flag.target) = value;
      return absl::OkStatus();
    case Kind::kStringList:
      static_cast<std::vector<std::string>*>(flag.target)->push_back(value);
      return absl::OkStatus();
    case Kind::kInt:
      if (!absl::SimpleAtoi(value, static_cast<int64_t*>(flag.target))) return bad("an integer");
      return absl::OkStatus();
    case Kind::kDouble:
      if (!absl::SimpleAtod(value, static_cast<double*>(flag.target))) return bad("a number");
      return absl::OkStatus();
    case Kind::kBool:
      if (!absl::SimpleAtob(value, static_cast<bool*>(flag.target))) return bad("true or false");
      return absl::OkStatus();
  }
  return absl::InternalError("unknown flag kind");
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
      if (flag != nullptr && flag->kind == Kind::kBool) {
        *static_cast<bool*>(flag->target) = false;
        continue;
      }
      flag = nullptr;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      if (flag->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(StrCat("flag --", name, " needs a value"));
      }
    }
    if (Status s = Set(*flag, value); !s.ok()) return s;
  }
  return positional;
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
