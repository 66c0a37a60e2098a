// MemEnv (see mem_env.h).
#include "tests/testing/mem_env.h"

#include <chrono>

#include "base/strings.h"

namespace strata::testing {

struct MemEnv::FileData {
  Mutex mu;
  std::string data ABSL_GUARDED_BY(mu);
};

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

Status NotFound(std::string_view op, const std::string& path) {
  return absl::NotFoundError(StrCat(op, " ", path, ": No such file or directory"));
}

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<MemEnv::FileData> file)
      : path_(std::move(path)), file_(std::move(file)) {}

  Status Append(std::string_view data) override {
    if (closed_) return Closed();
    MutexLock l(&file_->mu);
    file_->data.append(data);
    return absl::OkStatus();
  }
  Status Flush() override { return closed_ ? Closed() : absl::OkStatus(); }
  Status Sync() override { return closed_ ? Closed() : absl::OkStatus(); }
  Status Close() override {
    if (closed_) return Closed();
    closed_ = true;
    return absl::OkStatus();
  }
  uint64_t size() const override {
    MutexLock l(&file_->mu);
    return file_->data.size();
  }

 private:
  Status Closed() const { return absl::FailedPreconditionError(StrCat(path_, " is closed")); }

  const std::string path_;
  const std::shared_ptr<MemEnv::FileData> file_;
  bool closed_ = false;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<MemEnv::FileData> file) : file_(std::move(file)) {}

  StatusOr<std::string_view> Read(uint64_t offset, size_t n, char* scratch) const override {
    MutexLock l(&file_->mu);
    if (offset >= file_->data.size()) return std::string_view(scratch, 0);
    size_t len = std::min<uint64_t>(n, file_->data.size() - offset);
    file_->data.copy(scratch, len, offset);
    return std::string_view(scratch, len);
  }
  StatusOr<uint64_t> Size() const override {
    MutexLock l(&file_->mu);
    return file_->data.size();
  }

 private:
  const std::shared_ptr<MemEnv::FileData> file_;
};

class MemMappedFile final : public MappedFile {
 public:
  explicit MemMappedFile(std::string data) : data_(std::move(data)) {}
  std::string_view data() const override { return data_; }

 private:
  const std::string data_;
};

}  // namespace

