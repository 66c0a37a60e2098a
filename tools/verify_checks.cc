// Findings and the helpers the checks share (verify_checks.h).
#include "tools/verify_checks.h"

#include <cctype>

#include "base/strings.h"
#include "engine/filenames.h"

namespace strata::tools::verify {

std::string FormatFinding(const Finding& f) {
  std::string out = f.severity == Severity::kWarning ? "warning: " : "";
  StrAppend(&out, f.file, ": ");
  if (f.offset >= 0) StrAppend(&out, "offset ", f.offset, ": ");
  out += f.message;
  return out;
}

void Findings::Add(Severity severity, const std::string& file, int64_t offset,
                   std::string message) {
  (severity == Severity::kProblem ? problems_ : warnings_) += 1;
  if (++per_file_[file] > kMaxDetailsPerFile) {
    ++omitted_[file];
    return;
  }
  list_.push_back(Finding{severity, file, offset, std::move(message)});
}

bool SplitLocated(std::string_view message, int64_t* offset, std::string_view* what) {
  static constexpr std::string_view kOffset = "offset ";
  for (size_t at = message.find(kOffset); at != std::string_view::npos;
       at = message.find(kOffset, at + 1)) {
    const size_t begin = at + kOffset.size();
    size_t end = begin;
    int64_t n = 0;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) {
      n = n * 10 + (message[end] - '0');
      ++end;
    }
    if (end > begin && message.substr(end, 2) == ": ") {
      *offset = n;
      *what = message.substr(end + 2);
      return true;
    }
  }
  return false;
}

void Findings::AddLocated(Severity severity, const std::string& file, std::string_view message) {
  int64_t offset;
  std::string_view what;
  if (SplitLocated(message, &offset, &what)) {
    Add(severity, file, offset, std::string(what));
  } else {
    Add(severity, file, -1, std::string(message));
  }
}

void Findings::Finish() {
  for (const auto& [file, n] : omitted_) {
    list_.push_back(
        Finding{Severity::kProblem, file, -1, StrCat(n, " more findings in this file not shown")});
  }
  omitted_.clear();
}

uint64_t BytesToCheck(Env& env, const std::string& root, const std::vector<std::string>& blocks) {
  uint64_t total = 0;
  const auto add_dir = [&](const std::string& dir) {
    StatusOr<std::vector<std::string>> children = env.GetChildren(dir);
    if (!children.ok()) return;
    for (const std::string& c : *children) {
      StatusOr<uint64_t> size = env.GetFileSize(engine::JoinPath(dir, c));
      if (size.ok()) total += *size;
    }
  };
  for (const std::string& b : blocks) {
    const std::string dir = engine::JoinPath(root, b);
    add_dir(dir);
    add_dir(engine::JoinPath(dir, engine::kBlockChunksDir));
  }
  add_dir(engine::JoinPath(root, engine::kWalDir));
  add_dir(engine::JoinPath(root, engine::kHeadChunksDir));
  return total;
}

}  // namespace strata::tools::verify
