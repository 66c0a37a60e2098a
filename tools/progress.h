// Progress of a long offline command (`strata verify`, `import`, ...) on
// standard error: one line rewritten in place ("verify: 12/40 blocks 30%"),
// at most five times a second, and only when standard error is a terminal,
// so that scripts and logs see nothing of it.
//
//   Progress progress("verify", "blocks", blocks.size());
//   for (...) { ...; progress.Add(1); }
//   progress.Done();
//
// Thread-safety: not thread-safe; one per command.
#ifndef STRATA_TOOLS_PROGRESS_H_
#define STRATA_TOOLS_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace strata::tools {

class Progress {
 public:
  // `total` 0: unknown, only the count is shown.
  Progress(std::string what, std::string unit, uint64_t total);
  ~Progress() { Done(); }

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(uint64_t n);
  // Clears the line. Idempotent.
  void Done();

 private:
  void Draw();

  const std::string what_;
  const std::string unit_;
  const uint64_t total_;
  const bool enabled_;
  uint64_t done_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace strata::tools

#endif  // STRATA_TOOLS_PROGRESS_H_
