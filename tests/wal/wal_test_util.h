// Helpers shared by the WAL tests: read a whole WAL back, and make
// recognisable records.
#ifndef STRATA_TESTS_WAL_WAL_TEST_UTIL_H_
#define STRATA_TESTS_WAL_WAL_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "strata/env.h"
#include "wal/reader.h"
#include "wal/records.h"

namespace strata::wal::testing {

// Every record Replay hands on, in order; `*status` gets Replay's result.
inline std::vector<std::string> ReadAll(Env& env, const std::string& dir, ReplayStats* stats,
                                        Status* status, ReplayOptions options = {}) {
  std::vector<std::string> records;
  *status = Replay(
      env, dir, options,
      [&](std::string_view r) {
        records.emplace_back(r);
        return absl::OkStatus();
      },
      stats);
  return records;
}

// A samples record of `n` samples for series `ref`, whose contents depend
// on every argument (so a mix-up is visible).
inline std::string SamplesRecord(uint64_t ref, int64_t t0, size_t n) {
  std::vector<RefSample> samples;
  for (size_t i = 0; i < n; ++i) {
    samples.push_back(
        {ref + i % 3, t0 + static_cast<int64_t>(i) * 15000, static_cast<double>(i) * 0.5});
  }
  std::string rec;
  EncodeSamples(samples, &rec);
  return rec;
}

// A series record whose label value has `value_bytes` bytes derived from `ref`.
inline std::string SeriesRecord(uint64_t ref, size_t value_bytes) {
  std::string value(value_bytes, 'a');
  for (size_t i = 0; i < value_bytes; ++i)
    value[i] = static_cast<char>('a' + (ref * 7 + i * 13) % 26);
  std::vector<RefSeries> series = {{ref, {{"__name__", "m"}, {"v", value}}}};
  std::string rec;
  EncodeSeries(series, &rec);
  return rec;
}

}  // namespace strata::wal::testing

#endif  // STRATA_TESTS_WAL_WAL_TEST_UTIL_H_
