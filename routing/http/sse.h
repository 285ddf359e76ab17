#pragma once
// Server-Sent Events at GET /api/v1/events (DESIGN "Details settled: SSE"; issue 7): `ticket.opened`,
// `ticket.changed`, `ticket.warned`, `ticket.breached`, `ticket.escalated`, each with
// data {"server_time", "ticket": the API ticket object with allowed_events} and an id "<epoch>.<seq>".
// A browser that reconnects with Last-Event-ID gets what it missed from a bounded in-memory ring, or a
// `resync` event when the ring no longer holds it (or the daemon restarted: another epoch). Every
// connection starts with a `hello` event (server time, warning fraction, last id) so the page can
// correct its clock offset; a comment line every 15 s keeps proxies and the browser's reader awake.
// Each client has a bounded queue: a client that does not read is dropped, never buffered forever.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "routing/common/clock.h"
#include "routing/http/breach_watch.h"
#include "routing/http/server.h"
#include "routing/tickets/ticket.h"

namespace assist::http {

/// One event as kept in the ring. `data` is JSON on one line (no newline), as SSE's `data:` needs. A
/// ticket event is formatted only when a client needs it (`make` fills `data` on first use): with no
/// board open, a call's event costs a ticket copy, not a JSON document.
struct SseEvent {
  std::uint64_t seq = 0;
  std::string type;
  mutable std::string data;
  mutable std::function<std::string()> make;  ///< empty when `data` is given or made
  /// `data`, made now if it was left to be made. Not thread-safe (the hub locks).
  const std::string& payload() const {
    if (make) {
      data = make();
      make = nullptr;
    }
    return data;
  }
};

/// "id: <epoch>.<seq>\nevent: <type>\ndata: <data>\n\n" (HTML Living Standard §9.2, event stream format).
std::string format_sse(const std::string& epoch, const SseEvent& e);

/// The sequence number in a Last-Event-ID "<epoch>.<seq>"; nullopt when it is malformed or names
/// another epoch (a previous run of the daemon).
std::optional<std::uint64_t> parse_last_event_id(std::string_view id, std::string_view epoch);

/// The last `capacity` events, sequence numbers from 1. Not thread-safe (the hub locks).
class SseRing {
 public:
  explicit SseRing(std::size_t capacity) : capacity_(capacity) {}
  /// Appends an event; drops the oldest when full. Returns it. `make`, when given, makes `data` when
  /// it is first needed.
  const SseEvent& push(std::string type, std::string data, std::function<std::string()> make = nullptr);
  /// The events after `last_seq`, oldest first; nullopt when some of them were already dropped or
  /// `last_seq` is ahead of the newest (the client must reload instead).
  std::optional<std::vector<SseEvent>> since(std::uint64_t last_seq) const;
  /// Calls `fn` on each event after `last_seq`, oldest first, in place (a ticket event made for one client
  /// is kept made for the next); false, and no call, when since() would be nullopt.
  bool each_since(std::uint64_t last_seq, const std::function<void(const SseEvent&)>& fn) const;
  std::uint64_t last_seq() const { return next_ - 1; }
  std::size_t size() const { return events_.size(); }

 private:
  std::size_t capacity_;
  std::deque<SseEvent> events_;
  std::uint64_t next_ = 1;
};

/// The SSE type for a ChangeListener's `what` ("opened" -> "ticket.opened"; unknown -> "ticket.changed").
std::string sse_type_for(const std::string& what);

/// The response head the API answers GET /api/v1/events with, marked for the "events" stream.
Response sse_head();

class SseClient;

class SseHub {
 public:
  struct Options {
    std::size_t ring = 2048;          ///< events kept for catching up
    std::size_t client_queue = 512;   ///< events waiting for one client before it is dropped
    std::size_t max_clients = 256;    ///< more connections get 503
    std::chrono::milliseconds heartbeat{15000};
    double warning_at = 0.8;          ///< escalation.warning_at, told to the pages in `hello`
    /// Reads a ticket fresh when its breach moment comes (nullopt: gone).
    std::function<std::optional<Ticket>(const std::string& id)> load;
  };

  SseHub(boost::asio::io_context& io, const Clock& clock, Options options);
  ~SseHub();
  SseHub(const SseHub&) = delete;
  SseHub& operator=(const SseHub&) = delete;

  /// Starts the heartbeat and the breach timer (on `io`).
  void start();
  /// Closes every client and stops the timers.
  void stop();

  /// A ticket changed (`what` as the ChangeListener says): publishes its event and re-arms its breach
  /// moment. `t` is kept (not copied) until the event leaves the ring. Thread-safe.
  void ticket_changed(std::shared_ptr<const Ticket> t, const std::string& what);
  /// Arms the ticket's breach moment without publishing (at start, for the tickets already open).
  void watch(const Ticket& t);
  /// Publishes an event to every client and the ring. Thread-safe.
  void publish(const std::string& type, const nlohmann::json& data);
  /// Publishes an event whose data `make` makes when a client first needs it. Thread-safe.
  void publish_lazy(const std::string& type, std::function<std::string()> make);

  /// The StreamSink for HttpServer::add_stream("events", ...): writes `head`, `hello`, the catch-up
  /// (from the Last-Event-ID header or the `last_event_id` query parameter) and then live events.
  void attach(boost::asio::ip::tcp::socket socket, const Request& req, Response head);

  std::size_t clients() const;
  /// Clients dropped for not reading (their queue overflowed).
  std::uint64_t dropped() const { return *dropped_; }
  const std::string& epoch() const { return epoch_; }

 private:
  nlohmann::json ticket_payload(const Ticket& t, Instant now) const;
  void arm_breach_timer();
  void on_breach_timer();
  void heartbeat();
  std::vector<std::shared_ptr<SseClient>> live_clients_locked();

  boost::asio::io_context& io_;
  const Clock& clock_;
  Options options_;
  std::string epoch_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer heartbeat_timer_, breach_timer_;
  mutable std::mutex mu_;
  SseRing ring_;
  std::vector<std::weak_ptr<SseClient>> clients_;
  BreachWatch breaches_;
  std::optional<Instant> armed_;  ///< the moment the breach timer waits for
  bool running_ = false;
  std::shared_ptr<std::atomic<std::uint64_t>> dropped_;  // shared with the clients, which may outlive the hub
};

}  // namespace assist::http
