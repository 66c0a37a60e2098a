// `strata compact`: being built (issue #9).
#include <cstdio>

#include "tools/commands.h"

namespace strata::tools {

int RunCompact(const std::vector<std::string>&) {
  std::fprintf(stderr, "strata compact: not available in this build\n");
  return kExitUsage;
}

}  // namespace strata::tools
