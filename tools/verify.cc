// `strata verify DIR`: checks every checksum and cross-reference of a data
// directory (blocks, WAL, checkpoints, chunks_head) without changing it,
// and reports each problem with its file and byte offset. The checks live
// in verify_checks.h; this file is the command: flags, the walk over the
// directory and the report.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/strings.h"
#include "engine/filenames.h"
#include "engine/ulid.h"
#include "strata/env.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"
#include "tools/progress.h"
#include "tools/verify_checks.h"

namespace strata::tools {
namespace {

using verify::BlockSummary;
using verify::Finding;
using verify::Severity;

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return StrCat(n, " ", n == 1 ? one : many);
}

void PrintJson(const verify::Context& ctx, const std::vector<BlockSummary>& blocks,
               const verify::WalSummary& wal, const verify::HeadChunksSummary& head) {
  std::string out = "{\"directory\":";
  AppendJsonString(&out, ctx.root);
  out += ",\"blocks\":[";
  for (size_t i = 0; i < blocks.size(); ++i) {
    const BlockSummary& b = blocks[i];
    out += i == 0 ? "{\"ulid\":" : ",{\"ulid\":";
    AppendJsonString(&out, b.name);
    StrAppend(&out, ",\"series\":", b.series, ",\"chunks\":", b.chunks, ",\"samples\":", b.samples);
    if (b.meta_ok) {
      StrAppend(&out, ",\"minTime\":", b.min_time_ms, ",\"maxTime\":", b.max_time_ms);
    }
    out += "}";
  }
  StrAppend(&out, "],\"wal\":{\"present\":", wal.present ? "true" : "false",
            ",\"segments\":", wal.segments, ",\"checkpoints\":", wal.checkpoints,
            ",\"records\":", wal.records, "},\"chunksHead\":{\"files\":", head.files,
            ",\"chunks\":", head.chunks, "},\"findings\":[");
  const std::vector<Finding>& list = ctx.findings.list();
  for (size_t i = 0; i < list.size(); ++i) {
    const Finding& f = list[i];
    out += i == 0 ? "{\"severity\":" : ",{\"severity\":";
    out += f.severity == Severity::kProblem ? "\"problem\"" : "\"warning\"";
    out += ",\"file\":";
    AppendJsonString(&out, f.file);
    if (f.offset >= 0) StrAppend(&out, ",\"offset\":", f.offset);
    out += ",\"message\":";
    AppendJsonString(&out, f.message);
    out += "}";
  }
  StrAppend(&out, "],\"problems\":", ctx.findings.problems(),
            ",\"warnings\":", ctx.findings.warnings(), "}\n");
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  bool json = false;
  FlagParser flags("strata verify [flags] DIR",
                   "Checks a data directory without changing it: every CRC of every chunk, index\n"
                   "section, series entry, postings list, tombstones file, WAL and checkpoint\n"
                   "record and head chunk; meta.json; that every chunk the index references\n"
                   "exists and matches its time range; that series, labels and symbols are\n"
                   "sorted; overlapping blocks. Each problem is printed with its file and byte\n"
                   "offset. Run it with the server stopped, or on a copy.\n"
                   "Exit status: 0 no problems, 1 problems found, 2 usage or I/O error.");
  flags.Bool("json", &json, "Print the findings as one JSON object.");
  std::vector<std::string> positional;
  if (auto exit = flags.ParseCommand(args, 1, "one data directory", &positional)) return *exit;
  Env& env = *Env::Default();
  std::string root = positional[0];
  while (root.size() > 1 && root.ends_with('/')) root.pop_back();
  if (!env.IsDirectory(root)) {
    std::fprintf(stderr, "strata verify: %s is not a directory\n", root.c_str());
    return kExitUsage;
  }
  StatusOr<std::vector<std::string>> children = env.GetChildren(root);
  if (!children.ok()) {
    std::fprintf(stderr, "strata verify: %s\n", std::string(children.status().message()).c_str());
    return kExitUsage;
  }
  std::vector<std::string> block_names;
  for (const std::string& c : *children) {
    if (engine::ParseUlid(c).ok() && env.IsDirectory(engine::JoinPath(root, c))) {
      block_names.push_back(c);
    }
  }
  std::sort(block_names.begin(), block_names.end());

  Progress progress("verify", "bytes", verify::BytesToCheck(env, root, block_names));
  verify::Context ctx{env, root, {}, &progress};
  std::vector<BlockSummary> blocks;
  for (const std::string& name : block_names) blocks.push_back(verify::VerifyBlock(ctx, name));
  verify::CheckOverlaps(ctx, blocks);
  const verify::WalSummary wal = verify::VerifyWal(ctx);
  const verify::HeadChunksSummary head = verify::VerifyHeadChunks(ctx);
  progress.Done();
  ctx.findings.Finish();

  if (json) {
    PrintJson(ctx, blocks, wal, head);
  } else {
    for (const Finding& f : ctx.findings.list()) {
      std::printf("%s\n", verify::FormatFinding(f).c_str());
    }
    std::string summary = Plural(blocks.size(), "block", "blocks");
    if (wal.present) {
      StrAppend(&summary, ", 1 WAL (", Plural(wal.segments, "segment", "segments"), ", ",
                Plural(wal.records, "record", "records"), ")");
    }
    if (head.files > 0) {
      StrAppend(&summary, ", ", Plural(head.files, "head chunk file", "head chunk files"));
    }
    StrAppend(&summary, ", ", Plural(ctx.findings.problems(), "problem", "problems"));
    if (ctx.findings.warnings() > 0) {
      StrAppend(&summary, ", ", Plural(ctx.findings.warnings(), "warning", "warnings"));
    }
    std::printf("%s\n", summary.c_str());
  }
  return ctx.findings.problems() > 0 ? kExitProblems : kExitOk;
}

}  // namespace strata::tools
