// Command-line flags for `strata` subcommands, in Prometheus' style:
// `--name=value` or `--name value`, names may contain dots
// (`--storage.path`), booleans as `--flag` / `--flag=false`. Each
// subcommand declares its flags, so `--help` documents every one and an
// unknown flag is an error that names it.
//
// Thread-safety: not thread-safe; used once at start-up.
#ifndef STRATA_TOOLS_FLAG_PARSER_H_
#define STRATA_TOOLS_FLAG_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata::tools {

class FlagParser {
 public:
  // `usage` is the first line of --help, e.g. "strata chunk-stats [flags]".
  FlagParser(std::string usage, std::string description);

  // Declares a flag; `*target` holds its default and receives its value.
  // The pointers must outlive Parse().
  void String(const std::string& name, std::string* target, const std::string& help);
  void Int(const std::string& name, int64_t* target, const std::string& help);
  void Double(const std::string& name, double* target, const std::string& help);
  void Bool(const std::string& name, bool* target, const std::string& help);
  // A flag that may be given many times (`--match a --match b`); each use
  // appends its value to `*target`.
  void StringList(const std::string& name, std::vector<std::string>* target,
                  const std::string& help);

  // Parses `args` (without the program and subcommand names). Arguments
  // that are not flags are returned in order. Fails with InvalidArgument
  // on an unknown flag or a bad value; `help_requested()` is set by
  // --help/-h.
  [[nodiscard]] StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_requested_; }
  std::string Help() const;

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
  enum class Kind { kString, kInt, kDouble, kBool, kStringList };
  struct Flag {
    std::string name;
    Kind kind;
    void* target;
    std::string help;
    std::string default_value;
  };
  [[nodiscard]] Status Set(const Flag& flag, const std::string& value);
  const Flag* Find(const std::string& name) const;

  std::string usage_;
  std::string description_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

}  // namespace strata::tools

#endif  // STRATA_TOOLS_FLAG_PARSER_H_
