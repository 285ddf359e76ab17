#include "routing/http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "routing/common/log_limit.h"

namespace assist::http {
namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using Streams = std::map<std::string, StreamSink>;

/// The open sessions, in all and by client address; a Session holds one place from its accept to its end
/// (or to handing its socket to a stream, which counts its own clients).
struct Slots {
  std::mutex mu;
  std::size_t total = 0, remote = 0;  // all places taken, and those of addresses other than loopback
  std::unordered_map<std::string, std::size_t> by_address;
  /// Takes a place for `address` unless the server is full, or (not loopback) the address holds
  /// `per_address` already or remote addresses together hold all but a quarter of `max` (kept for the
  /// board, the pane and the probes on loopback); false = refuse the connection.
  bool take(const std::string& address, bool loopback, std::size_t max, std::size_t per_address) {
    std::lock_guard lock(mu);
    if (total >= max) return false;
    if (!loopback && remote >= max - max / 4) return false;
    auto& mine = by_address[address];
    if (!loopback && mine >= per_address) {
      if (mine == 0) by_address.erase(address);
      return false;
    }
    ++mine;
    ++total;
    if (!loopback) ++remote;
    return true;
  }
  void give_back(const std::string& address, bool loopback) {
    std::lock_guard lock(mu);
    --total;
    if (!loopback) --remote;
    if (auto it = by_address.find(address); it != by_address.end() && --it->second == 0) by_address.erase(it);
  }
};
using LiveCount = std::shared_ptr<Slots>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Handler& handler, std::size_t body_limit, std::shared_ptr<const Streams> streams,
          LiveCount live, std::string address, bool loopback)
      : stream_(std::move(socket)), handler_(handler), body_limit_(body_limit), streams_(std::move(streams)),
        live_(std::move(live)), address_(std::move(address)), loopback_(loopback) {}
  ~Session() { live_->give_back(address_, loopback_); }

  void run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(body_limit_);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    beast::http::async_read(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == beast::http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted)
      return close();
    if (ec) {
      // A malformed or oversized request still gets an answer when the socket is writable.
      Response res{ec == beast::http::error::body_limit ? beast::http::status::payload_too_large
                                                         : beast::http::status::bad_request, 11};
      res.set(beast::http::field::content_type, "application/json; charset=utf-8");
      res.body() = std::string(R"({"error":{"code":")") +
                   (ec == beast::http::error::body_limit ? "too_large" : "bad_request") +
                   R"(","message":"the HTTP request could not be read","field":""}})";
      res.keep_alive(false);
      res.prepare_payload();
      return send(std::move(res));
    }
    Response res;
    const auto req = parser_->release();
    beast::error_code ep;
    const auto remote = stream_.socket().remote_endpoint(ep).address();
    try {
      res = handler_(req, remote);
    } catch (const std::exception& e) {
      spdlog::error("http handler: {}", e.what());
      res = Response{beast::http::status::internal_server_error, req.version()};
      res.set(beast::http::field::content_type, "application/json; charset=utf-8");
      res.body() = R"({"error":{"code":"internal","message":"internal error","field":""}})";
    }
    if (const auto marker = res.find(kStreamMarker); marker != res.end()) {
      const std::string name(marker->value());
      res.erase(kStreamMarker);
      if (const auto sink = streams_->find(name); sink != streams_->end()) {
        // The stream owns the connection from here; this session ends with this handler.
        stream_.expires_never();
        res.version(req.version());
        return sink->second(stream_.release_socket(), req, std::move(res));
      }
      res = Response{beast::http::status::service_unavailable, req.version()};
      res.set(beast::http::field::content_type, "application/json; charset=utf-8");
      res.body() = R"({"error":{"code":"no_stream","message":"this server has no such stream","field":""}})";
    }
    res.version(req.version());
    // a client refused (403: not loopback, no signed link) does not keep its place for another try
    res.keep_alive(req.keep_alive() && res.keep_alive() && res.result() != beast::http::status::forbidden);
    if (!res.has_content_length() && !res.chunked()) res.prepare_payload();
    // HEAD: the GET's headers, Content-Length included, and no body (RFC 9110 §9.3.2); a body here would be
    // read as the start of the next response on this connection. (Static files answer HEAD themselves:
    // their own Content-Length and an empty body, left as they are.)
    if (req.method() == beast::http::verb::head && !res.chunked() && !res.body().empty()) {
      const auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    send(std::move(res));
  }

  void send(Response res) {
    res_ = std::make_shared<Response>(std::move(res));
    beast::http::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec || !res_->keep_alive()) return close();
    res_.reset();
    do_read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  std::shared_ptr<Response> res_;
  Handler handler_;  // a copy: the session may outlive the server during shutdown
  std::size_t body_limit_;
  std::shared_ptr<const Streams> streams_;
  LiveCount live_;
  std::string address_;  // the client's, for its place in live_
  bool loopback_;
};

