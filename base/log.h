// The process's structured log: one line per event on standard error, in
// Prometheus' formats, so the same tools read Strata's log and Prometheus'.
//
// logfmt (the default), then json:
//
//   level=info ts=2026-12-07T22:09:34.123Z caller=serve.cc:42 msg=Listening address=127.0.0.1:9201
//   {"level":"info","ts":"2026-12-07T22:09:34.123Z","caller":"serve.cc:42","msg":"Listening",...}
//
// Every module logs through it (base/ is below all of them), so with
// `strata serve --log.format=json` every line the process writes to stderr
// is JSON, whichever module wrote it.
//
//   log::Info("Listening", {{"address", addr}});
//   log::Error("compaction failed", {{"err", status}});
//
// Abseil's absl/log is not in Debian 12's Abseil (20220623), hence our own.
// Values are escaped: logfmt quotes a value with spaces, quotes, '=' or
// control characters (Go's strconv.Quote style escapes), JSON escapes as
// RFC 8259 and replaces invalid UTF-8.
//
// Thread-safety: Logger is safe for concurrent use; each line is written
// with one write(2), so lines from many threads never interleave. Level
// and format may change while others log.
#ifndef STRATA_BASE_LOG_H_
#define STRATA_BASE_LOG_H_

#include <atomic>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kLogfmt, kJson };

// "debug", "info", "warn", "error".
std::string_view LevelName(Level level);

// One key=value pair of a line. The value is kept as text; the
// constructors turn numbers, booleans and a Status (its message) into it.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <std::integral T>
  Field(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);
  Field(std::string_view k, const Status& s) : key(k), value(s.message()) {}

  std::string_view key;
  std::string value;
};

using Fields = std::initializer_list<Field>;

class Logger {
 public:
  // Receives each finished line, '\n' included. Called concurrently
  // from logging threads.
  using Sink = std::function<void(std::string_view line)>;

  // Writes to standard error.
  Logger();
  // Writes to `sink` (tests).
  explicit Logger(Sink sink);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void set_level(Level level) { level_.store(level, std::memory_order_relaxed); }
  void set_format(Format format) { format_.store(format, std::memory_order_relaxed); }
  Level level() const { return level_.load(std::memory_order_relaxed); }
  Format format() const { return format_.load(std::memory_order_relaxed); }
  bool Enabled(Level level) const { return level >= this->level(); }

  // Writes one line if `level` is enabled. The caller becomes
  // "<file name>:<line>" (the directories are left out, as Prometheus does).
  // The call site comes from the compilers' builtins rather than
  // std::source_location, which clang 14 (the fuzz and sanitizer build)
  // lacks with Debian's libstdc++ 12.
  void Log(Level level, std::string_view msg, Fields fields, const char* file = __builtin_FILE(),
           int line = __builtin_LINE()) {
    if (Enabled(level)) LogAt(level, file, line, msg, fields);
  }
  // Log with the caller given as file and line (STRATA_CHECK's).
  void LogAt(Level level, std::string_view file, int line, std::string_view msg, Fields fields);

  // The line Log would write at time `ts` (RFC 3339 text), in the current
  // format, '\n' included.
  std::string FormatLine(Level level, std::string_view ts, std::string_view file, int line,
                         std::string_view msg, Fields fields) const;

 private:
  Sink sink_;  // empty: stderr
  std::atomic<Level> level_{Level::kInfo};
  std::atomic<Format> format_{Format::kLogfmt};
};

// The process-wide logger (stderr, logfmt, info). Never null; never
// destroyed. `strata serve` sets its level and format from flags.
Logger& Default();

inline void Debug(std::string_view msg, Fields fields = {}, const char* file = __builtin_FILE(),
                  int line = __builtin_LINE()) {
  Default().Log(Level::kDebug, msg, fields, file, line);
}
inline void Info(std::string_view msg, Fields fields = {}, const char* file = __builtin_FILE(),
                 int line = __builtin_LINE()) {
  Default().Log(Level::kInfo, msg, fields, file, line);
}
inline void Warn(std::string_view msg, Fields fields = {}, const char* file = __builtin_FILE(),
                 int line = __builtin_LINE()) {
  Default().Log(Level::kWarn, msg, fields, file, line);
}
inline void Error(std::string_view msg, Fields fields = {}, const char* file = __builtin_FILE(),
                  int line = __builtin_LINE()) {
  Default().Log(Level::kError, msg, fields, file, line);
}

}  // namespace strata::log

#endif  // STRATA_BASE_LOG_H_
