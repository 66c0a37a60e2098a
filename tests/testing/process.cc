#include "tests/testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

#include "base/strings.h"
#include "strata/env.h"

namespace strata::testing {

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return result;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  const int status = ::pclose(p);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

bool HaveProgram(const std::string& program) {
  return RunCommand(StrCat("command -v '", program, "' >/dev/null 2>&1")).exit_code == 0;
}

namespace {

// The lowest port the kernel hands out for outgoing connections and bind(0)
// (net.ipv4.ip_local_port_range); 32768 when it cannot be read.
int EphemeralPortLow() {
  int lo = 32768, hi = 60999;
  if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(f, "%d %d", &lo, &hi) != 2) lo = 32768;
    std::fclose(f);
  }
  return lo;
}

bool CanBind(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int FreePort() {
  // A port below the ephemeral range: the kernel never gives it to an
  // outgoing connection or to another bind(0) between our check and the
  // caller's bind, so only another FreePort caller can race us, and the
  // random choice among thousands makes that unlikely.
  const int lo = 10000, hi = std::max(lo + 1000, EphemeralPortLow());
  thread_local std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = std::uniform_int_distribution<int>(lo, hi - 1)(rng);
    if (CanBind(port)) return port;
  }
  return -1;
}

// ChildProcess ---------------------------------------------------------------

StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                            const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("ChildProcess: empty argv");
  // Everything the child needs is prepared before fork: only
  // async-signal-safe calls happen between fork and exec.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string out = log_path.empty() ? "/dev/null" : log_path;
  const int log_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(StrCat("open ", out, ": ", std::strerror(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::InternalError(StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(log_fd);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid));
}

ChildProcess::~ChildProcess() { Stop(SIGTERM); }

bool ChildProcess::Running() {
  if (reaped_) return false;
  int status;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  reaped_ = true;
  wait_status_ = r == pid_ ? status : -1;
  return false;
}

int ChildProcess::Stop(int signal, absl::Duration grace) {
  if (!Running()) return wait_status_;
  ::kill(pid_, signal);
  const absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline) {
    if (!Running()) return wait_status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int status = -1;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
  wait_status_ = status;
  return status;
}

// HTTP -------------------------------------------------------------------

StatusOr<HttpResponse> HttpGet(int port, const std::string& path_and_query,
                               absl::Duration timeout) {
  const std::string where = StrCat("GET 127.0.0.1:", port, path_and_query);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat(where, ": socket: ", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const timeval tv = absl::ToTimeval(timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return absl::UnavailableError(StrCat(where, ": connect: ", std::strerror(errno)));
  }
  // HTTP/1.0 with Connection: close, so the body is neither chunked nor
  // kept alive: it is everything until EOF.
  const std::string request = StrCat("GET ", path_and_query,
                                     " HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                                     "Connection: close\r\n\r\n");
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return absl::UnavailableError(StrCat(where, ": send: ", std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return absl::DeadlineExceededError(StrCat(where, ": no response within timeout"));
      }
      return absl::UnavailableError(StrCat(where, ": recv: ", std::strerror(errno)));
    }
    raw.append(buf, static_cast<size_t>(n));
  }
  const size_t header_end = raw.find("\r\n\r\n");
  int code = 0;
  if (header_end == std::string::npos || std::sscanf(raw.c_str(), "HTTP/%*d.%*d %d", &code) != 1) {
    return absl::DataLossError(StrCat(where, ": not an HTTP response: ", raw.substr(0, 200)));
  }
  return HttpResponse{code, raw.substr(header_end + 4)};
}

bool WaitForHttp(int port, const std::string& path, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    StatusOr<HttpResponse> r = HttpGet(port, path, absl::Seconds(5));
    if (r.ok() && r->status_code == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string UrlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// TempDir ----------------------------------------------------------------

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ =
      StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/", prefix, "_XXXXXX");
  if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  // Best effort: a leftover directory in /tmp is harmless.
  if (!path_.empty()) Env::Default()->RemoveAll(path_).IgnoreError();
}

std::vector<std::vector<std::pair<int64_t, double>>> ParseMatrixValues(const std::string& json) {
  std::vector<std::vector<std::pair<int64_t, double>>> out;
  const std::string key = "\"values\":[";
  for (size_t pos = json.find(key); pos != std::string::npos; pos = json.find(key, pos)) {
    pos += key.size();
    auto& values = out.emplace_back();
    while (pos < json.size() && json[pos] == '[') {
      const size_t comma = json.find(',', pos);
      const size_t close = json.find(']', comma);
      if (comma == std::string::npos || close == std::string::npos) return out;
      const std::string secs = json.substr(pos + 1, comma - pos - 1);
      const std::string value = json.substr(comma + 2, close - comma - 3);  // strip quotes
      const size_t dot = secs.find('.');
      int64_t ms = std::strtoll(secs.substr(0, dot).c_str(), nullptr, 10) * 1000;
      if (dot != std::string::npos) {
        std::string frac = secs.substr(dot + 1);
        frac.resize(3, '0');
        ms += std::strtoll(frac.c_str(), nullptr, 10);
      }
      values.emplace_back(ms, std::strtod(value.c_str(), nullptr));
      pos = close + 1;
      if (pos < json.size() && json[pos] == ',') ++pos;
    }
  }
  return out;
}

RawConnection::RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string RawConnection::ReadAll(bool* reset, absl::Duration timeout, bool* timed_out) {
  std::string out;
  char buf[4096];
  const absl::Time deadline = absl::Now() + timeout;
  if (timed_out != nullptr) *timed_out = false;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    pollfd p{fd_, POLLIN, 0};
    const int ready = left <= absl::ZeroDuration()
                          ? 0
                          : ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready <= 0) {
      if (timed_out != nullptr) *timed_out = true;
      return out;
    }
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) *reset = true;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

bool RawConnection::ClosedByPeerWithin(absl::Duration timeout) {
  bool reset = false, timed_out = false;
  ReadAll(&reset, timeout, &timed_out);
  return !timed_out;
}

}  // namespace strata::testing
