// `strata inspect`: being built (issue #9).
#include <cstdio>

#include "tools/commands.h"

namespace strata::tools {

int RunInspect(const std::vector<std::string>&) {
  std::fprintf(stderr, "strata inspect: not available in this build\n");
  return kExitUsage;
}

}  // namespace strata::tools
