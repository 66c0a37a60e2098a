// FaultEnv (see fault_env.h).
#include "tests/testing/fault_env.h"

#include <algorithm>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"

namespace strata::testing {

// A file written through the FaultEnv: applies its faults, then forwards.
class FaultEnv::File final : public WritableFile {
 public:
  File(FaultEnv& env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    auto [n, status] = env_.AdmitAppend(data.size());
    if (n > 0) {
      Status s = base_->Append(data.substr(0, n));
      if (!s.ok()) return s;
    }
    return status;
  }
  Status Flush() override {
    Status s = env_.CheckWrite();
    return s.ok() && env_.active() ? base_->Flush() : s;
  }
  Status Sync() override {
    Status s = env_.CheckWrite();
    if (!s.ok() || !env_.active()) return s;
    s = env_.TakeSyncFailure(path_, base_->size());
    if (!s.ok()) return s;
    s = base_->Sync();
    if (s.ok()) env_.RecordSync(path_, base_->size());
    return s;
  }
  Status Close() override {
    // After a crash the final flush must not reach the base file.
    if (!env_.active()) return absl::OkStatus();
    return base_->Close();
  }
  uint64_t size() const override { return base_->size(); }

 private:
  FaultEnv& env_;
  const std::string path_;
  const std::unique_ptr<WritableFile> base_;
};

namespace {

// Forgets lost bytes at or beyond `size` (cut off, or never written).
template <typename State>
void ClipLost(State* state, uint64_t size) {
  std::erase_if(state->lost, [&](const auto& r) { return r.first >= size; });
  for (auto& r : state->lost) r.second = std::min(r.second, size);
}

}  // namespace

FaultEnv::FaultEnv(Env& base) : EnvWrapper(base), base_(base) {}

void FaultEnv::SetActive(bool active) {
  MutexLock l(&mu_);
  active_ = active;
}

bool FaultEnv::active() {
  MutexLock l(&mu_);
  return active_;
}

void FaultEnv::SetWriteError(Status status) {
  MutexLock l(&mu_);
  write_error_ = std::move(status);
}

void FaultEnv::SetTruncateError(Status status) {
  MutexLock l(&mu_);
  truncate_error_ = std::move(status);
}

void FaultEnv::SetLinkError(Status status) {
  MutexLock lock(&mu_);
  link_error_ = std::move(status);
}

Status FaultEnv::Link(const std::string& from, const std::string& to) {
  {
    MutexLock lock(&mu_);
    if (!link_error_.ok()) return link_error_;
  }
  return base_.Link(from, to);
}

void FaultEnv::SetDiskLimit(std::optional<uint64_t> bytes) {
  MutexLock l(&mu_);
  disk_left_ = bytes;
  reclaim_ = false;
}

void FaultEnv::SetDiskFree(std::optional<uint64_t> bytes) {
  MutexLock l(&mu_);
  disk_left_ = bytes;
  reclaim_ = true;
}

std::optional<uint64_t> FaultEnv::disk_left() {
  MutexLock l(&mu_);
  return disk_left_;
}

uint64_t FaultEnv::TreeBytes(const std::string& path) {
  if (!base_.IsDirectory(path)) {
    StatusOr<uint64_t> size = base_.GetFileSize(path);
    return size.ok() ? *size : 0;
  }
  StatusOr<std::vector<std::string>> names = base_.GetChildren(path);
  if (!names.ok()) return 0;
  uint64_t total = 0;
  for (const std::string& n : *names) total += TreeBytes(path + "/" + n);
  return total;
}

void FaultEnv::Reclaim(uint64_t bytes) {
  MutexLock l(&mu_);
  if (reclaim_ && disk_left_) *disk_left_ += bytes;
}

void FaultEnv::FailNextSyncs(int n, std::string path_part) {
  MutexLock l(&mu_);
  syncs_to_fail_ = n;
  sync_fail_path_part_ = std::move(path_part);
}

void FaultEnv::AdvanceClock(int64_t ms) {
  MutexLock l(&mu_);
  clock_offset_ms_ += ms;
}

int64_t FaultEnv::NowMillis() {
  int64_t offset;
  {
    MutexLock l(&mu_);
    offset = clock_offset_ms_;
  }
  return base_.NowMillis() + offset;
}

int FaultEnv::failed_syncs() {
  MutexLock l(&mu_);
  return failed_syncs_;
}

Status FaultEnv::TakeSyncFailure(const std::string& path, uint64_t size) {
  MutexLock l(&mu_);
  if (syncs_to_fail_ <= 0) return absl::OkStatus();
  if (path.find(sync_fail_path_part_) == std::string::npos) return absl::OkStatus();
  --syncs_to_fail_;
  ++failed_syncs_;
  FileState& state = files_[path];
  if (size > state.synced_bytes) state.lost.emplace_back(state.synced_bytes, size);
  return absl::InternalError(StrCat("fsync ", path, ": Input/output error (injected)"));
}

Status FaultEnv::ZeroRange(const std::string& path, uint64_t from, uint64_t to) {
  StatusOr<std::string> data = ReadFileToString(base_, path);
  if (!data.ok()) return data.status();
  to = std::min<uint64_t>(to, data->size());
  if (from >= to) return absl::OkStatus();
  std::fill(data->begin() + static_cast<ptrdiff_t>(from),
            data->begin() + static_cast<ptrdiff_t>(to), '\0');
  StatusOr<std::unique_ptr<WritableFile>> f = base_.NewWritableFile(path);
  if (!f.ok()) return f.status();
  Status s = (*f)->Append(*data);
  if (s.ok()) s = (*f)->Sync();
  Status closed = (*f)->Close();
  return s.ok() ? closed : s;
}

std::pair<uint64_t, Status> FaultEnv::AdmitAppend(uint64_t n) {
  MutexLock l(&mu_);
  if (!write_error_.ok()) return {0, write_error_};
  if (!active_) return {0, absl::OkStatus()};
  if (!disk_left_) return {n, absl::OkStatus()};
  if (n <= *disk_left_) {
    *disk_left_ -= n;
    return {n, absl::OkStatus()};
  }
  const uint64_t fits = *disk_left_;
  *disk_left_ = 0;
  return {fits, absl::ResourceExhaustedError("write: No space left on device (disk full)")};
}

Status FaultEnv::CheckWrite() {
  MutexLock l(&mu_);
  return write_error_;
}

void FaultEnv::RecordSync(const std::string& path, uint64_t size) {
  MutexLock l(&mu_);
  files_[path].synced_bytes = size;
}

StatusOr<std::unique_ptr<WritableFile>> FaultEnv::Wrap(const std::string& path,
                                                       StatusOr<std::unique_ptr<WritableFile>> file,
                                                       bool created) {
  if (!file.ok()) return file.status();
  MutexLock l(&mu_);
  FileState& state = files_[path];
  if (created) state = FileState{};
  return std::unique_ptr<WritableFile>(new File(*this, path, *std::move(file)));
}

StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(const std::string& path) {
  const bool existed = base_.FileExists(path);
  const uint64_t old_bytes = existed ? TreeBytes(path) : 0;
  auto file = Wrap(path, base_.NewWritableFile(path), true);
  if (file.ok() && existed) {
    Reclaim(old_bytes);
    MutexLock l(&mu_);
    files_[path].entry_synced = true;  // truncated in place: the entry was there
  }
  return file;
}

StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewAppendableFile(const std::string& path) {
  const bool existed = base_.FileExists(path);
  auto size = existed ? base_.GetFileSize(path) : StatusOr<uint64_t>(0);
  auto file = Wrap(path, base_.NewAppendableFile(path), !existed);
  if (file.ok() && existed && size.ok()) {
    MutexLock l(&mu_);
    // A file that existed before is taken as durable up to its size,
    // except for what failed syncs lost.
    FileState& state = files_[path];
    state.synced_bytes = *size;
    state.entry_synced = true;
    ClipLost(&state, *size);
  }
  return file;
}

Status FaultEnv::RemoveFile(const std::string& path) {
  {
    MutexLock l(&mu_);
    files_.erase(path);
  }
  const uint64_t bytes = TreeBytes(path);
  STRATA_RETURN_IF_ERROR(base_.RemoveFile(path));
  Reclaim(bytes);
  return absl::OkStatus();
}

Status FaultEnv::RemoveAll(const std::string& path) {
  {
    MutexLock l(&mu_);
    std::erase_if(
        files_, [&](const auto& e) { return e.first == path || e.first.starts_with(path + "/"); });
  }
  const uint64_t bytes = TreeBytes(path);
  STRATA_RETURN_IF_ERROR(base_.RemoveAll(path));
  Reclaim(bytes);
  return absl::OkStatus();
}

Status FaultEnv::Rename(const std::string& from, const std::string& to) {
  const uint64_t replaced = base_.FileExists(to) && !base_.IsDirectory(to) ? TreeBytes(to) : 0;
  Status s = base_.Rename(from, to);
  if (!s.ok()) return s;
  Reclaim(replaced);
  MutexLock l(&mu_);
  std::map<std::string, FileState> moved;
  std::erase_if(files_, [&](const auto& e) {
    if (e.first != from && !e.first.starts_with(from + "/")) return false;
    moved[to + e.first.substr(from.size())] = e.second;
    return true;
  });
  for (auto& [path, state] : moved) files_[path] = state;
  return absl::OkStatus();
}

Status FaultEnv::Truncate(const std::string& path, uint64_t size) {
  {
    MutexLock l(&mu_);
    if (!truncate_error_.ok()) return truncate_error_;
  }
  const uint64_t old_bytes = TreeBytes(path);
  Status s = base_.Truncate(path, size);
  if (!s.ok()) return s;
  if (old_bytes > size) Reclaim(old_bytes - size);
  MutexLock l(&mu_);
  if (auto it = files_.find(path); it != files_.end()) {
    FileState& state = it->second;
    state.synced_bytes = std::min(state.synced_bytes, size);
    ClipLost(&state, size);
  }
  return absl::OkStatus();
}

Status FaultEnv::SyncDir(const std::string& dir) {
  Status s = base_.SyncDir(dir);
  if (!s.ok()) return s;
  MutexLock l(&mu_);
  if (!active_) return absl::OkStatus();
  for (auto& [path, state] : files_) {
    if (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/' &&
        path.find('/', dir.size() + 1) == std::string::npos) {
      state.entry_synced = true;
    }
  }
  return absl::OkStatus();
}

Status FaultEnv::DropUnsyncedData() {
  std::map<std::string, FileState> files;
  {
    MutexLock l(&mu_);
    files.swap(files_);
  }
  for (const auto& [path, state] : files) {
    if (!base_.FileExists(path)) continue;
    Status s =
        state.entry_synced ? base_.Truncate(path, state.synced_bytes) : base_.RemoveFile(path);
    for (const auto& [from, to] : state.lost) {
      if (s.ok() && state.entry_synced) s = ZeroRange(path, from, to);
    }
    if (!s.ok()) return s;
  }
  MutexLock l(&mu_);
  for (const auto& [path, state] : files) {
    if (state.entry_synced) files_[path] = FileState{state.synced_bytes, true, {}};
  }
  return absl::OkStatus();
}

}  // namespace strata::testing
