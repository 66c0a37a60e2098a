// Helpers for the tests that run the real `strata serve` binary: start it
// on a free loopback port over a data directory, wait until it is ready,
// and send remote-write and remote-read requests.
//
// Thread-safety: one test thread.
#ifndef STRATA_TESTS_SERVER_SERVER_TEST_UTIL_H_
#define STRATA_TESTS_SERVER_SERVER_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/loadgen/http_client.h"
#include "bench/loadgen/write_request_encoder.h"
#include "tests/testing/process.h"

namespace strata::server::testing {

struct TestSeries {
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
  std::vector<loadgen::EncodeSample> samples;
};

// A running `strata serve`. The destructor stops it with SIGTERM and fails
// the test unless it exits 0 without a sanitizer report in its log.
class StrataServer {
 public:
  StrataServer() = default;
  StrataServer(const StrataServer&) = delete;
  StrataServer& operator=(const StrataServer&) = delete;
  ~StrataServer();

  // Starts the binary with `--storage.path=dir` and `extra` flags on a port
  // of its own choosing (it listens on port 0 and logs the port; `extra`
  // must keep the log at info level or below); waits up to 20 s for
  // /-/ready. Null (and a test failure) if it did not come up.
  static std::unique_ptr<StrataServer> Start(const std::string& dir,
                                             const std::vector<std::string>& extra = {});
  int port() const { return port_; }
  strata::testing::ChildProcess& process() { return *process_; }
  const std::string& log_path() const { return log_path_; }

  // POSTs a snappy remote-write body built from `series`.
  loadgen::HttpResponse Write(const std::vector<TestSeries>& series,
                              const std::vector<std::pair<std::string, std::string>>& headers = {
                                  {"Content-Encoding", "snappy"},
                                  {"Content-Type", "application/x-protobuf"},
                                  {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
  loadgen::HttpResponse Post(const std::string& path, const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers);
  loadgen::HttpResponse Get(const std::string& path_and_query);

 private:
  int port_ = 0;
  std::string log_path_;
  std::unique_ptr<strata::testing::ChildProcess> process_;
};

}  // namespace strata::server::testing

#endif  // STRATA_TESTS_SERVER_SERVER_TEST_UTIL_H_
