#pragma once
// The request-processing path of the redirect server, with no sockets: bytes + source in, responses to
// send (and, for a new INVITE, the CallFacts to hand to the RedirectHandler) out. The server and the
// RFC 4475 tests both go through this class. Not thread-safe: one strand owns it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "routing/classify/call_facts.h"
#include "routing/common/clock.h"
#include "routing/sip/message.h"
#include "routing/sip/redirect_handler.h"
#include "routing/sip/sip_server.h"
#include "routing/sip/transaction.h"

namespace assist::sip {

/// Where a message came from.
struct Peer {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  Transport transport = Transport::udp;
  std::uint64_t connection = 0;  ///< TCP connection id
  std::size_t listener = 0;      ///< UDP: index of the local socket it arrived on
};

/// What one incoming message leads to.
struct ProcessResult {
  std::vector<Outgoing> send;          ///< responses to send now
  std::optional<std::uint64_t> invite;  ///< a new INVITE transaction awaiting the handler's decision
  CallFacts facts;                     ///< its facts (valid when `invite`)
};

/// How far behind the server is (sip_server: the age of a datagram in the socket queue).
enum class Shed {
  none,
  retransmissions,  ///< drop retransmitted requests
  new_requests,     ///< and answer new INVITEs / OPTIONS 503 Retry-After without calling the handler
};

/// What the handler can take now. `calls`: new INVITEs go to the handler (else 503). `probes`: OPTIONS
/// answers 200 (else 503), so a front proxy's health check (Kamailio dispatcher) moves calls elsewhere
/// while the store is stalled, though calls that still arrive are redirected. A bool sets both.
struct Readiness {
  bool calls = true, probes = true;
  Readiness(bool both) : calls(both), probes(both) {}  // NOLINT: implicit on purpose
  Readiness(bool calls, bool probes) : calls(calls), probes(probes) {}
};

class RequestProcessor {
 public:
  /// `stats` is updated (not thread-safe: the owner snapshots under its own strand or uses atomics).
  RequestProcessor(const SipServerConfig& config, InviteTransactionTable& table);

  /// Handles one message (one datagram, or one framed TCP message). `ready`: the handler's
  /// taking_calls() and ready().
  /// Responses (status lines) give nothing; malformed requests give 400/505/416 when addressable.
  ProcessResult handle(std::string_view bytes, const Peer& from, Readiness ready, Instant now, Shed shed = Shed::none);

  /// A request over TCP whose head is whole but whose Content-Length takes it past sip.max_message_bytes
  /// (RFC 3261 §21.5.14, §18.3): `head` is the head up to its blank line. 513 Message Too Large when the head
  /// is an addressable request (a Via; not an ACK), the head's own 400 when it is broken another way first,
  /// nothing for a response. The body is never read: the connection skips its bytes.
  ProcessResult too_large(std::string_view head, const Peer& from);

  /// The handler's decision for the transaction `id` (from ProcessResult::invite). Returns the final
  /// response to send, or nothing when the transaction is gone or already answered (e.g. CANCELed).
  std::vector<Outgoing> decide(std::uint64_t id, const RedirectDecision& decision, Instant now);

  /// Counters: kept here because every path passes through.
  SipStats stats;

 private:
  Destination response_destination(const SipMessage& req, const Peer& from) const;
  std::string respond(const SipMessage& req, const Peer& from, int status, std::string_view reason,
                      std::string_view to_tag = {}, bool allow = false, int retry_after = 0,
                      const std::vector<std::pair<std::string, std::string>>* headers = nullptr);
  void fill_facts(const SipMessage& req, const Peer& from, CallFacts& facts) const;
  /// Over TCP: what a request asked again on another connection must share with `tx`'s (its Call-ID and source).
  static void remember_client(InviteServerTransaction& tx, const SipMessage& msg, const Peer& from);
  void on_invite(const SipMessage& req, const Peer& from, bool taking_calls, Instant now, Shed shed, ProcessResult& r);
  /// True when `key` names a known INVITE server transaction: `req` is a retransmission, answered (or
  /// absorbed, or dropped under `shed`) into `r` as RFC 3261 §17.2.1 says for the transaction's state.
  bool retransmission(const std::string& key, const SipMessage& req, const Peer& from, Shed shed, ProcessResult& r);
  void on_ack(const SipMessage& req, Instant now);
  void on_cancel(const SipMessage& req, const Peer& from, Instant now, ProcessResult& r);

  const SipServerConfig& config_;
  InviteTransactionTable& table_;
  // What a pending INVITE needs to build its final response later, by transaction id.
  struct Pending {
    std::string common;  // response_common() of the INVITE, To-tag included
  };
  std::unordered_map<std::uint64_t, Pending> pending_;
};

}  // namespace assist::sip
