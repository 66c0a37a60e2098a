// Block: an open, immutable block directory (Prometheus' tsdb/block.go):
// meta.json, the v2 index (index::IndexReader), the chunk segments
// (ChunkReader, memory-mapped) and the tombstones, which are the only part
// that changes: Delete adds deleted ranges and rewrites the tombstones
// file, until compaction writes a new block without the deleted samples.
//
// Blocks are held by std::shared_ptr because their lifetime is truly
// shared: a query pins the blocks it reads (views into the index and chunk
// mappings stay valid while it holds the pointer) while compaction or
// retention replaces them in the database's block list; the last holder
// unmaps the files.
//
// Thread-safety: all methods may be called concurrently. meta(), index()
// and chunks() are immutable after Open; the tombstones are a snapshot
// pointer swapped under a mutex, and Deletes are serialised.
#ifndef STRATA_ENGINE_BLOCK_H_
#define STRATA_ENGINE_BLOCK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "engine/block_meta.h"
#include "engine/chunk_reader.h"
#include "engine/tombstones.h"
#include "index/index_reader.h"
#include "index/matcher.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::engine {

class Block {
 public:
  // Opens the block directory `dir`: meta.json, index, chunks/ and
  // tombstones (a missing tombstones file means none). `env` must outlive
  // the block. Errors name the file: NotFound for a missing meta.json,
  // index or chunks/, DataLoss for damage (bad JSON, checksums, headers).
  [[nodiscard]] static StatusOr<std::shared_ptr<Block>> Open(Env& env, std::string dir);

  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block();

  // meta.json as read by Open. stats.num_tombstones is the count at Open;
  // Delete rewrites meta.json with the new count, which tombstones()->total()
  // gives while the block is open.
  const BlockMeta& meta() const { return meta_; }
  const std::string& dir() const { return dir_; }
  const index::IndexReader& index() const { return *index_; }
  const ChunkReader& chunks() const { return *chunks_; }

  // A snapshot of the tombstones; never null. Later Deletes do not change
  // it (they install a new one).
  std::shared_ptr<const Tombstones> tombstones() const;

  // Marks [mint, maxt] (closed) of every series `matchers` select as
  // deleted, as Prometheus' Block.Delete does: a tombstone, clamped to the
  // series' chunk range, is added for each selected series with a chunk
  // overlapping the range. If any was added, the tombstones file is
  // rewritten atomically, then meta.json with the new numTombstones.
  // Errors: InvalidArgument for mint > maxt or matchers that select every
  // series (see postings_for_matchers.h); DataLoss for a damaged index; I/O
  // errors naming the file. The in-memory tombstones change exactly when
  // the tombstones file was replaced (an error writing meta.json after
  // that leaves only its numTombstones stale).
  [[nodiscard]] Status Delete(int64_t mint, int64_t maxt, std::span<const index::Matcher> matchers);

  // Bytes on disk: index, chunk segments, meta.json and tombstones.
  uint64_t size_bytes() const;

  // Whether the block's range [min_time_ms, max_time_ms) intersects the
  // closed interval [mint, maxt].
  bool OverlapsClosed(int64_t mint, int64_t maxt) const {
    return meta_.min_time_ms <= maxt && mint < meta_.max_time_ms;
  }

 private:
  Block(Env& env, std::string dir, BlockMeta meta, std::unique_ptr<index::IndexReader> index,
        std::unique_ptr<ChunkReader> chunks, std::shared_ptr<const Tombstones> tombstones);

  // Constant after Open.
  Env& env_;
  const std::string dir_;
  const BlockMeta meta_;
  const std::unique_ptr<index::IndexReader> index_;
  const std::unique_ptr<ChunkReader> chunks_;
  uint64_t index_bytes_ = 0;
  uint64_t chunk_bytes_ = 0;

  // Held for a whole Delete, so concurrent Deletes do not lose each other's
  // tombstones. Acquired before mu_.
  Mutex delete_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  mutable Mutex mu_;
  std::shared_ptr<const Tombstones> tombstones_ ABSL_GUARDED_BY(mu_);

  // Sizes of the files Delete rewrites.
  std::atomic<uint64_t> meta_bytes_{0};
  std::atomic<uint64_t> tombstones_bytes_{0};
};

// Puts a copy of the block directory `from` at `<to_dir>/<name>`, for
// snapshots, exports and imports. Block files never change in place (the
// tombstones and meta.json are replaced by rename), so they are hard-linked;
// where linking fails (another file system) they are copied. The copy is
// made in `<name>.tmp-for-creation` and renamed, so a crash never leaves
// half a block. Errors name the file.
[[nodiscard]] Status CloneBlock(Env& env, const std::string& from, const std::string& to_dir,
                                const std::string& name);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_BLOCK_H_
