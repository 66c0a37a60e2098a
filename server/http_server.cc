#include "server/http_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/strings.h"

namespace strata::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

namespace {

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

}  // namespace

class HttpServer::Impl {
 public:
  class Session;

  Impl(const HttpServerOptions& options, HttpHandler handler)
      : options_(options),
        handler_(std::move(handler)),
        ioc_(std::make_unique<net::io_context>()) {}
  ~Impl() {
    Shutdown(absl::ZeroDuration());
    // The acceptor needs its io_context; pending handlers own sessions,
    // whose destructors use this object: destroy both while it is whole.
    acceptor_.reset();
    ioc_.reset();
  }

  Status Start();
  void Shutdown(absl::Duration grace);
  int port() const { return bound_port_; }

  const HttpServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void Handle(const HttpRequest& req, HttpResponse* res) const;
  void SessionStarted(const std::shared_ptr<Session>& s);
  void SessionEnded();
  // Admission of a body of `bytes`: false if it would take the bodies in
  // flight past max_inflight_body_bytes (and others are in flight).
  bool ReserveBody(uint64_t bytes);
  void ReleaseBody(uint64_t bytes) { inflight_bytes_.fetch_sub(bytes, std::memory_order_relaxed); }

 private:
  void Accept();

  const HttpServerOptions options_;
  const HttpHandler handler_;
  std::unique_ptr<net::io_context> ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  int bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> inflight_bytes_{0};
  bool shut_down_ = false;

  Mutex mu_;
  CondVar cv_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
};

// One connection: reads requests one after another (keep-alive) and writes
// each answer. Runs on its own strand, so its members need no lock.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    const tcp::endpoint ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = StrCat(ep.address().to_string(ec), ":", ep.port());
  }
  ~Session() {
    ReleaseReservation();
    server_.SessionEnded();
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Closes the connection unless a request is being read or answered.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  void ReadHeader() {
    if (server_.stopping()) return Close();
    busy_ = false;
    unread_body_ = false;
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes);
    parser_->header_limit(server_.options().max_header_bytes);
    stream_.expires_after(
        ToChrono(served_ > 0 ? server_.options().idle_timeout : server_.options().read_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    const uint64_t declared = parser_->content_length().value_or(0);
    if (declared > 0 && declared <= server_.options().max_body_bytes) {
      if (!server_.ReserveBody(declared)) {
        HttpResponse res;
        res.status = 503;
        res.content_type = "text/plain; charset=utf-8";
        res.headers.emplace_back("Retry-After", "1");
        res.body = "too many request bytes in flight; retry later\n";
        unread_body_ = true;
        return Write(res, /*keep_alive=*/false);
      }
      reserved_ = declared;
    }
    // curl and some clients wait for "100 Continue" before sending a body.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec2, size_t) {
                          if (ec2) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec2, size_t) { self->OnRead(ec2); });
  }

  void OnReadError(beast::error_code ec) {
    ReleaseReservation();
    unread_body_ = true;  // the answers below are written without reading on
    if (ec == http::error::body_limit) {
      HttpResponse res;
      res.status = 413;
      res.content_type = "text/plain; charset=utf-8";
      res.body = StrCat("request body larger than the limit of ", server_.options().max_body_bytes,
                        " bytes (--web.max-body-bytes)\n");
      return Write(res, /*keep_alive=*/false);
    }
    if (ec == http::error::header_limit) {
      HttpResponse res;
      res.status = 431;
      res.content_type = "text/plain; charset=utf-8";
      res.body = "request header fields too large\n";
      return Write(res, false);
    }
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      return Close();
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category() && busy_) {
      HttpResponse res;
      res.status = 400;
      res.content_type = "text/plain; charset=utf-8";
      res.body = StrCat("bad HTTP request: ", ec.message(), "\n");
      return Write(res, false);
    }
    Close();
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> raw = parser_->release();
    HttpRequest req;
    req.method = std::string(raw.method_string());
    const std::string_view target(raw.target().data(), raw.target().size());
    const size_t q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& field : raw) {
      std::string name(field.name_string().data(), field.name_string().size());
      absl::AsciiStrToLower(&name);
      req.headers.emplace_back(std::move(name),
                               std::string(field.value().data(), field.value().size()));
    }
    req.body = std::move(raw.body());
    req.remote = remote_;
    HttpResponse res;
    server_.Handle(req, &res);
    ReleaseReservation();
    ++served_;
    Write(res, raw.keep_alive() && !server_.stopping());
  }

  void Write(const HttpResponse& r, bool keep_alive) {
    busy_ = true;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "strata");
    if (!r.body.empty() || r.status != 204) res->set(http::field::content_type, r.content_type);
    for (const auto& [n, v] : r.headers) res->set(n, v);
    res->body() = r.body;
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!keep_alive) return self->unread_body_ ? self->Linger() : self->Close();
                        self->ReadHeader();
                      });
  }

  void ReleaseReservation() {
    server_.ReleaseBody(reserved_);
    reserved_ = 0;
  }

  // Closing a socket with unread input makes the kernel send a reset, and
  // a client still sending its body may then lose the answer it was sent
  // (the 413 or 503). So: stop sending, read and drop what still comes
  // for up to kLinger, then close.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    linger_until_ = std::chrono::steady_clock::now() + kLinger;
    Drain();
  }
  void Drain() {
    const auto left = linger_until_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return Close();
    if (drain_.empty()) drain_.resize(64 << 10);
    stream_.expires_after(left);
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  uint64_t served_ = 0;
  bool busy_ = false;
  uint64_t reserved_ = 0;     // of the server's in-flight body bytes
  bool unread_body_ = false;  // answered without reading the request's body
  std::vector<char> drain_;
  std::chrono::steady_clock::time_point linger_until_;
  static constexpr std::chrono::seconds kLinger{2};
};

