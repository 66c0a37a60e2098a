#include "engine/head_chunk_store.h"

#include <algorithm>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/filenames.h"

namespace strata::engine {

HeadChunkStore::HeadChunkStore(Env& env, std::string dir, uint64_t max_file_size)
    : env_(env), dir_(std::move(dir)), max_file_size_(max_file_size) {}

HeadChunkStore::~HeadChunkStore() {
  Close().IgnoreError();  // Errors are for an explicit Close().
}

StatusOr<std::unique_ptr<HeadChunkStore>> HeadChunkStore::Open(Env& env, std::string dir,
                                                               uint64_t max_file_size) {
  STRATA_RETURN_IF_ERROR(env.CreateDirs(dir));
  return std::unique_ptr<HeadChunkStore>(new HeadChunkStore(env, std::move(dir), max_file_size));
}

StatusOr<std::unique_ptr<HeadChunkStore>> HeadChunkStore::OpenReadOnly(Env& env, std::string dir) {
  std::unique_ptr<HeadChunkStore> store(
      new HeadChunkStore(env, std::move(dir), kMaxHeadChunkFileSize));
  store->read_only_ = true;
  return store;
}

StatusOr<uint64_t> HeadChunkStore::Replay(const std::function<void(const HeadChunk&)>& fn) {
  MutexLock w(&write_mu_);
  if (replayed_) {
    return absl::FailedPreconditionError(StrCat("head chunk store ", dir_, ": Replay twice"));
  }
  std::vector<uint32_t> numbers;
  if (!read_only_ || env_.IsDirectory(dir_)) {
    STRATA_ASSIGN_OR_RETURN(numbers, ListHeadChunkFiles(env_, dir_));
  }
  std::map<uint32_t, File> files;
  uint64_t dropped = 0;
  bool damaged = false;
  for (const uint32_t n : numbers) {
    const std::string path = JoinPath(dir_, ChunkSegmentName(n));
    if (damaged) {  // everything after the damage goes
      STRATA_ASSIGN_OR_RETURN(const uint64_t size, env_.GetFileSize(path));
      if (!read_only_) STRATA_RETURN_IF_ERROR(env_.RemoveFile(path));
      dropped += size;
      continue;
    }
    File f;
    f.path = path;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> map, env_.MapFile(path));
    f.map = std::move(map);
    const std::string_view data = f.map->data();
    uint64_t end = data.size();  // of the valid part
    if (!CheckHeadChunkFileHeader(data, path).ok()) {
      damaged = true;
      end = 0;
    } else {
      for (uint64_t offset = kHeadChunkHeaderSize; offset < data.size();) {
        HeadChunk chunk;
        StatusOr<size_t> size = DecodeHeadChunk(data.substr(offset), &chunk);
        if (!size.ok()) {
          damaged = true;
          end = offset;
          break;
        }
        if (*size == 0) break;  // preallocated zeros end the file
        chunk.ref = ChunkRef::Pack(n, static_cast<uint32_t>(offset));
        fn(chunk);
        f.max_time_ms = std::max(f.max_time_ms, chunk.max_time_ms);
        offset += *size;
      }
    }
    if (damaged && read_only_) {
      dropped += data.size() - end;  // not read; the mapping stays, the file unchanged
      if (end == 0) continue;
    } else if (damaged) {
      dropped += data.size() - end;
      f.map.reset();
      if (end == 0) {  // a broken header leaves nothing to keep
        STRATA_RETURN_IF_ERROR(env_.RemoveFile(path));
        continue;
      }
      STRATA_RETURN_IF_ERROR(env_.Truncate(path, end));
      // Remapped, so that no mapping reaches past the end of the file.
      STRATA_ASSIGN_OR_RETURN(map, env_.MapFile(path));
      f.map = std::move(map);
    }
    f.size = end;
    files.emplace(n, std::move(f));
  }
  // Opened now, so that it numbers its first file after the survivors.
  if (!read_only_) {
    STRATA_ASSIGN_OR_RETURN(writer_, HeadChunkWriter::Open(env_, dir_, max_file_size_));
  }
  replayed_ = true;
  MutexLock l(&mu_);
  files_ = std::move(files);
  size_bytes_ = 0;
  for (const auto& [n, f] : files_) size_bytes_ += f.size;
  return dropped;
}

StatusOr<uint64_t> HeadChunkStore::Write(uint64_t series_ref, int64_t min_time_ms,
                                         int64_t max_time_ms, compression::ChunkEncoding encoding,
                                         std::string_view data) {
  MutexLock w(&write_mu_);
  if (!replayed_ || closed_ || read_only_) {
    return absl::FailedPreconditionError(
        StrCat("head chunk store ", dir_,
               read_only_ ? ": opened read-only"
                          : (closed_ ? ": Write after Close" : ": Write before Replay")));
  }
  if (unmapped_bytes_ >= kMaxUnmappedBytes) STRATA_RETURN_IF_ERROR(FlushLocked());
  auto bytes = std::make_shared<std::string>();
  EncodeHeadChunk(bytes.get(), series_ref, min_time_ms, max_time_ms, encoding, data);
  STRATA_ASSIGN_OR_RETURN(const uint64_t ref, writer_->WriteEncoded(*bytes));
  const uint32_t number = ChunkRef::Sequence(ref);
  const uint32_t previous = writing_;
  writing_ = number;
  unmapped_bytes_ += bytes->size();
  {
    MutexLock l(&mu_);
    File& f = files_[number];
    if (f.path.empty()) f.path = JoinPath(dir_, ChunkSegmentName(number));
    const uint64_t size = writer_->current_file_size();
    size_bytes_ += size - f.size;
    f.size = size;
    f.max_time_ms = std::max(f.max_time_ms, max_time_ms);
    f.unmapped.push_back({ChunkRef::Offset(ref), std::move(bytes)});
  }
  if (previous != 0 && previous != number) {
    // The cut closed, and so flushed, the previous file: map all of it. On
    // failure its copies keep serving reads and the next Flush retries.
    RemapLocked(previous).IgnoreError();
  }
  return ref;
}

