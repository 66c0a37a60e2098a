// `strata dump`: print the samples of a data directory to stdout, series by
// series, in promtool's, OpenMetrics or JSON-lines format. The directory is
// opened read-only and never changed (issue #9).
#include <cstdio>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/flag_parser.h"
#include "tools/guarded_env.h"
#include "tools/sample_format.h"
#include "tools/series_stream.h"

namespace strata::tools {
namespace {

constexpr char kDumpDescription[] =
    "Prints the samples of the data directory DIR (blocks, and the head replayed from the WAL\n"
    "and chunks_head) to stdout, one series at a time in label order. DIR is opened read-only:\n"
    "nothing in it is written, locked or repaired, so it can be used while stopped or on a copy.\n"
    "\n"
    "Formats (--format):\n"
    "  promtool     exactly what `promtool tsdb dump` prints (the default):\n"
    "               {__name__=\"up\", job=\"x\"} 1 1600000000000   (timestamp in ms; staleness\n"
    "               markers print as NaN)\n"
    "  openmetrics  OpenMetrics text without # TYPE lines, ending with # EOF, importable with\n"
    "               `promtool tsdb create-blocks-from openmetrics`:\n"
    "               up{job=\"x\"} 1 1600000000   (timestamp in seconds). Staleness markers\n"
    "               cannot be represented in OpenMetrics and are skipped (their count is\n"
    "               printed on stderr), as are series without a metric name.\n"
    "  json         one JSON object per series per line:\n"
    "               {\"labels\":{\"__name__\":\"up\"},\"samples\":[[1600000000000,\"1\"]]}\n"
    "\n"
    "--match is a series selector (up, {job=~\"api|db\"}, http_requests_total{code!=\"200\"});\n"
    "given several times, series matching any of them are printed, each once. Without it,\n"
    "every series with a metric name is printed.\n"
    "\n"
    "--min-time and --max-time (inclusive) take a plain integer as milliseconds since the\n"
    "epoch (like promtool: 1600000000000), a number with a fraction or an `s` suffix as\n"
    "seconds with at most three decimals (1600000000.5, 1600000000s), or an RFC 3339 time\n"
    "(2020-09-13T12:26:40Z, 2020-09-13T14:26:40.123+02:00).\n"
    "\n"
    "Exit status: 0 done; 1 done, but the directory had problems (a damaged block set aside,\n"
    "a damaged WAL: see the warnings on stderr); 2 bad usage, or DIR could not be read.";

}  // namespace

int RunDump(const std::vector<std::string>& args) {
  std::vector<std::string> matches;
  std::string min_time, max_time, format_name = "promtool";
  FlagParser flags("strata dump DIR [flags]", kDumpDescription);
  flags.StringList("match", &matches, "series selector; repeat for a union (none: all series)");
  flags.String("min-time", &min_time,
               "first timestamp to print: ms, seconds (1.5, 2s) or RFC 3339");
  flags.String("max-time", &max_time, "last timestamp to print: ms, seconds (1.5, 2s) or RFC 3339");
  flags.String("format", &format_name, "promtool, openmetrics or json");
  std::vector<std::string> rest;
  if (auto exit = flags.ParseCommand(args, 1, "one data directory", &rest)) return *exit;
  const std::string& dir = rest[0];
  StatusOr<SampleFormat> format = ParseSampleFormat(format_name);
  StatusOr<SeriesFilter> filter = format.ok() ? ParseSeriesFilter(matches, min_time, max_time)
                                              : StatusOr<SeriesFilter>(format.status());
  if (!filter.ok()) {
    std::fprintf(stderr, "strata dump: %s\n", std::string(filter.status().message()).c_str());
    return kExitUsage;
  }
  GuardedEnv env(*Env::Default(), /*writable_root=*/"");
  StatusOr<std::unique_ptr<DB>> db = OpenReadOnly(dir, &env);
  if (!db.ok()) {
    std::fprintf(stderr, "strata dump: %s\n", std::string(db.status().message()).c_str());
    return kExitUsage;
  }
  const size_t warnings = PrintOpenWarnings(**db, "strata dump");
  SampleWriter writer(*format, stdout);
  Status status = StreamSeries(**db, *filter, "dump", writer);
  if (Status s = writer.Finish(); status.ok()) status = s;
  if (writer.stale_skipped() > 0 || writer.series_skipped() > 0) {
    std::fprintf(stderr,
                 "strata dump: skipped %llu staleness markers and %llu series without a metric "
                 "name (not representable in OpenMetrics)\n",
                 static_cast<unsigned long long>(writer.stale_skipped()),
                 static_cast<unsigned long long>(writer.series_skipped()));
  }
  if (!status.ok()) {
    std::fprintf(stderr, "strata dump: %s\n", std::string(status.message()).c_str());
    // Damaged data is a problem found in DIR; anything else (stdout closed,
    // disk full) an I/O error.
    return absl::IsDataLoss(status) ? kExitProblems : kExitUsage;
  }
  return warnings > 0 ? kExitProblems : kExitOk;
}

}  // namespace strata::tools
