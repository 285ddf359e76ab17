#pragma once
// SIP redirect server: UDP and TCP listeners on an Asio io_context, the INVITE server transactions of
// RFC 3261 §17.2.1 (302 retransmitted over UDP at T1 doubling to T2 until ACK or Timer H; retransmitted
// INVITEs get the same response; ACK absorbed; Timer I), OPTIONS, CANCEL, and the response addressing of
// §18.2.2 / RFC 3581 (rport). Only sources in `allow` are served.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "routing/common/clock.h"
#include "routing/sip/rate_limiter.h"
#include "routing/sip/redirect_handler.h"

namespace assist::sip {

struct ListenSpec {
  std::string transport;  ///< "udp" or "tcp"
  std::string host;       ///< numeric IPv4/IPv6 address
  std::uint16_t port = 5060;  ///< 0 = any free port (tests)
};

/// Parses "udp:127.0.0.1:5060" / "tcp:[::1]:5060"; throws std::invalid_argument with the reason.
ListenSpec parse_listen(const std::string& spec);

/// Header names the call facts are read from (configurable: DESIGN "SIP").
struct FactHeaders {
  std::string ivr_digits = "X-IVR-Digits";
  std::string asr_text = "X-ASR-Text";
  std::string region = "X-Region-Code";
  std::string language = "X-Caller-Language";
};

struct SipServerConfig {
  std::vector<ListenSpec> listen;
  std::vector<std::string> allow = {"127.0.0.0/8", "::1/128"};  ///< CIDR prefixes that may send requests
  FactHeaders headers;
  std::size_t max_transactions = 200000;   ///< past this, new INVITEs get 503 Retry-After
  std::size_t max_message_bytes = 65535;   ///< larger messages are refused (400 / dropped)
  std::size_t max_tcp_connections = 1024;
  int tcp_idle_timeout_s = 300;
  std::string server_header = "assistline";
  RateLimit rate_limit;                    ///< per source address (`sip.rate_limit`); over it, dropped and counted
  /// Overload (`sip.overload`): a UDP datagram that waited in the socket queue longer than
  /// `queue_delay_ms` (kernel receive timestamp) is shed: a new INVITE or OPTIONS gets 503 with
  /// Retry-After (no ticket), a retransmission is dropped; past half that delay retransmissions are
  /// already dropped. The queue itself is bounded by the socket buffer (`udp_receive_buffer`).
  int queue_delay_ms = 100;
  int retry_after_s = 5;
  int udp_receive_buffer = 4 << 20;
  std::size_t max_tcp_write_bytes = 1 << 20;  ///< a connection that does not read its responses is closed
};

/// Counters for /metrics.
struct SipStats {
  std::uint64_t requests = 0, invites = 0, retransmissions = 0, acks = 0, responses_sent = 0,
                malformed = 0, refused_sources = 0, options = 0, cancels = 0, overload = 0,
                rate_limited = 0, shed_retransmissions = 0;
  std::size_t transactions = 0;
  std::size_t tcp_connections = 0;  ///< SIP over TCP connections open now
};

class SipServer {
 public:
  /// `handler` and `clock` must outlive the server. Nothing is bound until start().
  SipServer(boost::asio::io_context& io, SipServerConfig config, RedirectHandler& handler,
            const Clock& clock);
  ~SipServer();

  /// Binds every listener; throws std::system_error naming the address when one cannot be bound.
  void start();
  /// Closes listeners and connections, cancels timers. Idempotent.
  void stop();
  /// True once every listener is bound.
  bool bound() const;
  /// The bound local ports, in the order of `listen` (useful with port 0).
  std::vector<std::uint16_t> local_ports() const;
  /// A snapshot of the counters; thread-safe.
  SipStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace assist::sip
