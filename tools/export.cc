// `strata export`: write a data directory out as plain Prometheus blocks or
// as OpenMetrics text. The source is opened read-only and never changed
// (issue #9).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "tools/commands.h"
#include "tools/flag_parser.h"
#include "tools/guarded_env.h"
#include "tools/sample_format.h"
#include "tools/series_stream.h"

namespace strata::tools {
namespace {

constexpr char kExportDescription[] =
    "Writes the data directory DIR out in a form other tools read. DIR is opened read-only:\n"
    "nothing in it is written, locked or repaired.\n"
    "\n"
    "  --to-blocks OUT        plain Prometheus blocks in the new (or empty) directory OUT, which\n"
    "                         Prometheus 2.42, promtool and Strata open: DIR's blocks (hard\n"
    "                         links, or copies if OUT is on another file system; deletions are\n"
    "                         kept as the blocks' tombstones, which Prometheus applies) plus the\n"
    "                         head (WAL and chunks_head) as one more block, and an empty wal/.\n"
    "  --to-openmetrics FILE  OpenMetrics text, as `strata dump --format openmetrics` prints it,\n"
    "                         to FILE (written as FILE.tmp, then renamed) or to stdout for `-`.\n"
    "                         Import it with `promtool tsdb create-blocks-from openmetrics`.\n"
    "                         Staleness markers cannot be represented and are skipped.\n"
    "                         --match, --min-time and --max-time select as for `strata dump`.\n"
    "\n"
    "Exit status: 0 done; 1 done, but DIR had problems (see the warnings on stderr); 2 bad\n"
    "usage or an I/O error.";

struct ExportSummary {
  std::string to;
  uint64_t blocks = 0;
  uint64_t files_linked = 0;
  uint64_t files_copied = 0;
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t stale_skipped = 0;
  uint64_t warnings = 0;
};

std::string Canonical(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  if (ec) p = std::filesystem::absolute(path, ec);
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// InvalidArgument if writing `out` would write into the source `dir`.
Status CheckOutsideSource(const std::string& dir, const std::string& out) {
  const std::string d = Canonical(dir), o = Canonical(out);
  if (o == d || (o.starts_with(d) && o[d.size()] == '/')) {
    return absl::InvalidArgumentError(
        StrCat(out, " is inside the source directory ", dir, ", which is never written"));
  }
  return absl::OkStatus();
}

Status WriteBlocks(const std::string& dir, const std::string& out, ExportSummary* summary);

// Writes DIR's blocks and head as blocks into `out`, new or empty.
Status ExportBlocks(const std::string& dir, const std::string& out, ExportSummary* summary) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(out, ec);
  if (existed && (!std::filesystem::is_directory(out, ec) || !std::filesystem::is_empty(out, ec))) {
    return absl::InvalidArgumentError(
        StrCat("--to-blocks ", out, ": exists and is not an empty directory"));
  }
  Status status = WriteBlocks(dir, out, summary);
  // Leave no half-written export behind.
  if (!status.ok() && !existed) std::filesystem::remove_all(out, ec);
  return status;
}

Status WriteBlocks(const std::string& dir, const std::string& out, ExportSummary* summary) {
  GuardedEnv env(*Env::Default(), out);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, OpenReadOnly(dir, &env));
  summary->warnings = PrintOpenWarnings(*db, "strata export");
  STRATA_RETURN_IF_ERROR(Annotate(db->Snapshot(out, /*with_head=*/true), StrCat("write ", out)));
  STRATA_RETURN_IF_ERROR(db->Close());
  // An empty WAL makes OUT a data directory that Prometheus and promtool
  // open as it is (promtool tsdb dump fails without one).
  STRATA_RETURN_IF_ERROR(env.CreateDirs(StrCat(out, "/wal")));
  STRATA_RETURN_IF_ERROR(env.SyncDir(out));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> children, env.GetChildren(out));
  for (const std::string& c : children) {
    if (env.FileExists(StrCat(out, "/", c, "/meta.json"))) ++summary->blocks;
  }
  summary->files_linked = env.files_linked();
  summary->files_copied = env.files_copied();
  return absl::OkStatus();
}

Status ExportOpenMetrics(const std::string& dir, const std::string& to, const SeriesFilter& filter,
                         ExportSummary* summary) {
  GuardedEnv env(*Env::Default(), "");
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, OpenReadOnly(dir, &env));
  summary->warnings = PrintOpenWarnings(*db, "strata export");
  const bool to_stdout = to == "-";
  const std::string tmp = StrCat(to, ".tmp");
  std::FILE* out = to_stdout ? stdout : std::fopen(tmp.c_str(), "w");
  if (out == nullptr) {
    return absl::UnavailableError(StrCat("create ", tmp, ": ", std::strerror(errno)));
  }
  SampleWriter writer(SampleFormat::kOpenMetrics, out);
  Status status = StreamSeries(*db, filter, "export", writer);
  if (Status s = writer.Finish(); status.ok()) status = s;
  summary->series = writer.series_written();
  summary->samples = writer.samples_written();
  summary->stale_skipped = writer.stale_skipped();
  if (to_stdout) return status;
  if (status.ok() && ::fsync(fileno(out)) != 0) {
    status = absl::UnavailableError(StrCat("sync ", tmp, ": ", std::strerror(errno)));
  }
  if (std::fclose(out) != 0 && status.ok()) {
    status = absl::UnavailableError(StrCat("close ", tmp, ": ", std::strerror(errno)));
  }
  if (status.ok() && std::rename(tmp.c_str(), to.c_str()) != 0) {
    status = absl::UnavailableError(StrCat("rename ", tmp, ": ", std::strerror(errno)));
  }
  if (!status.ok()) std::remove(tmp.c_str());
  return status;
}

