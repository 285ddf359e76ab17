// The SSE ring, the event format, Last-Event-ID and the breach watch (routing/http/sse.h, breach_watch.h),
// without sockets.
#include "routing/http/sse.h"

#include <catch2/catch.hpp>

#include "routing/common/time_format.h"

using namespace assist;
using namespace assist::http;

TEST_CASE("sse: the event format", "[http][sse]") {
  CHECK(format_sse("17", {5, "ticket.opened", R"({"a":1})"}) == "id: 17.5\nevent: ticket.opened\ndata: {\"a\":1}\n\n");
  CHECK(sse_type_for("opened") == "ticket.opened");
  CHECK(sse_type_for("escalated") == "ticket.escalated");
  CHECK(sse_type_for("warned") == "ticket.warned");
  CHECK(sse_type_for("joined") == "ticket.changed");
  CHECK(sse_type_for("changed") == "ticket.changed");
  const auto head = sse_head();
  CHECK(head[boost::beast::http::field::content_type] == "text/event-stream; charset=utf-8");
  CHECK(head[kStreamMarker] == "events");
}

TEST_CASE("sse: Last-Event-ID names an epoch and a sequence", "[http][sse]") {
  CHECK(parse_last_event_id("1700.42", "1700") == 42u);
  CHECK_FALSE(parse_last_event_id("1699.42", "1700"));  // a previous run of the daemon
  CHECK_FALSE(parse_last_event_id("1700.", "1700"));
  CHECK_FALSE(parse_last_event_id("1700.4x", "1700"));
  CHECK_FALSE(parse_last_event_id("42", "1700"));
  CHECK_FALSE(parse_last_event_id("", "1700"));
}

TEST_CASE("sse: the ring keeps the last events and says when a client fell too far behind", "[http][sse]") {
  SseRing ring(3);
  CHECK(ring.last_seq() == 0);
  REQUIRE(ring.since(0));
  CHECK(ring.since(0)->empty());
  for (int i = 1; i <= 5; ++i) CHECK(ring.push("ticket.changed", std::to_string(i)).seq == std::uint64_t(i));
  CHECK(ring.size() == 3);
  CHECK(ring.last_seq() == 5);
  auto after2 = ring.since(2);  // 3, 4, 5 are kept
  REQUIRE(after2);
  REQUIRE(after2->size() == 3);
  CHECK(after2->front().seq == 3);
  CHECK(after2->back().data == "5");
  REQUIRE(ring.since(4));
  CHECK(ring.since(4)->size() == 1);
  CHECK(ring.since(5)->empty());
  CHECK_FALSE(ring.since(1));  // 2 was dropped: reload
  CHECK_FALSE(ring.since(9));  // ahead of the newest: another run
}

TEST_CASE("sse: the breach watch holds one entry per ticket, its next breach", "[http][sse][breach]") {
  const Instant t0 = parse_rfc3339("2026-11-29T10:00:00+08:00").value();
  Ticket t;
  t.id = "SA-1";
  t.opened_at = t0;
  t.first_response_due = t0 + Millis(2000);
  t.resolution_due = t0 + Millis(60000);
  BreachWatch w;
  w.track(t, t0);
  CHECK(w.size() == 1);
  CHECK(w.next() == t0 + Millis(2000));
  CHECK(w.take_due(t0 + Millis(1999)).empty());
  auto due = w.take_due(t0 + Millis(2000));
  REQUIRE(due.size() == 1);
  CHECK(due[0].clock == "first_response");
  CHECK(breached(t, "first_response", t0 + Millis(2000)));
  CHECK_FALSE(breached(t, "resolution", t0 + Millis(2000)));
  // re-tracked after its first breach: the resolution moment comes next
  w.track(t, t0 + Millis(2000));
  CHECK(w.next() == t0 + Millis(60000));
  // signed off: the first-response clock stops; a terminal ticket has none
  t.acknowledged_at = t0 + Millis(1000);
  CHECK_FALSE(breached(t, "first_response", t0 + Millis(5000)));
  t.status = "waiting_on_caller";
  CHECK_FALSE(breached(t, "resolution", t0 + Millis(70000)));
  t.status = "resolved";
  w.track(t, t0);
  CHECK(w.size() == 0);
  CHECK_FALSE(w.next());
}

