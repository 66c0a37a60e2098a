#include "server/http_server.h"

#include <atomic>
#include <boost/asio/bind_executor.hpp>
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
#include "server/work_pool.h"

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

// Method, path, query string and headers (names lower-cased) of `raw`.
void FillRequestHead(const http::request_header<>& raw, HttpRequest* req) {
  req->method = std::string(raw.method_string());
  const std::string_view target(raw.target().data(), raw.target().size());
  const size_t q = target.find('?');
  req->path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req->query = std::string(target.substr(q + 1));
  for (const auto& field : raw) {
    std::string name(field.name_string().data(), field.name_string().size());
    absl::AsciiStrToLower(&name);
    req->headers.emplace_back(std::move(name),
                              std::string(field.value().data(), field.value().size()));
  }
}

// A parser with the server's limits.
void LimitParser(const HttpServerOptions& options, http::request_parser<http::string_body>* p) {
  p->body_limit(options.max_body_bytes);
  p->header_limit(options.max_header_bytes);
}

}  // namespace

class HttpServer::Impl {
 public:
  class Session;

  Impl(const HttpServerOptions& options, HttpService& service)
      : options_(options),
        service_(service),
        own_budget_(options.budget == nullptr
                        ? std::make_unique<InflightBudget>(options.max_inflight_body_bytes)
                        : nullptr),
        budget_(options.budget != nullptr ? *options.budget : *own_budget_),
        ioc_(std::make_unique<net::io_context>()),
        accept_strand_(std::in_place, net::make_strand(*ioc_)) {}
  ~Impl() {
    Shutdown(absl::ZeroDuration());
    // The acceptor needs its io_context; pending handlers own sessions,
    // whose destructors use this object: destroy both while it is whole.
    acceptor_.reset();
    accept_strand_.reset();  // uses the io_context's services
    ioc_.reset();
  }

  Status Start();
  void Shutdown(absl::Duration grace);
  int port() const { return bound_port_; }
  HttpServerStats Stats() const;

  const HttpServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  InflightBudget& budget() { return budget_; }
  WorkPool* PoolOf(Pool pool) {
    switch (pool) {
      case Pool::kIngest:
        return ingest_pool_.get();
      case Pool::kQuery:
        return query_pool_.get();
      case Pool::kInline:
        break;
    }
    return nullptr;
  }
  // The service's calls, with every exception turned into a 500.
  Pool PoolFor(const HttpRequest& req);
  void Handle(const HttpRequest& req, ResponseStream* stream, HttpResponse* res);
  void Overloaded(const HttpRequest& req, std::string_view why, HttpResponse* res);
  void SessionStarted(const std::shared_ptr<Session>& s);
  void SessionEnded();

  std::atomic<uint64_t> closed_stalled_body_{0};
  std::atomic<uint64_t> closed_read_timeout_{0};
  std::atomic<uint64_t> refused_body_too_large_{0};
  std::atomic<uint64_t> refused_inflight_bytes_{0};

 private:
  void Accept();

  const HttpServerOptions options_;
  HttpService& service_;
  const std::unique_ptr<InflightBudget> own_budget_;  // when options.budget is null
  InflightBudget& budget_;
  std::unique_ptr<net::io_context> ioc_;
  // The acceptor's ops; optional so that it goes before the io_context.
  std::optional<net::strand<net::io_context::executor_type>> accept_strand_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<WorkPool> ingest_pool_;
  std::unique_ptr<WorkPool> query_pool_;
  std::vector<std::thread> threads_;
  int bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> limit_waits_{0};

  mutable Mutex mu_;
  CondVar cv_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool accept_paused_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
};

