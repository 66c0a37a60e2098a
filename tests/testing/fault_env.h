// FaultEnv: an Env wrapper that injects the failures a storage engine must
// survive (LevelDB's db/fault_injection_test.cc).
//
//   - Power loss: it remembers how much of each file written through it was
//     synced, and which new files' directory entries were synced.
//     SetActive(false) freezes the file system as at the moment of a crash
//     (later writes and syncs are silently discarded, so a writer can be
//     destroyed without its Close() reaching the "disk"); DropUnsyncedData()
//     then cuts every file back to its last Sync() and removes files created
//     since their directory's last SyncDir().
//   - Write errors: SetWriteError(status) makes every Append/Flush/Sync fail
//     with `status` until cleared.
//   - A full disk: SetDiskLimit(n) lets n more bytes be appended in total;
//     the append that crosses the limit writes what fits and fails with
//     ResourceExhausted ("disk full"), like a short write(2).
//     SetDiskFree(n) is the same limit on a disk where removing, truncating
//     or replacing a file gives its bytes back, as a real file system does
//     (hard links are not tracked: removing one of two links frees the
//     bytes too).
//
// Renames are modelled as durable at once (a simplification).
// Part of strata_testing (tests/testing/).
//
// Thread-safety: safe for concurrent use; `base` must be too and must
// outlive the FaultEnv.
#ifndef STRATA_TESTS_TESTING_FAULT_ENV_H_
#define STRATA_TESTS_TESTING_FAULT_ENV_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "strata/env.h"

namespace strata::testing {

class FaultEnv final : public EnvWrapper {
 public:
  explicit FaultEnv(Env& base);

  // Power-loss model (see the file comment).
  void SetActive(bool active);
  bool active();
  // Cuts files back to what was synced. REQUIRES: no file object written
  // through this env is used afterwards.
  [[nodiscard]] Status DropUnsyncedData();

  // Failure injection. An OK status clears the error.
  void SetWriteError(Status status);
  void SetDiskLimit(std::optional<uint64_t> bytes);
  void SetDiskFree(std::optional<uint64_t> bytes);
  // Bytes that may still be appended; nullopt without a limit.
  std::optional<uint64_t> disk_left();
  // Makes Truncate fail (e.g. to test what happens when a failed write
  // cannot be undone).
  void SetTruncateError(Status status);
  // Makes Link fail, as across file systems (EXDEV).
  void SetLinkError(Status status);

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Status Link(const std::string& from, const std::string& to) override;

 private:
  class File;
  struct FileState {
    uint64_t synced_bytes = 0;
    bool entry_synced = false;  // the directory entry survives a power loss
  };

  StatusOr<std::unique_ptr<WritableFile>> Wrap(const std::string& path,
                                               StatusOr<std::unique_ptr<WritableFile>> file,
                                               bool created);
  // Checks active/error/limit for an append of `n` bytes: returns how many
  // may be written and the status to return after writing them.
  std::pair<uint64_t, Status> AdmitAppend(uint64_t n);
  Status CheckWrite();
  void RecordSync(const std::string& path, uint64_t size);
  // Bytes of the file `path`, or of every file below the directory `path`.
  uint64_t TreeBytes(const std::string& path);
  // With SetDiskFree, gives `bytes` back to the disk.
  void Reclaim(uint64_t bytes);

  Env& base_;
  Mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = true;
  Status write_error_ ABSL_GUARDED_BY(mu_);
  Status truncate_error_ ABSL_GUARDED_BY(mu_);
  Status link_error_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> disk_left_ ABSL_GUARDED_BY(mu_);
  bool reclaim_ ABSL_GUARDED_BY(mu_) = false;  // SetDiskFree rather than SetDiskLimit
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::testing

#endif  // STRATA_TESTS_TESTING_FAULT_ENV_H_