TEST_CASE("sse: the breach watch orders tickets and re-tracking replaces the entry", "[http][sse][breach]") {
  const Instant t0 = parse_rfc3339("2026-11-29T10:00:00+08:00").value();
  auto make = [&](std::string id, int first_ms) {
    Ticket t;
    t.id = std::move(id);
    t.opened_at = t0;
    t.first_response_due = t0 + Millis(first_ms);
    t.resolution_due = t0 + Millis(100000);
    return t;
  };
  BreachWatch w;
  auto a = make("A", 5000), b = make("B", 3000);
  w.track(a, t0);
  w.track(b, t0);
  a.first_response_due = t0 + Millis(1000);  // corrected to critical: earlier
  w.track(a, t0);
  CHECK(w.size() == 2);
  const auto due = w.take_due(t0 + Millis(3000));
  REQUIRE(due.size() == 2);
  CHECK(due[0].ticket_id == "A");
  CHECK(due[1].ticket_id == "B");
  // a moment already past when tracked is not announced again
  w.track(make("C", 500), t0 + Millis(1000));
  CHECK(w.next() == t0 + Millis(100000));
}

namespace {

// A hub on loopback with one connected client whose socket the test holds (it reads or it does not).
struct HubRig {
  boost::asio::io_context io;
  SimulatedClock clock{parse_rfc3339("2026-11-29T10:00:00+08:00").value()};
  SseHub hub;
  boost::asio::ip::tcp::socket browser{io};

  explicit HubRig(SseHub::Options o) : hub(io, clock, std::move(o)) {
    using boost::asio::ip::tcp;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    browser.open(tcp::v4());
    browser.set_option(boost::asio::socket_base::receive_buffer_size(4096));
    browser.connect(acceptor.local_endpoint());
    tcp::socket server(io);
    acceptor.accept(server);
    server.set_option(boost::asio::socket_base::send_buffer_size(4096));
    hub.start();
    Request req{boost::beast::http::verb::get, "/api/v1/events", 11};
    hub.attach(std::move(server), req, sse_head());
    io.run_for(std::chrono::milliseconds(50));
  }
  std::string read_some() {
    std::string out;
    browser.non_blocking(true);
    char buf[65536];
    boost::system::error_code ec;
    for (;;) {
      const auto n = browser.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("sse: a connected client gets the head, hello and live events", "[http][sse][hub]") {
  HubRig r({});
  r.hub.publish("ticket.opened", {{"ticket", {{"id", "SA-1"}}}});
  r.io.run_for(std::chrono::milliseconds(50));
  const auto got = r.read_some();
  CHECK_THAT(got, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(got, Catch::Contains("Content-Type: text/event-stream; charset=utf-8\r\n"));
  CHECK_THAT(got, !Catch::Contains(kStreamMarker));
  CHECK_THAT(got, Catch::Contains("event: hello\ndata: {"));
  CHECK_THAT(got, Catch::Contains("id: " + r.hub.epoch() + ".1\nevent: ticket.opened\ndata: {\"ticket\":{\"id\":\"SA-1\"}}\n\n"));
  CHECK(r.hub.clients() == 1);
  r.hub.stop();
  r.io.run_for(std::chrono::milliseconds(20));
}

TEST_CASE("sse: a client that does not read is dropped, not buffered forever", "[http][sse][hub]") {
  SseHub::Options o;
  o.client_queue = 16;
  HubRig r(o);
  const std::string big(2000, 'x');
  for (int i = 0; i < 400; ++i) {
    r.hub.publish("ticket.changed", {{"pad", big}});
    r.io.run_for(std::chrono::milliseconds(1));
  }
  r.io.run_for(std::chrono::milliseconds(50));
  CHECK(r.hub.dropped() == 1);
  CHECK(r.hub.clients() == 0);
  r.hub.stop();
  r.io.run_for(std::chrono::milliseconds(20));
}
