// `strata serve`: the server. Parses Prometheus-style flags, starts the
// HTTP API (server/), opens the DB in --storage.path, appends its own
// metrics every --self-scrape.interval, and on SIGTERM/SIGINT stops
// accepting, finishes requests in flight, and closes the DB (which syncs
// the WAL) before exiting 0.
//
// Thread-safety: RunServe is called once, from main.
#ifndef STRATA_TOOLS_SERVE_H_
#define STRATA_TOOLS_SERVE_H_

#include <string>
#include <vector>

namespace strata::tools {

int RunServe(const std::vector<std::string>& args);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_SERVE_H_
