#pragma once
// The ticket lifecycle (DESIGN "Domain rules", "Details settled: Events"): opening at the call (or
// joining the caller's open ticket in the same category: 并单), and the events agents, offices and
// coordinators apply through the API. Every change is one store transaction holding the new ticket row,
// an append-only event row and any message it causes (dispatch 派单).
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "routing/classify/call_facts.h"
#include "routing/classify/classifier.h"
#include "routing/common/clock.h"
#include "routing/dispatch/directory.h"
#include "routing/escalation/engine.h"
#include "routing/sla/policy.h"
#include "routing/storage/ticket_store.h"

namespace assist {

/// A request the ticket's state or the input does not allow. `status` is the HTTP status to answer
/// (400 bad input, 404 unknown ticket, 409 not allowed in this state); `allowed` lists the events
/// allowed in the current state for 409.
class EventError : public std::runtime_error {
 public:
  EventError(int status, std::string code, const std::string& message, std::string field = "",
             nlohmann::json allowed = nullptr)
      : std::runtime_error(message), status(status), code(std::move(code)), field(std::move(field)),
        allowed(std::move(allowed)) {}
  int status;
  std::string code, field;
  nlohmann::json allowed;
};

/// The events allowed in a status, in the order the pane offers them.
std::vector<std::string> allowed_events(const Ticket& t);

/// The result a ticket's resolution standard asks for (call-taxonomy.md, "Resolution standards"): an
/// urgent or critical case the 先行救助 record (`given`, `fund`, `approved_by`); a hardship_report the
/// on-site check's `outcome` (enrolled, not_eligible, referred); a complaint or report the `finding`
/// given to the caller (`caller_told`: true); a consultation the `answer`; an application `accepted`:
/// true, `visit_booked` (when) and `time_limit_told`: true. `resolve` takes them in `resolution: {...}`.
struct ResolutionStandard {
  std::string id;    ///< relief_record, onsite_check, finding, answer, application_accepted
  std::string text;  ///< what it asks, in words
  std::vector<std::string> fields;
};
ResolutionStandard resolution_standard(const Ticket& t);

/// What recompute() is asked to do and what it found.
struct RecomputeRequest {
  bool only_provisional = false;  ///< only tickets whose deadlines are provisional (a calendar arrived)
  bool dry_run = false;           ///< report what would move, write nothing
  std::string by = "operator";
  std::string reason = "recompute";
};

class TicketService {
 public:
  using ChangeListener = std::function<void(const Ticket&, const std::string& what)>;

  TicketService(TicketStore& store, const Clock& clock, std::shared_ptr<const SlaPolicy> policy,
                Directory directory, EscalationEngine& engine, std::string instance, std::string public_url);

  void on_change(ChangeListener l) { listener_ = std::move(l); }

  /// Opens a ticket for a call (or joins the caller's open ticket in the same category, incrementing
  /// call_count). Durable when it returns. Throws StoreError when the store cannot commit.
  Ticket open_for_call(const CallFacts& facts, const Classification& c, const std::string& queue);

  /// Applies an API event `{"type": ..., "by": ..., "note": ..., ...}` to ticket `id` and returns the
  /// updated ticket. Throws EventError (400/404/409) or StoreError.
  Ticket apply(const std::string& id, const nlohmann::json& event);

  /// A coordinator acknowledges escalation message `message_id` with `{"by", "responder", "eta"}`: the
  /// climb of that clock stops. Returns the message. Throws EventError (400/404/409).
  OutboxMessage acknowledge_escalation(const std::string& message_id, const nlohmann::json& body);

  /// Recomputes the deadlines of open tickets under the current policy, on purpose (a config change
  /// affects new tickets only until this is run; a calendar that arrived makes provisional deadlines
  /// final). Pauses and extensions already granted are kept; the office's clock is recomputed from its
  /// own start. Each ticket that moves gets a `recomputed` event with before and after, in batches of
  /// 500 per transaction. Returns {"policy_version", "checked", "moved", "still_provisional",
  /// "changes": [{id, rule_before, rule_after, first_response_due: [before, after], resolution_due: [...]}]}
  /// (changes capped at 1000 entries; "moved" counts them all).
  nlohmann::json recompute(const RecomputeRequest& req);

  /// `extend` (延期) is limited per ticket by policy (config sla.max_extensions, default 2).
  void set_max_extensions(int n) { max_extensions_ = n; }
  int max_extensions() const { return max_extensions_; }
  const SlaPolicy& policy() const { return *policy_; }

 private:
  void dispatch(WriteTx& tx, Ticket& t, Instant now, std::vector<OutboxMessage>& sent);
  void send_dispatch(WriteTx& tx, Ticket& t, const DirectoryEntry& office, Instant now,
                     std::vector<OutboxMessage>& sent);
  TicketStore& store_;
  const Clock& clock_;
  std::shared_ptr<const SlaPolicy> policy_;
  Directory directory_;
  EscalationEngine& engine_;
  std::string instance_, public_url_;
  ChangeListener listener_;
  int max_extensions_ = 2;
};

}  // namespace assist
