// The SIP layer's handback of decisions made on another thread (the group commit's writer): many decided
// together are answered in one turn of the SIP strand, each to its own INVITE. Real UDP sockets on loopback.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "routing/common/clock.h"
#include "routing/sip/sip_server.h"

using namespace assist;
using namespace assist::sip;
namespace asio = boost::asio;

namespace {

/// Keeps every INVITE's `done` until the test decides them all, from a thread of its own.
struct HeldHandler : RedirectHandler {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::function<void(RedirectDecision)>>> held;  // (Call-ID, done)
  void on_invite(CallFacts facts, std::function<void(RedirectDecision)> done) override {
    std::lock_guard lock(mu);
    held.emplace_back(facts.call_id, std::move(done));
    cv.notify_all();
  }
  bool ready() const override { return true; }
};

std::string invite(const std::string& call_id, std::uint16_t from_port, int n) {
  return "INVITE sip:12345@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(from_port) + ";branch=z9hG4bK-hb-" + std::to_string(n) +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:13800001234@127.0.0.1>;tag=f" + std::to_string(n) +
         "\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: " + call_id + "\r\nCSeq: 1 INVITE\r\n"
         "Contact: <sip:caller@127.0.0.1>\r\nContent-Length: 0\r\n\r\n";
}

std::string header(const std::string& msg, const std::string& name) {
  const auto at = msg.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const auto from = at + 4 + name.size();
  return msg.substr(from, msg.find("\r\n", from) - from);
}

}  // namespace

TEST_CASE("decisions made together on another thread each answer their own INVITE", "[sip][handback]") {
  asio::io_context io;
  SipServerConfig config;
  config.listen = {ListenSpec{"udp", "127.0.0.1", 0}};
  HeldHandler handler;
  SystemClock clock;
  SipServer server(io, config, handler, clock);
  server.start();
  std::thread sip([&] { io.run(); });
  auto work = asio::make_work_guard(io);

  asio::io_context client_io;
  asio::ip::udp::socket client(client_io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto client_port = client.local_endpoint().port();
  const asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), server.local_ports().at(0));
  constexpr int kCalls = 40;
  for (int i = 0; i < kCalls; ++i) client.send_to(asio::buffer(invite("hb-" + std::to_string(i) + "@test", client_port, i)), to);
  {
    std::unique_lock lock(handler.mu);
    REQUIRE(handler.cv.wait_for(lock, std::chrono::seconds(10), [&] { return handler.held.size() == kCalls; }));
  }
  // all decided at once from one other thread, in reverse order, each naming its own call in a header
  std::thread writer([&] {
    std::lock_guard lock(handler.mu);
    for (auto it = handler.held.rbegin(); it != handler.held.rend(); ++it) {
      RedirectDecision d;
      d.contact = "sip:queue@127.0.0.1:5999";
      d.headers.emplace_back("X-Assist-Ticket", "T-" + it->first);
      it->second(std::move(d));
    }
  });
  writer.join();

  std::map<std::string, std::string> ticket_of;  // Call-ID -> the ticket its 302 named
  client.non_blocking(false);
  struct timeval tv {5, 0};
  ::setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<char> buf(65536);
  while (ticket_of.size() < kCalls) {
    asio::ip::udp::endpoint from;
    boost::system::error_code ec;
    const auto n = client.receive_from(asio::buffer(buf), from, 0, ec);
    REQUIRE_FALSE(ec);
    const std::string msg(buf.data(), n);
    REQUIRE(msg.rfind("SIP/2.0 302 ", 0) == 0);
    ticket_of[header(msg, "Call-ID")] = header(msg, "X-Assist-Ticket");
  }
  for (int i = 0; i < kCalls; ++i) {
    const std::string cid = "hb-" + std::to_string(i) + "@test";
    CHECK(ticket_of[cid] == "T-" + cid);
  }
  server.stop();
  work.reset();
  io.stop();
  sip.join();
  // counted after each send returns: final once the SIP thread has stopped
  CHECK(server.stats().responses_sent == kCalls);
}
