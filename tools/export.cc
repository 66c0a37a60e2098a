// `strata export`: being built (issue #9).
#include <cstdio>

#include "tools/commands.h"

namespace strata::tools {

int RunExport(const std::vector<std::string>&) {
  std::fprintf(stderr, "strata export: not available in this build\n");
  return kExitUsage;
}

}  // namespace strata::tools
