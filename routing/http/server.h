#pragma once
// A small HTTP/1.1 server on Boost.Beast (after Beast's async server example): one session per
// connection that owns its socket, buffer and parser, with a read deadline and a body limit, keep-alive,
// and a handler from request to response that knows no sockets.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

namespace assist::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
/// Maps a request (and the client's address) to a response. Must not throw for any input.
using Handler = std::function<Response(const Request&, const boost::asio::ip::address& remote)>;

/// A streaming answer (Server-Sent Events): the handler returns the response head it wants with this
/// header naming a stream (`mark_stream`); the server strips it, writes nothing itself and hands the
/// connection, the request and that head to the sink registered under the name (HttpServer::add_stream).
/// With no such sink the client gets 503.
inline constexpr const char* kStreamMarker = "X-Assist-Stream";
inline void mark_stream(Response& res, const std::string& name) { res.set(kStreamMarker, name); }
using StreamSink = std::function<void(boost::asio::ip::tcp::socket socket, const Request& req, Response head)>;

class HttpServer {
 public:
  /// Nothing is bound until start(). `host` is a numeric address. `body_limit`: bytes of a request body
  /// (more: 413). `max_sessions`: request connections open at once (http.max_connections), a quarter of
  /// them at most from one address other than loopback and three quarters from all such addresses together; past it a new connection gets 503 with Retry-After
  /// and is closed at once, so idle, slow or refused (403) clients cannot take every descriptor or lock out
  /// loopback. A 403 answer closes its connection. A connection handed to a stream (the board's events)
  /// counts there, not here.
  HttpServer(boost::asio::io_context& io, std::string host, unsigned short port, Handler handler,
             std::size_t body_limit = 1 << 20, std::size_t max_sessions = 512);
  ~HttpServer();
  /// Binds and starts accepting; throws std::system_error naming the address.
  void start();
  void stop();
  unsigned short port() const;
  /// Registers the sink for responses marked with stream `name` (before start()).
  void add_stream(const std::string& name, StreamSink sink);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace assist::http
