// NewEngineEvaluator: query::Engine behind the API's QueryEvaluator.
#include "base/strings.h"
#include "server/api.h"

namespace strata::server {
namespace {

class EngineEvaluator final : public QueryEvaluator {
 public:
  explicit EngineEvaluator(const query::EngineOptions& options) : engine_(options) {}
  StatusOr<query::Result> Instant(DB& db, std::string_view q, int64_t time_ms,
                                  const query::QueryOptions& limits) override {
    try {
      return engine_.Instant(db, q, time_ms, limits);
    } catch (const std::exception& e) {
      return absl::InternalError(StrCat("query: ", e.what()));
    }
  }
  StatusOr<query::Result> Range(DB& db, std::string_view q, int64_t start_ms, int64_t end_ms,
                                int64_t step_ms, const query::QueryOptions& limits) override {
    try {
      return engine_.Range(db, q, start_ms, end_ms, step_ms, limits);
    } catch (const std::exception& e) {
      return absl::InternalError(StrCat("query: ", e.what()));
    }
  }

 private:
  query::Engine engine_;
};

}  // namespace

std::unique_ptr<QueryEvaluator> NewEngineEvaluator(const query::EngineOptions& options) {
  return std::make_unique<EngineEvaluator>(options);
}

}  // namespace strata::server