/// Answers a connection over the session limit at once, without reading it: 503 with Retry-After, then
/// closed. Best effort (a non-blocking write into a fresh socket's empty buffer).
void refuse_busy(tcp::socket& s) {
  static const std::string kBusy = [] {
    const std::string body =
        R"({"error":{"code":"busy","message":"too many HTTP connections open; try again","field":""}})";
    return "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json; charset=utf-8\r\n"
           "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  beast::error_code ec;
  s.non_blocking(true, ec);
  s.write_some(net::buffer(kBusy), ec);
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io, std::string host, unsigned short port, Handler handler, std::size_t limit,
       std::size_t max_sessions)
      : io(io), acceptor(net::make_strand(io)), host(std::move(host)), port(port), handler(std::move(handler)),
        body_limit(limit), max_sessions(max_sessions) {}
  void accept() {
    acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        beast::error_code re;
        auto remote = s.remote_endpoint(re).address();
        if (!re && remote.is_v6() && remote.to_v6().is_v4_mapped())  // one host, one key: ::ffff:a.b.c.d is a.b.c.d
          remote = net::ip::make_address_v4(net::ip::v4_mapped, remote.to_v6());
        const std::string address = re ? std::string() : remote.to_string();
        const bool loopback = !re && remote.is_loopback();
        // one remote address holds a quarter of the places at most, and remote addresses together all but a
        // quarter: clients the API refuses (403) or idle ones cannot lock out the board, the pane or the
        // probes on loopback
        if (!self->live->take(address, loopback, self->max_sessions, std::max<std::size_t>(1, self->max_sessions / 4))) {
          self->refuse(s);
        } else {
          std::make_shared<Session>(std::move(s), self->handler, self->body_limit, self->streams, self->live, address,
                                    loopback)
              ->run();
        }
        self->accept();
        return;
      }
      // Out of descriptors (EMFILE, ENFILE) or memory: the pending connection stays queued, so accepting
      // again at once fails again at once (a core spinning). Wait 100 ms; say it once a 10 s.
      if (const auto failures = self->accept_log.note(std::chrono::steady_clock::now()))
        spdlog::error("http: cannot accept a connection ({}; {} failures since the last line): waiting 100 ms between "
                      "tries", ec.message(), failures);
      self->backoff.expires_after(std::chrono::milliseconds(100));
      self->backoff.async_wait([self](beast::error_code wait_ec) {
        if (!wait_ec && self->acceptor.is_open()) self->accept();
      });
    });
  }
  /// A connection past `max_sessions`: 503 and closed, said once a 10 s with how many.
  void refuse(tcp::socket& s) {
    refuse_busy(s);
    const auto refused = refused_log.note(std::chrono::steady_clock::now());
    if (!refused) return;
    spdlog::warn("http: {} open connections at most ({} from one address but loopback; http.max_connections): {} "
                 "refused with 503 since the last line",
                 max_sessions, std::max<std::size_t>(1, max_sessions / 4), refused);
  }
  net::io_context& io;
  tcp::acceptor acceptor;
  std::string host;
  unsigned short port;
  Handler handler;
  std::size_t body_limit;
  std::shared_ptr<Streams> streams = std::make_shared<Streams>();
  net::steady_timer backoff{acceptor.get_executor()};
  LogLimit accept_log;  // accept failing (out of descriptors), said once a 10 s
  std::size_t max_sessions;
  LiveCount live = std::make_shared<Slots>();
  LogLimit refused_log;  // connections refused past max_sessions, said once a 10 s
};

HttpServer::HttpServer(net::io_context& io, std::string host, unsigned short port, Handler handler,
                       std::size_t body_limit, std::size_t max_sessions)
    : impl_(std::make_shared<Impl>(io, std::move(host), port, std::move(handler), body_limit, max_sessions)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  const tcp::endpoint ep(net::ip::make_address(impl_->host), impl_->port);
  beast::error_code ec;
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "http listen " + impl_->host + ":" + std::to_string(impl_->port));
  impl_->accept();
}

void HttpServer::stop() {
  if (!impl_) return;
  net::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
}

void HttpServer::add_stream(const std::string& name, StreamSink sink) { (*impl_->streams)[name] = std::move(sink); }

unsigned short HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

}  // namespace assist::http
