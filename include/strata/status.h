// Status and StatusOr<T>: how every Strata function reports failure.
//
// Strata uses Abseil's status types unchanged; these aliases exist so that
// embedders spell them `strata::Status` and so that the public API names
// no internal type. No exception crosses a Strata function: a failure is a
// Status with the most specific code (see absl/status/status.h) and a
// message that says what failed and where.
//
// Thread-safety: value types, intentionally copyable.
#ifndef STRATA_STATUS_H_
#define STRATA_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

using Status = absl::Status;
template <typename T>
using StatusOr = absl::StatusOr<T>;

}  // namespace strata

#endif  // STRATA_STATUS_H_
