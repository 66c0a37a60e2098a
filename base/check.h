// Invariant checks. A failed check is a bug in Strata, never bad input:
// damaged files, HTTP bodies and PromQL text get a Status, not a check.
//
//   STRATA_CHECK(cond) << "context";    always on; guards data integrity
//   STRATA_DCHECK(cond) << "context";   debug builds only; for hot paths
//
// On failure the message, file and line are logged at level error
// (base/log.h, so in the log's format) and the process aborts.
#ifndef STRATA_BASE_CHECK_H_
#define STRATA_BASE_CHECK_H_

#include <sstream>

namespace strata::base::internal {

// Collects the streamed message and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();

  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

// Turns the streamed expression into void so both arms of ?: agree.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace strata::base::internal

#define STRATA_CHECK(condition)               \
  (condition)                                 \
      ? (void)0                               \
      : ::strata::base::internal::Voidify() & \
            ::strata::base::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()

#ifdef NDEBUG
#define STRATA_DCHECK(condition) \
  while (false) STRATA_CHECK(condition)
#else
#define STRATA_DCHECK(condition) STRATA_CHECK(condition)
#endif

#endif  // STRATA_BASE_CHECK_H_
