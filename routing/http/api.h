#pragma once
// The HTTP API (DESIGN "HTTP API"): JSON over HTTP/1.1, errors as
// {"error": {"code", "message", "field"}} with the right status, times RFC 3339 +08:00.
// With no `auth` section in the config, only loopback clients are answered (403 otherwise).
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "routing/classify/call_facts.h"
#include "routing/common/clock.h"
#include "routing/http/server.h"
#include "routing/http/url.h"  // percent_decode
#include "routing/storage/ticket_store.h"
#include "routing/tickets/ticket_service.h"

namespace assist {

class Api {
 public:
  struct Probes {
    std::function<bool()> ready;           ///< SIP bound and store writable
    std::function<std::string()> metrics;  ///< Prometheus text
    /// POST /api/v1/classify: the call path's decision for these facts (labels, reasons, flags, ticketed, queue).
    std::function<nlohmann::json(const CallFacts&)> classify;
    /// POST /api/v1/rules/reload: {"ok", "message", "rules"}; when ok is false the old rules stay.
    std::function<nlohmann::json()> reload_rules;
    /// POST /api/v1/outbox/{id}/retry: puts a dead or pending message back in line; false = no such message.
    std::function<bool(const std::string&)> retry_message;
    /// GET /api/v1/store: the call path's store (DESIGN "Storage"): {"stalled", "pending_calls",
    /// "late_calls", "batches", "largest_batch", "faults"}; the board shows a stall from it.
    std::function<nlohmann::json()> store_status;
    /// True while the call path's store is stalled: API writes answer 503 at once instead of waiting.
    std::function<bool()> store_stalled;
  };
  Api(TicketService& tickets, TicketStore& store, const Clock& clock, Probes probes);

  /// The whole API as a function of the request: no sockets, testable with plain strings.
  http::Response handle(const http::Request& req, const boost::asio::ip::address& remote);

 private:
  http::Response route(const http::Request& req);
  /// POST /api/v1/tickets: a ticket opened by hand (hand_opening_from_json, hand_labels,
  /// TicketService::open_by_hand) -> 201 and the ticket object (200 when it joined an open ticket or the
  /// contact_id was sent before), Location: /api/v1/tickets/{id}; errors 400 (the field), 422
  /// (not_social_assistance), 503 (store or classifier unavailable).
  http::Response open_ticket(const http::Request& req);
  /// The caller's other tickets, newest first (at most 10), for the pane's screen pop.
  nlohmann::json earlier_tickets(const Ticket& t);
  /// /links/ack/{message id} and /links/signoff/{ticket id}: GET a small form, POST it (routing/http/links.h).
  http::Response handle_link(const http::Request& req);
  TicketService& tickets_;
  TicketStore& store_;
  const Clock& clock_;
  Probes probes_;
};



}  // namespace assist
