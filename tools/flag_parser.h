// Command-line flags for `strata` subcommands, in Prometheus' style:
// `--name=value` or `--name value`, names may contain dots
// (`--storage.path`), booleans as `--flag` / `--flag=false`. Each
// subcommand declares its flags as typed fields, so `--help` documents
// every one, an unknown flag is an error that names it, and a bad value is
// an error that names the flag, the value and what was wanted:
//
//   --retention.time: invalid duration "5x": want <number><unit>... (e.g. 15s, 1m30s, 90d) or 0
//   --wal.fsync: invalid value "sometimes": want one of always, interval, never
//
// Kinds: string, integer, number, boolean, repeatable string, duration
// (Prometheus' model.ParseDuration: `15s`, `1m30s`, `2h`, `90d`, `1y`,
// `0`), byte size (Prometheus' --storage.tsdb.retention.size units, see
// ParseByteSize) and enum (one of a fixed set of names).
//
// Thread-safety: not thread-safe; used once at start-up.
#ifndef STRATA_TOOLS_FLAG_PARSER_H_
#define STRATA_TOOLS_FLAG_PARSER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "strata/status.h"

namespace strata::tools {

// Parses a byte size like Prometheus' --storage.tsdb.retention.size
// (alecthomas/units ParseBase2Bytes): "0", or one or more
// <number>[.<fraction>]<unit> parts with units B, KB, MB, GB, TB, PB, EB
// or KiB, MiB, GiB, TiB, PiB, EiB (all powers of 1024; case matters), e.g.
// "512MB", "1GiB", "1.5TB". A bare integer is that many bytes (Strata
// accepts it; Prometheus wants a unit). Errors: InvalidArgument saying
// what is wrong ("unknown unit \"Mb\"", "out of range").
[[nodiscard]] StatusOr<uint64_t> ParseByteSize(std::string_view s);
// Formats bytes in the largest binary unit that divides them exactly
// ("32MiB", "1000B"); 0 is "0". ParseByteSize reads it back.
std::string FormatByteSize(uint64_t bytes);

// Parses a duration as Prometheus' model.ParseDuration ("0", or
// <integer><unit> parts, units y w d h m s ms, largest first, each once).
// Errors: InvalidArgument with a hint of the syntax, or "out of range".
[[nodiscard]] StatusOr<absl::Duration> ParseFlagDuration(std::string_view s);
// Formats like Prometheus' model.Duration ("15d", "1m30s", "0s").
std::string FormatFlagDuration(absl::Duration d);

class FlagParser {
 public:
  // `usage` is the first line of --help, e.g. "strata chunk-stats [flags]".
  FlagParser(std::string usage, std::string description);

  // Declares a flag; `*target` holds its default and receives its value.
  // The pointers must outlive Parse() and Values().
  void String(const std::string& name, std::string* target, const std::string& help);
  void Int(const std::string& name, int64_t* target, const std::string& help);
  void Double(const std::string& name, double* target, const std::string& help);
  void Bool(const std::string& name, bool* target, const std::string& help);
  // A flag that may be given many times (`--match a --match b`); each use
  // appends its value to `*target`.
  void StringList(const std::string& name, std::vector<std::string>* target,
                  const std::string& help);
  // A Prometheus duration (ParseFlagDuration). Negative values cannot be
  // written.
  void Duration(const std::string& name, absl::Duration* target, const std::string& help);
  // A byte size (ParseByteSize).
  void ByteSize(const std::string& name, uint64_t* target, const std::string& help);
  // One of `values` (name, value), given by its name; the error lists the
  // names. `*target` must be one of the values (its name is the default).
  template <typename T>
  void Enum(const std::string& name, T* target, std::vector<std::pair<std::string, T>> values,
            const std::string& help);

  // Parses `args` (without the program and subcommand names). Arguments
  // that are not flags are returned in order. Fails with InvalidArgument
  // on an unknown flag or a bad value; `help_requested()` is set by
  // --help/-h.
  [[nodiscard]] StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_requested_; }
  std::string Help() const;
  // Every flag (but repeatable ones) with its current value as text, in
  // the syntax it is given in ("15d", "512MiB", "interval"): what
  // /api/v1/status/flags shows.
  std::vector<std::pair<std::string, std::string>> Values() const;

  // Parse() for a subcommand that takes exactly `want` positional
  // arguments (kAnyCount: any number). Returns the exit code to return at
  // once — 0 after printing the help to stdout for --help, 2 after an
  // error on stderr — or nullopt to go on, with the positional arguments in
  // `*positional`. `what` names the arguments in the error ("one data
  // directory").
  static constexpr size_t kAnyCount = ~size_t{0};
  [[nodiscard]] std::optional<int> ParseCommand(const std::vector<std::string>& args, size_t want,
                                                std::string_view what,
                                                std::vector<std::string>* positional);
  // Prints "<command>: <message>" to stderr, the command being the usage
  // line's leading words ("strata import openmetrics"), and returns 2.
  int UsageError(std::string_view message) const;
  int UsageError(const Status& status) const;

 private:
  // How one flag reads its value and shows it. `set` gets the text after
  // `--name=` and returns an error that need not name the flag (Parse
  // prefixes "--name: ").
  struct Flag {
    Flag(std::string n, std::string h) : name(std::move(n)), help(std::move(h)) {}
    std::string name;
    std::string help;
    bool is_bool = false;
    bool repeatable = false;
    std::function<Status(const std::string&)> set;
    std::function<std::string()> show;
    std::string default_value;  // show() at declaration
  };
  void Add(Flag flag);
  const Flag* Find(const std::string& name) const;
  static Status EnumError(const std::string& value, const std::vector<std::string>& names);

  std::string usage_;
  std::string description_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

template <typename T>
void FlagParser::Enum(const std::string& name, T* target,
                      std::vector<std::pair<std::string, T>> values, const std::string& help) {
  std::vector<std::string> names;
  for (const auto& [n, v] : values) names.push_back(n);
  Flag f(name, help);
  f.set = [target, values, names](const std::string& text) -> Status {
    for (const auto& [n, v] : values) {
      if (n == text) {
        *target = v;
        return Status();
      }
    }
    return EnumError(text, names);
  };
  f.show = [target, values]() -> std::string {
    for (const auto& [n, v] : values) {
      if (v == *target) return n;
    }
    return "";
  };
  Add(std::move(f));
}

}  // namespace strata::tools

#endif  // STRATA_TOOLS_FLAG_PARSER_H_