// One connection: reads requests one after another (keep-alive), hands
// each to its pool and writes the answer. Its socket work runs on its own
// strand, so those members need no lock; a handler on a pool thread
// touches the session only through the ResponseStream calls, which post
// their writes to the strand and wait for them.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session>,
                                  public ResponseStream {
 public:
  Session(Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), reservation_(&server.budget(), 0) {
    beast::error_code ec;
    const tcp::endpoint ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = StrCat(ep.address().to_string(ec), ":", ep.port());
  }
  ~Session() override {
    reservation_.Release();
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
  // Closes the connection whatever it is doing (the end of a shutdown).
  void CloseNow() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

  // ResponseStream, called by the handler on its pool thread.
  Status Begin(int status, std::string_view content_type,
               const std::vector<std::pair<std::string, std::string>>& headers) override {
    const auto reason = http::obsolete_reason(http::int_to_status(status));
    std::string head =
        StrCat("HTTP/1.1 ", status, " ", std::string_view(reason.data(), reason.size()),
               "\r\nServer: strata\r\nContent-Type: ", content_type, "\r\n");
    for (const auto& [n, v] : headers) StrAppend(&head, n, ": ", v, "\r\n");
    head.append("Transfer-Encoding: chunked\r\n");
    if (!keep_alive_) head.append("Connection: close\r\n");
    head.append("\r\n");
    stream_begun_ = true;
    return Send(std::move(head));
  }
  void Abort(std::string_view reason) override {
    if (!stream_begun_) return;
    log::Warn("streamed answer aborted", {{"remote", remote_}, {"reason", reason}});
    stream_failed_ = true;  // Finish closes without the last chunk
  }
  Status Write(std::string_view data) override {
    if (data.empty()) return absl::OkStatus();
    char size[24];
    const int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    std::string chunk;
    chunk.reserve(static_cast<size_t>(n) + data.size() + 2);
    chunk.append(size, static_cast<size_t>(n));
    chunk.append(data);
    chunk.append("\r\n");
    return Send(std::move(chunk));
  }

 private:
  enum class Phase { kHeader, kBody, kHandling, kWriting };

  void ReadHeader() {
    if (server_.stopping()) return Close();
    busy_ = false;
    unread_body_ = false;
    stream_begun_ = false;
    stream_failed_ = false;
    phase_ = Phase::kHeader;
    parser_.emplace();
    LimitParser(server_.options(), &*parser_);
    stream_.expires_after(
        ToChrono(served_ > 0 ? server_.options().idle_timeout : server_.options().read_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    // curl and some clients wait for "100 Continue" before sending a body.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec2, size_t) {
                          if (ec2) return self->Close();
                          self->StartBody();
                        });
      return;
    }
    StartBody();
  }

  // The body is read piece by piece: each piece is counted against the
  // in-flight budget as it arrives, and the connection must bring
  // min_body_bytes_per_window in every body_window (the timer restarts
  // each time it has).
  void StartBody() {
    phase_ = Phase::kBody;
    window_base_ = 0;
    stream_.expires_after(ToChrono(server_.options().body_window));
    if (parser_->is_done()) return OnRead();
    ReadBodySome();
  }

  void ReadBodySome() {
    http::async_read_some(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBodySome(ec); });
  }

  void OnBodySome(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    const uint64_t have = parser_->get().body().size();
    if (have > reservation_.bytes() && !reservation_.Grow(have - reservation_.bytes())) {
      server_.refused_inflight_bytes_.fetch_add(1, std::memory_order_relaxed);
      reservation_.Release();
      HttpResponse res;
      server_.Overloaded(RequestHead(), "too many request bytes in flight; retry later", &res);
      unread_body_ = true;
      return Respond(std::move(res), /*keep_alive=*/false);
    }
    if (have - window_base_ >= server_.options().min_body_bytes_per_window) {
      window_base_ = have;
      stream_.expires_after(ToChrono(server_.options().body_window));
    }
    if (parser_->is_done()) return OnRead();
    ReadBodySome();
  }

  // The request line and headers of the request being read, without its
  // body (for answers given before it was read).
  HttpRequest RequestHead() const {
    HttpRequest req;
    FillRequestHead(parser_->get(), &req);
    req.remote = remote_;
    return req;
  }

  void OnReadError(beast::error_code ec) {
    reservation_.Release();
    unread_body_ = true;  // the answers below are written without reading on
    if (ec == http::error::body_limit) {
      server_.refused_body_too_large_.fetch_add(1, std::memory_order_relaxed);
      HttpResponse res;
      res.status = 413;
      res.content_type = "text/plain; charset=utf-8";
      res.body = StrCat("request body larger than the limit of ", server_.options().max_body_bytes,
                        " bytes (--web.max-body-bytes)\n");
      return Respond(std::move(res), /*keep_alive=*/false);
    }
    if (ec == http::error::header_limit) {
      HttpResponse res;
      res.status = 431;
      res.content_type = "text/plain; charset=utf-8";
      res.body = "request header fields too large\n";
      return Respond(std::move(res), false);
    }
    if (ec == beast::error::timeout) {
      if (phase_ == Phase::kBody) {
        server_.closed_stalled_body_.fetch_add(1, std::memory_order_relaxed);
      } else {
        server_.closed_read_timeout_.fetch_add(1, std::memory_order_relaxed);
      }
      return Close();
    }
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == net::error::eof || ec == net::error::connection_reset) {
      return Close();
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category() && busy_) {
      HttpResponse res;
      res.status = 400;
      res.content_type = "text/plain; charset=utf-8";
      res.body = StrCat("bad HTTP request: ", ec.message(), "\n");
      return Respond(std::move(res), false);
    }
    Close();
  }

  void OnRead() {
    phase_ = Phase::kHandling;
    // No timer while the handler runs: a query has its own timeout.
    stream_.expires_never();
    http::request<http::string_body> raw = parser_->release();
    auto req = std::make_shared<HttpRequest>();
    FillRequestHead(raw, req.get());
    req->body = std::move(raw.body());
    req->remote = remote_;
    keep_alive_ = raw.keep_alive() && !server_.stopping();
    head_request_ = raw.method() == http::verb::head;

    WorkPool* pool = server_.PoolOf(server_.PoolFor(*req));
    if (pool == nullptr) {
      HttpResponse res;
      server_.Handle(*req, this, &res);
      return Finish(std::move(res));
    }
    std::shared_ptr<Session> self = shared_from_this();
    pool->Submit(
        [self, req] {
          HttpResponse res;
          self->server_.Handle(*req, self.get(), &res);
          self->PostFinish(std::move(res));
        },
        [self, req, name = pool->options().name](absl::Duration waited) {
          HttpResponse res;
          self->server_.Overloaded(*req,
                                   StrCat("no ", name, " worker free after ",
                                          absl::FormatDuration(waited), "; retry later"),
                                   &res);
          self->PostFinish(std::move(res));
        });
  }

  void PostFinish(HttpResponse res) {
    net::post(stream_.get_executor(), [self = shared_from_this(), res = std::move(res)]() mutable {
      self->Finish(std::move(res));
    });
  }

  void Finish(HttpResponse res) {
    reservation_.Release();
    ++served_;
    if (!stream_begun_) return Respond(std::move(res), keep_alive_ && !server_.stopping());
    // A begun stream that failed or was aborted ends without its last
    // chunk: the client sees a broken answer, never a short one.
    if (stream_failed_) return Close();
    // The last chunk of a chunked body.
    phase_ = Phase::kWriting;
    auto last = std::make_shared<std::string>("0\r\n\r\n");
    stream_.expires_after(ToChrono(server_.options().write_timeout));
    net::async_write(stream_, net::buffer(*last),
                     [self = shared_from_this(), last](beast::error_code ec, size_t) {
                       if (ec || !self->keep_alive_ || self->server_.stopping()) {
                         return self->Close();
                       }
                       self->ReadHeader();
                     });
  }

  // Writes `data` from a pool thread: posts the write to the strand and
  // waits for it (bounded by write_timeout, after which the stream's timer
  // has closed the socket and the write completes with an error).
  Status Send(std::string data) {
    if (stream_failed_) return absl::UnavailableError("client connection closed");
    struct State {
      Mutex mu;
      CondVar cv;
      bool done ABSL_GUARDED_BY(mu) = false;
      beast::error_code ec ABSL_GUARDED_BY(mu);
    };
    auto state = std::make_shared<State>();
    auto buf = std::make_shared<std::string>(std::move(data));
    net::post(stream_.get_executor(), [self = shared_from_this(), state, buf] {
      self->stream_.expires_after(ToChrono(self->server_.options().write_timeout));
      net::async_write(self->stream_, net::buffer(*buf),
                       [state, buf](beast::error_code ec, size_t) {
                         MutexLock l(&state->mu);
                         state->done = true;
                         state->ec = ec;
                         state->cv.SignalAll();
                       });
    });
    beast::error_code ec;
    {
      MutexLock l(&state->mu);
      // The timer ends the write; the margin covers a stopped io_context.
      const absl::Time deadline = absl::Now() + server_.options().write_timeout + absl::Seconds(5);
      while (!state->done && absl::Now() < deadline) {
        state->cv.WaitWithTimeout(&state->mu, deadline - absl::Now());
      }
      if (!state->done) ec = beast::error::timeout;
      if (state->done) ec = state->ec;
    }
    if (!ec) return absl::OkStatus();
    stream_failed_ = true;
    return absl::UnavailableError(StrCat("streaming the answer to ", remote_, ": ", ec.message()));
  }

  void Respond(HttpResponse r, bool keep_alive) {
    busy_ = true;
    phase_ = Phase::kWriting;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "strata");
    if (!r.body.empty() || r.status != 204) res->set(http::field::content_type, r.content_type);
    for (const auto& [n, v] : r.headers) res->set(n, v);
    res->keep_alive(keep_alive);
    if (head_request_) {
      // A HEAD answer carries the length of the body it leaves out.
      res->content_length(r.body.size());
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    stream_.expires_after(ToChrono(server_.options().write_timeout));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!keep_alive) return self->unread_body_ ? self->Linger() : self->Close();
                        self->ReadHeader();
                      });
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
    reservation_.Release();
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
  Phase phase_ = Phase::kHeader;
  bool busy_ = false;
  BudgetReservation reservation_;  // of the body bytes read so far
  uint64_t window_base_ = 0;       // body bytes when the body-rate window began
  bool unread_body_ = false;       // answered without reading the request's body
  bool keep_alive_ = false;
  bool head_request_ = false;
  // Set by the handler's thread while it streams; read on the strand after
  // the handler finished (the post orders them).
  bool stream_begun_ = false;
  std::atomic<bool> stream_failed_{false};
  std::vector<char> drain_;
  std::chrono::steady_clock::time_point linger_until_;
  static constexpr std::chrono::seconds kLinger{2};
};

