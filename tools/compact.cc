// `strata compact DIR`: offline compaction of a data directory (issue #9).
//
// Does to the blocks what a server's compactor would, then a little more:
//  1. deletes blocks marked deletable and, with --retention.time, blocks
//     past the retention (engine::BlocksBeyondRetention);
//  2. merges blocks while engine::PlanCompaction finds something to do
//     (overlapping blocks first, then the leveled ranges of
//     engine::BlockRangesFor), with engine::CompactBlocks;
//  3. rewrites every remaining block that has tombstones, so deleted samples
//     leave the files (the server only does so past a threshold).
//
// Blocks only: the head (wal/, chunks_head/) is left as it is, as in
// Prometheus, where the head's samples stay in the WAL until the server
// itself cuts them into a block. The directory lock is taken, so a running
// server (or another compact) makes the command fail; --dry-run takes no
// lock and writes nothing, it prints the plan.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/block.h"
#include "engine/block_meta.h"
#include "engine/compaction_plan.h"
#include "engine/compactor.h"
#include "engine/filenames.h"
#include "engine/ulid.h"
#include "strata/env.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"
#include "tools/progress.h"

namespace strata::tools {
namespace {

using engine::Block;
using engine::BlockMeta;
using engine::JoinPath;
using engine::Ulid;

// A block on disk, or (dry run) one the plan would write.
struct Entry {
  BlockMeta meta;
  uint64_t bytes = 0;
  std::shared_ptr<Block> block;  // null for a planned block
  bool has_tombstones = false;
};

struct Action {
  std::string kind;    // "delete", "merge", "rewrite"
  std::string reason;  // for delete: "retention" / "deletable"; merge: "overlap" / "level"
  std::vector<Ulid> inputs;
  std::optional<BlockMeta> output;  // none if every sample was deleted
};

class Compaction {
 public:
  Compaction(Env& env, std::string dir, bool dry_run)
      : env_(env), dir_(std::move(dir)), dry_run_(dry_run) {}

