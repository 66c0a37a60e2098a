// BlockWriter writes one Prometheus TSDB block (DESIGN.md §2): chunks/
// (ChunkWriter), index (IndexWriter), meta.json and an empty tombstones
// file, byte-compatible with what Prometheus 2.42 writes, so promtool and
// Prometheus open it.
//
// The block appears atomically, as in Prometheus' LeveledCompactor.write
// (tsdb/compact.go): everything is written into
// `<data_dir>/<ULID>.tmp-for-creation`, synced, and the directory is then
// renamed to `<data_dir>/<ULID>` and `data_dir` synced. A crash leaves
// either no block or the whole block (plus a temp dir that start-up
// removes). An unfinished or failed writer removes its temp dir.
//
// Call order: Create, AddSymbols (once), AddSeries (for each series in
// label order), Finish.
//
// Thread-safety: not thread-safe; one writer is driven by one thread.
#ifndef STRATA_ENGINE_BLOCK_WRITER_H_
#define STRATA_ENGINE_BLOCK_WRITER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/block_meta.h"
#include "engine/chunk_writer.h"
#include "engine/sample_iterator.h"
#include "engine/ulid.h"
#include "index/chunk_meta.h"
#include "index/index_writer.h"
#include "index/labels.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

class BlockWriter {
 public:
  // Starts block `ulid` in `<data_dir>/<ulid>.tmp-for-creation`, removing a
  // leftover directory of that name first; creates `data_dir` if missing.
  // `env` must outlive the writer. Errors: those of the Env.
  [[nodiscard]] static StatusOr<std::unique_ptr<BlockWriter>> Create(Env& env, std::string data_dir,
                                                                     Ulid ulid);

  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;
  // Removes the temp dir unless Finish succeeded.
  ~BlockWriter();

  // Adds every label name and value any series will use, in strictly
  // increasing byte order (a superset is fine). Errors: InvalidArgument if
  // not sorted; FailedPrecondition if called twice, after AddSeries, or
  // after a failure. REQUIRES: before AddSeries.
  [[nodiscard]] Status AddSymbols(std::span<const std::string_view> sorted_symbols);

  // Adds the next series with its chunks (borrowed for the call), which
  // must be in time order. A series without chunks is skipped. Writes the
  // chunks and the index entry and counts series, chunks and samples (a
  // chunk's sample count is its first two bytes, big-endian, as in every
  // Prometheus chunk encoding).
  // Errors: InvalidArgument (nothing written, the writer stays usable) if
  // `labels` is empty or not greater than the previous series' labels
  // (index::Compare), a chunk is shorter than 2 bytes, has
  // min_time_ms > max_time_ms, or starts before the previous chunk ends;
  // index errors such as a label string missing from the symbols; I/O
  // errors, after which the writer is failed (FailedPrecondition for every
  // further call; destroy it).
  [[nodiscard]] Status AddSeries(const index::Labels& labels, std::span<const TimedChunk> chunks);

  // Finishes chunks and index, writes meta.json (ulid, min/max time and
  // compaction taken from `meta`, which must carry this writer's ulid;
  // stats computed here, numTombstones 0) and an empty tombstones file,
  // syncs everything, renames the temp dir to `<data_dir>/<ulid>`
  // (replacing a directory of that name, as Prometheus' fileutil.Replace
  // does) and syncs `data_dir`. Returns the meta written.
  // Errors: InvalidArgument if `meta` has another ulid, min_time_ms >
  // max_time_ms, or a chunk lies outside [min_time_ms, max_time_ms);
  // FailedPrecondition if called twice or after a failure; I/O errors.
  // After any error the temp dir is removed and no block is left.
  [[nodiscard]] StatusOr<BlockMeta> Finish(BlockMeta meta);

  // `<data_dir>/<ulid>.tmp-for-creation` and `<data_dir>/<ulid>`.
  const std::string& tmp_dir() const { return tmp_dir_; }
  const std::string& final_dir() const { return final_dir_; }

 private:
  BlockWriter(Env& env, std::string data_dir, Ulid ulid);
  [[nodiscard]] StatusOr<BlockMeta> FinishImpl(BlockMeta meta);
  // Closes the writers and removes the temp dir (best effort).
  void Abort();

  enum class State { kSymbols, kSeries, kDone, kFailed };

  Env& env_;
  const std::string data_dir_;
  const Ulid ulid_;
  const std::string tmp_dir_;
  const std::string final_dir_;
  std::unique_ptr<ChunkWriter> chunk_writer_;
  std::unique_ptr<index::IndexWriter> index_writer_;
  State state_ = State::kSymbols;
  index::Labels last_labels_;
  BlockMeta::Stats stats_;
  int64_t min_chunk_time_ms_ = INT64_MAX;  // over all chunks written
  int64_t max_chunk_time_ms_ = INT64_MIN;
  // Reused by AddSeries.
  std::vector<ChunkData> chunk_data_;
  std::vector<uint64_t> refs_;
  std::vector<index::ChunkMeta> chunk_metas_;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_BLOCK_WRITER_H_
