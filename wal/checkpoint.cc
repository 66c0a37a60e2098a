// WAL checkpoints (see checkpoint.h and Prometheus tsdb/wlog/checkpoint.go).
#include "wal/checkpoint.h"

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/records.h"
#include "wal/segment_reader.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

// Records are handed to the checkpoint's writer in batches of about this
// many bytes, so the copy costs few writes without holding much memory.
constexpr size_t kBatchBytes = 1 << 20;

// Decodes, filters and re-encodes records into batches for the writer.
class Filter {
 public:
  Filter(Writer& out, const std::function<bool(uint64_t)>& keep, int64_t mint)
      : out_(out), keep_(keep), mint_(mint) {}

  [[nodiscard]] Status Add(std::string_view record);
  // Writes the latest metadata of each kept series and what is pending.
  [[nodiscard]] Status Finish();
  const CheckpointStats& stats() const { return stats_; }

 private:
  template <typename T, typename Decode, typename Pred, typename Encode>
  Status Rewrite(std::string_view record, Decode decode, Pred pred, Encode encode, uint64_t* kept,
                 uint64_t* dropped);
  Status Flush();

  Writer& out_;
  const std::function<bool(uint64_t)>& keep_;
  const int64_t mint_;
  std::map<uint64_t, RefMetadata> metadata_;  // latest per series, as Prometheus keeps
  std::vector<std::string> pending_;
  size_t pending_bytes_ = 0;
  CheckpointStats stats_;
};

template <typename T, typename Decode, typename Pred, typename Encode>
Status Filter::Rewrite(std::string_view record, Decode decode, Pred pred, Encode encode,
                       uint64_t* kept, uint64_t* dropped) {
  std::vector<T> entries;
  STRATA_RETURN_IF_ERROR(decode(record, &entries));
  std::erase_if(entries, [&](const T& e) {
    if (pred(e)) return false;
    ++*dropped;
    return true;
  });
  *kept += entries.size();
  if (entries.empty()) return absl::OkStatus();
  std::string encoded;
  encode(std::span<const T>(entries), &encoded);
  pending_bytes_ += encoded.size();
  pending_.push_back(std::move(encoded));
  return pending_bytes_ >= kBatchBytes ? Flush() : absl::OkStatus();
}

Status Filter::Add(std::string_view record) {
  CheckpointStats& s = stats_;
  switch (GetRecordType(record)) {
    case RecordType::kSeries:
      return Rewrite<RefSeries>(
          record, DecodeSeries, [&](const RefSeries& e) { return keep_(e.ref); }, EncodeSeries,
          &s.series_kept, &s.series_dropped);
    case RecordType::kSamples:
      return Rewrite<RefSample>(
          record, DecodeSamples, [&](const RefSample& e) { return e.t >= mint_; }, EncodeSamples,
          &s.samples_kept, &s.samples_dropped);
    case RecordType::kTombstones:
      return Rewrite<Tombstone>(
          record, DecodeTombstones, [&](const Tombstone& e) { return e.maxt >= mint_; },
          EncodeTombstones, &s.tombstones_kept, &s.tombstones_dropped);
    case RecordType::kExemplars:
      return Rewrite<RefExemplar>(
          record, DecodeExemplars, [&](const RefExemplar& e) { return e.t >= mint_; },
          EncodeExemplars, &s.exemplars_kept, &s.exemplars_dropped);
    case RecordType::kMetadata: {
      std::vector<RefMetadata> entries;
      STRATA_RETURN_IF_ERROR(DecodeMetadata(record, &entries));
      for (RefMetadata& m : entries) metadata_[m.ref] = std::move(m);
      return absl::OkStatus();
    }
    default:
      ++s.records_dropped_undecodable;
      return absl::OkStatus();
  }
}

Status Filter::Flush() {
  if (pending_.empty()) return absl::OkStatus();
  std::vector<std::string_view> views(pending_.begin(), pending_.end());
  STRATA_RETURN_IF_ERROR(out_.Log(views));
  pending_.clear();
  pending_bytes_ = 0;
  return absl::OkStatus();
}

