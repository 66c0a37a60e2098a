// Env: every file-system and clock operation Strata performs.
//
// All file I/O in Strata goes through an Env so that tests can swap the
// operating system for an in-memory one, or for one that loses unsynced
// data, fails writes or fills up (LevelDB's env.h and memenv). Env::Default()
// is the POSIX implementation; embedders may pass their own in Options.
//
// Errors: every failure is a Status whose message names the path and the
// operation ("open wal/00000003: No such file or directory"). A missing
// file is NotFound; a full disk is ResourceExhausted; other OS errors are
// Internal or FailedPrecondition as errno suggests.
//
// Thread-safety: an Env is safe for concurrent use. A file object is not:
// its owner serialises calls to it (a mapping's bytes may be read by many
// threads at once).
#ifndef STRATA_ENV_H_
#define STRATA_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

// A file open for appending. Data reaches the OS on Flush() and stable
// storage on Sync(); what was not synced may be lost by a power failure.
class WritableFile {
 public:
  WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;
  virtual ~WritableFile() = default;

  // Appends `data` at the end of the file (possibly buffered).
  [[nodiscard]] virtual Status Append(std::string_view data) = 0;
  // Hands buffered data to the operating system.
  [[nodiscard]] virtual Status Flush() = 0;
  // Flushes and makes the file's contents durable (fdatasync).
  [[nodiscard]] virtual Status Sync() = 0;
  // Flushes and closes. Further calls fail with FailedPrecondition.
  [[nodiscard]] virtual Status Close() = 0;
  // Bytes in the file, including those still buffered.
  virtual uint64_t size() const = 0;
};

// A file open for positional reads.
class RandomAccessFile {
 public:
  RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;
  virtual ~RandomAccessFile() = default;

  // Reads up to `n` bytes at `offset` into `scratch` (which must hold `n`
  // bytes) and returns a view of what was read: shorter than `n` only at the
  // end of the file. The view is valid while `scratch` is.
  [[nodiscard]] virtual StatusOr<std::string_view> Read(uint64_t offset, size_t n,
                                                        char* scratch) const = 0;
  // Current size of the file in bytes.
  [[nodiscard]] virtual StatusOr<uint64_t> Size() const = 0;
};

// A read-only memory mapping of a whole file. The bytes stay valid until
// the mapping is destroyed, even if the file is deleted meanwhile.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  virtual ~MappedFile() = default;

  virtual std::string_view data() const = 0;
};

// An advisory lock on a file, released when destroyed.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock() = default;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never null; never destroyed.
  static Env* Default();

  // Creates `path` (truncating an existing file) for writing.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens `path` for appending, creating it if missing.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  [[nodiscard]] virtual StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Maps `path` read-only. An empty file maps to an empty view.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<MappedFile>> MapFile(const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  [[nodiscard]] virtual StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of the entries of directory `dir`, without "." and
  // "..", in no particular order.
  [[nodiscard]] virtual StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  // True if `path` exists and is a directory.
  virtual bool IsDirectory(const std::string& path) = 0;
  // Creates `dir` and any missing parents; an existing directory is OK.
  [[nodiscard]] virtual Status CreateDirs(const std::string& dir) = 0;
  [[nodiscard]] virtual Status RemoveFile(const std::string& path) = 0;
  // Removes `path` and everything below it; a missing path is OK.
  [[nodiscard]] virtual Status RemoveAll(const std::string& path) = 0;
  // Atomically renames `from` to `to`, replacing `to` if it is a file or an
  // empty directory.
  [[nodiscard]] virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Cuts `path` to `size` bytes.
  [[nodiscard]] virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // Makes the entries of directory `dir` durable (fsync on the directory),
  // which a crash-safe create or rename needs.
  [[nodiscard]] virtual Status SyncDir(const std::string& dir) = 0;
  // Creates a hard link `to` of file `from` (snapshots).
  [[nodiscard]] virtual Status Link(const std::string& from, const std::string& to) = 0;
  // Takes an exclusive advisory lock on `path`, creating it if needed.
  // Fails with FailedPrecondition if another process holds it.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Wall-clock time in milliseconds since the Unix epoch.
  virtual int64_t NowMillis() = 0;
};

// An Env that forwards every call to a target Env (LevelDB's EnvWrapper).
// A test or guard Env derives from it and overrides only what it changes,
// so a new Env method reaches every wrapper without touching it.
//
// Thread-safety: as the target's. The target must outlive the wrapper.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env& target) : target_(target) {}

  Env& target() const { return target_; }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return target_.NewWritableFile(path);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return target_.NewAppendableFile(path);
  }
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return target_.NewRandomAccessFile(path);
  }
  StatusOr<std::unique_ptr<MappedFile>> MapFile(const std::string& path) override {
    return target_.MapFile(path);
  }
  bool FileExists(const std::string& path) override { return target_.FileExists(path); }
  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return target_.GetFileSize(path);
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return target_.GetChildren(dir);
  }
  bool IsDirectory(const std::string& path) override { return target_.IsDirectory(path); }
  Status CreateDirs(const std::string& dir) override { return target_.CreateDirs(dir); }
  Status RemoveFile(const std::string& path) override { return target_.RemoveFile(path); }
  Status RemoveAll(const std::string& path) override { return target_.RemoveAll(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return target_.Rename(from, to);
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    return target_.Truncate(path, size);
  }
  Status SyncDir(const std::string& dir) override { return target_.SyncDir(dir); }
  Status Link(const std::string& from, const std::string& to) override {
    return target_.Link(from, to);
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return target_.LockFile(path);
  }
  int64_t NowMillis() override { return target_.NowMillis(); }

 private:
  Env& target_;
};

// Reads the whole of `path` into a string.
[[nodiscard]] StatusOr<std::string> ReadFileToString(Env& env, const std::string& path);

// Writes `data` to `path` so that a crash leaves either the old file or the
// new one, never a mix: writes `path.tmp`, syncs it, renames it over `path`
// and syncs the directory (the sequence of Prometheus' compact.go).
[[nodiscard]] Status WriteFileAtomic(Env& env, const std::string& path, std::string_view data);

}  // namespace strata

#endif  // STRATA_ENV_H_
