// Checks of wal/ (segments and checkpoints) and chunks_head/
// (verify_checks.h). Read-only: a torn tail is reported, never cut.
#include <algorithm>
#include <memory>
#include <optional>

#include "base/strings.h"
#include "engine/chunk_format.h"
#include "engine/filenames.h"
#include "engine/head_chunk_file.h"
#include "tools/verify_checks.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/records.h"
#include "wal/segment_reader.h"

namespace strata::tools::verify {
namespace {

using engine::JoinPath;

// Decodes a record's payload to catch damage a matching CRC cannot (a
// record written wrongly in the first place).
Status DecodeRecord(std::string_view record) {
  switch (wal::GetRecordType(record)) {
    case wal::RecordType::kSeries: {
      std::vector<wal::RefSeries> out;
      return wal::DecodeSeries(record, &out);
    }
    case wal::RecordType::kSamples: {
      std::vector<wal::RefSample> out;
      return wal::DecodeSamples(record, &out);
    }
    case wal::RecordType::kTombstones: {
      std::vector<wal::Tombstone> out;
      return wal::DecodeTombstones(record, &out);
    }
    case wal::RecordType::kExemplars: {
      std::vector<wal::RefExemplar> out;
      return wal::DecodeExemplars(record, &out);
    }
    case wal::RecordType::kMetadata: {
      std::vector<wal::RefMetadata> out;
      return wal::DecodeMetadata(record, &out);
    }
    default:
      return absl::OkStatus();
  }
}

// Checks one segment file. `last`: the WAL's last segment, where a torn
// tail is what a crash leaves (Prometheus cuts it at start-up).
uint64_t VerifySegment(Context& ctx, const std::string& rel, bool last) {
  StatusOr<std::unique_ptr<MappedFile>> map = ctx.env.MapFile(ctx.Path(rel));
  if (!map.ok()) {
    ctx.findings.Problem(rel, -1, StrCat("cannot read: ", map.status().message()));
    return 0;
  }
  const std::string_view data = (*map)->data();
  uint64_t records = 0;
  uint64_t base = 0;  // where the current reader starts in the file
  while (base < data.size()) {
    wal::SegmentReader reader(data.substr(base), rel);
    while (reader.Next()) {
      ++records;
      if (Status s = DecodeRecord(reader.record()); !s.ok()) {
        ctx.findings.Problem(rel, static_cast<int64_t>(base + reader.record_offset()),
                             StrCat("record does not decode: ", s.message()));
      }
    }
    if (reader.status().ok()) break;
    int64_t offset = -1;
    std::string_view what = FromAbsl(reader.status().message());
    if (SplitLocated(FromAbsl(reader.status().message()), &offset, &what)) {
      offset += static_cast<int64_t>(base);
    }
    if (reader.torn() && last) {
      ctx.findings.Warning(rel, offset,
                           StrCat(what, ": torn tail of ", data.size() - base - reader.end_offset(),
                                  " bytes (Prometheus cuts it off at start-up)"));
      break;
    }
    ctx.findings.Problem(rel, offset, std::string(what));
    // Resume at the next page where a record starts cleanly.
    uint64_t next =
        (static_cast<uint64_t>(std::max<int64_t>(offset, 0)) / wal::kPageSize + 1) * wal::kPageSize;
    for (; next < data.size(); next += wal::kPageSize) {
      wal::SegmentReader probe(data.substr(next), rel);
      if (probe.Next()) break;
    }
    if (next >= data.size()) break;
    ctx.findings.Warning(rel, offset, StrCat("skipped to the next intact record at offset ", next));
    base = next;
  }
  ctx.AddProgress(data.size());
  return records;
}

// Checks the segments of `rel_dir`; `torn_ok` allows a torn tail in the
// last one.
void VerifySegments(Context& ctx, const std::string& rel_dir, bool torn_ok, WalSummary* s) {
  StatusOr<std::vector<uint32_t>> segments = wal::ListSegments(ctx.env, ctx.Path(rel_dir));
  if (!segments.ok()) {
    ctx.findings.Problem(rel_dir, -1, StrCat("cannot list: ", segments.status().message()));
    return;
  }
  for (size_t i = 0; i < segments->size(); ++i) {
    const uint32_t index = (*segments)[i];
    if (i > 0 && index != (*segments)[i - 1] + 1) {
      ctx.findings.Problem(JoinPath(rel_dir, wal::SegmentName((*segments)[i - 1] + 1)), -1,
                           "missing (the segment numbers have a gap)");
    }
    ++s->segments;
    s->records += VerifySegment(ctx, JoinPath(rel_dir, wal::SegmentName(index)),
                                torn_ok && i + 1 == segments->size());
  }
}

}  // namespace

WalSummary VerifyWal(Context& ctx) {
  WalSummary s;
  const std::string wal_rel(engine::kWalDir);
  if (!ctx.env.IsDirectory(ctx.Path(wal_rel))) return s;
  s.present = true;
  StatusOr<std::vector<std::string>> children = ctx.env.GetChildren(ctx.Path(wal_rel));
  if (!children.ok()) {
    ctx.findings.Problem(wal_rel, -1, StrCat("cannot list: ", children.status().message()));
    return s;
  }
  std::vector<uint32_t> checkpoints;
  for (const std::string& c : *children) {
    if (std::optional<uint32_t> n = wal::ParseCheckpointName(c)) checkpoints.push_back(*n);
  }
  std::sort(checkpoints.begin(), checkpoints.end());
  for (uint32_t n : checkpoints) {
    ++s.checkpoints;
    VerifySegments(ctx, JoinPath(wal_rel, wal::CheckpointName(n)), false, &s);
  }
  VerifySegments(ctx, wal_rel, true, &s);
  return s;
}

HeadChunksSummary VerifyHeadChunks(Context& ctx) {
  HeadChunksSummary s;
  const std::string dir_rel(engine::kHeadChunksDir);
  StatusOr<std::vector<uint32_t>> files = engine::ListHeadChunkFiles(ctx.env, ctx.Path(dir_rel));
  if (!files.ok()) {
    ctx.findings.Problem(dir_rel, -1, StrCat("cannot list: ", files.status().message()));
    return s;
  }
  for (size_t i = 0; i < files->size(); ++i) {
    const std::string rel = JoinPath(dir_rel, engine::ChunkSegmentName((*files)[i]));
    const bool last = i + 1 == files->size();
    ++s.files;
    StatusOr<std::unique_ptr<MappedFile>> map = ctx.env.MapFile(ctx.Path(rel));
    if (!map.ok()) {
      ctx.findings.Problem(rel, -1, StrCat("cannot read: ", map.status().message()));
      continue;
    }
    const std::string_view data = (*map)->data();
    if (Status h = engine::CheckHeadChunkFileHeader(data, rel); !h.ok()) {
      ctx.findings.AddLocated(Severity::kProblem, rel, FromAbsl(h.message()));
      continue;
    }
    for (uint64_t off = engine::kHeadChunkHeaderSize; off < data.size();) {
      engine::HeadChunk chunk;
      StatusOr<size_t> n = engine::DecodeHeadChunk(data.substr(off), &chunk);
      if (!n.ok()) {
        // A chunk cut short at the end of the newest file is what a crash
        // leaves; Prometheus drops it and replays its samples from the WAL.
        const bool torn = last && n.status().message().find("past the end") != std::string::npos;
        ctx.findings.Add(torn ? Severity::kWarning : Severity::kProblem, rel,
                         static_cast<int64_t>(off), std::string(n.status().message()));
        break;
      }
      if (*n == 0) break;  // zero padding ends the file
      ++s.chunks;
      off += *n;
    }
    ctx.AddProgress(data.size());
  }
  return s;
}

}  // namespace strata::tools::verify
