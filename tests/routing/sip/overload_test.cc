// The per-source rate limit (sip.rate_limit) and overload shedding in the request path (Shed), on an
// injected clock.
#include <catch2/catch.hpp>

#include "routing/sip/rate_limiter.h"
#include "routing/sip/request_processor.h"

using namespace assist;
using namespace assist::sip;
namespace ip = boost::asio::ip;

namespace {
const Instant kT0 = Instant{} + Millis{1'700'000'000'000};

std::string invite_bytes(const std::string& branch) {
  return "INVITE sip:12345@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" + branch + "\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:13800001234@192.0.2.1>;tag=a\r\nTo: <sip:12345@127.0.0.1>\r\n"
         "Call-ID: " + branch + "@x\r\nCSeq: 1 INVITE\r\nContact: <sip:13800001234@192.0.2.1>\r\n"
         "Content-Length: 0\r\n\r\n";
}

int status_of(const std::string& bytes) { return std::stoi(bytes.substr(8, 3)); }
}  // namespace

TEST_CASE("rate limit: burst, then per_second, per source", "[sip][overload]") {
  RateLimiter rl({/*per_second=*/10, /*burst=*/5, /*max_sources=*/4});
  auto a = ip::make_address("192.0.2.1"), b = ip::make_address("192.0.2.2");
  int ok = 0;
  for (int i = 0; i < 20; ++i) ok += rl.allow(a, kT0);
  CHECK(ok == 5);
  CHECK(rl.allow(b, kT0));                  // another source has its own bucket
  CHECK_FALSE(rl.allow(a, kT0 + Millis{50}));  // half a token
  CHECK(rl.allow(a, kT0 + Millis{100}));       // one token after 100 ms at 10/s
  CHECK_FALSE(rl.allow(a, kT0 + Millis{100}));
  // IPv4-mapped IPv6 is the same source as IPv4
  RateLimiter one({1, 1, 16});
  CHECK(one.allow(ip::make_address("192.0.2.9"), kT0));
  CHECK_FALSE(one.allow(ip::make_address("::ffff:192.0.2.9"), kT0));
}

TEST_CASE("rate limit: the table of sources is bounded; idle sources make room", "[sip][overload]") {
  RateLimiter rl({10, 2, 3});
  for (int i = 1; i <= 3; ++i) CHECK(rl.allow(ip::make_address("192.0.2." + std::to_string(i)), kT0));
  CHECK(rl.sources() == 3);
  CHECK_FALSE(rl.allow(ip::make_address("192.0.2.4"), kT0));  // full, nobody idle: refused, not grown
  CHECK(rl.sources() == 3);
  CHECK(rl.allow(ip::make_address("192.0.2.4"), kT0 + Millis{1000}));  // the others refilled: swept
  CHECK(rl.sources() <= 3);
  RateLimiter off({0, 1, 1});
  for (int i = 0; i < 100; ++i) CHECK(off.allow(ip::make_address("192.0.2.1"), kT0));
}

TEST_CASE("overload: new INVITEs get 503 Retry-After without reaching the handler; retransmissions dropped",
          "[sip][overload]") {
  SipServerConfig config;
  config.retry_after_s = 7;
  InviteTransactionTable table;
  RequestProcessor p(config, table);
  Peer peer{ip::make_address("192.0.2.1"), 5060, Transport::udp, 0, 0};

  auto r = p.handle(invite_bytes("new1"), peer, true, kT0, Shed::new_requests);
  REQUIRE(r.send.size() == 1);
  CHECK(status_of(r.send[0].bytes) == 503);
  CHECK(r.send[0].bytes.find("Retry-After: 7\r\n") != std::string::npos);
  CHECK_FALSE(r.invite);
  CHECK(p.stats.overload == 1);

  // an accepted INVITE, answered; its retransmission is dropped under load, answered again when not
  auto ok = p.handle(invite_bytes("keep"), peer, true, kT0);
  REQUIRE(ok.invite);
  RedirectDecision d;
  d.contact = "sip:sa@127.0.0.1:5080";
  REQUIRE(p.decide(*ok.invite, d, kT0).size() == 1);
  auto shed = p.handle(invite_bytes("keep"), peer, true, kT0 + Millis{10}, Shed::retransmissions);
  CHECK(shed.send.empty());
  CHECK_FALSE(shed.invite);
  CHECK(p.stats.shed_retransmissions == 1);
  auto again = p.handle(invite_bytes("keep"), peer, true, kT0 + Millis{20});
  REQUIRE(again.send.size() == 1);
  CHECK(status_of(again.send[0].bytes) == 302);

  // light load (retransmissions only) still takes new calls
  auto fresh = p.handle(invite_bytes("new2"), peer, true, kT0, Shed::retransmissions);
  CHECK(fresh.invite);
}
