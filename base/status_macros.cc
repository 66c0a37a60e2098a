#include "base/status_macros.h"

#include <string>

#include "base/strings.h"

namespace strata {

Status Annotate(const Status& status, std::string_view context) {
  if (status.ok()) return status;
  return Status(status.code(), StrCat(context, ": ", status.message()));
}

}  // namespace strata
