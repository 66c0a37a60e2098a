#include "bench/loadgen/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace strata::loadgen {

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
}

Status HttpClient::Connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    Close();
    return absl::InvalidArgumentError(StrCat("not an IPv4 address: ", host_));
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Status s =
        absl::UnavailableError(StrCat("connect ", host_, ":", port_, ": ", std::strerror(errno)));
    Close();
    return s;
  }
  return absl::OkStatus();
}

Status HttpClient::ReadMore() {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return absl::UnavailableError("connection closed by the server");
    if (errno != EINTR) return absl::UnavailableError(StrCat("recv: ", std::strerror(errno)));
  }
}

StatusOr<std::string> HttpClient::ReadLine() {
  for (;;) {
    const size_t eol = in_.find("\r\n");
    if (eol != std::string::npos) {
      std::string line = in_.substr(0, eol);
      in_.erase(0, eol + 2);
      return line;
    }
    STRATA_RETURN_IF_ERROR(ReadMore());
  }
}

Status HttpClient::ReadExactly(size_t n, std::string* out) {
  while (in_.size() < n) STRATA_RETURN_IF_ERROR(ReadMore());
  out->append(in_, 0, n);
  in_.erase(0, n);
  return absl::OkStatus();
}

StatusOr<HttpResponse> HttpClient::RoundTrip(std::string_view request) {
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(StrCat("send: ", std::strerror(errno)));
    }
    sent += static_cast<size_t>(n);
  }
  HttpResponse resp;
  STRATA_ASSIGN_OR_RETURN(std::string status_line, ReadLine());
  // "HTTP/1.1 204 No Content"
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0 ||
      !absl::SimpleAtoi(ToAbsl(std::string_view(status_line).substr(9, 3)), &resp.status)) {
    return absl::DataLossError(StrCat("bad HTTP status line: ", status_line));
  }
  int64_t content_length = -1;
  bool chunked = false, close = false;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(std::string line, ReadLine());
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = absl::AsciiStrToLower(ToAbsl(std::string_view(line).substr(0, colon)));
    std::string value(absl::StripAsciiWhitespace(ToAbsl(std::string_view(line).substr(colon + 1))));
    if (name == "content-length" &&
        (!absl::SimpleAtoi(value, &content_length) || content_length < 0)) {
      return absl::DataLossError(StrCat("bad Content-Length: ", value));
    }
    if (name == "transfer-encoding") chunked = absl::AsciiStrToLower(value) == "chunked";
    if (name == "connection") close = absl::AsciiStrToLower(value) == "close";
  }
  if (chunked) {
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(std::string size_line, ReadLine());
      size_t size = 0;
      if (!absl::SimpleHexAtoi(ToAbsl(std::string_view(size_line).substr(0, size_line.find(';'))),
                               &size)) {
        return absl::DataLossError(StrCat("bad chunk size: ", size_line));
      }
      if (size == 0) {
        while (true) {  // trailers
          STRATA_ASSIGN_OR_RETURN(std::string t, ReadLine());
          if (t.empty()) break;
        }
        break;
      }
      STRATA_RETURN_IF_ERROR(ReadExactly(size, &resp.body));
      STRATA_ASSIGN_OR_RETURN(std::string crlf, ReadLine());
    }
  } else if (content_length >= 0) {
    STRATA_RETURN_IF_ERROR(ReadExactly(static_cast<size_t>(content_length), &resp.body));
  } else if (resp.status != 204 && resp.status != 304) {
    for (;;) {  // until the server closes
      if (!ReadMore().ok()) break;
    }
    resp.body = std::move(in_);
    close = true;
  }
  if (close) Close();
  return resp;
}

StatusOr<HttpResponse> HttpClient::Request(
    std::string_view method, std::string_view path, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = StrCat(method, " ", path, " HTTP/1.1\r\nHost: ", host_, ":", port_,
                           "\r\nContent-Length: ", body.size(), "\r\n");
  for (const auto& [k, v] : headers) StrAppend(&req, k, ": ", v, "\r\n");
  req += "\r\n";
  req.append(body);
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) STRATA_RETURN_IF_ERROR(Connect());
    StatusOr<HttpResponse> r = RoundTrip(req);
    if (r.ok() || !reused || attempt > 0 || !absl::IsUnavailable(r.status())) {
      if (!r.ok()) Close();
      return r;
    }
    Close();  // the server closed an idle connection: retry once on a new one
  }
}

}  // namespace strata::loadgen
