// `strata`: the one binary with every subcommand.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tools/commands.h"
#include "tools/serve.h"

namespace strata::tools {
namespace {

int RunVersion(const std::vector<std::string>&) {
  std::printf("strata, version %s (C++%ld, %s)\n", STRATA_VERSION, __cplusplus / 100 % 100,
#if defined(__clang__)
              "clang " __clang_version__
#else
              "gcc " __VERSION__
#endif
  );
  return kExitOk;
}

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const std::vector<std::string>& args);
};

constexpr Command kCommands[] = {
    {"version", "print the version and build", RunVersion},
    {"serve", "run the server: remote write/read, the Prometheus query API, /metrics", RunServe},
    {"inspect", "show what a data directory holds: blocks, head, series, top metrics", RunInspect},
    {"dump", "print the samples of a data directory (OpenMetrics text or JSON)", RunDump},
    {"verify", "check every checksum and cross-reference of a data directory", RunVerify},
    {"compact", "compact a data directory offline: merge blocks, apply deletions, retention",
     RunCompact},
    {"import", "backfill blocks from text exposition files or a Prometheus data directory",
     RunImport},
    {"export", "write a data directory out as OpenMetrics text or plain Prometheus blocks",
     RunExport},
    {"chunk-stats",
     "encode generated monitoring series with the XOR codec; print bytes/sample and speed",
     RunChunkStats},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: strata <command> [flags]\n\n"
               "Strata: a Prometheus-compatible time-series storage engine.\n\ncommands:\n");
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-14.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
  std::fprintf(out, "\n`strata <command> --help` documents each command's flags.\n");
}

}  // namespace
}  // namespace strata::tools

int main(int argc, char** argv) {
  using namespace strata::tools;
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  const std::string_view name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    PrintUsage(stdout);
    return kExitOk;
  }
  if (name == "--version") return kCommands[0].run({});
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (c.name == name) return c.run(args);
  }
  std::fprintf(stderr, "strata: unknown command \"%s\"\n\n", argv[1]);
  PrintUsage(stderr);
  return kExitUsage;
}
