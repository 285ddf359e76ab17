// INVITE server transaction timers (RFC 3261 §17.2.1) on a SimulatedClock, and the request path's
// retransmission / ACK / CANCEL behaviour. No sockets, no sleeping.
#include <catch2/catch.hpp>

#include <cstdio>

#include "routing/classify/utf8.h"
#include "routing/sip/request_processor.h"
#include "routing/sip/transaction.h"

using namespace assist;
using namespace assist::sip;

namespace {

Instant t0() { return Instant{} + Millis{1'700'000'000'000}; }

Destination udp_dest() {
  Destination d;
  d.udp = boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 5999);
  return d;
}

std::string request(const std::string& method, const std::string& branch = "z9hG4bKabc123",
                    const std::string& extra = "", const std::string& cseq_method = "") {
  return method + " sip:12345@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=" + branch + ";rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:13800001234@127.0.0.1>;tag=ft1\r\n"
         "To: <sip:12345@127.0.0.1>" + extra + "\r\n"
         "Call-ID: call-1@test\r\n"
         "CSeq: 1 " + (cseq_method.empty() ? method : cseq_method) + "\r\n"
         "P-Asserted-Identity: <sip:13912345678@127.0.0.1>\r\n"
         "X-IVR-Digits: 3*1\r\n"
         "X-ASR-Text: %E4%BD%8E%E4%BF%9D\r\n"
         "X-Region-Code: 150102000000\r\n"
         "Content-Length: 0\r\n\r\n";
}

int status_of(const std::string& b) { return std::stoi(b.substr(8, 3)); }

/// The status of the one answer to a request that must have opened nothing.
int refused(const ProcessResult& r) {
  CHECK_FALSE(r.invite);
  REQUIRE(r.send.size() == 1);
  return status_of(r.send[0].bytes);
}

/// A request path on a table of its own, and the UDP peer its requests come from.
struct Rig {
  explicit Rig(std::size_t capacity = 200000, const char* address = "127.0.0.1", std::uint16_t port = 40000)
      : table(TransactionTimers{}, capacity), peer{boost::asio::ip::make_address(address), port, Transport::udp, 0, 0} {}
  SipServerConfig config;
  InviteTransactionTable table;
  RequestProcessor p{config, table};
  Peer peer;
};

}  // namespace