StatusOr<PinnedChunk> HeadChunkStore::Read(uint64_t ref) const {
  const uint32_t number = ChunkRef::Sequence(ref);
  const uint32_t offset = ChunkRef::Offset(ref);
  auto where = [&] { return StrCat(JoinPath(dir_, ChunkSegmentName(number)), " offset ", offset); };
  std::shared_ptr<const void> pin;
  std::string_view rest;
  {
    ReaderMutexLock l(&mu_);
    auto it = files_.find(number);
    if (it == files_.end()) {
      return absl::NotFoundError(StrCat(where(), ": head chunk file was deleted"));
    }
    const File& f = it->second;
    if (offset >= f.size) {
      return absl::NotFoundError(StrCat(where(), ": past the end of the head chunk file"));
    }
    if (!f.unmapped.empty() && offset >= f.unmapped.front().offset) {
      auto u = std::lower_bound(f.unmapped.begin(), f.unmapped.end(), offset,
                                [](const Unmapped& u, uint32_t o) { return u.offset < o; });
      if (u == f.unmapped.end() || u->offset != offset) {
        return absl::DataLossError(StrCat(where(), ": no head chunk starts here"));
      }
      rest = *u->bytes;
      pin = u->bytes;
    } else {
      if (offset < kHeadChunkHeaderSize || f.map == nullptr || offset >= f.map->data().size()) {
        return absl::DataLossError(StrCat(where(), ": chunk reference outside the file"));
      }
      rest = f.map->data().substr(0, f.size).substr(offset);
      pin = f.map;
    }
  }
  // Decoded outside the lock: the pin keeps the bytes alive.
  HeadChunk chunk;
  StatusOr<size_t> size = DecodeHeadChunk(rest, &chunk);
  if (!size.ok()) return absl::DataLossError(StrCat(where(), ": ", size.status().message()));
  if (*size == 0) {
    return absl::DataLossError(StrCat(where(), ": chunk reference into the file's zero padding"));
  }
  return PinnedChunk{chunk.chunk, chunk.min_time_ms, chunk.max_time_ms, chunk.series_ref,
                     std::move(pin)};
}

StatusOr<int> HeadChunkStore::Truncate(int64_t mint) {
  MutexLock w(&write_mu_);
  int removed = 0;
  for (;;) {
    std::string path;
    uint32_t number;
    {
      ReaderMutexLock l(&mu_);
      if (files_.empty()) break;
      const auto& [n, f] = *files_.begin();
      // Only a prefix goes, so the numbering stays without gaps.
      if (n == writing_ || f.max_time_ms >= mint) break;
      number = n;
      path = f.path;
    }
    STRATA_RETURN_IF_ERROR(env_.RemoveFile(path));
    MutexLock l(&mu_);
    auto it = files_.find(number);
    size_bytes_ -= it->second.size;
    for (const Unmapped& u : it->second.unmapped) unmapped_bytes_ -= u.bytes->size();
    files_.erase(it);
    ++removed;
  }
  return removed;
}

Status HeadChunkStore::Flush() {
  MutexLock w(&write_mu_);
  return FlushLocked();
}

Status HeadChunkStore::FlushLocked() {
  if (writer_ != nullptr) STRATA_RETURN_IF_ERROR(writer_->Flush());
  std::vector<uint32_t> numbers;
  {
    ReaderMutexLock l(&mu_);
    for (const auto& [n, f] : files_) {
      if (!f.unmapped.empty()) numbers.push_back(n);
    }
  }
  for (const uint32_t n : numbers) STRATA_RETURN_IF_ERROR(RemapLocked(n));
  return absl::OkStatus();
}

Status HeadChunkStore::RemapLocked(uint32_t number) {
  std::string path;
  {
    ReaderMutexLock l(&mu_);
    auto it = files_.find(number);
    if (it == files_.end()) return absl::OkStatus();
    path = it->second.path;
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, env_.MapFile(path));
  std::shared_ptr<const MappedFile> map = std::move(mapped);
  const uint64_t mapped_size = map->data().size();
  MutexLock l(&mu_);
  File& f = files_.at(number);  // write_mu_ kept Truncate away
  f.map = std::move(map);
  // Copies of chunks now wholly inside the mapping are no longer needed.
  auto covered = f.unmapped.begin();
  while (covered != f.unmapped.end() && covered->offset + covered->bytes->size() <= mapped_size) {
    unmapped_bytes_ -= covered->bytes->size();
    ++covered;
  }
  f.unmapped.erase(f.unmapped.begin(), covered);
  return absl::OkStatus();
}

Status HeadChunkStore::Close() {
  MutexLock w(&write_mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  Status s;
  if (writer_ != nullptr) s = writer_->Close();
  writer_.reset();
  if (s.ok()) s = FlushLocked();
  return s;
}

uint64_t HeadChunkStore::size_bytes() const {
  ReaderMutexLock l(&mu_);
  return size_bytes_;
}

}  // namespace strata::engine
