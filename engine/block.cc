#include "engine/block.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/filenames.h"

namespace strata::engine {
namespace {

// The size of `path`, or 0 if it is missing.
StatusOr<uint64_t> SizeOrZero(Env& env, const std::string& path) {
  StatusOr<uint64_t> size = env.GetFileSize(path);
  if (absl::IsNotFound(size.status())) return 0;
  return size;
}

}  // namespace

Block::Block(Env& env, std::string dir, BlockMeta meta, std::unique_ptr<index::IndexReader> index,
             std::unique_ptr<ChunkReader> chunks, std::shared_ptr<const Tombstones> tombstones)
    : env_(env),
      dir_(std::move(dir)),
      meta_(std::move(meta)),
      index_(std::move(index)),
      chunks_(std::move(chunks)),
      tombstones_(std::move(tombstones)) {}

Block::~Block() = default;

StatusOr<std::shared_ptr<Block>> Block::Open(Env& env, std::string dir) {
  const auto annotate = [&](const Status& s, std::string_view file) {
    // Keep messages that already name the file as they are.
    const std::string path = JoinPath(dir, file);
    if (absl::StrContains(s.message(), ToAbsl(path))) return s;
    return Annotate(s, path);
  };
  StatusOr<BlockMeta> meta = ReadBlockMeta(env, dir);
  if (!meta.ok()) return annotate(meta.status(), kBlockMetaFile);

  const std::string index_path = JoinPath(dir, kBlockIndexFile);
  StatusOr<std::unique_ptr<index::IndexReader>> index = index::IndexReader::Open(env, index_path);
  if (!index.ok()) return annotate(index.status(), kBlockIndexFile);

  const std::string chunks_dir = JoinPath(dir, kBlockChunksDir);
  if (!env.IsDirectory(chunks_dir)) {
    return absl::NotFoundError(StrCat(chunks_dir, ": chunks directory missing"));
  }
  StatusOr<std::unique_ptr<ChunkReader>> chunks = ChunkReader::Open(env, chunks_dir);
  if (!chunks.ok()) return annotate(chunks.status(), kBlockChunksDir);

  StatusOr<Tombstones> tombstones = ReadTombstones(env, dir);
  if (!tombstones.ok()) return annotate(tombstones.status(), kBlockTombstonesFile);

  StatusOr<uint64_t> index_bytes = env.GetFileSize(index_path);
  if (!index_bytes.ok()) return annotate(index_bytes.status(), kBlockIndexFile);
  StatusOr<uint64_t> meta_bytes = SizeOrZero(env, JoinPath(dir, kBlockMetaFile));
  if (!meta_bytes.ok()) return annotate(meta_bytes.status(), kBlockMetaFile);
  StatusOr<uint64_t> tombstones_bytes = SizeOrZero(env, JoinPath(dir, kBlockTombstonesFile));
  if (!tombstones_bytes.ok()) return annotate(tombstones_bytes.status(), kBlockTombstonesFile);

  std::shared_ptr<Block> block(
      new Block(env, std::move(dir), *std::move(meta), *std::move(index), *std::move(chunks),
                std::make_shared<const Tombstones>(*std::move(tombstones))));
  block->index_bytes_ = *index_bytes;
  block->chunk_bytes_ = block->chunks_->total_bytes();
  block->meta_bytes_ = *meta_bytes;
  block->tombstones_bytes_ = *tombstones_bytes;
  return block;
}

std::shared_ptr<const Tombstones> Block::tombstones() const {
  MutexLock lock(&mu_);
  return tombstones_;
}

Status Block::Delete(int64_t mint, int64_t maxt, std::span<const index::Matcher> matchers) {
  if (mint > maxt) {
    return absl::InvalidArgumentError(
        StrCat(dir_, ": delete range [", mint, ", ", maxt, "] is empty"));
  }
  MutexLock delete_lock(&delete_mu_);
  StatusOr<std::vector<uint64_t>> refs = index_->PostingsForMatchers(matchers);
  if (!refs.ok()) return Annotate(refs.status(), StrCat(dir_, ": delete"));

  Tombstones updated = *tombstones();
  bool changed = false;
  for (uint64_t ref : *refs) {
    StatusOr<index::SeriesEntry> series = index_->Series(ref);
    if (!series.ok()) return Annotate(series.status(), StrCat(dir_, ": delete"));
    const std::vector<index::ChunkMeta>& chunks = series->chunks;
    // Prometheus' Block.Delete: one tombstone per series with a chunk in
    // the range, clamped to the series' chunks.
    const bool overlaps = std::any_of(chunks.begin(), chunks.end(), [&](const auto& c) {
      return c.min_time_ms <= maxt && mint <= c.max_time_ms;
    });
    if (!overlaps) continue;
    updated.Add(ref, Interval{std::max(mint, chunks.front().min_time_ms),
                              std::min(maxt, chunks.back().max_time_ms)});
    changed = true;
  }
  if (!changed) return absl::OkStatus();

  // The tombstones file is the truth; once it is replaced, so is the
  // in-memory snapshot, even if meta.json (only statistics) fails below.
  const std::string tombstones_file = EncodeTombstonesFile(updated);
  STRATA_RETURN_IF_ERROR(
      WriteFileAtomic(env_, JoinPath(dir_, kBlockTombstonesFile), tombstones_file));
  tombstones_bytes_ = tombstones_file.size();
  const uint64_t total = updated.total();
  {
    MutexLock lock(&mu_);
    tombstones_ = std::make_shared<const Tombstones>(std::move(updated));
  }
  BlockMeta meta = meta_;
  meta.stats.num_tombstones = total;
  const std::string meta_json = EncodeBlockMeta(meta);
  STRATA_RETURN_IF_ERROR(WriteFileAtomic(env_, JoinPath(dir_, kBlockMetaFile), meta_json));
  meta_bytes_ = meta_json.size();
  return absl::OkStatus();
}

uint64_t Block::size_bytes() const {
  return index_bytes_ + chunk_bytes_ + meta_bytes_.load() + tombstones_bytes_.load();
}

namespace {

Status LinkOrCopy(Env& env, const std::string& from, const std::string& to) {
  if (env.Link(from, to).ok()) return absl::OkStatus();
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> src, env.MapFile(from));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> dst, env.NewWritableFile(to));
  const std::string_view data = src->data();
  constexpr size_t kPiece = 1 << 20;
  for (size_t off = 0; off < data.size(); off += kPiece) {
    STRATA_RETURN_IF_ERROR(dst->Append(data.substr(off, kPiece)));
  }
  STRATA_RETURN_IF_ERROR(dst->Sync());
  return dst->Close();
}

}  // namespace

