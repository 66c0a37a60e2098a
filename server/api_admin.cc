// The admin API (--web.enable-admin-api): delete series, snapshots,
// clean tombstones. Prometheus 2.42's web/api/v1 admin handlers.
#include <sys/stat.h>

#include <ctime>
#include <random>

#include "absl/strings/numbers.h"
#include "base/json.h"
#include "base/strings.h"
#include "server/api.h"
#include "server/internal/api_util.h"

namespace strata::server {

using internal::RespondError;
using internal::RespondSuccess;

void Api::DeleteSeries(Call& c) {
  if (!c.params.Has("match[]")) {
    return RespondError(c.res, "bad_data", "no match[] parameter provided");
  }
  StatusOr<internal::TimeRange> range = internal::StartEnd(c.params);
  if (!range.ok()) return RespondStatus(EndpointFamily::kAdmin, range.status(), c.res);
  StatusOr<std::vector<std::vector<LabelMatcher>>> matches = internal::MatchParams(c.params);
  if (!matches.ok()) return RespondStatus(EndpointFamily::kAdmin, matches.status(), c.res);
  for (const auto& ms : *matches) {
    Status st = c.db->Delete(range->start_ms, range->end_ms, ms);
    if (!st.ok()) return RespondError(c.res, "internal", FromAbsl(st.message()));
  }
  c.res->status = 204;
  c.res->body.clear();
}

void Api::Snapshot(Call& c) {
  bool skip_head = false;
  const std::string_view v = c.params.Get("skip_head");
  if (!v.empty() && !absl::SimpleAtob(ToAbsl(v), &skip_head)) {
    return RespondError(
        c.res, "bad_data",
        StrCat("unable to parse boolean 'skip_head' argument: invalid syntax \"", v, "\""));
  }
  const std::time_t now = static_cast<std::time_t>(NowMs() / 1000);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  const uint64_t rnd = (static_cast<uint64_t>(rd()) << 32) | rd();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(rnd));
  const std::string name = StrCat(stamp, "-", hex);
  const std::string parent = StrCat(options_.storage_path, "/snapshots");
  ::mkdir(parent.c_str(), 0777);  // an error shows in Snapshot below
  const std::string dir = StrCat(parent, "/", name);
  Status st = c.db->Snapshot(dir, !skip_head);
  if (!st.ok()) {
    return RespondError(c.res, "internal", StrCat("create snapshot: ", FromAbsl(st.message())));
  }
  std::string data = "{\"name\":";
  AppendJsonString(&data, name);
  data.push_back('}');
  RespondSuccess(c.res, data);
}

void Api::CleanTombstones(Call& c) {
  if (Status st = c.db->Compact(); !st.ok()) {
    return RespondStatus(EndpointFamily::kAdmin, st, c.res);
  }
  c.res->status = 204;
  c.res->body.clear();
}

}  // namespace strata::server
