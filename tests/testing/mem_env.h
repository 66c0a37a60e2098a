// MemEnv: an Env whose files and directories live in memory.
//
// Tests use it instead of Env::Default() to run without touching the disk,
// and as the base of FaultEnv (fault_env.h). It behaves like the POSIX Env
// where tests can tell: paths are '/'-separated strings, a file needs its
// parent directory, a missing file is NotFound, Rename is atomic and
// replaces a file, hard links share contents, and a mapping is a snapshot
// that stays valid after the file changes or is deleted. Data is "durable"
// as soon as it is appended (FaultEnv adds the power-loss model).
//
// Part of the strata_testing library (tests/testing/), shared by every
// module's tests (LevelDB's helpers/memenv).
//
// Thread-safety: safe for concurrent use, like every Env. File objects
// follow env.h: one owner each.
#ifndef STRATA_TESTS_TESTING_MEM_ENV_H_
#define STRATA_TESTS_TESTING_MEM_ENV_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "strata/env.h"

namespace strata::testing {

class MemEnv final : public Env {
 public:
  MemEnv();
  ~MemEnv() override;

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  StatusOr<std::unique_ptr<MappedFile>> MapFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  bool IsDirectory(const std::string& path) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Status Link(const std::string& from, const std::string& to) override;
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  // The real clock, or the time SetNowMillis set (for tests that need to
  // control it; FaultEnv passes it through).
  int64_t NowMillis() override;
  void SetNowMillis(std::optional<int64_t> now_ms);
  void AdvanceMillis(int64_t ms);

  // Test helpers: the whole contents of `path`, and replacing them (for
  // damaging files on purpose). NotFound if `path` is not a file.
  [[nodiscard]] StatusOr<std::string> Contents(const std::string& path);
  [[nodiscard]] Status SetContents(const std::string& path, std::string data);

  struct FileData;  // shared by the env and the open file objects

 private:
  class Lock;

  StatusOr<std::shared_ptr<FileData>> OpenLocked(const std::string& path, bool truncate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  StatusOr<std::shared_ptr<FileData>> Find(const std::string& path);
  bool ParentExistsLocked(const std::string& path) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unlock(const std::string& path);

  Mutex mu_;
  std::map<std::string, std::shared_ptr<FileData>> files_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirs_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> locks_ ABSL_GUARDED_BY(mu_);
  // INT64_MIN: the real clock.
  std::atomic<int64_t> now_ms_{INT64_MIN};
};

}  // namespace strata::testing

#endif  // STRATA_TESTS_TESTING_MEM_ENV_H_
