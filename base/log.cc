#include "base/log.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "base/json.h"

namespace strata::log {
namespace {

// go-logfmt quotes a value holding a rune <= ' ', '=', '"' or invalid
// UTF-8; we quote on any byte >= 0x7f too, which keeps valid UTF-8 readable
// and only adds quotes.
bool NeedsQuotes(std::string_view v) {
  for (unsigned char c : v) {
    if (c <= ' ' || c == '=' || c == '"' || c == 0x7f) return true;
  }
  return false;
}

void AppendLogfmtValue(std::string* out, std::string_view v) {
  if (!NeedsQuotes(v)) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < ' ' || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "\\u%04x", c);
          out->append(hex);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// A logfmt key: printable, no '=', '"' or space (such bytes become '_'),
// never empty.
void AppendLogfmtKey(std::string* out, std::string_view k) {
  if (k.empty()) {
    out->append("_");
    return;
  }
  for (unsigned char c : k) {
    out->push_back(c <= ' ' || c == '=' || c == '"' || c >= 0x7f ? '_' : static_cast<char>(c));
  }
}

std::string NowRfc3339() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[48];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", ts.tv_nsec / 1000000);
  return buf;
}

void WriteStderr(std::string_view line) {
  // One write(2) per line (stderr is a pipe or a file: a line fits in one
  // atomic write up to PIPE_BUF and is never split by our own threads'
  // stdio buffers); loop only on a short write.
  while (!line.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing stderr
    line.remove_prefix(static_cast<size_t>(n));
  }
}

std::string_view BaseName(std::string_view file) {
  const size_t slash = file.rfind('/');
  return slash == std::string_view::npos ? file : file.substr(slash + 1);
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

Field::Field(std::string_view k, double v) : key(k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  value = buf;
}

Logger::Logger() = default;
Logger::Logger(Sink sink) : sink_(std::move(sink)) {}

std::string Logger::FormatLine(Level level, std::string_view ts, std::string_view file, int line,
                               std::string_view msg, Fields fields) const {
  std::string caller(BaseName(file));
  caller.push_back(':');
  caller.append(std::to_string(line));
  std::string out;
  out.reserve(96 + msg.size());
  if (format() == Format::kJson) {
    out.append("{\"level\":\"");
    out.append(LevelName(level));
    out.append("\",\"ts\":");
    AppendJsonString(&out, ts);
    out.append(",\"caller\":");
    AppendJsonString(&out, caller);
    out.append(",\"msg\":");
    AppendJsonString(&out, msg);
    for (const Field& f : fields) {
      out.push_back(',');
      AppendJsonString(&out, f.key);
      out.push_back(':');
      AppendJsonString(&out, f.value);
    }
    out.append("}\n");
    return out;
  }
  out.append("level=");
  out.append(LevelName(level));
  out.append(" ts=");
  AppendLogfmtValue(&out, ts);
  out.append(" caller=");
  AppendLogfmtValue(&out, caller);
  out.append(" msg=");
  AppendLogfmtValue(&out, msg);
  for (const Field& f : fields) {
    out.push_back(' ');
    AppendLogfmtKey(&out, f.key);
    out.push_back('=');
    AppendLogfmtValue(&out, f.value);
  }
  out.push_back('\n');
  return out;
}

void Logger::LogAt(Level level, std::string_view file, int line, std::string_view msg,
                   Fields fields) {
  if (!Enabled(level)) return;
  const std::string text = FormatLine(level, NowRfc3339(), file, line, msg, fields);
  if (sink_) {
    sink_(text);
  } else {
    WriteStderr(text);
  }
}

Logger& Default() {
  static Logger* const logger = new Logger();
  return *logger;
}

}  // namespace strata::log
