// The runner for Prometheus' PromQL test scripts (`*.test`, described in
// ../shared/promql-testdata/FORMAT.md): `load` blocks append samples to a
// real DB, `clear` replaces it with an empty one, and every `eval` runs a
// query through query::Engine and compares the result with the block's
// expectations (values with relative tolerance 1e-6, label sets exactly,
// order for eval_ordered / `expect ordered`).
//
//   ScriptOptions options;
//   options.engine.compat = Compat::kPrometheus2;
//   StatusOr<ScriptReport> r = RunTestScript(text, open_empty_db, options);
//
// Not supported: native-histogram values (`{{...}}` series are not loaded;
// evals that need them should be skipped through ScriptOptions::skip),
// `load_with_nhcb`, start timestamps (`@st`), annotations (`expect warn` /
// `expect info` are not checked; Strata produces no annotations). The
// harness' extra checks of instant evals (FORMAT.md §7) are optional: the
// `@`-pinned variants (ScriptOptions::at_variants) and the range-mode re-run
// (ScriptOptions::range_check).
//
// Thread-safety: stateless; concurrent runs need separate DB factories.
#ifndef STRATA_QUERY_TEST_SCRIPT_H_
#define STRATA_QUERY_TEST_SCRIPT_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "query/engine.h"
#include "strata/db.h"
#include "strata/status.h"

namespace strata::query {

struct ScriptOptions {
  EngineOptions engine;
  // The v2.42 harness' float comparison (FORMAT.md §10) instead of HEAD's.
  bool v242_tolerance = false;
  // Also run every successful instant eval as a range query from T-1m to
  // T+1m step 1m and compare its points at T (FORMAT.md §7.2).
  bool range_check = false;
  // Also run each instant eval with every selector and subquery pinned to
  // the eval time by `@`, at other times, and expect the same result
  // (FORMAT.md §7.1; not for time-dependent functions).
  bool at_variants = false;
  // Returns a reason to skip the eval whose command is on `line` (1-based),
  // or "" to run it. May be empty.
  std::function<std::string(int line)> skip;
};

struct EvalOutcome {
  enum class Status { kPass, kFail, kSkip };
  int line = 0;  // 1-based line of the eval command
  Status status = Status::kPass;
  std::string expr;
  std::string message;  // why it failed or was skipped
};

struct ScriptReport {
  std::vector<EvalOutcome> evals;
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

// Opens an empty DB. Called before the first command and at every `clear`
// (after the previous DB was closed and destroyed).
using DBFactory = std::function<StatusOr<std::unique_ptr<DB>>()>;

// Parses `script` and runs it. Failed evals are reported in the report and
// the script carries on. Errors: InvalidArgument "line N: ..." if the
// script does not parse or a `load` fails; errors of the factory.
[[nodiscard]] StatusOr<ScriptReport> RunTestScript(std::string_view script,
                                                   const DBFactory& open_db,
                                                   const ScriptOptions& options);

}  // namespace strata::query

#endif  // STRATA_QUERY_TEST_SCRIPT_H_
