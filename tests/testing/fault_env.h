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
//   - Failed fsyncs: FailNextSyncs(n) makes the next n WritableFile::Sync()
//     calls fail with an I/O error (EIO), and models what Linux does then:
//     the file's dirty pages are dropped (marked clean), so the bytes
//     written since its last good sync are lost for good. A later Sync()
//     of the same file succeeds without bringing them back: after a power
//     loss they read as zeros (a hole), whatever was synced after them
//     survives. Before a power loss they still read back (the page cache
//     is not modelled). SyncDir is not affected.
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
  // The next `n` syncs of files whose path contains `path_part` fail and
  // lose the file's unsynced bytes (see the file comment); 0 clears.
  // failed_syncs() counts the failures injected so far.
  void FailNextSyncs(int n, std::string path_part = "");
  int failed_syncs();
  // Moves NowMillis() on by `ms` (a backoff can pass without sleeping).
  void AdvanceClock(int64_t ms);
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
  int64_t NowMillis() override;

 private:
  class File;
  struct FileState {
    uint64_t synced_bytes = 0;
    bool entry_synced = false;  // the directory entry survives a power loss
    // [from, to) byte ranges dropped by failed syncs: zeros after a power loss.
    std::vector<std::pair<uint64_t, uint64_t>> lost;
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
  // If a sync failure is due: records the loss of `path`'s bytes since its
  // last good sync up to `size`, and returns the error.
  Status TakeSyncFailure(const std::string& path, uint64_t size);
  // Overwrites [from, to) of `path` (clipped to its size) with zeros.
  Status ZeroRange(const std::string& path, uint64_t from, uint64_t to);

  Env& base_;
  Mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = true;
  Status write_error_ ABSL_GUARDED_BY(mu_);
  Status truncate_error_ ABSL_GUARDED_BY(mu_);
  Status link_error_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> disk_left_ ABSL_GUARDED_BY(mu_);
  bool reclaim_ ABSL_GUARDED_BY(mu_) = false;  // SetDiskFree rather than SetDiskLimit
  int syncs_to_fail_ ABSL_GUARDED_BY(mu_) = 0;
  std::string sync_fail_path_part_ ABSL_GUARDED_BY(mu_);
  int64_t clock_offset_ms_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::testing

#endif  // STRATA_TESTS_TESTING_FAULT_ENV_H_