bool HttpServer::Impl::ReserveBody(uint64_t bytes) {
  uint64_t now = inflight_bytes_.load(std::memory_order_relaxed);
  for (;;) {
    if (now > 0 && now + bytes > options_.max_inflight_body_bytes) return false;
    if (inflight_bytes_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed)) {
      return true;
    }
  }
}

void HttpServer::Impl::Handle(const HttpRequest& req, HttpResponse* res) const {
  try {
    handler_(req, res);
  } catch (const std::exception& e) {
    *res = HttpResponse();
    res->status = 500;
    res->content_type = "text/plain; charset=utf-8";
    res->body = StrCat("internal error: ", e.what(), "\n");
  } catch (...) {
    *res = HttpResponse();
    res->status = 500;
    res->content_type = "text/plain; charset=utf-8";
    res->body = "internal error\n";
  }
}

void HttpServer::Impl::SessionStarted(const std::shared_ptr<Session>& s) {
  MutexLock l(&mu_);
  ++active_;
  // Forget closed sessions now and then so the list stays short.
  if (sessions_.size() >= 64 && sessions_.size() % 64 == 0) {
    std::erase_if(sessions_, [](const std::weak_ptr<Session>& w) { return w.expired(); });
  }
  sessions_.push_back(s);
}

void HttpServer::Impl::SessionEnded() {
  MutexLock l(&mu_);
  --active_;
  cv_.SignalAll();
}

Status HttpServer::Impl::Start() {
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options_.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        StrCat("listen address \"", options_.address, "\": ", ec.message()));
  }
  if (options_.port < 0 || options_.port > 65535) {
    return absl::InvalidArgumentError(StrCat("listen port ", options_.port, " out of range"));
  }
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
  acceptor_ = std::make_unique<tcp::acceptor>(*ioc_);
  const std::string where = StrCat(options_.address, ":", options_.port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(StrCat("listen on ", where, ": ", ec.message()));
  bound_port_ = acceptor_->local_endpoint(ec).port();
  Accept();
  const int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        try {
          ioc_->run();
          return;
        } catch (const std::exception& e) {
          log::Error("http io thread failed", {{"err", e.what()}});
        } catch (...) {
          log::Error("http io thread failed", {{"err", "unknown exception"}});
        }
      }
    });
  }
  return absl::OkStatus();
}

void HttpServer::Impl::Accept() {
  acceptor_->async_accept(net::make_strand(*ioc_), [this](beast::error_code ec, tcp::socket s) {
    if (stopping()) return;
    if (!ec) {
      auto session = std::make_shared<Session>(*this, std::move(s));
      SessionStarted(session);
      session->Start();
    } else if (ec == net::error::operation_aborted) {
      return;
    }
    Accept();
  });
}

void HttpServer::Impl::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_.store(true, std::memory_order_release);
  if (acceptor_ != nullptr) {
    net::post(*ioc_, [this] {
      beast::error_code ec;
      acceptor_->close(ec);
    });
  }
  std::vector<std::shared_ptr<Session>> live;
  {
    MutexLock l(&mu_);
    for (const auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
    sessions_.clear();
  }
  for (const auto& s : live) s->CloseIfIdle();
  live.clear();
  {
    const absl::Time deadline = absl::Now() + grace;
    MutexLock l(&mu_);
    while (active_ > 0 && absl::Now() < deadline) {
      cv_.WaitWithTimeout(&mu_, deadline - absl::Now());
    }
  }
  ioc_->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(options, std::move(handler))) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() {
  try {
    return impl_->Start();
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("start HTTP server: ", e.what()));
  }
}

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Shutdown(absl::Duration grace) {
  try {
    impl_->Shutdown(grace);
  } catch (const std::exception& e) {
    log::Error("http shutdown failed", {{"err", e.what()}});
  }
}

}  // namespace strata::server
