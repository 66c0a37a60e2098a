#include "engine/block_writer.h"

#include <algorithm>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "engine/filenames.h"
#include "engine/tombstones.h"

namespace strata::engine {

BlockWriter::BlockWriter(Env& env, std::string data_dir, Ulid ulid)
    : env_(env),
      data_dir_(std::move(data_dir)),
      ulid_(ulid),
      tmp_dir_(JoinPath(data_dir_, StrCat(ulid.ToString(), kTmpForCreationSuffix))),
      final_dir_(JoinPath(data_dir_, ulid.ToString())) {}

BlockWriter::~BlockWriter() {
  if (state_ != State::kDone) Abort();
}

void BlockWriter::Abort() {
  // The writers' files are closed before their directory goes away.
  chunk_writer_.reset();
  index_writer_.reset();
  // Best effort: a leftover temp dir is removed at the next start-up.
  env_.RemoveAll(tmp_dir_).IgnoreError();
}

StatusOr<std::unique_ptr<BlockWriter>> BlockWriter::Create(Env& env, std::string data_dir,
                                                           Ulid ulid) {
  std::unique_ptr<BlockWriter> w(new BlockWriter(env, std::move(data_dir), ulid));
  const auto annotate = [&](const Status& s) {
    return Annotate(s, StrCat("create block ", w->tmp_dir_));
  };
  Status s = env.CreateDirs(w->data_dir_);
  if (s.ok()) s = env.RemoveAll(w->tmp_dir_);
  if (s.ok()) s = env.CreateDirs(w->tmp_dir_);
  if (!s.ok()) return annotate(s);
  StatusOr<std::unique_ptr<ChunkWriter>> chunks =
      ChunkWriter::Create(env, JoinPath(w->tmp_dir_, kBlockChunksDir));
  if (!chunks.ok()) return annotate(chunks.status());
  w->chunk_writer_ = *std::move(chunks);
  StatusOr<std::unique_ptr<index::IndexWriter>> index =
      index::IndexWriter::Create(env, JoinPath(w->tmp_dir_, kBlockIndexFile));
  if (!index.ok()) return annotate(index.status());
  w->index_writer_ = *std::move(index);
  return w;
}

Status BlockWriter::AddSymbols(std::span<const std::string_view> sorted_symbols) {
  if (state_ != State::kSymbols) {
    return absl::FailedPreconditionError(
        StrCat(tmp_dir_, ": AddSymbols must be called once, before AddSeries"));
  }
  for (size_t i = 1; i < sorted_symbols.size(); ++i) {
    if (!(sorted_symbols[i - 1] < sorted_symbols[i])) {
      return absl::InvalidArgumentError(StrCat(tmp_dir_, ": symbol ", i, " \"", sorted_symbols[i],
                                               "\" is not greater than the previous one \"",
                                               sorted_symbols[i - 1], "\""));
    }
  }
  for (std::string_view s : sorted_symbols) {
    Status status = index_writer_->AddSymbol(s);
    if (!status.ok()) {
      state_ = State::kFailed;
      return Annotate(status, StrCat(tmp_dir_, ": add symbols"));
    }
  }
  state_ = State::kSeries;
  return absl::OkStatus();
}

Status BlockWriter::AddSeries(const index::Labels& labels, std::span<const TimedChunk> chunks) {
  if (state_ == State::kSymbols) state_ = State::kSeries;  // a block without symbols
  if (state_ != State::kSeries) {
    return absl::FailedPreconditionError(
        StrCat(tmp_dir_, ": AddSeries after Finish or after a failure"));
  }
  // Validate everything before writing anything, so a rejected series
  // leaves the writer usable.
  if (labels.empty()) {
    return absl::InvalidArgumentError(StrCat(tmp_dir_, ": series without labels"));
  }
  if (!last_labels_.empty() && Compare(last_labels_, labels) >= 0) {
    return absl::InvalidArgumentError(StrCat(tmp_dir_, ": series ", labels.ToString(),
                                             " is not greater than the previous series ",
                                             last_labels_.ToString()));
  }
  if (chunks.empty()) return absl::OkStatus();
  for (size_t i = 0; i < chunks.size(); ++i) {
    const TimedChunk& c = chunks[i];
    std::string_view problem;
    if (c.data.size() < 2) {
      problem = "is shorter than its 2-byte sample count";
    } else if (c.min_time_ms > c.max_time_ms) {
      problem = "has min time after max time";
    } else if (i > 0 && c.min_time_ms <= chunks[i - 1].max_time_ms) {
      problem = "starts before the previous chunk ends";
    }
    if (!problem.empty()) {
      return absl::InvalidArgumentError(StrCat(tmp_dir_, ": series ", labels.ToString(), " chunk ",
                                               i, " [", c.min_time_ms, ", ", c.max_time_ms, "] ",
                                               problem));
    }
  }

  chunk_data_.clear();
  for (const TimedChunk& c : chunks) chunk_data_.push_back(ChunkData{c.encoding, c.data});
  Status s = chunk_writer_->WriteChunks(chunk_data_, &refs_);
  if (!s.ok()) {
    state_ = State::kFailed;
    return Annotate(s, StrCat(tmp_dir_, ": write chunks of ", labels.ToString()));
  }
  chunk_metas_.clear();
  uint64_t samples = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    chunk_metas_.push_back({chunks[i].min_time_ms, chunks[i].max_time_ms, refs_[i]});
    samples += compression::LoadBE16(chunks[i].data.data());
  }
  StatusOr<uint64_t> ref = index_writer_->AddSeries(labels, chunk_metas_);
  if (!ref.ok()) {
    // The chunks are already in the segment; the block cannot be finished.
    state_ = State::kFailed;
    return Annotate(ref.status(), StrCat(tmp_dir_, ": add series ", labels.ToString()));
  }
  last_labels_ = labels;
  ++stats_.num_series;
  stats_.num_chunks += chunks.size();
  stats_.num_samples += samples;
  min_chunk_time_ms_ = std::min(min_chunk_time_ms_, chunks.front().min_time_ms);
  max_chunk_time_ms_ = std::max(max_chunk_time_ms_, chunks.back().max_time_ms);
  return absl::OkStatus();
}

