// `strata dump`: being built (issue #9).
#include <cstdio>

#include "tools/commands.h"

namespace strata::tools {

int RunDump(const std::vector<std::string>&) {
  std::fprintf(stderr, "strata dump: not available in this build\n");
  return kExitUsage;
}

}  // namespace strata::tools
