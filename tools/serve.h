// `strata serve`: the server. Parses Prometheus-style flags, starts the
// HTTP API (server/), opens the DB in --storage.path, appends its own
// metrics every --self-scrape.interval, and on SIGTERM/SIGINT stops
// accepting, finishes requests in flight, and closes the DB (which syncs
// the WAL) before exiting 0.
//
// Thread-safety: RunServe is called once, from main.
#ifndef STRATA_TOOLS_SERVE_H_
#define STRATA_TOOLS_SERVE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata::tools {

int RunServe(const std::vector<std::string>& args);

// Parses a byte size as Prometheus' --storage.tsdb.retention.size does:
// an integer with an optional unit B, KB, MB, GB, TB, PB, EB (powers of
// 1024). "0" is 0. Errors: InvalidArgument naming the text.
[[nodiscard]] StatusOr<uint64_t> ParseByteSize(std::string_view s);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_SERVE_H_