  [[nodiscard]] Status Load(std::vector<std::string>* warnings) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.GetChildren(dir_));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string path = JoinPath(dir_, name);
      if (name.ends_with(engine::kTmpForCreationSuffix) ||
          name.ends_with(engine::kTmpForDeletionSuffix)) {
        // Leftovers of an interrupted compaction, as the engine's start-up.
        if (!dry_run_) STRATA_RETURN_IF_ERROR(env_.RemoveAll(path));
        continue;
      }
      if (!engine::ParseUlid(name).ok() || !env_.IsDirectory(path)) continue;
      StatusOr<std::shared_ptr<Block>> block = Block::Open(env_, path);
      if (!block.ok()) {
        warnings->push_back(
            StrCat("block ", name, " left alone: ", std::string(block.status().message())));
        continue;
      }
      Entry e;
      e.meta = (*block)->meta();
      e.bytes = (*block)->size_bytes();
      e.has_tombstones = !(*block)->tombstones()->empty();
      e.block = std::move(*block);
      bytes_before_ += e.bytes;
      entries_.push_back(std::move(e));
    }
    return Status();
  }

  [[nodiscard]] Status Retention(int64_t retention_ms) {
    std::vector<BlockMeta> metas;
    std::vector<uint64_t> sizes;
    for (const Entry& e : entries_) {
      metas.push_back(e.meta);
      sizes.push_back(e.bytes);
    }
    for (const Ulid& u : engine::BlocksBeyondRetention(metas, sizes, retention_ms, 0, 0)) {
      const Entry* e = Find(u);
      Action a{"delete", e->meta.compaction.deletable ? "deletable" : "retention", {u}, {}};
      STRATA_RETURN_IF_ERROR(Remove({u}));
      actions_.push_back(std::move(a));
    }
    return Status();
  }

  [[nodiscard]] Status Merge(std::span<const int64_t> ranges) {
    for (int round = 0; round < 100000; ++round) {
      std::vector<BlockMeta> metas;
      for (const Entry& e : entries_) metas.push_back(e.meta);
      const std::vector<Ulid> plan = engine::PlanCompaction(metas, ranges);
      if (plan.empty()) return Status();
      bool overlap = false;
      for (const Ulid& a : plan) {
        for (const Ulid& b : plan) {
          const BlockMeta& x = Find(a)->meta;
          const BlockMeta& y = Find(b)->meta;
          overlap |= !(a == b) && x.min_time_ms < y.max_time_ms && y.min_time_ms < x.max_time_ms;
        }
      }
      const bool rewrite = plan.size() == 1;
      STRATA_RETURN_IF_ERROR(CompactInto(plan, rewrite ? "rewrite" : "merge",
                                         rewrite   ? "tombstones"
                                         : overlap ? "overlap"
                                                   : "level"));
    }
    return absl::InternalError("compaction plan does not converge");
  }

  // Rewrites every block that still has tombstones.
  [[nodiscard]] Status ApplyTombstones() {
    std::vector<Ulid> todo;
    for (const Entry& e : entries_) {
      if (e.has_tombstones) todo.push_back(e.meta.ulid);
    }
    for (const Ulid& u : todo) STRATA_RETURN_IF_ERROR(CompactInto({u}, "rewrite", "tombstones"));
    return Status();
  }

  // Clears the progress line before the report is printed.
  void ProgressDone() { progress_.Done(); }

  uint64_t bytes_before() const { return bytes_before_; }
  uint64_t bytes_after() const {
    uint64_t n = 0;
    for (const Entry& e : entries_) n += e.bytes;
    return n;
  }
  const std::vector<Action>& actions() const { return actions_; }
  size_t blocks() const { return entries_.size(); }

 private:
  const Entry* Find(const Ulid& u) const {
    for (const Entry& e : entries_) {
      if (e.meta.ulid == u) return &e;
    }
    return nullptr;
  }

  [[nodiscard]] Status CompactInto(const std::vector<Ulid>& ulids, std::string kind,
                                   std::string reason) {
    Action a{std::move(kind), std::move(reason), ulids, {}};
    Entry out;
    if (dry_run_) {
      // What CompactBlocks would write, short of the sample counts after
      // deletions.
      BlockMeta m;
      m.ulid = engine::NewUlid(env_.NowMillis());
      m.min_time_ms = INT64_MAX;
      m.max_time_ms = INT64_MIN;
      m.compaction.level = 0;
      for (const Ulid& u : ulids) {
        const Entry* e = Find(u);
        m.min_time_ms = std::min(m.min_time_ms, e->meta.min_time_ms);
        m.max_time_ms = std::max(m.max_time_ms, e->meta.max_time_ms);
        m.compaction.level = std::max(m.compaction.level, e->meta.compaction.level + 1);
        m.stats.num_samples += e->meta.stats.num_samples;
        m.stats.num_chunks += e->meta.stats.num_chunks;
        m.stats.num_series = std::max(m.stats.num_series, e->meta.stats.num_series);
        out.bytes += e->bytes;
      }
      a.output = m;
      out.meta = m;
    } else {
      std::vector<std::shared_ptr<Block>> inputs;
      uint64_t input_bytes = 0;
      for (const Ulid& u : ulids) {
        inputs.push_back(Find(u)->block);
        input_bytes += Find(u)->bytes;
      }
      STRATA_ASSIGN_OR_RETURN(a.output, engine::CompactBlocks(env_, dir_, inputs));
      progress_.Add(input_bytes);
      if (a.output.has_value()) {
        STRATA_ASSIGN_OR_RETURN(out.block,
                                Block::Open(env_, JoinPath(dir_, a.output->ulid.ToString())));
        out.meta = out.block->meta();
        out.bytes = out.block->size_bytes();
      }
    }
    STRATA_RETURN_IF_ERROR(Remove(ulids));
    if (a.output.has_value()) entries_.push_back(std::move(out));
    actions_.push_back(std::move(a));
    return Status();
  }

  // Takes the blocks out of the list and (unless dry run) deletes them the
  // way the engine does: rename to .tmp-for-deletion, then remove.
  [[nodiscard]] Status Remove(const std::vector<Ulid>& ulids) {
    std::vector<Entry> keep;
    std::vector<Entry> doomed;
    for (Entry& e : entries_) {
      const bool gone = std::find(ulids.begin(), ulids.end(), e.meta.ulid) != ulids.end();
      (gone ? doomed : keep).push_back(std::move(e));
    }
    entries_ = std::move(keep);
    if (dry_run_) return Status();
    for (Entry& e : doomed) {
      const std::string path = e.block->dir();
      e.block.reset();  // unmaps the files
      const std::string tmp = StrCat(path, engine::kTmpForDeletionSuffix);
      STRATA_RETURN_IF_ERROR(env_.Rename(path, tmp));
      STRATA_RETURN_IF_ERROR(env_.RemoveAll(tmp));
    }
    return env_.SyncDir(dir_);
  }

  Env& env_;
  const std::string dir_;
  const bool dry_run_;
  std::vector<Entry> entries_;
  std::vector<Action> actions_;
  Progress progress_{"compact", "bytes of blocks rewritten", 0};
  uint64_t bytes_before_ = 0;
};

