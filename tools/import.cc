// `strata import`: being built (issue #9).
#include <cstdio>

#include "tools/commands.h"

namespace strata::tools {

int RunImport(const std::vector<std::string>&) {
  std::fprintf(stderr, "strata import: not available in this build\n");
  return kExitUsage;
}

}  // namespace strata::tools