Status CloneBlock(Env& env, const std::string& from, const std::string& to_dir,
                  const std::string& name) {
  const std::string tmp = JoinPath(to_dir, StrCat(name, kTmpForCreationSuffix));
  STRATA_RETURN_IF_ERROR(env.RemoveAll(tmp));
  const std::string tmp_chunks = JoinPath(tmp, kBlockChunksDir);
  STRATA_RETURN_IF_ERROR(env.CreateDirs(tmp_chunks));
  Status s = [&]() -> Status {
    for (std::string_view f : {kBlockMetaFile, kBlockIndexFile, kBlockTombstonesFile}) {
      const std::string src = JoinPath(from, f);
      if (!env.FileExists(src)) continue;
      STRATA_RETURN_IF_ERROR(LinkOrCopy(env, src, JoinPath(tmp, f)));
    }
    const std::string from_chunks = JoinPath(from, kBlockChunksDir);
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> segs, env.GetChildren(from_chunks));
    for (const std::string& seg : segs) {
      STRATA_RETURN_IF_ERROR(
          LinkOrCopy(env, JoinPath(from_chunks, seg), JoinPath(tmp_chunks, seg)));
    }
    STRATA_RETURN_IF_ERROR(env.SyncDir(tmp_chunks));
    STRATA_RETURN_IF_ERROR(env.SyncDir(tmp));
    return env.Rename(tmp, JoinPath(to_dir, name));
  }();
  if (!s.ok()) env.RemoveAll(tmp).IgnoreError();  // the first error is the one to report
  return s;
}

}  // namespace strata::engine
