#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>

namespace strata::tools {

Progress::Progress(std::string what, std::string unit, uint64_t total)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1),
      last_draw_(std::chrono::steady_clock::now()) {}

void Progress::Add(uint64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // Nothing shows for the first second, so quick commands stay quiet.
  if (now - last_draw_ < std::chrono::milliseconds(drawn_ ? 200 : 1000)) return;
  last_draw_ = now;
  Draw();
}

void Progress::Draw() {
  if (total_ > 0) {
    std::fprintf(stderr, "\r%s: %llu/%llu %s %3.0f%%\033[K", what_.c_str(),
                 static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                 unit_.c_str(), 100.0 * static_cast<double>(done_) / static_cast<double>(total_));
  } else {
    std::fprintf(stderr, "\r%s: %llu %s\033[K", what_.c_str(),
                 static_cast<unsigned long long>(done_), unit_.c_str());
  }
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Done() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace strata::tools