namespace {

void InternalError(HttpResponse* res, std::string_view what) {
  *res = HttpResponse();
  res->status = 500;
  res->content_type = "text/plain; charset=utf-8";
  res->body = StrCat("internal error", what.empty() ? "" : ": ", what, "\n");
}

}  // namespace

Pool HttpServer::Impl::PoolFor(const HttpRequest& req) {
  try {
    return service_.PoolFor(req);
  } catch (...) {
    return Pool::kInline;  // Handle then meets the same trouble and answers 500
  }
}

void HttpServer::Impl::Handle(const HttpRequest& req, ResponseStream* stream, HttpResponse* res) {
  try {
    service_.Handle(req, stream, res);
  } catch (const std::exception& e) {
    InternalError(res, e.what());
  } catch (...) {
    InternalError(res, "");
  }
}

void HttpServer::Impl::Overloaded(const HttpRequest& req, std::string_view why, HttpResponse* res) {
  try {
    service_.Overloaded(req, why, res);
  } catch (...) {
    *res = HttpResponse();
    res->status = 503;
    res->content_type = "text/plain; charset=utf-8";
    res->headers.emplace_back("Retry-After", "1");
    res->body = StrCat(why, "\n");
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
  if (accept_paused_ && active_ < options_.max_connections && !stopping()) {
    accept_paused_ = false;
    net::post(*accept_strand_, [this] { Accept(); });
  }
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
  ingest_pool_ = std::make_unique<WorkPool>(WorkPoolOptions{
      .name = "ingest",
      .threads = options_.ingest_pool.threads,
      .max_queue_wait = options_.ingest_pool.max_queue_wait,
  });
  query_pool_ = std::make_unique<WorkPool>(WorkPoolOptions{
      .name = "query",
      .threads = options_.query_pool.threads,
      .max_queue_wait = options_.query_pool.max_queue_wait,
  });
  net::post(*accept_strand_, [this] { Accept(); });
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

// Runs on accept_strand_. At max_connections it does not accept again
// until a session ends (SessionEnded resumes it).
void HttpServer::Impl::Accept() {
  if (stopping() || acceptor_ == nullptr || !acceptor_->is_open()) return;
  acceptor_->async_accept(
      net::make_strand(*ioc_),
      net::bind_executor(*accept_strand_, [this](beast::error_code ec, tcp::socket s) {
        if (stopping()) return;
        if (ec == net::error::operation_aborted) return;
        if (!ec) {
          accepted_.fetch_add(1, std::memory_order_relaxed);
          auto session = std::make_shared<Session>(*this, std::move(s));
          SessionStarted(session);
          session->Start();
          MutexLock l(&mu_);
          if (active_ >= options_.max_connections) {
            accept_paused_ = true;
            limit_waits_.fetch_add(1, std::memory_order_relaxed);
            return;
          }
        }
        Accept();
      }));
}

HttpServerStats HttpServer::Impl::Stats() const {
  HttpServerStats st;
  {
    MutexLock l(&mu_);
    st.connections_open = static_cast<uint64_t>(std::max(0, active_));
  }
  st.connections_accepted = accepted_.load(std::memory_order_relaxed);
  st.connection_limit_waits = limit_waits_.load(std::memory_order_relaxed);
  st.closed_stalled_body = closed_stalled_body_.load(std::memory_order_relaxed);
  st.closed_read_timeout = closed_read_timeout_.load(std::memory_order_relaxed);
  st.refused_body_too_large = refused_body_too_large_.load(std::memory_order_relaxed);
  st.refused_inflight_bytes = refused_inflight_bytes_.load(std::memory_order_relaxed);
  st.inflight_bytes = budget_.used();
  for (const WorkPool* pool : {ingest_pool_.get(), query_pool_.get()}) {
    if (pool == nullptr) continue;
    st.pools.push_back({pool->options().name, pool->options().threads, pool->Stats()});
  }
  return st;
}

void HttpServer::Impl::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_.store(true, std::memory_order_release);
  if (acceptor_ != nullptr) {
    net::post(*accept_strand_, [this] {
      beast::error_code ec;
      acceptor_->close(ec);
    });
  }
  auto live = [this] {
    std::vector<std::shared_ptr<Session>> out;
    MutexLock l(&mu_);
    for (const auto& w : sessions_) {
      if (auto s = w.lock()) out.push_back(std::move(s));
    }
    return out;
  };
  for (const auto& s : live()) s->CloseIfIdle();
  {
    const absl::Time deadline = absl::Now() + grace;
    MutexLock l(&mu_);
    while (active_ > 0 && absl::Now() < deadline) {
      cv_.WaitWithTimeout(&mu_, deadline - absl::Now());
    }
    if (active_ > 0) {
      log::Warn("HTTP connections still open after the shutdown grace period; closing them",
                {{"connections", active_}, {"grace", absl::FormatDuration(grace)}});
    }
  }
  // What is still open after the grace period is cut off; handlers that
  // stream then fail their next write, and the pools can finish.
  for (const auto& s : live()) s->CloseNow();
  {
    MutexLock l(&mu_);
    sessions_.clear();
  }
  ingest_pool_.reset();
  query_pool_.reset();
  ioc_->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

StatusOr<HttpRequest> ParseHttpRequest(std::string_view bytes, const HttpServerOptions& options) {
  http::request_parser<http::string_body> parser;
  LimitParser(options, &parser);
  parser.eager(true);
  beast::error_code ec;
  while (!bytes.empty() && !parser.is_done()) {
    const size_t used = parser.put(net::buffer(bytes.data(), bytes.size()), ec);
    if (ec == http::error::need_more) break;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return absl::ResourceExhaustedError(StrCat("HTTP request: ", ec.message()));
    }
    if (ec) return absl::InvalidArgumentError(StrCat("HTTP request: ", ec.message()));
    if (used == 0) break;
    bytes.remove_prefix(used);
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return absl::InvalidArgumentError("HTTP request: incomplete");
  }
  HttpRequest req;
  http::request<http::string_body> raw = parser.release();
  FillRequestHead(raw, &req);
  req.body = std::move(raw.body());
  return req;
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpService& service)
    : impl_(std::make_unique<Impl>(options, service)) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() {
  try {
    return impl_->Start();
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("start HTTP server: ", e.what()));
  }
}

int HttpServer::port() const { return impl_->port(); }

HttpServerStats HttpServer::Stats() const { return impl_->Stats(); }

void HttpServer::Shutdown(absl::Duration grace) {
  try {
    impl_->Shutdown(grace);
  } catch (const std::exception& e) {
    log::Error("http shutdown failed", {{"err", e.what()}});
  }
}

}  // namespace strata::server
