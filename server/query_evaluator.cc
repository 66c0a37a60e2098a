// NewEngineEvaluator: query::Engine behind the API's QueryEvaluator. The
// build defines STRATA_HAVE_QUERY_ENGINE when strata_query implements
// query::Engine (server/CMakeLists.txt); before that, queries answer
// Unimplemented (HTTP 422) and everything else works.
#include "base/strings.h"
#include "server/api.h"

namespace strata::server {
namespace {

#if STRATA_HAVE_QUERY_ENGINE
class EngineEvaluator final : public QueryEvaluator {
 public:
  explicit EngineEvaluator(const query::EngineOptions& options) : engine_(options) {}
  StatusOr<query::Result> Instant(DB& db, std::string_view q, int64_t time_ms) override {
    try {
      return engine_.Instant(db, q, time_ms);
    } catch (const std::exception& e) {
      return absl::InternalError(StrCat("query: ", e.what()));
    }
  }
  StatusOr<query::Result> Range(DB& db, std::string_view q, int64_t start_ms, int64_t end_ms,
                                int64_t step_ms) override {
    try {
      return engine_.Range(db, q, start_ms, end_ms, step_ms);
    } catch (const std::exception& e) {
      return absl::InternalError(StrCat("query: ", e.what()));
    }
  }

 private:
  query::Engine engine_;
};
#else
class EngineEvaluator final : public QueryEvaluator {
 public:
  explicit EngineEvaluator(const query::EngineOptions&) {}
  StatusOr<query::Result> Instant(DB&, std::string_view, int64_t) override { return Missing(); }
  StatusOr<query::Result> Range(DB&, std::string_view, int64_t, int64_t, int64_t) override {
    return Missing();
  }

 private:
  static Status Missing() {
    return absl::UnimplementedError("the PromQL evaluator is not part of this build yet (#6)");
  }
};
#endif

}  // namespace

std::unique_ptr<QueryEvaluator> NewEngineEvaluator(const query::EngineOptions& options) {
  return std::make_unique<EngineEvaluator>(options);
}

}  // namespace strata::server
