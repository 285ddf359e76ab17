#pragma once
// The HTTP API (DESIGN "HTTP API"): JSON over HTTP/1.1, errors as
// {"error": {"code", "message", "field"}} with the right status, times RFC 3339 +08:00.
// With no `auth` section in the config, only loopback clients are answered (403 otherwise).
#include <functional>
#include <string>

#include "routing/common/clock.h"
#include "routing/http/server.h"
#include "routing/storage/ticket_store.h"
#include "routing/tickets/ticket_service.h"

namespace assist {

class Api {
 public:
  struct Probes {
    std::function<bool()> ready;           ///< SIP bound and store writable
    std::function<std::string()> metrics;  ///< Prometheus text
  };
  Api(TicketService& tickets, TicketStore& store, const Clock& clock, Probes probes);

  /// The whole API as a function of the request: no sockets, testable with plain strings.
  http::Response handle(const http::Request& req, const boost::asio::ip::address& remote);

 private:
  http::Response route(const http::Request& req);
  TicketService& tickets_;
  TicketStore& store_;
  const Clock& clock_;
  Probes probes_;
};

/// "abc%40host" -> "abc@host"; nullopt for a bad or truncated escape. `plus_is_space` for query strings
/// (application/x-www-form-urlencoded); in a path '+' is itself (a Call-ID may hold one, RFC 3261 §25.1).
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace assist
