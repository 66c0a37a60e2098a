#include "engine/compactor.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/block_writer.h"
#include "engine/merge.h"
#include "engine/ulid.h"

namespace strata::engine {

StatusOr<std::optional<BlockMeta>> WriteHeadBlock(Env& env, const std::string& data_dir,
                                                  const Head& head, int64_t mint, int64_t maxt) {
  const Ulid ulid = NewUlid(env.NowMillis());
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<BlockWriter> writer,
                          BlockWriter::Create(env, data_dir, ulid));
  STRATA_ASSIGN_OR_RETURN(uint64_t series, head.WriteBlock(*writer, mint, maxt));
  if (series == 0) return std::nullopt;  // the writer's destructor removes the temp dir
  BlockMeta meta;
  meta.ulid = ulid;
  meta.min_time_ms = mint;
  meta.max_time_ms = maxt;
  meta.compaction.level = 1;
  meta.compaction.sources = {ulid};
  return writer->Finish(std::move(meta));
}

namespace {

// One input block, positioned at its current series.
struct Cursor {
  const Block* block;
  std::vector<uint64_t> refs;
  size_t pos = 0;
  index::SeriesEntry entry;
  std::shared_ptr<const Tombstones> tombstones;

  bool done() const { return pos >= refs.size(); }
  Status Load() {
    if (done()) return absl::OkStatus();
    StatusOr<index::SeriesEntry> e = block->index().Series(refs[pos]);
    if (!e.ok()) return e.status();
    entry = std::move(*e);
    return absl::OkStatus();
  }
};

// The union of the blocks' symbol tables, sorted and unique.
std::vector<std::string_view> MergeSymbols(std::span<const std::shared_ptr<Block>> blocks) {
  std::vector<std::string_view> out;
  for (const auto& b : blocks) {
    const auto syms = b->index().Symbols();
    std::vector<std::string_view> merged;
    merged.reserve(out.size() + syms.size());
    std::set_union(out.begin(), out.end(), syms.begin(), syms.end(), std::back_inserter(merged));
    out = std::move(merged);
  }
  return out;
}

}  // namespace

StatusOr<std::optional<BlockMeta>> CompactBlocks(Env& env, const std::string& data_dir,
                                                 std::span<const std::shared_ptr<Block>> blocks,
                                                 const Block** damaged) {
  if (blocks.empty()) return absl::InvalidArgumentError("compact: no blocks");
  const Block* unused = nullptr;
  if (damaged == nullptr) damaged = &unused;
  *damaged = nullptr;
  // A failed read of `block`: remembered, and annotated with the block.
  auto read_failed = [&](const Block& block, const Status& s) {
    *damaged = &block;
    return Annotate(s, StrCat("block ", block.dir()));
  };
  BlockMeta meta;
  meta.ulid = NewUlid(env.NowMillis());
  meta.min_time_ms = INT64_MAX;
  meta.max_time_ms = INT64_MIN;
  meta.compaction.level = 0;
  std::set<Ulid> sources;
  for (const auto& b : blocks) {
    const BlockMeta& m = b->meta();
    meta.min_time_ms = std::min(meta.min_time_ms, m.min_time_ms);
    meta.max_time_ms = std::max(meta.max_time_ms, m.max_time_ms);
    meta.compaction.level = std::max(meta.compaction.level, m.compaction.level);
    sources.insert(m.compaction.sources.begin(), m.compaction.sources.end());
    meta.compaction.parents.push_back({m.ulid, m.min_time_ms, m.max_time_ms});
  }
  meta.compaction.level += 1;
  meta.compaction.sources.assign(sources.begin(), sources.end());

  std::vector<Cursor> cursors;
  for (const auto& b : blocks) {
    Cursor c{b.get(), {}, 0, {}, b->tombstones()};
    StatusOr<std::vector<uint64_t>> refs = b->index().AllPostings();
    if (!refs.ok()) return read_failed(*b, refs.status());
    c.refs = std::move(*refs);
    if (Status s = c.Load(); !s.ok()) return read_failed(*b, s);
    cursors.push_back(std::move(c));
  }

  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<BlockWriter> writer,
                          BlockWriter::Create(env, data_dir, meta.ulid));
  STRATA_RETURN_IF_ERROR(writer->AddSymbols(MergeSymbols(blocks)));

  uint64_t written = 0;
  std::vector<size_t> group;
  std::vector<TimedChunk> chunks;
  std::vector<EncodedChunk> encoded;
  for (;;) {
    // The smallest label set among the cursors, and who holds it.
    group.clear();
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (cursors[i].done()) continue;
      if (group.empty()) {
        group.push_back(i);
        continue;
      }
      const int c = Compare(cursors[i].entry.labels, cursors[group[0]].entry.labels);
      if (c < 0) group.clear();
      if (c <= 0) group.push_back(i);
    }
    if (group.empty()) break;
    const index::Labels labels = cursors[group[0]].entry.labels;

    bool verbatim = group.size() == 1;
    for (size_t i : group) {
      const Cursor& c = cursors[i];
      if (c.tombstones->Get(c.refs[c.pos]) != nullptr) verbatim = false;
    }
    chunks.clear();
    if (verbatim) {
      const Cursor& c = cursors[group[0]];
      for (const index::ChunkMeta& m : c.entry.chunks) {
        StatusOr<ChunkView> v = c.block->chunks().Chunk(m.ref);
        if (!v.ok()) return read_failed(*c.block, v.status());
        chunks.push_back({m.min_time_ms, m.max_time_ms, v->encoding, v->data});
      }
      verbatim = !ChunksOverlap(chunks);
    }
    if (!verbatim) {
      std::vector<std::unique_ptr<SampleIterator>> its;
      for (size_t i : group) {
        const Cursor& c = cursors[i];
        std::vector<TimedChunk> cs;
        for (const index::ChunkMeta& m : c.entry.chunks) {
          StatusOr<ChunkView> v = c.block->chunks().Chunk(m.ref);
          if (!v.ok()) return read_failed(*c.block, v.status());
          cs.push_back({m.min_time_ms, m.max_time_ms, v->encoding, v->data});
        }
        its.push_back(NewChunkSampleIterator(std::move(cs), c.tombstones->Get(c.refs[c.pos]),
                                             INT64_MIN, INT64_MAX));
      }
      std::unique_ptr<SampleIterator> it =
          its.size() == 1 ? std::move(its[0]) : NewMergeSampleIterator(std::move(its));
      encoded.clear();
      STRATA_RETURN_IF_ERROR(EncodeChunks(*it, 0, &encoded));
      chunks.clear();
      for (const EncodedChunk& e : encoded) {
        chunks.push_back({e.min_time_ms, e.max_time_ms, e.encoding, e.data});
      }
    }
    if (!chunks.empty()) {
      STRATA_RETURN_IF_ERROR(writer->AddSeries(labels, chunks));
      ++written;
    }
    for (size_t i : group) {
      ++cursors[i].pos;
      if (Status s = cursors[i].Load(); !s.ok()) return read_failed(*cursors[i].block, s);
    }
  }
  if (written == 0) return std::nullopt;  // the writer's destructor removes the temp dir
  return writer->Finish(std::move(meta));
}

}  // namespace strata::engine
