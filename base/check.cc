#include "base/check.h"

#include <cstdlib>

#include "base/log.h"

namespace strata::base::internal {

CheckFailure::CheckFailure(const char* file, int line, const char* condition)
    : file_(file), line_(line) {
  stream_ << "check failed: " << condition << " ";
}

CheckFailure::~CheckFailure() {
  const std::string message = stream_.str();
  log::Default().LogAt(log::Level::kError, file_, line_, message, {});
  std::abort();
}

}  // namespace strata::base::internal
