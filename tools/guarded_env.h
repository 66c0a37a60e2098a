// An Env for the offline tools that read a data directory they must not
// change (`strata dump`, `strata export`): it forwards reads to a base Env
// (an EnvWrapper)
// and refuses every write outside one output directory with
// FailedPrecondition, so a tool cannot alter its source even if the engine
// tried to. It counts hard links into the output that worked and that
// failed (another file system: EXDEV), which engine::CloneBlock then copies.
//
// Thread-safety: as thread-safe as the base Env; the counters are atomic.
#ifndef STRATA_TOOLS_GUARDED_ENV_H_
#define STRATA_TOOLS_GUARDED_ENV_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/env.h"

namespace strata::tools {

class GuardedEnv final : public EnvWrapper {
 public:
  // `base` must outlive this Env. `writable_root` is the one directory
  // (with everything below it) that may be written; empty: none.
  GuardedEnv(Env& base, std::string writable_root);

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Status Link(const std::string& from, const std::string& to) override;
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  uint64_t files_linked() const { return linked_.load(); }
  // Links that failed; CloneBlock copies those files.
  uint64_t files_copied() const { return copied_.load(); }

 private:
  // OK if `path` is below the writable root, FailedPrecondition otherwise.
  Status CheckWritable(const std::string& path, const char* op) const;

  const std::string root_;  // absolute and normalized; empty: nothing writable
  std::atomic<uint64_t> linked_{0};
  std::atomic<uint64_t> copied_{0};
};

}  // namespace strata::tools

#endif  // STRATA_TOOLS_GUARDED_ENV_H_
