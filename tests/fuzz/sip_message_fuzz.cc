// libFuzzer target for the SIP layer's untrusted-input path: the parser (UDP and TCP framing rules) and
// the whole request path behind it (RequestProcessor: responses, transaction keys, the 302 built for an
// INVITE, retransmission, CANCEL, ACK). Built only on demand: tests/fuzz/run [seconds].
// Invariants checked: no crash / sanitizer report; every response produced starts with "SIP/2.0 " and
// ends its header block; a message that fails to parse produces nothing; a malformed request is never
// handed to the redirect handler.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "routing/sip/message.h"
#include "routing/sip/request_processor.h"

using namespace assist;
using namespace assist::sip;

namespace {
[[noreturn]] void fail() { std::abort(); }

void check_out(const std::vector<Outgoing>& out) {
  for (const auto& o : out) {
    if (o.bytes.rfind("SIP/2.0 ", 0) != 0) fail();
    if (o.bytes.find("\r\n\r\n") == std::string::npos) fail();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static SipServerConfig config;
  static InviteTransactionTable table(TransactionTimers{}, 1000);
  static RequestProcessor processor(config, table);
  static SimulatedClock clock(Instant{} + Millis{1'700'000'000'000});
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  for (bool tcp : {false, true}) {
    SipMessage m;
    const bool framed = m.parse(bytes, tcp);
    if (framed && !m.is_response && m.ok()) {
      (void)transaction_key(m);
      (void)m.top_via();
    }
  }
  Peer peer{boost::asio::ip::make_address("192.0.2.1"), 5060, (size & 1) ? Transport::tcp : Transport::udp, 7, 0};
  auto r = processor.handle(bytes, peer, /*ready=*/(size % 7) != 0, clock.now());
  check_out(r.send);
  if (r.invite) {
    SipMessage m;
    if (!m.parse(bytes, peer.transport == Transport::tcp) || !m.ok() || m.method_id != Method::invite) fail();
    RedirectDecision d;
    d.contact = "sip:sa@127.0.0.1:5080";
    d.headers = {{"X-Assist-Ticket", "T-1"}, {"Priority", "normal"}};
    check_out(processor.decide(*r.invite, d, clock.now()));
    // the same bytes again: a retransmission, never a second transaction
    auto again = processor.handle(bytes, peer, true, clock.now());
    if (again.invite) fail();
    check_out(again.send);
  }
  clock.advance(Millis{600});
  check_out(table.on_timer(clock.now()));
  return 0;
}