TEST_CASE("Timer G retransmits at T1 doubling to T2 until Timer H", "[sip][transaction]") {
  InviteTransactionTable table;
  auto* tx = table.create("k", udp_dest(), false, t0());
  REQUIRE(tx);
  table.complete(*tx, "302", t0());
  std::vector<long> fired;
  for (long ms = 0; ms <= 40000; ms += 50) {
    auto out = table.on_timer(t0() + Millis{ms});
    for (auto& o : out) {
      CHECK(o.bytes == "302");
      fired.push_back(ms);
    }
  }
  // 0.5, 1.5, 3.5, 7.5, 11.5, ... every 4 s until 32 s (Timer H).
  std::vector<long> want = {500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
  CHECK(fired == want);
  CHECK(table.size() == 0);
  CHECK(table.counters().timed_out == 1);
  CHECK_FALSE(table.next_wake().has_value());
}

TEST_CASE("ACK stops retransmissions; Timer I ends the transaction", "[sip][transaction]") {
  InviteTransactionTable table;
  auto* tx = table.create("k", udp_dest(), false, t0());
  table.complete(*tx, "302", t0());
  CHECK(table.next_wake() == t0() + Millis{500});
  CHECK(table.on_timer(t0() + Millis{500}).size() == 1);
  REQUIRE(table.ack(*tx, t0() + Millis{700}));
  CHECK(table.next_wake() == t0() + Millis{5700});
  CHECK(table.on_timer(t0() + Millis{1500}).empty());
  CHECK(table.size() == 1);
  CHECK(table.on_timer(t0() + Millis{5700}).empty());
  CHECK(table.size() == 0);
}

TEST_CASE("over TCP there are no retransmissions and Timer I is zero", "[sip][transaction]") {
  InviteTransactionTable table;
  Destination d;
  d.transport = Transport::tcp;
  auto* tx = table.create("k", d, true, t0());
  table.complete(*tx, "302", t0());
  CHECK(table.next_wake() == t0() + Millis{32000});
  REQUIRE(table.ack(*tx, t0() + Millis{10}));
  CHECK(table.on_timer(t0() + Millis{10}).empty());
  CHECK(table.size() == 0);
}

TEST_CASE("the table is bounded", "[sip][transaction]") {
  InviteTransactionTable table({}, 2);
  CHECK(table.create("a", udp_dest(), false, t0()));
  CHECK(table.create("b", udp_dest(), false, t0()));
  CHECK_FALSE(table.create("c", udp_dest(), false, t0()));
}

TEST_CASE("a pending decision that never comes is abandoned", "[sip][transaction]") {
  InviteTransactionTable table;
  table.create("a", udp_dest(), false, t0());
  CHECK(table.on_timer(t0() + Millis{31999}).empty());
  CHECK(table.size() == 1);
  table.on_timer(t0() + Millis{32000});
  CHECK(table.size() == 0);
  CHECK(table.counters().abandoned == 1);
}

TEST_CASE("request path: INVITE, retransmission, decision, ACK, CANCEL", "[sip][transaction]") {
  SipServerConfig config;
  InviteTransactionTable table;
  RequestProcessor p(config, table);
  SimulatedClock clock(t0());
  Peer peer{boost::asio::ip::make_address("127.0.0.1"), 40000, Transport::udp, 0, 0};

  auto r = p.handle(request("INVITE"), peer, true, clock.now());
  REQUIRE(r.invite);
  CHECK(r.send.empty());
  CHECK(r.facts.caller == "13912345678");
  CHECK(r.facts.dialed == "12345");
  CHECK(r.facts.ivr_digits == "3*1");
  CHECK(r.facts.asr_text == "\xE4\xBD\x8E\xE4\xBF\x9D");
  CHECK(r.facts.region_hint == "150102000000");
  CHECK(r.facts.call_id == "call-1@test");
  CHECK(r.facts.transport == "udp");

  // Retransmission while pending: 100 Trying, no second transaction.
  auto r2 = p.handle(request("INVITE"), peer, true, clock.now());
  CHECK(refused(r2) == 100);

  RedirectDecision d;
  d.contact = "sip:sa-urgent@10.0.0.5:5060";
  d.headers = {{"X-Assist-Ticket", "T-42"}, {"Priority", "urgent"}};
  auto out = p.decide(*r.invite, d, clock.now());
  REQUIRE(out.size() == 1);
  const std::string& resp = out[0].bytes;
  CHECK(status_of(resp) == 302);
  CHECK(resp.find("Contact: <sip:sa-urgent@10.0.0.5:5060>\r\n") != std::string::npos);
  CHECK(resp.find("X-Assist-Ticket: T-42\r\n") != std::string::npos);
  CHECK(resp.find(";rport=40000;received=127.0.0.1") != std::string::npos);
  CHECK(resp.find("To: <sip:12345@127.0.0.1>;tag=") != std::string::npos);
  CHECK(out[0].to.udp.port() == 40000);  // rport: back to the source port

  // Retransmitted INVITE after the decision: identical bytes.
  auto r3 = p.handle(request("INVITE"), peer, true, clock.now());
  REQUIRE(r3.send.size() == 1);
  CHECK(r3.send[0].bytes == resp);

  // Timer G fires once at T1.
  clock.advance(Millis{500});
  auto g = table.on_timer(clock.now());
  REQUIRE(g.size() == 1);
  CHECK(g[0].bytes == resp);

  // CANCEL of an answered INVITE: 200, the 302 stands.
  auto c = p.handle(request("CANCEL"), peer, true, clock.now());
  REQUIRE(c.send.size() == 1);
  CHECK(status_of(c.send[0].bytes) == 200);

  // ACK (same branch): absorbed, stops Timer G.
  auto a = p.handle(request("ACK"), peer, true, clock.now());
  CHECK(a.send.empty());
  clock.advance(Millis{1000});
  CHECK(table.on_timer(clock.now()).empty());

  // CANCEL for an unknown transaction: 481.
  auto c2 = p.handle(request("CANCEL", "z9hG4bKother"), peer, true, clock.now());
  REQUIRE(c2.send.size() == 1);
  CHECK(status_of(c2.send[0].bytes) == 481);
}

TEST_CASE("request path: CANCEL of a pending INVITE ends it with 487", "[sip][transaction]") {
  Rig rig{};
  auto& p = rig.p;
  auto& peer = rig.peer;
  auto r = p.handle(request("INVITE"), peer, true, t0());
  REQUIRE(r.invite);
  auto c = p.handle(request("CANCEL"), peer, true, t0());
  REQUIRE(c.send.size() == 2);
  CHECK(status_of(c.send[0].bytes) == 200);
  CHECK(status_of(c.send[1].bytes) == 487);
  CHECK(p.decide(*r.invite, RedirectDecision{}, t0()).empty());
}

TEST_CASE("request path: not ready and full table answer 503 with Retry-After", "[sip][transaction]") {
  SipServerConfig config;
  InviteTransactionTable table({}, 1);
  RequestProcessor p(config, table);
  Peer peer{boost::asio::ip::make_address("127.0.0.1"), 40000, Transport::udp, 0, 0};
  auto o = p.handle(request("OPTIONS"), peer, false, t0());
  REQUIRE(o.send.size() == 1);
  CHECK(status_of(o.send[0].bytes) == 503);
  CHECK(o.send[0].bytes.find("Retry-After: ") != std::string::npos);
  auto i1 = p.handle(request("INVITE", "z9hG4bK1"), peer, true, t0());
  CHECK(i1.invite);
  auto i2 = p.handle(request("INVITE", "z9hG4bK2"), peer, true, t0());
  REQUIRE(i2.send.size() == 1);
  CHECK(status_of(i2.send[0].bytes) == 503);
  CHECK(p.stats.overload == 1);
}

TEST_CASE("RFC 2543 fallback: no magic cookie, ACK matched on the INVITE's fields", "[sip][transaction]") {
  Rig rig{200000, "127.0.0.1", 5999};
  auto& p = rig.p;
  auto& peer = rig.peer;
  auto r = p.handle(request("INVITE", "oldstyle1"), peer, true, t0());
  REQUIRE(r.invite);
  auto again = p.handle(request("INVITE", "oldstyle1"), peer, true, t0());
  CHECK_FALSE(again.invite);
  p.decide(*r.invite, RedirectDecision{302, "sip:q@10.0.0.1", {}, 0}, t0());
  p.handle(request("ACK", "oldstyle1", ";tag=x"), peer, true, t0());
  auto* tx = rig.table.find(*r.invite);
  REQUIRE(tx);
  CHECK(tx->state == TxState::confirmed);
}

namespace {
/// A new processor's answer to the test INVITE with header line `from` replaced by `to`.
ProcessResult invite_with(const std::string& from, const std::string& to) {
  Rig rig{};
  auto& p = rig.p;
  auto& peer = rig.peer;
  std::string raw = request("INVITE");
  raw.replace(raw.find(from), from.size(), to);
  return p.handle(raw, peer, true, t0());
}
}  // namespace

TEST_CASE("a Call-ID with a space is refused with 400 and opens nothing (hand contacts' keys hold one)",
          "[sip][parser]") {
  const auto r = invite_with("Call-ID: call-1@test", "Call-ID: hand abc");
  CHECK(refused(r) == 400);
}

TEST_CASE("an X-ASR-Text cut inside a character reaches the call path as valid UTF-8 (U+FFFD for the rest)",
          "[sip][parser]") {
  const auto r = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D", "X-ASR-Text: %E5%AE%B6%E9%87%8C%E6%96%AD%E7%B2%AE%FF");
  REQUIRE(r.invite);
  CHECK(r.facts.asr_text == "家里断粮\xEF\xBF\xBD");
}

TEST_CASE("an INVITE whose lines end in a bare LF gets 400 naming CRLF and opens nothing", "[sip][parser]") {
  Rig rig{200000, "127.0.0.1", 5999};
  auto& p = rig.p;
  auto& peer = rig.peer;
  std::string raw = request("INVITE");
  for (auto at = raw.find("\r\n"); at != std::string::npos; at = raw.find("\r\n", at)) raw.erase(at, 1);
  const auto r = p.handle(raw, peer, true, t0());
  CHECK_FALSE(r.invite);
  REQUIRE(r.send.size() == 1);
  CHECK(r.send[0].bytes.rfind("SIP/2.0 400 Lines Must End In CRLF\r\n", 0) == 0);
  CHECK(r.send[0].bytes.find("Call-ID: call-1@test\r\n") != std::string::npos);
  CHECK(r.send[0].to.udp.port() == 5999);
}

TEST_CASE("a bare LF or CR inside a CRLF head gets 400 and opens nothing", "[sip][parser]") {
  for (const char* hidden : {"\nX-IVR-Digits: 1", "\rX-IVR-Digits: 1"}) {
    const auto r = invite_with("X-Region-Code: 150102000000", std::string("X-Region-Code: 150102000000") + hidden);
    CHECK_FALSE(r.invite);
    REQUIRE(r.send.size() == 1);
    CHECK(r.send[0].bytes.rfind("SIP/2.0 400 Bare CR Or LF In Header\r\n", 0) == 0);
  }
}

TEST_CASE("the caller's number is normalized as the store keys it; a withheld one is no number", "[sip][parser]") {
  // P-Asserted-Identity first: +86, separators and tel: URIs give the bare mobile number
  CHECK(invite_with("P-Asserted-Identity: <sip:13912345678@127.0.0.1>", "P-Asserted-Identity: <tel:+86-138-6666-0001>")
            .facts.caller == "13866660001");
  CHECK(invite_with("P-Asserted-Identity: <sip:13912345678@127.0.0.1>",
                    "P-Asserted-Identity: <sip:%2B8613866660001@127.0.0.1>")
            .facts.caller == "13866660001");
  // no number in P-Asserted-Identity: From's
  CHECK(invite_with("P-Asserted-Identity: <sip:13912345678@127.0.0.1>", "P-Asserted-Identity: <sip:anonymous@anonymous.invalid>")
            .facts.caller == "13800001234");
  // withheld (RFC 3323 §4.1.1.3) and no P-Asserted-Identity: no number, so it never joins another call's ticket
  for (const char* user : {"anonymous", "Anonymous", "unknown"}) {
    std::string raw = request("INVITE");
    raw.erase(raw.find("P-Asserted-Identity:"), raw.find("X-IVR-Digits:") - raw.find("P-Asserted-Identity:"));
    raw.replace(raw.find("From: <sip:13800001234@127.0.0.1>"), std::string("From: <sip:13800001234@127.0.0.1>").size(),
                std::string("From: \"Anonymous\" <sip:") + user + "@anonymous.invalid>");
    Rig rig{};
    auto& p = rig.p;
    auto& peer = rig.peer;
    const auto r = p.handle(raw, peer, true, t0());
    REQUIRE(r.invite);
    CHECK(r.facts.caller.empty());
  }
}

TEST_CASE("a Call-ID with a control byte or two '@' is refused with 400 and opens nothing (RFC 3261 §25.1)",
          "[sip][parser]") {
  for (const std::string bad : {"Call-ID: a\x01b@test", "Call-ID: a\x7f@test", "Call-ID: a\x1b[31m@test",
                                "Call-ID: a@b@c", "Call-ID: @test", "Call-ID: call-1@"}) {
    const auto r = invite_with("Call-ID: call-1@test", bad);
    CHECK(refused(r) == 400);
  }
  // printable bytes outside RFC 3261's "word" still pass: equipment pads Call-IDs with '='
  CHECK(invite_with("Call-ID: call-1@test", "Call-ID: YWJjZA==@test").invite);
}

TEST_CASE("a Request-URI whose host or port is not one gets 400 and opens nothing (RFC 3261 §19.1.1)",
          "[sip][parser]") {
  const std::string line = "INVITE sip:12345@127.0.0.1 SIP/2.0";
  for (const char* bad : {"sip:12345@127.0.0.1:abc", "sip:@", "sip:12345@", "sip::::", "sip:;", "sip:12345@[::1",
                          "sip:12345@127.0.0.1:99999999", "sip:a@b@c", "sip:12345@127.0.0.1:"}) {
    const auto r = invite_with(line, std::string("INVITE ") + bad + " SIP/2.0");
    CHECK(refused(r) == 400);
  }
  for (const char* good : {"sip:12345@127.0.0.1:5060", "sip:12345@127.0.0.1:005060", "sip:12345@[::1]:5060;transport=udp", "sips:12345@hotline.example",
                           "sip:12345;phone-context=+86@gw.example", "sip:hotline.example"})
    CHECK(invite_with(line, std::string("INVITE ") + good + " SIP/2.0").invite);
}

TEST_CASE("an option tag in Require we do not support gets 420 with Unsupported (RFC 3261 §8.2.2.3)", "[sip][parser]") {
  const auto r = invite_with("Max-Forwards: 70", "Max-Forwards: 70\r\nRequire: foo, 100rel\r\nRequire: bar");
  CHECK(refused(r) == 420);
  CHECK(r.send[0].bytes.find("\r\nUnsupported: foo, bar\r\n") != std::string::npos);
  // 100rel and timer are taken: a redirect server sends no reliable provisional and makes no dialog
  CHECK(invite_with("Max-Forwards: 70", "Max-Forwards: 70\r\nRequire: 100rel, timer").invite);
  // the method comes first (RFC 3261 §8.2.1): a BYE we do not handle is 405, an OPTIONS we do is 420
  Rig rig{};
  for (const auto& [method, want] : {std::pair<std::string, int>{"BYE", 405}, {"OPTIONS", 420}}) {
    std::string raw = request(method);
    raw.replace(raw.find("Max-Forwards: 70"), 16, "Max-Forwards: 70\r\nRequire: foo");
    CAPTURE(method);
    CHECK(refused(rig.p.handle(raw, rig.peer, true, t0())) == want);
  }
}

TEST_CASE("an INVITE's 420 is kept in a server transaction: the same bytes again, Timer G until the ACK",
          "[sip][transaction]") {
  Rig rig{};
  std::string raw = request("INVITE");
  raw.replace(raw.find("Max-Forwards: 70"), 16, "Max-Forwards: 70\r\nRequire: foo");
  const auto first = rig.p.handle(raw, rig.peer, true, t0());
  CHECK(refused(first) == 420);
  CHECK(rig.table.size() == 1);
  // the retransmitted INVITE gets the very same response (one To tag, RFC 3261 §17.2.1), not a new one
  const auto again = rig.p.handle(raw, rig.peer, true, t0() + Millis{200});
  REQUIRE(again.send.size() == 1);
  CHECK(again.send[0].bytes == first.send[0].bytes);
  CHECK(rig.p.stats.retransmissions == 1);
  // over UDP the 420 is retransmitted at T1 until the ACK, which is absorbed and ends the retransmissions
  const auto g = rig.table.on_timer(t0() + Millis{500});
  REQUIRE(g.size() == 1);
  CHECK(g[0].bytes == first.send[0].bytes);
  const std::string to_tag = first.send[0].bytes.substr(first.send[0].bytes.find(";tag=", first.send[0].bytes.find("\r\nTo:")) + 5, 8);
  std::string ack = request("ACK", "z9hG4bKabc123", ";tag=" + to_tag, "ACK");
  CHECK(rig.p.handle(ack, rig.peer, true, t0() + Millis{700}).send.empty());
  CHECK(rig.table.on_timer(t0() + Millis{1500}).empty());
  // a full table still answers 420, without a transaction
  Rig full{1};
  CHECK(full.p.handle(request("INVITE", "z9hG4bKother"), full.peer, true, t0()).invite);
  CHECK(refused(full.p.handle(raw, full.peer, true, t0())) == 420);
  CHECK(full.table.size() == 1);
}

TEST_CASE("Contact '*' outside a REGISTER gets 400 (RFC 3261 §10.2.2)", "[sip][parser]") {
  const auto r = invite_with("Max-Forwards: 70", "Max-Forwards: 70\r\nContact: *");
  CHECK(refused(r) == 400);
}

TEST_CASE("OPTIONS answers 503 while the transaction table is full, so the proxy moves calls elsewhere",
          "[sip][transaction]") {
  Rig rig{1, "127.0.0.1", 5999};
  auto& p = rig.p;
  auto& peer = rig.peer;
  auto options = p.handle(request("OPTIONS"), peer, true, t0());
  REQUIRE(options.send.size() == 1);
  CHECK(status_of(options.send[0].bytes) == 200);
  REQUIRE(p.handle(request("INVITE"), peer, true, t0()).invite);  // the one place taken
  auto next = p.handle(request("INVITE", "z9hG4bKother"), peer, true, t0());
  REQUIRE(next.send.size() == 1);
  CHECK(status_of(next.send[0].bytes) == 503);
  options = p.handle(request("OPTIONS", "z9hG4bKprobe"), peer, true, t0());
  REQUIRE(options.send.size() == 1);
  CHECK(status_of(options.send[0].bytes) == 503);
}

TEST_CASE("an IPv4 client on a dual-stack socket is received= as IPv4 (RFC 3261 §18.2.1)", "[sip][transaction]") {
  Rig rig{200000, "::ffff:10.1.2.3", 5999};
  auto& p = rig.p;
  auto& peer = rig.peer;
  const auto r = p.handle(request("OPTIONS"), peer, true, t0());
  REQUIRE(r.send.size() == 1);
  CHECK(r.send[0].bytes.find(";received=10.1.2.3") != std::string::npos);
  CHECK(r.send[0].bytes.find("::ffff:") == std::string::npos);
}

TEST_CASE("a datagram whose head has no empty line after it, or ends CR LF LF, gets 400 and opens nothing",
          "[sip][parser]") {
  Rig rig{200000, "127.0.0.1", 5999};
  auto& p = rig.p;
  auto& peer = rig.peer;
  std::string no_blank = request("INVITE");
  no_blank.resize(no_blank.size() - 2);  // "...Content-Length: 0\r\n"
  auto r = p.handle(no_blank, peer, true, t0());
  CHECK_FALSE(r.invite);
  REQUIRE(r.send.size() == 1);
  CHECK(r.send[0].bytes.rfind("SIP/2.0 400 Missing Empty Line After Headers\r\n", 0) == 0);
  // nothing at all, or a lone line end: nothing to answer (found by the fuzzer: an empty datagram)
  for (const char* nothing : {"", "\n", "\r\n", "\r"}) CHECK(p.handle(nothing, peer, true, t0()).send.empty());
  std::string crlflf = request("INVITE", "z9hG4bKcrlflf");
  crlflf.replace(crlflf.size() - 4, 4, "\r\n\n");
  r = p.handle(crlflf, peer, true, t0());
  CHECK(refused(r) == 400);
}

TEST_CASE("a NUL or another control byte in the head gets 400 and opens nothing; HT is whitespace",
          "[sip][parser]") {
  for (const std::string& bad : {std::string("Subject: a\0b", 12), std::string("Subject: a\x01b"),
                                std::string("Subject: a\x7f"), std::string("Subject: a\x1b[31m")}) {
    const auto r = invite_with("Max-Forwards: 70", "Max-Forwards: 70\r\n" + bad);
    CHECK(refused(r) == 400);
    CHECK(r.send[0].bytes.rfind("SIP/2.0 400 Control Byte In Header\r\n", 0) == 0);
  }
  CHECK(invite_with("Max-Forwards: 70", "Max-Forwards: 70\r\nSubject:\ta\tb").invite);
  // outside a quoted string a backslash escapes nothing, and an escaped backslash escapes nothing more
  for (const std::string& bad : {std::string("X-ASR-Text: abc\\") + '\0' + "def", std::string("X-ASR-Text: fire \\\x1b[31m"),
                                std::string("Subject: \"a\\\\") + '\0' + "b\""}) {
    CAPTURE(bad);
    CHECK(refused(invite_with("Max-Forwards: 70", "Max-Forwards: 70\r\n" + bad)) == 400);
  }
  // percent-encoded, a control byte in the ASR text reaches the call as a space
  const auto enc = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D", "X-ASR-Text: %E4%BD%8E%00%1B[31m%7F%E4%BF%9D");
  REQUIRE(enc.invite);
  CHECK(enc.facts.asr_text == "低  [31m 保");  // NUL and ESC, then DEL: one space each
  // escaped as a quoted-pair inside a quoted string it is allowed (RFC 4475 §3.1.1.4, intmeth) (GB18030 below)
  CHECK(invite_with("To: <sip:12345@127.0.0.1>", std::string("To: \"BEL:\\\x07 NUL:\\") + '\0' + "\" <sip:12345@127.0.0.1>").invite);
}

TEST_CASE("X-ASR-Text in GBK / GB18030 is read as such; UTF-8 cut at its end stays UTF-8", "[sip][parser]") {
  // 想问一下低保申请 in GBK, percent-encoded and raw
  const std::string gbk_pct = "%CF%EB%CE%CA%D2%BB%CF%C2%B5%CD%B1%A3%C9%EA%C7%EB";
  const auto a = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D", "X-ASR-Text: " + gbk_pct);
  REQUIRE(a.invite);
  CHECK(a.facts.asr_text == "想问一下低保申请");
  const std::string raw_gbk = "\xCF\xEB\xCE\xCA\xD2\xBB\xCF\xC2\xB5\xCD\xB1\xA3";
  const auto b = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D", "X-ASR-Text: " + raw_gbk);
  REQUIRE(b.invite);
  CHECK(b.facts.asr_text == "想问一下低保");
  // UTF-8 cut inside its last character is not GB18030 (it would read as other characters)
  const auto c = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D", "X-ASR-Text: %E4%BD%8E%E4%BF");
  REQUIRE(c.invite);
  CHECK(c.facts.asr_text == "低\xEF\xBF\xBD\xEF\xBF\xBD");
  // nor is UTF-8 with two bytes lost in the middle, that would convert as GB18030 whole (mojibake)
  const auto d = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D",
                             "X-ASR-Text: %E5%AE%B6%E9%87%8C%E6%98%A8%E6%99%9A%E7%E7%81%AB%E4%BA%86%EF%BC%8C%E6%88%BF"
                             "%E5%AD%90%E5%85%A8%E7%83%A7%E6%B2%A1%E4%BA%86");
  REQUIRE(d.invite);
  CHECK(d.facts.asr_text.rfind("家里昨晚", 0) == 0);
  CHECK(d.facts.asr_text.find("房子全烧没了") != std::string::npos);
  // GBK cut at its end (an ASR byte limit) keeps what came before the cut
  const auto e = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D", "X-ASR-Text: " + gbk_pct.substr(0, gbk_pct.size() - 3));
  REQUIRE(e.invite);
  CHECK(e.facts.asr_text == "想问一下低保申\xEF\xBF\xBD");
  // C1 controls and line breaks become spaces too
  const auto f = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D", "X-ASR-Text: %E5%AE%B6%0Afake%C2%9B31m");
  REQUIRE(f.invite);
  CHECK(f.facts.asr_text == "家 fake 31m");
}

TEST_CASE("CRLFs before the start line are ignored (RFC 3261 §7.5)", "[sip][parser]") {
  Rig rig;
  const auto r = rig.p.handle("\r\n\r\n" + request("INVITE"), rig.peer, true, t0());
  CHECK(r.invite);
}

TEST_CASE("an empty Call-ID is refused with 400 (RFC 3261 §25.1: callid = word)", "[sip][parser]") {
  CHECK(refused(invite_with("Call-ID: call-1@test", "Call-ID: ")) == 400);
  CHECK(refused(invite_with("Call-ID: call-1@test", "Call-ID:")) == 400);
}

TEST_CASE("a Content-Length with many leading zeros is read as the TCP framer reads it", "[sip][parser]") {
  CHECK(invite_with("Content-Length: 0", "Content-Length: 0000000000000000000000000000000").invite);
}

TEST_CASE("a head too large to take: 513 for a request, its own 400 when broken first, nothing for ACK or a response",
          "[sip][too_large]") {
  Rig rig;
  auto head = [](std::string m) {  // the head as it arrived, with the Content-Length of a body not read
    const auto at = m.find("Content-Length: 0");
    return m.replace(at, 17, "Content-Length: 200000");
  };
  auto r = rig.p.too_large(head(request("INVITE")), rig.peer);
  CHECK(refused(r) == 513);
  CHECK(r.send[0].bytes.find("SIP/2.0 513 Message Too Large\r\n") == 0);
  CHECK(r.send[0].bytes.find("Call-ID: call-1@test\r\n") != std::string::npos);
  CHECK(rig.table.size() == 0);  // no transaction, no ticket
  std::string bad_via = head(request("OPTIONS"));
  bad_via.replace(bad_via.find("SIP/2.0/UDP"), 11, "SIP/2.0/UDP;;");
  CHECK(refused(rig.p.too_large(bad_via, rig.peer)) == 400);
  CHECK(rig.p.too_large(head(request("ACK")), rig.peer).send.empty());
  CHECK(rig.p.too_large("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 99999\r\n\r\n",
                        rig.peer).send.empty());
  CHECK(rig.p.stats.malformed == 4);
}

namespace {
/// The test INVITE as sent over TCP.
std::string tcp_invite() {
  std::string invite = request("INVITE");
  invite.replace(invite.find("SIP/2.0/UDP"), 11, "SIP/2.0/TCP");
  return invite;
}
/// A TCP peer: its address, port and connection id.
Peer tcp_peer(const char* address, std::uint16_t port, std::uint64_t connection) {
  return Peer{boost::asio::ip::make_address(address), port, Transport::tcp, connection, 0};
}
}  // namespace

TEST_CASE("an INVITE asked again on another TCP connection is answered there, the first one kept as fallback",
          "[sip][transaction][tcp]") {
  Rig rig;
  const std::string invite = tcp_invite();
  const Peer first = tcp_peer("127.0.0.1", 40000, 7), second = tcp_peer("127.0.0.1", 40001, 9);
  auto r = rig.p.handle(invite, first, true, t0());
  REQUIRE(r.invite);
  // asked again before the decision: a 100 Trying on the connection the client now waits on
  auto again = rig.p.handle(invite, second, true, t0());
  REQUIRE(again.send.size() == 1);
  CHECK(status_of(again.send[0].bytes) == 100);
  CHECK(again.send[0].to.connection == 9);
  CHECK(again.send[0].to.fallback == 7);
  const auto out = rig.p.decide(*r.invite, RedirectDecision{302, "sip:q@10.0.0.1", {}, 0}, t0());
  REQUIRE(out.size() == 1);
  CHECK(status_of(out[0].bytes) == 302);
  CHECK(out[0].to.connection == 9);
  CHECK(out[0].to.fallback == 7);
  // a third connection: answered there; the first connection stays the fallback
  const Peer third_conn = tcp_peer("127.0.0.1", 40002, 11);
  auto third = rig.p.handle(invite, third_conn, true, t0());
  REQUIRE(third.send.size() == 1);
  CHECK(third.send[0].bytes == out[0].bytes);
  CHECK(third.send[0].to.connection == 11);
  CHECK(third.send[0].to.fallback == 7);
}

TEST_CASE("a branch reused from another address or by another call draws nothing of this call's over TCP",
          "[sip][transaction][tcp]") {
  Rig rig;
  const std::string invite = tcp_invite();
  const Peer a = tcp_peer("127.0.0.1", 40000, 7);
  auto r = rig.p.handle(invite, a, true, t0());
  REQUIRE(r.invite);
  const auto out = rig.p.decide(*r.invite, RedirectDecision{302, "sip:q@10.0.0.1", {}, 0}, t0());
  REQUIRE(out.size() == 1);
  // another host with the same branch and sent-by: the answer stays on A's connection
  const Peer b = tcp_peer("127.0.0.2", 40000, 9);
  auto from_b = rig.p.handle(invite, b, true, t0());
  REQUIRE(from_b.send.size() == 1);
  CHECK(from_b.send[0].to.connection == 7);
  CHECK(from_b.send[0].to.fallback == 0);
  // the same host, another call (another Call-ID) on the same branch: likewise
  std::string other = invite;
  other.replace(other.find("Call-ID: call-1@test"), 20, "Call-ID: call-2@test");
  const Peer c = tcp_peer("127.0.0.1", 40003, 13);
  auto from_c = rig.p.handle(other, c, true, t0());
  REQUIRE(from_c.send.size() == 1);
  CHECK(from_c.send[0].to.connection == 7);
}

TEST_CASE("X-ASR-Text in more than one header line: decoded, joined in order, none dropped", "[sip][parser]") {
  const auto r = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D\r\n",
                             "X-ASR-Text: %E4%BD%8E%E4%BF%9D\r\nx-asr-text: %E5%AE%B6%E9%87%8C%E6%96%AD%E7%B2%AE\r\n"
                             "X-ASR-Text: \r\nX-ASR-Text: %E6%80%A5\r\n");
  REQUIRE(r.invite);
  CHECK(r.facts.asr_text == "低保 家里断粮 急");
  // GBK lines are one text, cut anywhere (here 我家低保被停了，老人住院, at every byte)
  const std::string gbk = "\xCE\xD2\xBC\xD2\xB5\xCD\xB1\xA3\xB1\xBB\xCD\xA3\xC1\xCB\xA3\xAC\xC0\xCF\xC8\xCB"
                          "\xD7\xA1\xD4\xBA";
  auto pct = [](std::string_view b) {
    std::string o;
    for (const unsigned char c : b) {
      char x[4];
      std::snprintf(x, sizeof x, "%%%02X", c);
      o += x;
    }
    return o;
  };
  for (std::size_t cut = 1; cut < gbk.size(); ++cut) {
    INFO(cut);
    const auto g = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D\r\n", "X-ASR-Text: " + pct(gbk.substr(0, cut)) +
                                                                         "\r\nX-ASR-Text: " + pct(gbk.substr(cut)) + "\r\n");
    REQUIRE(g.invite);
    CHECK(g.facts.asr_text == "我家低保被停了，老人住院");
  }
  // an engine that mixed its encodings: a UTF-8 line (我家没吃的了) and a GBK one (想申请低保), either order
  const std::string utf8_line = "%E6%88%91%E5%AE%B6%E6%B2%A1%E5%90%83%E7%9A%84%E4%BA%86";
  const std::string gbk_line = "%CF%EB%C9%EA%C7%EB%B5%CD%B1%A3";
  const auto m1 = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D\r\n",
                              "X-ASR-Text: " + utf8_line + "\r\nX-ASR-Text: " + gbk_line + "\r\n");
  REQUIRE(m1.invite);
  CHECK(m1.facts.asr_text == "我家没吃的了 想申请低保");
  const auto m2 = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D\r\n",
                              "X-ASR-Text: " + gbk_line + "\r\nX-ASR-Text: " + utf8_line + "\r\n");
  REQUIRE(m2.invite);
  CHECK(m2.facts.asr_text == "想申请低保 我家没吃的了");
  // a line that goes on with the character the line before cut (低 = E4 BD 8E) is joined to it as it was
  for (const auto& [first, second] : std::vector<std::pair<std::string, std::string>>{
           {"%E4%BD", "%8E%E4%BF%9D%E6%80%8E%E4%B9%88%E7%94%B3%E8%AF%B7"},
           {"%E4%BD%8E%E4", "%BF%9D%E6%80%8E%E4%B9%88%E7%94%B3%E8%AF%B7"},
           {"%E4", "%BD%8E%E4%BF%9D%E6%80%8E%E4%B9%88%E7%94%B3%E8%AF%B7"}}) {
    INFO(first);
    const auto split = invite_with("X-ASR-Text: %E4%BD%8E%E4%BF%9D\r\n",
                                   "X-ASR-Text: " + first + "\r\nX-ASR-Text: " + second + "\r\n");
    REQUIRE(split.invite);
    CHECK(split.facts.asr_text == "低保怎么申请");
  }
}

TEST_CASE("utf8::cut_at_end: a text that ends inside a character", "[classify][utf8]") {
  CHECK(assist::utf8::cut_at_end("\xE4\xBD"));
  CHECK(assist::utf8::cut_at_end("a\xE4"));
  CHECK(assist::utf8::cut_at_end("\xF0\x9F\x98"));
  CHECK_FALSE(assist::utf8::cut_at_end("\xE4\xBD\x8E"));
  CHECK_FALSE(assist::utf8::cut_at_end("abc"));
  CHECK_FALSE(assist::utf8::cut_at_end(""));
  CHECK_FALSE(assist::utf8::cut_at_end("\x8E"));  // a stray continuation byte is not a cut
}
