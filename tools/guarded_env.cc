#include "tools/guarded_env.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "base/status_macros.h"
#include "base/strings.h"

namespace strata::tools {
namespace {

// Absolute, lexically normalized, without a trailing slash.
std::string Normalize(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) p = path;
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

GuardedEnv::GuardedEnv(Env& base, std::string writable_root)
    : EnvWrapper(base), root_(writable_root.empty() ? "" : Normalize(writable_root)) {}

Status GuardedEnv::CheckWritable(const std::string& path, const char* op) const {
  const std::string p = Normalize(path);
  if (!root_.empty() && (p == root_ || (p.starts_with(root_) && p[root_.size()] == '/'))) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      StrCat(op, " ", path, ": refused, the source directory is opened read-only"));
}

StatusOr<std::unique_ptr<WritableFile>> GuardedEnv::NewWritableFile(const std::string& path) {
  STRATA_RETURN_IF_ERROR(CheckWritable(path, "create"));
  return target().NewWritableFile(path);
}

StatusOr<std::unique_ptr<WritableFile>> GuardedEnv::NewAppendableFile(const std::string& path) {
  STRATA_RETURN_IF_ERROR(CheckWritable(path, "append to"));
  return target().NewAppendableFile(path);
}

Status GuardedEnv::CreateDirs(const std::string& dir) {
  if (target().IsDirectory(dir)) return absl::OkStatus();
  STRATA_RETURN_IF_ERROR(CheckWritable(dir, "create directory"));
  return target().CreateDirs(dir);
}

Status GuardedEnv::RemoveFile(const std::string& path) {
  STRATA_RETURN_IF_ERROR(CheckWritable(path, "remove"));
  return target().RemoveFile(path);
}

Status GuardedEnv::RemoveAll(const std::string& path) {
  STRATA_RETURN_IF_ERROR(CheckWritable(path, "remove"));
  return target().RemoveAll(path);
}

Status GuardedEnv::Rename(const std::string& from, const std::string& to) {
  STRATA_RETURN_IF_ERROR(CheckWritable(from, "rename"));
  STRATA_RETURN_IF_ERROR(CheckWritable(to, "rename to"));
  return target().Rename(from, to);
}

Status GuardedEnv::Truncate(const std::string& path, uint64_t size) {
  STRATA_RETURN_IF_ERROR(CheckWritable(path, "truncate"));
  return target().Truncate(path, size);
}

Status GuardedEnv::SyncDir(const std::string& dir) {
  // Syncing changes nothing in the directory; only do it where we write.
  if (!CheckWritable(dir, "sync").ok()) return absl::OkStatus();
  return target().SyncDir(dir);
}

Status GuardedEnv::Link(const std::string& from, const std::string& to) {
  STRATA_RETURN_IF_ERROR(CheckWritable(to, "link"));
  Status s = target().Link(from, to);
  (s.ok() ? linked_ : copied_).fetch_add(1);
  return s;
}

StatusOr<std::unique_ptr<FileLock>> GuardedEnv::LockFile(const std::string& path) {
  STRATA_RETURN_IF_ERROR(CheckWritable(path, "lock"));
  return target().LockFile(path);
}

}  // namespace strata::tools