StatusOr<BlockMeta> BlockWriter::Finish(BlockMeta meta) {
  if (state_ == State::kDone || state_ == State::kFailed) {
    return absl::FailedPreconditionError(
        StrCat(tmp_dir_, ": Finish called twice or after a failure"));
  }
  StatusOr<BlockMeta> result = FinishImpl(std::move(meta));
  if (!result.ok()) {
    state_ = State::kFailed;
    Abort();
    return result;
  }
  state_ = State::kDone;
  return result;
}

StatusOr<BlockMeta> BlockWriter::FinishImpl(BlockMeta meta) {
  if (meta.ulid != ulid_) {
    return absl::InvalidArgumentError(StrCat(tmp_dir_, ": meta has ulid ", meta.ulid.ToString(),
                                             ", the block is ", ulid_.ToString()));
  }
  if (meta.min_time_ms > meta.max_time_ms) {
    return absl::InvalidArgumentError(StrCat(tmp_dir_, ": meta min time ", meta.min_time_ms,
                                             " is after max time ", meta.max_time_ms));
  }
  if (stats_.num_chunks > 0 &&
      (min_chunk_time_ms_ < meta.min_time_ms || max_chunk_time_ms_ >= meta.max_time_ms)) {
    return absl::InvalidArgumentError(StrCat(tmp_dir_, ": chunks span [", min_chunk_time_ms_, ", ",
                                             max_chunk_time_ms_, "], outside the block range [",
                                             meta.min_time_ms, ", ", meta.max_time_ms, ")"));
  }
  const auto annotate = [&](const Status& s, std::string_view what) {
    return Annotate(s, StrCat(tmp_dir_, ": ", what));
  };
  Status s = chunk_writer_->Finish();
  if (!s.ok()) return annotate(s, "finish chunks");
  s = index_writer_->Finish();
  if (!s.ok()) return annotate(s, "finish index");
  chunk_writer_.reset();
  index_writer_.reset();

  meta.stats = stats_;
  meta.stats.num_tombstones = 0;
  meta.version = kBlockMetaVersion;
  s = WriteBlockMeta(env_, tmp_dir_, meta);
  if (!s.ok()) return annotate(s, "write meta.json");
  s = WriteTombstones(env_, tmp_dir_, Tombstones());
  if (!s.ok()) return annotate(s, "write tombstones");
  s = env_.SyncDir(tmp_dir_);
  if (!s.ok()) return annotate(s, "sync");

  // Prometheus' fileutil.Replace: an existing directory of the final name
  // (left by an earlier attempt with this ULID) is replaced.
  s = env_.RemoveAll(final_dir_);
  if (s.ok()) s = env_.Rename(tmp_dir_, final_dir_);
  if (!s.ok()) return annotate(s, StrCat("rename to ", final_dir_));
  s = env_.SyncDir(data_dir_);
  if (!s.ok()) {
    // The block is complete but its name may not be durable; take it back
    // so the caller sees a clean failure.
    env_.RemoveAll(final_dir_).IgnoreError();  // best effort, reported below
    return Annotate(s, StrCat(final_dir_, ": sync ", data_dir_));
  }
  return meta;
}

}  // namespace strata::engine