Status Filter::Finish() {
  std::vector<RefMetadata> kept;
  for (auto& [ref, m] : metadata_) {
    if (keep_(ref)) kept.push_back(std::move(m));
  }
  stats_.metadata_kept = kept.size();
  if (!kept.empty()) {
    pending_.emplace_back();
    EncodeMetadata(kept, &pending_.back());
  }
  return Flush();
}

// Feeds every record of segment file `path` to `filter`; any damage fails.
Status CopySegment(Env& env, const std::string& path, Filter& filter) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, env.MapFile(path));
  SegmentReader reader(file->data(), path);
  while (reader.Next()) {
    Status s = filter.Add(reader.record());
    if (!s.ok()) return Annotate(s, absl::StrFormat("%s offset %d", path, reader.record_offset()));
  }
  return reader.status();
}

// Paths of the segments the new checkpoint covers, oldest first.
StatusOr<std::vector<std::string>> Sources(Env& env, const std::string& dir,
                                           std::optional<uint32_t> previous, uint32_t last) {
  std::vector<std::string> paths;
  if (previous) {
    const std::string cp = StrCat(dir, "/", CheckpointName(*previous));
    STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> segs, ListSegments(env, cp));
    for (uint32_t i : segs) paths.push_back(StrCat(cp, "/", SegmentName(i)));
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> segs, ListSegments(env, dir));
  for (uint32_t i : segs) {
    if ((!previous || i > *previous) && i <= last)
      paths.push_back(StrCat(dir, "/", SegmentName(i)));
  }
  return paths;
}

// Deletes the segments up to `last` and the checkpoints older than `last`.
Status DeleteCovered(Env& env, const std::string& dir, uint32_t last) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env.GetChildren(dir));
  for (const std::string& name : names) {
    auto seg = ParseSegmentName(name);
    auto cp = ParseCheckpointName(name);
    if (seg && *seg <= last) STRATA_RETURN_IF_ERROR(env.RemoveFile(StrCat(dir, "/", name)));
    if (cp && *cp < last) STRATA_RETURN_IF_ERROR(env.RemoveAll(StrCat(dir, "/", name)));
  }
  return env.SyncDir(dir);
}

}  // namespace

StatusOr<CheckpointStats> Checkpoint(Env& env, const std::string& dir, uint32_t last_segment,
                                     const std::function<bool(uint64_t ref)>& keep, int64_t mint_ms,
                                     const CheckpointOptions& options) {
  STRATA_ASSIGN_OR_RETURN(std::optional<uint32_t> previous, LastCheckpoint(env, dir));
  if (previous && *previous >= last_segment) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: checkpoint of segment %d requested, but %s exists", dir, last_segment,
                        CheckpointName(*previous)));
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> sources,
                          Sources(env, dir, previous, last_segment));
  const std::string final_dir = StrCat(dir, "/", CheckpointName(last_segment));
  const std::string tmp_dir = StrCat(final_dir, kTmpSuffix);
  STRATA_RETURN_IF_ERROR(env.RemoveAll(tmp_dir));

  WriterOptions wopts;
  wopts.compress = options.compress;
  wopts.sync_policy = SyncPolicy::kNever;  // Close() syncs
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Writer> writer, Writer::Open(env, tmp_dir, wopts));
  Filter filter(*writer, keep, mint_ms);
  for (const std::string& path : sources) {
    STRATA_RETURN_IF_ERROR(Annotate(CopySegment(env, path, filter), "create WAL checkpoint"));
  }
  STRATA_RETURN_IF_ERROR(filter.Finish());
  STRATA_RETURN_IF_ERROR(writer->Close());
  STRATA_RETURN_IF_ERROR(env.Rename(tmp_dir, final_dir));
  STRATA_RETURN_IF_ERROR(env.SyncDir(dir));
  STRATA_RETURN_IF_ERROR(
      Annotate(DeleteCovered(env, dir, last_segment), "delete checkpointed WAL"));
  return filter.stats();
}

}  // namespace strata::wal