std::string Describe(const BlockMeta& m) {
  return StrCat(m.ulid.ToString(), " [", m.min_time_ms, ", ", m.max_time_ms, ") level ",
                m.compaction.level, ", ", m.stats.num_samples, " samples");
}

void PrintHuman(const Compaction& c, bool dry_run, const std::string& dir,
                const std::vector<std::string>& warnings) {
  const char* prefix = dry_run ? "would " : "";
  for (const Action& a : c.actions()) {
    std::string inputs;
    for (const Ulid& u : a.inputs) StrAppend(&inputs, inputs.empty() ? "" : ", ", u.ToString());
    if (a.kind == "delete") {
      std::printf("%sdelete %s (%s)\n", prefix, inputs.c_str(), a.reason.c_str());
      continue;
    }
    std::printf("%s%s %s (%s) -> %s\n", prefix, a.kind.c_str(), inputs.c_str(), a.reason.c_str(),
                a.output.has_value() ? Describe(*a.output).c_str() : "nothing (all deleted)");
  }
  if (c.actions().empty()) std::printf("nothing to do\n");
  if (dry_run) {
    std::printf("%zu blocks, %llu bytes now; dry run: nothing changed\n", c.blocks(),
                static_cast<unsigned long long>(c.bytes_before()));
  } else {
    std::printf("%zu blocks now; %llu bytes before, %llu bytes after\n", c.blocks(),
                static_cast<unsigned long long>(c.bytes_before()),
                static_cast<unsigned long long>(c.bytes_after()));
  }
  std::printf("head (wal/, chunks_head/) of %s left as it is: offline compaction works on blocks\n",
              dir.c_str());
  for (const std::string& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

void PrintJson(const Compaction& c, bool dry_run, const std::vector<std::string>& warnings) {
  std::string out = StrCat("{\"dry_run\":", dry_run ? "true" : "false", ",\"actions\":[");
  bool first = true;
  for (const Action& a : c.actions()) {
    StrAppend(&out, first ? "" : ",", "{\"action\":\"", a.kind, "\",\"reason\":\"", a.reason,
              "\",\"inputs\":[");
    first = false;
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      StrAppend(&out, i == 0 ? "" : ",", "\"", a.inputs[i].ToString(), "\"");
    }
    out += "]";
    if (a.kind != "delete") {
      if (a.output.has_value()) {
        const BlockMeta& m = *a.output;
        StrAppend(&out, ",\"output\":{\"ulid\":\"", m.ulid.ToString(),
                  "\",\"min_time\":", m.min_time_ms, ",\"max_time\":", m.max_time_ms,
                  ",\"level\":", m.compaction.level, ",\"samples\":", m.stats.num_samples, "}");
      } else {
        out += ",\"output\":null";
      }
    }
    out += "}";
  }
  StrAppend(&out, "],\"blocks\":", c.blocks(), ",\"bytes_before\":", c.bytes_before());
  if (dry_run) {
    out += ",\"bytes_after\":null";
  } else {
    StrAppend(&out, ",\"bytes_after\":", c.bytes_after());
  }
  out += ",\"warnings\":[";
  for (size_t i = 0; i < warnings.size(); ++i) {
    if (i > 0) out += ",";
    AppendJsonString(&out, warnings[i]);
  }
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int RunCompact(const std::vector<std::string>& args) {
  absl::Duration retention = absl::ZeroDuration();
  absl::Duration block_duration = absl::Hours(2);
  bool dry_run = false;
  bool json = false;
  FlagParser flags(
      "strata compact DIR [flags]",
      "Compact a data directory offline, as the server's compactor would: merge overlapping\n"
      "blocks and small blocks into larger ones (leveled ranges), rewrite blocks with\n"
      "deletions (tombstones) so the deleted samples leave the files, and delete blocks past\n"
      "--retention.time. Blocks only: the head (wal/, chunks_head/) is left as it is. Takes the\n"
      "directory's lock: stop the server first. Exit 0 done, 1 done but a damaged block was\n"
      "left alone, 2 usage or I/O error (or the directory is locked).");
  flags.Duration("retention.time", &retention,
                 "delete blocks older than this before the newest sample (0: keep all); also "
                 "caps block size at 10% of it, as in the server");
  flags.Duration("block-duration", &block_duration,
                 "the smallest block range (--storage.tsdb.min-block-duration)");
  flags.Bool("dry-run", &dry_run, "print the plan; change nothing (takes no lock)");
  flags.Bool("json", &json, "print a JSON summary instead of text");
  std::vector<std::string> pos;
  if (auto exit = flags.ParseCommand(args, 1, "one data directory", &pos)) return *exit;
  auto fail = [&](std::string_view msg) { return flags.UsageError(msg); };
  const int64_t retention_ms = absl::ToInt64Milliseconds(retention);
  const int64_t block_ms = absl::ToInt64Milliseconds(block_duration);
  if (block_ms <= 0) return fail("--block-duration must be positive");
  const std::string& dir = pos[0];
  Env& env = *Env::Default();
  if (!env.IsDirectory(dir)) return fail(StrCat(dir, ": not a directory"));

  std::unique_ptr<FileLock> lock;
  if (!dry_run) {
    StatusOr<std::unique_ptr<FileLock>> l = env.LockFile(JoinPath(dir, engine::kLockFile));
    if (!l.ok()) {
      return fail(StrCat(dir,
                         " is locked by another process (is a server running on it? stop "
                         "it, or compact a copy): ",
                         std::string(l.status().message())));
    }
    lock = std::move(*l);
  }

  Compaction c(env, dir, dry_run);
  std::vector<std::string> warnings;
  // Plan with the ranges a server would use: with no retention flag it
  // assumes Prometheus' default 15d retention (max block 1.5d).
  const std::vector<int64_t> ranges = engine::BlockRangesFor(
      block_ms, retention_ms > 0 ? retention_ms : engine::kDefaultRetentionMs);
  Status s = c.Load(&warnings);
  if (s.ok()) s = c.Retention(retention_ms);
  if (s.ok()) s = c.Merge(ranges);
  if (s.ok()) s = c.ApplyTombstones();
  c.ProgressDone();
  if (!s.ok()) return flags.UsageError(s);
  if (json) {
    PrintJson(c, dry_run, warnings);
  } else {
    PrintHuman(c, dry_run, dir, warnings);
  }
  return warnings.empty() ? kExitOk : kExitProblems;
}

}  // namespace strata::tools
