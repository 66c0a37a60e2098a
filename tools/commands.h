// The subcommands of the `strata` binary. Each is one entry in the table in
// main.cc: a name, a one-line summary and a function that takes the
// arguments after the subcommand name and returns the process exit code
// (0 fine, 1 problems found, 2 usage or I/O error).
#ifndef STRATA_TOOLS_COMMANDS_H_
#define STRATA_TOOLS_COMMANDS_H_

#include <string>
#include <vector>

namespace strata::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblems = 1;
inline constexpr int kExitUsage = 2;

int RunChunkStats(const std::vector<std::string>& args);
int RunInspect(const std::vector<std::string>& args);
int RunDump(const std::vector<std::string>& args);
int RunVerify(const std::vector<std::string>& args);
int RunCompact(const std::vector<std::string>& args);
int RunImport(const std::vector<std::string>& args);
int RunExport(const std::vector<std::string>& args);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_COMMANDS_H_
