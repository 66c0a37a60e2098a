// `strata verify`: being built (issue #9).
#include <cstdio>

#include "tools/commands.h"

namespace strata::tools {

int RunVerify(const std::vector<std::string>&) {
  std::fprintf(stderr, "strata verify: not available in this build\n");
  return kExitUsage;
}

}  // namespace strata::tools
