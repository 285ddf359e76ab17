#pragma once
// The seam between the SIP layer (transport, parser, transactions) and the call logic (classify, route,
// ticket). The SIP layer knows no tickets; the call logic knows no sockets.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "routing/classify/call_facts.h"

namespace assist::sip {

/// The answer to one INVITE: normally 302 with the queue's Contact and the X-Assist-* / Priority
/// headers (DESIGN "SIP"); 503 with Retry-After when the daemon cannot take the call.
struct RedirectDecision {
  int status = 302;
  std::string contact;  ///< full URI for the Contact header ("sip:sa-urgent@10.0.0.5:5060"); 302 only
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, in order
  int retry_after = 0;  ///< seconds, for 503
};

class RedirectHandler {
 public:
  virtual ~RedirectHandler() = default;
  /// Called once per new INVITE server transaction, never for a retransmission. `done` must be called
  /// exactly once, from any thread (the SIP layer posts it back to its own executor). Until then,
  /// retransmissions of the INVITE are absorbed (RFC 3261 §17.2.1, Proceeding).
  virtual void on_invite(CallFacts facts, std::function<void(RedirectDecision)> done) = 0;
  /// False while the daemon should not be sent calls (store not writable or stalled, shutting down):
  /// OPTIONS answers 503 so the front proxy moves calls elsewhere.
  virtual bool ready() const = 0;
  /// False while new INVITEs must be refused with 503 (starting, shutting down). A stalled store is not
  /// a reason: such calls are still redirected, without a ticket id. Default: ready().
  virtual bool taking_calls() const { return ready(); }
};

}  // namespace assist::sip
