#pragma once
// The INVITE server transactions of a redirect server (RFC 3261 §17.2.1), keyed per §17.2.3 with the
// RFC 2543 fallback, and their timers on the injected clock. No I/O: the table says what to (re)send and
// to where, and the caller sends it; tests drive it with a SimulatedClock.
//
//   Proceeding --final response--> Completed --ACK--> Confirmed --Timer I--> Terminated
//                                      |  (UDP: retransmit at T1, 2·T1 ... capped at T2)
//                                      +--Timer H (64·T1)--> Terminated
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "routing/common/clock.h"
#include "routing/sip/message.h"

namespace assist::sip {

enum class Transport { udp, tcp };

/// Where a response goes (RFC 3261 §18.2.2): a UDP endpoint, or back on a TCP connection by its id.
struct Destination {
  Transport transport = Transport::udp;
  boost::asio::ip::udp::endpoint udp;  ///< UDP only
  std::uint64_t connection = 0;        ///< TCP only
  /// TCP only: when the client asked again on another connection, the one the request first came on; used
  /// when `connection` (the newest) is closed. RFC 3261 §18.2.2 answers on the request's connection; a
  /// client that asks again on a new one waits there, its first one perhaps half-dead.
  std::uint64_t fallback = 0;
  std::size_t listener = 0;            ///< UDP only: index of the local socket to send from
};

/// Bytes to send and where.
struct Outgoing {
  Destination to;
  std::string bytes;
};

struct TransactionTimers {
  Millis t1{500};   ///< RTT estimate (RFC 3261 §17.1.1.1)
  Millis t2{4000};  ///< retransmit interval cap for non-INVITE requests and INVITE responses
  Millis t4{5000};  ///< Timer I over UDP
  /// How long a decision may stay pending before the transaction is dropped (a handler that never calls
  /// done must not leak transactions). Default 64·T1.
  Millis proceeding_limit{32000};
};

enum class TxState { proceeding, completed, confirmed, terminated };

struct InviteServerTransaction {
  std::uint64_t id = 0;
  std::string key;
  TxState state = TxState::proceeding;
  Destination to;
  bool reliable = false;      ///< TCP: no retransmissions, Timer I = 0
  std::string to_tag;         ///< the tag our final response puts in To (stable per transaction)
  /// TCP only (empty over UDP): the request's Call-ID and source address. A request asked again on another connection takes the
  /// answer there only when both are the same: a branch reused by another client (or another call) must
  /// not draw this caller's 302.
  std::string call_id;
  boost::asio::ip::address source;
  std::string response;       ///< the final response bytes (Completed and later)
  std::string provisional;    ///< the last provisional response (100 Trying), if any
  Millis interval{0};         ///< Timer G's current interval
  Instant next_retransmit{};  ///< Timer G
  Instant timer_h{};          ///< Timer H (Completed)
  Instant timer_i{};          ///< Timer I (Confirmed)
  Instant proceeding_deadline{};
  std::uint64_t generation = 0;  ///< bumps on every reschedule; stale heap entries are skipped
};

/// Counters the table keeps.
struct TransactionCounters {
  std::uint64_t retransmitted = 0;  ///< final responses retransmitted by Timer G
  std::uint64_t timed_out = 0;      ///< Timer H fired without an ACK
  std::uint64_t abandoned = 0;      ///< decision never came (proceeding_limit)
};

/// The transaction key of a request (RFC 3261 §17.2.3): with a "z9hG4bK" branch, branch + sent-by
/// (ACK and CANCEL compute the same key as their INVITE); otherwise (RFC 2543) Request-URI, From-tag,
/// Call-ID, CSeq number and top Via. The To-tag of an RFC 2543 ACK is checked separately.
/// Returns "" when the request has no usable top Via.
std::string transaction_key(const SipMessage& req);

class InviteTransactionTable {
 public:
  explicit InviteTransactionTable(TransactionTimers timers = {}, std::size_t max_transactions = 200000);

  /// The live transaction with this key, or nullptr.
  InviteServerTransaction* find(const std::string& key);
  InviteServerTransaction* find(std::uint64_t id);
  /// Creates a transaction in Proceeding; nullptr when the table is full (answer 503).
  InviteServerTransaction* create(std::string key, Destination to, bool reliable, Instant now);
  /// Proceeding -> Completed with `response` (sent once by the caller); starts Timer G (UDP) and H.
  void complete(InviteServerTransaction& tx, std::string response, Instant now);
  /// An ACK matched `tx`: Completed -> Confirmed, Timer I (T4 over UDP, 0 over TCP). False when the
  /// transaction was not in Completed (the ACK is absorbed anyway).
  bool ack(InviteServerTransaction& tx, Instant now);
  /// The earliest instant at which on_timer has work, or nullopt when idle.
  std::optional<Instant> next_wake();
  /// Fires every timer due at `now`: returns the retransmissions to send; removes terminated ones.
  std::vector<Outgoing> on_timer(Instant now);

  std::size_t size() const { return by_id_.size(); }
  std::size_t capacity() const { return max_; }
  const TransactionCounters& counters() const { return counters_; }
  const TransactionTimers& timers() const { return timers_; }

 private:
  struct Wake {
    Instant at;
    std::uint64_t id, generation;
    bool operator>(const Wake& o) const { return at > o.at; }
  };
  void schedule(InviteServerTransaction& tx, Instant at);
  void erase(InviteServerTransaction& tx);

  TransactionTimers timers_;
  std::size_t max_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, InviteServerTransaction> by_id_;
  std::unordered_map<std::string, std::uint64_t> by_key_;
  std::priority_queue<Wake, std::vector<Wake>, std::greater<Wake>> wakes_;
  TransactionCounters counters_;
};

}  // namespace assist::sip
