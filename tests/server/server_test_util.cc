#include "tests/server/server_test_util.h"

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <thread>

#include "gtest/gtest.h"

namespace strata::server::testing {

namespace {

// The port `strata serve` reports in its "Listening" log line (logfmt or
// JSON), waiting up to `timeout` for it; 0 if the process exited or never
// said.
int ListeningPort(const std::string& log_path, strata::testing::ChildProcess& process,
                  absl::Duration timeout) {
  static constexpr std::string_view kLines[] = {"msg=Listening address=127.0.0.1:",
                                                R"("msg":"Listening","address":"127.0.0.1:)"};
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::ifstream in(log_path);
    for (std::string line; std::getline(in, line);) {
      for (std::string_view want : kLines) {
        const size_t at = line.find(want);
        if (at != std::string::npos) return std::atoi(line.c_str() + at + want.size());
      }
    }
    if (!process.Running()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

}  // namespace

std::unique_ptr<StrataServer> StrataServer::Start(const std::string& dir,
                                                  const std::vector<std::string>& extra) {
  auto s = std::make_unique<StrataServer>();
  s->log_path_ = dir + ".log";
  // Port 0: the server binds a port nobody else holds and logs it, so tests
  // running side by side never meet each other's servers.
  std::vector<std::string> argv = {STRATA_BINARY, "serve", "--listen=127.0.0.1:0",
                                   "--storage.path=" + dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto child = strata::testing::ChildProcess::Start(argv, s->log_path_);
  if (!child.ok()) {
    ADD_FAILURE() << child.status();
    return nullptr;
  }
  s->process_ = *std::move(child);
  s->port_ = ListeningPort(s->log_path_, *s->process_, absl::Seconds(20));
  if (s->port_ == 0 || !strata::testing::WaitForHttp(s->port_, "/-/ready", absl::Seconds(20))) {
    ADD_FAILURE() << "strata serve did not become ready; log:\n"
                  << strata::testing::RunCommand("cat " + s->log_path_).output;
    return nullptr;
  }
  return s;
}

StrataServer::~StrataServer() {
  if (process_ != nullptr && process_->Running()) {
    // Longer than serve's own 30 s grace for requests in flight, so a
    // server that waits it out still shows as exiting cleanly; the log
    // says what it waited for.
    const int status = process_->Stop(SIGTERM, absl::Seconds(45));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "strata serve did not exit cleanly on SIGTERM (wait status " << status << "); log:\n"
        << strata::testing::RunCommand("tail -40 " + log_path_).output;
  }
  const std::string log = strata::testing::RunCommand("cat " + log_path_).output;
  EXPECT_EQ(log.find("Sanitizer"), std::string::npos) << log;
  EXPECT_EQ(log.find("runtime error:"), std::string::npos) << log;
}

loadgen::HttpResponse StrataServer::Post(
    const std::string& path, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  loadgen::HttpClient client("127.0.0.1", port_);
  StatusOr<loadgen::HttpResponse> r = client.Request("POST", path, body, headers);
  if (!r.ok()) {
    ADD_FAILURE() << "POST " << path << ": " << r.status();
    return {};
  }
  return *std::move(r);
}

loadgen::HttpResponse StrataServer::Get(const std::string& path_and_query) {
  loadgen::HttpClient client("127.0.0.1", port_);
  StatusOr<loadgen::HttpResponse> r = client.Request("GET", path_and_query);
  if (!r.ok()) {
    ADD_FAILURE() << "GET " << path_and_query << ": " << r.status();
    return {};
  }
  return *std::move(r);
}

loadgen::HttpResponse StrataServer::Write(
    const std::vector<TestSeries>& series,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<loadgen::EncodeSeries> enc;
  for (const TestSeries& s : series) enc.push_back({s.labels, s.samples});
  std::string proto, body;
  loadgen::AppendWriteRequest(enc, &proto);
  loadgen::SnappyCompress(proto, &body);
  return Post("/api/v1/write", body, headers);
}

}  // namespace strata::server::testing
