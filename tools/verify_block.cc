// Checks of one block directory: meta.json, chunks/, index, tombstones and
// the references from index to chunks (see verify_checks.h).
#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "compression/byte_order.h"
#include "compression/chunk.h"
#include "compression/chunk_encoding.h"
#include "compression/crc32c.h"
#include "compression/varint.h"
#include "engine/block_meta.h"
#include "engine/chunk_format.h"
#include "engine/filenames.h"
#include "engine/tombstones.h"
#include "tools/verify_checks.h"
#include "tools/verify_index.h"

namespace strata::tools::verify {
namespace {

using engine::JoinPath;

// Largest chunk a resynchronisation accepts as a candidate (a float XOR
// chunk is at most a few KiB; histogram chunks stay far below this).
constexpr uint64_t kMaxChunkBytes = 1u << 20;
// How far a resynchronisation scans for the next valid chunk.
constexpr uint64_t kMaxResyncBytes = 16u << 20;

enum class ChunkState { kOk, kPastEnd, kBadHeader, kBadCrc };

struct DecodedChunk {
  ChunkState state = ChunkState::kBadHeader;
  compression::ChunkEncoding encoding = compression::ChunkEncoding::kNone;
  std::string_view data;
  uint64_t end = 0;  // offset after the CRC
  uint32_t want_crc = 0, got_crc = 0;
  uint64_t length = 0;
};

// Decodes the chunk at `off` of a segment (chunks.md: len <uvarint> |
// encoding <1> | data <len> | CRC32C(encoding, data) <4>).
DecodedChunk ChunkAt(std::string_view seg, uint64_t off) {
  DecodedChunk c;
  if (off < engine::kChunkSegmentHeaderSize || off >= seg.size()) {
    c.state = ChunkState::kPastEnd;
    return c;
  }
  std::string_view in = seg.substr(off);
  if (!compression::ConsumeUvarint(&in, &c.length)) {
    c.state =
        in.size() < compression::kMaxVarintLen64 ? ChunkState::kPastEnd : ChunkState::kBadHeader;
    return c;
  }
  if (in.size() < 1 + engine::kChunkChecksumSize ||
      c.length > in.size() - 1 - engine::kChunkChecksumSize) {
    c.state = ChunkState::kPastEnd;
    return c;
  }
  c.encoding = static_cast<compression::ChunkEncoding>(in[0]);
  c.data = in.substr(1, c.length);
  c.want_crc = compression::LoadBE32(in.data() + 1 + c.length);
  c.got_crc = compression::crc32c::Value(in.data(), 1 + c.length);
  c.end = seg.size() - in.size() + 1 + c.length + engine::kChunkChecksumSize;
  c.state = c.want_crc == c.got_crc ? ChunkState::kOk : ChunkState::kBadCrc;
  return c;
}

struct Segment {
  std::string rel;  // "01H…/chunks/000001"
  std::unique_ptr<MappedFile> map;
  std::set<uint64_t> damaged;  // offsets of chunks already reported
};

// Walks every chunk of one segment file, checking each CRC.
uint64_t WalkSegment(Context& ctx, Segment& seg) {
  const std::string_view data = seg.map->data();
  Findings& f = ctx.findings;
  if (data.size() < engine::kChunkSegmentHeaderSize) {
    f.Problem(seg.rel, 0, StrCat("file of ", data.size(), " bytes is shorter than the header"));
    return 0;
  }
  if (compression::LoadBE32(data.data()) != engine::kChunkSegmentMagic) {
    f.Problem(seg.rel, 0, "bad magic number (not a chunk segment)");
  }
  if (static_cast<uint8_t>(data[4]) != engine::kChunkSegmentVersion) {
    f.Problem(seg.rel, 4, StrCat("unknown chunk segment version ", static_cast<int>(data[4])));
  }
  uint64_t chunks = 0, reported = engine::kChunkSegmentHeaderSize;
  for (uint64_t off = engine::kChunkSegmentHeaderSize; off < data.size();) {
    const DecodedChunk c = ChunkAt(data, off);
    if (off - reported >= (1u << 20)) {
      ctx.AddProgress(off - reported);
      reported = off;
    }
    if (c.state == ChunkState::kOk) {
      ++chunks;
      off = c.end;
      continue;
    }
    seg.damaged.insert(off);
    if (c.state == ChunkState::kPastEnd) {
      f.Problem(seg.rel, static_cast<int64_t>(off),
                StrCat("chunk of ", c.length, " bytes runs past the end of the file (", data.size(),
                       " bytes): truncated"));
      break;
    }
    if (c.state == ChunkState::kBadCrc) {
      f.Problem(
          seg.rel, static_cast<int64_t>(off),
          StrCat("chunk CRC mismatch (want ", Crc(c.want_crc), ", got ", Crc(c.got_crc), ")"));
      // The length may be intact: go on after this chunk if the next one
      // checks out.
      if (c.end == data.size() || ChunkAt(data, c.end).state == ChunkState::kOk) {
        off = c.end;
        continue;
      }
    } else {
      f.Problem(seg.rel, static_cast<int64_t>(off), "bad chunk length");
    }
    uint64_t next = off + 1;
    const uint64_t limit = std::min<uint64_t>(data.size(), off + kMaxResyncBytes);
    for (; next < limit; ++next) {
      const DecodedChunk n = ChunkAt(data, next);
      if (n.state == ChunkState::kOk && n.length <= kMaxChunkBytes) break;
    }
    if (next >= limit) break;
    f.Warning(seg.rel, static_cast<int64_t>(off),
              StrCat("skipped ", next - off, " damaged bytes; resumed at offset ", next));
    off = next;
  }
  ctx.AddProgress(data.size() - reported);
  return chunks;
}

// Checks the chunks of one index series against the segments and the
// block's range; adds the samples to `*samples`.
void CheckSeriesChunks(Context& ctx, const std::string& index_rel, const IndexSeries& s,
                       std::vector<Segment>& segments, const BlockSummary& b, uint64_t* samples) {
  Findings& f = ctx.findings;
  const auto where = [&](size_t i) {
    const index::ChunkMeta& c = s.chunks[i];
    return StrCat("series ", IndexChecker::LabelsString(s.labels), ": chunk ", i, " (ref ",
                  engine::ChunkRef::Sequence(c.ref), ":", engine::ChunkRef::Offset(c.ref), ", [",
                  c.min_time_ms, ", ", c.max_time_ms, "])");
  };
  const int64_t off = static_cast<int64_t>(s.offset);
  // Chunks decode through the chunk interface (compression/chunk.h), one
  // iterator reused for all of them.
  std::unique_ptr<compression::ChunkIterator> it;
  constexpr size_t kBatch = 128;
  int64_t ts[kBatch];
  uint64_t vs[kBatch];
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    const index::ChunkMeta& c = s.chunks[i];
    if (c.min_time_ms > c.max_time_ms) {
      f.Problem(index_rel, off, StrCat(where(i), ": min time after max time"));
    }
    if (b.meta_ok && (c.min_time_ms < b.min_time_ms || c.max_time_ms >= b.max_time_ms)) {
      f.Problem(index_rel, off,
                StrCat(where(i), ": outside the block's range [", b.min_time_ms, ", ",
                       b.max_time_ms, ")"));
    }
    const uint32_t seq = engine::ChunkRef::Sequence(c.ref);
    if (seq >= segments.size() || segments[seq].map == nullptr) {
      f.Problem(index_rel, off,
                StrCat(where(i), ": segment ", engine::ChunkSegmentName(seq + 1), " is missing"));
      continue;
    }
    Segment& seg = segments[seq];
    const uint64_t chunk_off = engine::ChunkRef::Offset(c.ref);
    const DecodedChunk d = ChunkAt(seg.map->data(), chunk_off);
    if (d.state != ChunkState::kOk) {
      if (seg.damaged.count(chunk_off) != 0) continue;  // reported with the segment
      f.Problem(index_rel, off,
                StrCat(where(i),
                       d.state == ChunkState::kPastEnd
                           ? StrCat(": points past the end of ", seg.rel)
                           : StrCat(": no valid chunk at offset ", chunk_off, " of ", seg.rel)));
      continue;
    }
    StatusOr<std::unique_ptr<compression::ChunkIterator>> opened =
        compression::NewChunkIterator(d.encoding, d.data, std::move(it));
    if (!opened.ok()) {
      // Prometheus' histogram chunks, not implemented yet: CRC only.
      if (!compression::IsKnownChunkEncoding(d.encoding)) {
        f.Problem(seg.rel, static_cast<int64_t>(chunk_off), std::string(opened.status().message()));
      }
      continue;
    }
    it = std::move(*opened);
    int64_t first = 0, last = 0;
    uint64_t n = 0;
    for (size_t got; (got = it->NextBatch(ts, vs, kBatch)) > 0;) {
      if (n == 0) first = ts[0];
      last = ts[got - 1];
      n += got;
    }
    *samples += n;
    if (!it->status().ok()) {
      f.Problem(seg.rel, static_cast<int64_t>(chunk_off),
                StrCat(compression::ChunkEncodingName(d.encoding),
                       " chunk does not decode: ", it->status().message()));
      continue;
    }
    if (n > 0 && (first != c.min_time_ms || last != c.max_time_ms)) {
      f.Problem(index_rel, off,
                StrCat(where(i), ": the chunk holds samples from ", first, " to ", last));
    }
  }
}

void CheckMeta(Context& ctx, const std::string& name, engine::BlockMeta* meta, BlockSummary* b) {
  const std::string rel = JoinPath(name, engine::kBlockMetaFile);
  if (!ctx.env.FileExists(ctx.Path(rel))) {
    ctx.findings.Problem(rel, -1, "missing");
    return;
  }
  StatusOr<engine::BlockMeta> m = engine::ReadBlockMeta(ctx.env, ctx.Path(name));
  if (!m.ok()) {
    ctx.findings.Problem(rel, -1, std::string(m.status().message()));
    return;
  }
  *meta = *m;
  if (m->ulid.ToString() != name) {
    ctx.findings.Problem(rel, -1,
                         StrCat("ULID ", m->ulid.ToString(), " differs from the directory name"));
  }
  if (m->min_time_ms >= m->max_time_ms) {
    ctx.findings.Problem(
        rel, -1, StrCat("minTime ", m->min_time_ms, " not before maxTime ", m->max_time_ms));
    return;
  }
  b->meta_ok = true;
  b->min_time_ms = m->min_time_ms;
  b->max_time_ms = m->max_time_ms;
}

std::vector<Segment> OpenSegments(Context& ctx, const std::string& name) {
  std::vector<Segment> segments;
  const std::string rel_dir = JoinPath(name, engine::kBlockChunksDir);
  StatusOr<std::vector<std::string>> children = ctx.env.GetChildren(ctx.Path(rel_dir));
  if (!children.ok()) {
    ctx.findings.Problem(rel_dir, -1, StrCat("cannot list: ", children.status().message()));
    return segments;
  }
  std::vector<uint32_t> numbers;
  for (const std::string& c : *children) {
    uint32_t n;
    if (engine::ParseChunkSegmentName(c, &n)) numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  if (numbers.empty()) return segments;
  segments.resize(numbers.back());
  for (uint32_t want = 1, i = 0; i < numbers.size(); ++want) {
    Segment& seg = segments[want - 1];
    seg.rel = JoinPath(rel_dir, engine::ChunkSegmentName(want));
    if (numbers[i] != want) {
      ctx.findings.Problem(seg.rel, -1, "missing (the segment numbers have a gap)");
      continue;
    }
    ++i;
    StatusOr<std::unique_ptr<MappedFile>> map = ctx.env.MapFile(ctx.Path(seg.rel));
    if (!map.ok()) {
      ctx.findings.Problem(seg.rel, -1, StrCat("cannot read: ", map.status().message()));
      continue;
    }
    seg.map = std::move(*map);
  }
  return segments;
}

void CheckTombstones(Context& ctx, const std::string& name, const IndexChecker* index,
                     const engine::BlockMeta& meta, bool meta_ok) {
  const std::string rel = JoinPath(name, engine::kBlockTombstonesFile);
  if (!ctx.env.FileExists(ctx.Path(rel))) return;  // none, as in Prometheus
  StatusOr<std::unique_ptr<MappedFile>> map = ctx.env.MapFile(ctx.Path(rel));
  if (!map.ok()) {
    ctx.findings.Problem(rel, -1, StrCat("cannot read: ", map.status().message()));
    return;
  }
  ctx.AddProgress((*map)->data().size());
  StatusOr<engine::Tombstones> t = engine::DecodeTombstonesFile((*map)->data());
  if (!t.ok()) {
    ctx.findings.AddLocated(Severity::kProblem, rel, FromAbsl(t.status().message()));
    return;
  }
  for (const auto& [ref, ivs] : t->by_series()) {
    if (index != nullptr && !index->IsSeriesRef(ref)) {
      ctx.findings.Problem(rel, -1, StrCat("tombstone for series ", ref, ", not in the index"));
    }
  }
  if (meta_ok && t->total() != meta.stats.num_tombstones) {
    ctx.findings.Warning(
        rel, -1,
        StrCat("holds ", t->total(), " intervals; meta.json says ", meta.stats.num_tombstones));
  }
}

}  // namespace

BlockSummary VerifyBlock(Context& ctx, const std::string& name) {
  BlockSummary b;
  b.name = name;
  engine::BlockMeta meta;
  CheckMeta(ctx, name, &meta, &b);

  std::vector<Segment> segments = OpenSegments(ctx, name);
  uint64_t segment_chunks = 0;
  for (Segment& seg : segments) {
    if (seg.map != nullptr) segment_chunks += WalkSegment(ctx, seg);
  }

  const std::string index_rel = JoinPath(name, engine::kBlockIndexFile);
  std::unique_ptr<MappedFile> index_map;
  std::unique_ptr<IndexChecker> index;
  if (!ctx.env.FileExists(ctx.Path(index_rel))) {
    ctx.findings.Problem(index_rel, -1, "missing");
  } else if (StatusOr<std::unique_ptr<MappedFile>> m = ctx.env.MapFile(ctx.Path(index_rel));
             !m.ok()) {
    ctx.findings.Problem(index_rel, -1, StrCat("cannot read: ", m.status().message()));
  } else {
    index_map = std::move(*m);
    index = std::make_unique<IndexChecker>(ctx.findings, index_rel, index_map->data());
    uint64_t progress_step = 0;
    index->Run([&](const IndexSeries& s) {
      b.chunks += s.chunks.size();
      CheckSeriesChunks(ctx, index_rel, s, segments, b, &b.samples);
      if (++progress_step % 1024 == 0) ctx.AddProgress(0);
    });
    b.series = index->series();
    ctx.AddProgress(index_map->data().size());
  }

  if (b.meta_ok && index != nullptr) {
    const std::string meta_rel = JoinPath(name, engine::kBlockMetaFile);
    const auto check = [&](std::string_view what, uint64_t want, uint64_t got) {
      if (want != got) {
        ctx.findings.Problem(meta_rel, -1,
                             StrCat("stats.", what, " is ", want, " but the block holds ", got));
      }
    };
    check("numSeries", meta.stats.num_series, b.series);
    check("numChunks", meta.stats.num_chunks, b.chunks);
    check("numSamples", meta.stats.num_samples, b.samples);
  }
  if (index != nullptr && segment_chunks != b.chunks) {
    ctx.findings.Warning(
        JoinPath(name, engine::kBlockChunksDir), -1,
        StrCat("holds ", segment_chunks, " intact chunks; the index references ", b.chunks));
  }
  CheckTombstones(ctx, name, index.get(), meta, b.meta_ok);
  return b;
}

void CheckOverlaps(Context& ctx, const std::vector<BlockSummary>& blocks) {
  std::vector<const BlockSummary*> sorted;
  for (const BlockSummary& b : blocks) {
    if (b.meta_ok) sorted.push_back(&b);
  }
  std::sort(sorted.begin(), sorted.end(), [](const BlockSummary* a, const BlockSummary* b) {
    return a->min_time_ms < b->min_time_ms;
  });
  for (size_t i = 1; i < sorted.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (sorted[j]->max_time_ms > sorted[i]->min_time_ms) {
        ctx.findings.Warning(
            JoinPath(sorted[i]->name, engine::kBlockMetaFile), -1,
            StrCat("time range [", sorted[i]->min_time_ms, ", ", sorted[i]->max_time_ms,
                   ") overlaps block ", sorted[j]->name, " [", sorted[j]->min_time_ms, ", ",
                   sorted[j]->max_time_ms, ")"));
      }
    }
  }
}

std::string Crc(uint32_t v) { return absl::StrFormat("%08x", v); }

}  // namespace strata::tools::verify