class MemEnv::Lock final : public FileLock {
 public:
  Lock(MemEnv* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~Lock() override { env_->Unlock(path_); }

 private:
  MemEnv* const env_;
  const std::string path_;
};

MemEnv::MemEnv() = default;
MemEnv::~MemEnv() = default;

bool MemEnv::ParentExistsLocked(const std::string& path) const {
  const std::string parent = Parent(path);
  return parent.empty() || dirs_.count(parent) > 0;
}

StatusOr<std::shared_ptr<MemEnv::FileData>> MemEnv::OpenLocked(const std::string& path,
                                                               bool truncate) {
  if (dirs_.count(path))
    return absl::FailedPreconditionError(StrCat("open ", path, ": Is a directory"));
  if (!ParentExistsLocked(path)) return NotFound("open", path);
  auto& file = files_[path];
  if (!file) file = std::make_shared<FileData>();
  if (truncate) {
    MutexLock l(&file->mu);
    file->data.clear();
  }
  return file;
}

StatusOr<std::shared_ptr<MemEnv::FileData>> MemEnv::Find(const std::string& path) {
  MutexLock l(&mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("open", path);
  return it->second;
}

StatusOr<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  MutexLock l(&mu_);
  auto file = OpenLocked(path, true);
  if (!file.ok()) return file.status();
  return std::make_unique<MemWritableFile>(path, *std::move(file));
}

StatusOr<std::unique_ptr<WritableFile>> MemEnv::NewAppendableFile(const std::string& path) {
  MutexLock l(&mu_);
  auto file = OpenLocked(path, false);
  if (!file.ok()) return file.status();
  return std::make_unique<MemWritableFile>(path, *std::move(file));
}

StatusOr<std::unique_ptr<RandomAccessFile>> MemEnv::NewRandomAccessFile(const std::string& path) {
  auto file = Find(path);
  if (!file.ok()) return file.status();
  return std::make_unique<MemRandomAccessFile>(*std::move(file));
}

StatusOr<std::unique_ptr<MappedFile>> MemEnv::MapFile(const std::string& path) {
  auto file = Find(path);
  if (!file.ok()) return file.status();
  MutexLock l(&(*file)->mu);
  return std::make_unique<MemMappedFile>((*file)->data);
}

bool MemEnv::FileExists(const std::string& path) {
  MutexLock l(&mu_);
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

StatusOr<uint64_t> MemEnv::GetFileSize(const std::string& path) {
  auto file = Find(path);
  if (!file.ok()) return file.status();
  MutexLock l(&(*file)->mu);
  return (*file)->data.size();
}

StatusOr<std::vector<std::string>> MemEnv::GetChildren(const std::string& dir) {
  MutexLock l(&mu_);
  if (!dirs_.count(dir)) return NotFound("opendir", dir);
  std::vector<std::string> names;
  for (const auto& [path, file] : files_) {
    if (Parent(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  for (const std::string& d : dirs_) {
    if (Parent(d) == dir) names.push_back(d.substr(dir.size() + 1));
  }
  return names;
}

bool MemEnv::IsDirectory(const std::string& path) {
  MutexLock l(&mu_);
  return dirs_.count(path) > 0;
}

Status MemEnv::CreateDirs(const std::string& dir) {
  MutexLock l(&mu_);
  for (std::string d = dir; !d.empty(); d = Parent(d)) {
    if (files_.count(d)) return absl::AlreadyExistsError(StrCat("mkdir ", d, ": File exists"));
    dirs_.insert(d);
  }
  return absl::OkStatus();
}

Status MemEnv::RemoveFile(const std::string& path) {
  MutexLock l(&mu_);
  if (files_.erase(path) == 0) return NotFound("unlink", path);
  return absl::OkStatus();
}

Status MemEnv::RemoveAll(const std::string& path) {
  MutexLock l(&mu_);
  files_.erase(path);
  dirs_.erase(path);
  std::erase_if(files_, [&](const auto& e) { return IsUnder(e.first, path); });
  std::erase_if(dirs_, [&](const std::string& d) { return IsUnder(d, path); });
  return absl::OkStatus();
}

Status MemEnv::Rename(const std::string& from, const std::string& to) {
  MutexLock l(&mu_);
  if (!ParentExistsLocked(to)) return NotFound("rename", to);
  if (auto it = files_.find(from); it != files_.end()) {
    if (dirs_.count(to))
      return absl::FailedPreconditionError(StrCat("rename ", to, ": Is a directory"));
    auto file = it->second;
    files_.erase(it);
    files_[to] = std::move(file);
    return absl::OkStatus();
  }
  if (!dirs_.count(from)) return NotFound("rename", from);
  if (files_.count(to))
    return absl::FailedPreconditionError(StrCat("rename ", to, ": Not a directory"));
  for (const auto& [path, file] : files_) {
    if (IsUnder(path, to))
      return absl::FailedPreconditionError(StrCat("rename ", to, ": Directory not empty"));
  }
  std::map<std::string, std::shared_ptr<FileData>> moved_files;
  std::erase_if(files_, [&](const auto& e) {
    if (!IsUnder(e.first, from)) return false;
    moved_files[to + e.first.substr(from.size())] = e.second;
    return true;
  });
  std::set<std::string> moved_dirs;
  std::erase_if(dirs_, [&](const std::string& d) {
    if (d != from && !IsUnder(d, from)) return false;
    moved_dirs.insert(to + d.substr(from.size()));
    return true;
  });
  files_.merge(moved_files);
  dirs_.merge(moved_dirs);
  return absl::OkStatus();
}

Status MemEnv::Truncate(const std::string& path, uint64_t size) {
  auto file = Find(path);
  if (!file.ok()) return file.status();
  MutexLock l(&(*file)->mu);
  (*file)->data.resize(size, '\0');
  return absl::OkStatus();
}

Status MemEnv::SyncDir(const std::string& dir) {
  MutexLock l(&mu_);
  if (!dirs_.count(dir)) return NotFound("fsync", dir);
  return absl::OkStatus();
}

Status MemEnv::Link(const std::string& from, const std::string& to) {
  MutexLock l(&mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return NotFound("link", from);
  if (files_.count(to) || dirs_.count(to))
    return absl::AlreadyExistsError(StrCat("link ", to, ": File exists"));
  if (!ParentExistsLocked(to)) return NotFound("link", to);
  files_[to] = it->second;
  return absl::OkStatus();
}

StatusOr<std::unique_ptr<FileLock>> MemEnv::LockFile(const std::string& path) {
  MutexLock l(&mu_);
  if (locks_.count(path)) {
    return absl::FailedPreconditionError(StrCat("lock ", path, ": held by another owner"));
  }
  auto file = OpenLocked(path, false);
  if (!file.ok()) return file.status();
  locks_.insert(path);
  return std::make_unique<Lock>(this, path);
}

void MemEnv::Unlock(const std::string& path) {
  MutexLock l(&mu_);
  locks_.erase(path);
}

int64_t MemEnv::NowMillis() {
  if (const int64_t set = now_ms_.load(std::memory_order_relaxed); set != INT64_MIN) return set;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void MemEnv::SetNowMillis(std::optional<int64_t> now_ms) {
  now_ms_.store(now_ms.value_or(INT64_MIN), std::memory_order_relaxed);
}

void MemEnv::AdvanceMillis(int64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }

StatusOr<std::string> MemEnv::Contents(const std::string& path) {
  auto file = Find(path);
  if (!file.ok()) return file.status();
  MutexLock l(&(*file)->mu);
  return (*file)->data;
}

Status MemEnv::SetContents(const std::string& path, std::string data) {
  auto file = Find(path);
  if (!file.ok()) return file.status();
  MutexLock l(&(*file)->mu);
  (*file)->data = std::move(data);
  return absl::OkStatus();
}

}  // namespace strata::testing
