// Propagation helpers for absl::Status, which Debian 12's Abseil (20220623)
// does not ship.
//
//   STRATA_RETURN_IF_ERROR(file->Sync());
//   STRATA_ASSIGN_OR_RETURN(auto chunk, reader.Chunk(ref));
//   return Annotate(status, "open index writer");   // "open index writer: <msg>"
//
// Thread-safety: stateless.
#ifndef STRATA_BASE_STATUS_MACROS_H_
#define STRATA_BASE_STATUS_MACROS_H_

#include <string_view>
#include <utility>

#include "strata/status.h"

namespace strata {

// Returns `status` with `context + ": "` put in front of its message and the
// same code. An OK status is returned unchanged.
[[nodiscard]] Status Annotate(const Status& status, std::string_view context);

}  // namespace strata

#define STRATA_STATUS_CONCAT_INNER_(a, b) a##b
#define STRATA_STATUS_CONCAT_(a, b) STRATA_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (a Status) and returns it from the current function if it
// is not OK.
#define STRATA_RETURN_IF_ERROR(expr)                             \
  do {                                                           \
    ::strata::Status strata_status_macro_ = (expr);              \
    if (!strata_status_macro_.ok()) return strata_status_macro_; \
  } while (0)

// Evaluates `rexpr` (a StatusOr<T>); on error returns its status, otherwise
// assigns (moves) the value into `lhs`, which may be a declaration.
#define STRATA_ASSIGN_OR_RETURN(lhs, rexpr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_STATUS_CONCAT_(strata_statusor_, __LINE__), lhs, rexpr)

#define STRATA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // STRATA_BASE_STATUS_MACROS_H_
