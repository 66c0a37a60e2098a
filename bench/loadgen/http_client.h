// A small blocking HTTP/1.1 client for loopback benchmarks and tests:
// one keep-alive TCP connection, requests with a Content-Length body,
// responses with Content-Length or chunked bodies. Not a general client:
// no TLS, no redirects, no proxies.
//
// Thread-safety: one connection per thread.
#ifndef STRATA_BENCH_LOADGEN_HTTP_CLIENT_H_
#define STRATA_BENCH_LOADGEN_HTTP_CLIENT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::loadgen {

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  // Connects lazily to `host`:`port` (an IPv4 address such as 127.0.0.1).
  HttpClient(std::string host, int port) : host_(std::move(host)), port_(port) {}
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // Sends one request and reads the whole response, reconnecting once if
  // a kept-alive connection was closed by the server.
  [[nodiscard]] StatusOr<HttpResponse> Request(
      std::string_view method, std::string_view path, std::string_view body = {},
      const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  [[nodiscard]] Status Connect();
  void Close();
  [[nodiscard]] StatusOr<HttpResponse> RoundTrip(std::string_view request);
  [[nodiscard]] Status ReadMore();
  [[nodiscard]] StatusOr<std::string> ReadLine();
  [[nodiscard]] Status ReadExactly(size_t n, std::string* out);

  const std::string host_;
  const int port_;
  int fd_ = -1;
  std::string in_;  // received, not yet consumed
};

}  // namespace strata::loadgen

#endif  // STRATA_BENCH_LOADGEN_HTTP_CLIENT_H_
