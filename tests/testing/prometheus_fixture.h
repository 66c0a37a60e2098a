// Access to tests/fixtures/prometheus-2.42: a data directory written by the
// real Prometheus 2.42 and the samples that were sent to it
// (tests/fixtures/README.md). Shared by every interop and golden test.
//
// Thread-safety: stateless functions.
#ifndef STRATA_TESTS_TESTING_PROMETHEUS_FIXTURE_H_
#define STRATA_TESTS_TESTING_PROMETHEUS_FIXTURE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace strata::testing {

// One line of samples.tsv.
struct FixtureSample {
  std::string labels;  // name="value" pairs sorted by name, comma-separated
  int64_t timestamp_ms;
  uint64_t value_bits;  // the IEEE-754 pattern, so NaN payloads compare
};

// tests/fixtures/prometheus-2.42 and its data/ directory.
std::string PrometheusFixtureDir();
std::string PrometheusFixtureDataDir();
// The data directory's block (the fixture has exactly one).
std::string PrometheusFixtureBlockDir();
// Every sample of samples.tsv, in file order (series by series).
std::vector<FixtureSample> PrometheusFixtureSamples();

}  // namespace strata::testing

#endif  // STRATA_TESTS_TESTING_PROMETHEUS_FIXTURE_H_
