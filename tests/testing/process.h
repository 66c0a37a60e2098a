// Process and network helpers for interop and integration tests, which run
// promtool, Prometheus or the strata binary next to the code under test
// (STYLE.md §2 "Whole system"): run a shell command and capture its
// output, pick a free loopback port, start and stop a child process, poll
// and GET an HTTP endpoint over plain sockets, and a temporary directory
// removed with everything in it.
//
// Part of the strata_testing library. POSIX only.
//
// Thread-safety: the free functions are thread-safe. ChildProcess and
// TempDir objects belong to one thread.
#ifndef STRATA_TESTS_TESTING_PROCESS_H_
#define STRATA_TESTS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "strata/status.h"

namespace strata::testing {

struct CommandResult {
  int exit_code = -1;  // the shell's exit status; -1 if it did not exit normally
  std::string output;  // everything the command wrote to stdout
};

// Runs `command` with /bin/sh (popen) and returns its exit status and
// stdout; stderr is inherited (append "2>&1" to capture it).
CommandResult RunCommand(const std::string& command);

// True if `program` is found on PATH.
bool HaveProgram(const std::string& program);

// A TCP port on 127.0.0.1 that was free a moment ago, chosen at random
// below the kernel's ephemeral range so that outgoing connections cannot
// take it; another test may still pick it before the caller binds it, so a
// server that can listen on port 0 and report its port is safer. -1 if none
// was found.
int FreePort();

// A child process started with fork/execvp. The destructor sends SIGTERM,
// waits up to a few seconds, then SIGKILLs and reaps it.
class ChildProcess {
 public:
  // Starts argv[0] (searched on PATH) with `argv`. stdout and stderr go to
  // `log_path` (truncated), or /dev/null if empty. Errors: InvalidArgument
  // for an empty argv, Internal if fork or opening the log fails. A failed
  // exec shows as the child exiting with status 127.
  [[nodiscard]] static StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path = "");

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // False once the child has exited (reaps it then).
  bool Running();
  // Sends `signal` (SIGTERM first), waits up to `grace` for the exit, then
  // SIGKILLs. Returns the wait status as from waitpid, or -1 if already
  // reaped before.
  int Stop(int signal, absl::Duration grace = absl::Seconds(10));

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
  int wait_status_ = -1;
};

struct HttpResponse {
  int status_code = 0;
  std::string body;
};

// GETs `path_and_query` (e.g. "/api/v1/query?query=up") from
// 127.0.0.1:`port` with HTTP/1.0 and returns the status and body.
// Errors: Unavailable if the connection fails, DeadlineExceeded after
// `timeout`, DataLoss for a response that is not HTTP.
[[nodiscard]] StatusOr<HttpResponse> HttpGet(int port, const std::string& path_and_query,
                                             absl::Duration timeout = absl::Seconds(30));

// Polls `path` on 127.0.0.1:`port` until it answers 200 or `timeout`
// passes. Returns whether it answered.
bool WaitForHttp(int port, const std::string& path, absl::Duration timeout);

// A raw loopback TCP connection, for requests an HTTP client cannot make:
// bodies sent slowly or not at all, many connections held open.
class RawConnection {
 public:
  explicit RawConnection(int port);
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  bool connected() const { return connected_; }
  // Sends all of `data` unless the peer goes away; false then.
  bool Send(std::string_view data);
  // Everything until the peer closes; sets `*reset` on an error (a reset
  // loses data). Waits at most `timeout` in all; `*timed_out` (if given)
  // says whether it ran out.
  std::string ReadAll(bool* reset, absl::Duration timeout = absl::Seconds(30),
                      bool* timed_out = nullptr);
  // Whether the peer closed the connection (or reset it) within `timeout`,
  // reading and dropping what it sends meanwhile.
  bool ClosedByPeerWithin(absl::Duration timeout);

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Percent-encodes `s` for a URL query parameter.
std::string UrlEncode(const std::string& s);

// A fresh directory under $TEST_TMPDIR or /tmp (mkdtemp), removed with
// all its contents by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "strata_test");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  // Empty if the directory could not be created.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Parses the `"values":[[<secs>,"<value>"],...]` of each matrix result of
// a Prometheus query API answer, in order, as (milliseconds, value).
std::vector<std::vector<std::pair<int64_t, double>>> ParseMatrixValues(const std::string& json);

}  // namespace strata::testing

#endif  // STRATA_TESTS_TESTING_PROCESS_H_
