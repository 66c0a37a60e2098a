// Replay and Repair of a WAL directory (see reader.h).
#include "wal/reader.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "wal/format.h"
#include "wal/records.h"
#include "wal/segment_reader.h"

namespace strata::wal {
namespace {

std::string Join(const std::string& dir, std::string_view name) { return StrCat(dir, "/", name); }

// What the segment being replayed is, for the handling of damage.
struct SegmentRole {
  uint32_t index = 0;
  bool last = false;           // the last segment of the WAL (a torn tail is expected)
  bool in_checkpoint = false;  // part of a checkpoint (not repairable by truncation)
};

Status ReplaySegment(Env& env, const std::string& path, const SegmentRole& role,
                     const ReplayOptions& options, const RecordVisitor& visit, ReplayStats* stats) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, env.MapFile(path));
  ++stats->segments;
  SegmentReader reader(file->data(), path);
  while (reader.Next()) {
    if (GetRecordType(reader.record()) == RecordType::kUnknown) {
      ++stats->unknown_records;
      continue;
    }
    Status s = visit(reader.record());
    if (!s.ok()) return Annotate(s, absl::StrFormat("%s offset %d", path, reader.record_offset()));
    ++stats->records;
  }
  if (reader.status().ok()) return absl::OkStatus();
  if (reader.torn() && role.last && !role.in_checkpoint) {
    stats->torn_tail_bytes = file->data().size() - reader.end_offset();
    file.reset();
    if (!options.cut_torn_tail) return absl::OkStatus();
    return Annotate(env.Truncate(path, reader.end_offset()), "cut torn WAL tail");
  }
  if (!role.in_checkpoint) stats->damage = WalPosition{role.index, reader.end_offset()};
  return reader.status();
}

Status ReplayCheckpoint(Env& env, const std::string& dir, const ReplayOptions& options,
                        const RecordVisitor& visit, ReplayStats* stats) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> segments, ListSegments(env, dir));
  for (uint32_t index : segments) {
    SegmentRole role{index, false, true};
    STRATA_RETURN_IF_ERROR(
        ReplaySegment(env, Join(dir, SegmentName(index)), role, options, visit, stats));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::vector<uint32_t>> ListSegments(Env& env, const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env.GetChildren(dir));
  std::vector<uint32_t> indexes;
  for (const std::string& name : names) {
    if (auto index = ParseSegmentName(name); index && !env.IsDirectory(Join(dir, name))) {
      indexes.push_back(*index);
    }
  }
  std::sort(indexes.begin(), indexes.end());
  return indexes;
}

StatusOr<std::optional<uint32_t>> LastCheckpoint(Env& env, const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env.GetChildren(dir));
  std::optional<uint32_t> last;
  for (const std::string& name : names) {
    auto index = ParseCheckpointName(name);
    if (index && (!last || *index > *last)) last = index;
  }
  return last;
}

Status Replay(Env& env, const std::string& dir, const ReplayOptions& options,
              const RecordVisitor& visit, ReplayStats* stats) {
  *stats = ReplayStats{};
  if (!env.IsDirectory(dir))
    return absl::NotFoundError(StrCat("WAL directory ", dir, " not found"));
  STRATA_ASSIGN_OR_RETURN(stats->checkpoint, LastCheckpoint(env, dir));
  if (stats->checkpoint) {
    const std::string cp = Join(dir, CheckpointName(*stats->checkpoint));
    STRATA_RETURN_IF_ERROR(
        Annotate(ReplayCheckpoint(env, cp, options, visit, stats), "replay checkpoint"));
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> segments, ListSegments(env, dir));
  // Segments a checkpoint covers are left over from an interrupted truncation.
  if (stats->checkpoint) {
    std::erase_if(segments, [&](uint32_t i) { return i <= *stats->checkpoint; });
  }
  for (size_t k = 0; k < segments.size(); ++k) {
    const bool gap = k > 0 ? segments[k] != segments[k - 1] + 1
                           : stats->checkpoint && segments[k] != *stats->checkpoint + 1;
    if (gap) {
      // Everything before the gap is intact; Repair drops what follows it.
      if (k > 0) {
        STRATA_ASSIGN_OR_RETURN(uint64_t size,
                                env.GetFileSize(Join(dir, SegmentName(segments[k - 1]))));
        stats->damage = WalPosition{segments[k - 1], size};
      }
      return absl::DataLossError(
          absl::StrFormat("%s: segment %s is missing", dir, SegmentName(segments[k] - 1)));
    }
    SegmentRole role{segments[k], k + 1 == segments.size(), false};
    STRATA_RETURN_IF_ERROR(
        ReplaySegment(env, Join(dir, SegmentName(segments[k])), role, options, visit, stats));
  }
  return absl::OkStatus();
}

Status Repair(Env& env, const std::string& dir, const WalPosition& good_end) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> segments, ListSegments(env, dir));
  for (uint32_t index : segments) {
    if (index <= good_end.segment) continue;
    STRATA_RETURN_IF_ERROR(Annotate(env.RemoveFile(Join(dir, SegmentName(index))), "repair WAL"));
  }
  const std::string path = Join(dir, SegmentName(good_end.segment));
  STRATA_RETURN_IF_ERROR(Annotate(env.Truncate(path, good_end.offset), "repair WAL"));
  return env.SyncDir(dir);
}

}  // namespace strata::wal