void PrintSummary(const ExportSummary& s, bool to_blocks, bool json) {
  if (json) {
    std::string out = "{\"to\":";
    AppendJsonString(&out, s.to);
    if (to_blocks) {
      absl::StrAppend(&out, ",\"blocks\":", s.blocks, ",\"files_linked\":", s.files_linked,
                      ",\"files_copied\":", s.files_copied);
    } else {
      absl::StrAppend(&out, ",\"series\":", s.series, ",\"samples\":", s.samples,
                      ",\"stale_markers_skipped\":", s.stale_skipped);
    }
    absl::StrAppend(&out, ",\"warnings\":", s.warnings, "}\n");
    std::fputs(out.c_str(), stdout);
    return;
  }
  if (to_blocks) {
    std::fprintf(stderr,
                 "strata export: wrote %llu blocks to %s (%llu files linked, %llu copied)\n",
                 static_cast<unsigned long long>(s.blocks), s.to.c_str(),
                 static_cast<unsigned long long>(s.files_linked),
                 static_cast<unsigned long long>(s.files_copied));
  } else {
    std::fprintf(stderr,
                 "strata export: wrote %llu series, %llu samples to %s (%llu staleness markers "
                 "skipped)\n",
                 static_cast<unsigned long long>(s.series),
                 static_cast<unsigned long long>(s.samples), s.to.c_str(),
                 static_cast<unsigned long long>(s.stale_skipped));
  }
}

}  // namespace

int RunExport(const std::vector<std::string>& args) {
  std::vector<std::string> matches;
  std::string to_blocks, to_openmetrics, min_time, max_time;
  bool json = false;
  FlagParser flags("strata export DIR (--to-blocks OUT | --to-openmetrics FILE|-) [flags]",
                   kExportDescription);
  flags.String("to-blocks", &to_blocks, "write plain Prometheus blocks into this new directory");
  flags.String("to-openmetrics", &to_openmetrics, "write OpenMetrics text to this file, - stdout");
  flags.StringList("match", &matches, "series selector, repeatable (--to-openmetrics only)");
  flags.String("min-time", &min_time,
               "first timestamp: ms, seconds or RFC 3339 (--to-openmetrics)");
  flags.String("max-time", &max_time, "last timestamp: ms, seconds or RFC 3339 (--to-openmetrics)");
  flags.Bool("json", &json, "print the summary as JSON on stdout (not with --to-openmetrics -)");
  std::vector<std::string> rest;
  if (auto exit = flags.ParseCommand(args, 1, "one data directory", &rest)) return *exit;
  auto usage = [&](std::string_view msg) { return flags.UsageError(msg); };
  const std::string& dir = rest[0];
  if (to_blocks.empty() == to_openmetrics.empty()) {
    return usage("give exactly one of --to-blocks and --to-openmetrics");
  }
  if (!to_blocks.empty() && (!matches.empty() || !min_time.empty() || !max_time.empty())) {
    return usage("--match, --min-time and --max-time work with --to-openmetrics only");
  }
  if (json && to_openmetrics == "-") {
    return usage("--json needs stdout, as does --to-openmetrics -");
  }
  StatusOr<SeriesFilter> filter = ParseSeriesFilter(matches, min_time, max_time);
  if (!filter.ok()) return flags.UsageError(filter.status());
  const std::string& to = to_blocks.empty() ? to_openmetrics : to_blocks;
  if (to != "-") {
    if (Status s = CheckOutsideSource(dir, to); !s.ok()) return usage(std::string(s.message()));
  }
  ExportSummary summary;
  summary.to = to;
  Status status = to_blocks.empty() ? ExportOpenMetrics(dir, to, *filter, &summary)
                                    : ExportBlocks(dir, to, &summary);
  if (!status.ok()) {
    std::fprintf(stderr, "strata export: %s\n", std::string(status.message()).c_str());
    // Damaged data is a problem found in DIR; anything else an I/O error.
    return absl::IsDataLoss(status) ? kExitProblems : kExitUsage;
  }
  PrintSummary(summary, !to_blocks.empty(), json);
  return summary.warnings > 0 ? kExitProblems : kExitOk;
}

}  // namespace strata::tools
