#include "tests/testing/prometheus_fixture.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace strata::testing {

std::string PrometheusFixtureDir() {
  return std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/prometheus-2.42";
}

std::string PrometheusFixtureDataDir() { return PrometheusFixtureDir() + "/data"; }

std::string PrometheusFixtureBlockDir() {
  for (const auto& e : std::filesystem::directory_iterator(PrometheusFixtureDataDir())) {
    if (std::filesystem::exists(e.path() / "meta.json")) return e.path().string();
  }
  return "";
}

std::vector<FixtureSample> PrometheusFixtureSamples() {
  std::vector<FixtureSample> out;
  std::ifstream in(PrometheusFixtureDir() + "/samples.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string labels, t, bits;
    std::getline(fields, labels, '\t');
    std::getline(fields, t, '\t');
    std::getline(fields, bits, '\t');
    out.push_back({labels, std::stoll(t), std::stoull(bits, nullptr, 16)});
  }
  return out;
}

}  // namespace strata::testing
