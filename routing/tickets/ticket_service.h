#pragma once
// The ticket lifecycle (DESIGN "Domain rules", "Details settled: Events"): opening at the call (or
// joining the caller's open ticket in the same category: 并单), and the events agents, offices and
// coordinators apply through the API. Every change is one store transaction holding the new ticket row,
// an append-only event row and any message it causes (dispatch 派单).
#include <functional>
#include <memory>
#include <optional>
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

/// A contact an agent opens a ticket for by hand (POST /api/v1/tickets; DESIGN "HTTP API"): a call that
/// did not come through SIP, a walk-in, a web message or a letter. Labels left "" come from the call
/// path's classifier; given ones are taxonomy ids.
struct HandOpening {
  std::string channel;     ///< phone | walk_in | web | letter | other
  std::string text;        ///< what the caller said or wrote (stored as the ticket's asr_text); may be ""
  std::string category, request_type, urgency;  ///< the agent's labels; "" = the classifier's
  std::string caller;      ///< the caller's number ("" = none: no 并单); digits, optional leading +
  std::string region_code; ///< the place of the trouble (6, 9 or 12-digit known division); "" = not yet known
  std::string region_hint; ///< a hint such as the caller's registration (6, 9 or 12 digits); may be ""
  std::string language;    ///< zh | mn; "" = zh
  std::string by, note;    ///< who opened it (the agent), and a note for the history
  std::string contact_id;  ///< the contact's own id (a retry with the same id opens nothing new); "" = made up
  bool labelled() const { return !category.empty() && !request_type.empty() && !urgency.empty(); }
  /// The facts the classifier reads (text, caller, language, region) as a call's would be.
  CallFacts facts() const;
};

/// The body of POST /api/v1/tickets read and checked: an object with `channel` (required), `text`,
/// `category`, `request_type`, `urgency` (taxonomy ids), `caller`, `region_code`, `region_hint`,
/// `language`, `by`, `note`, `contact_id` ([A-Za-z0-9._-]{1,64}). `text` is required unless all three
/// labels are given. Throws EventError(400, code, message, field) naming the first bad field; an
/// unknown key is an error too (a misspelt label must not be silently ignored).
HandOpening hand_opening_from_json(const nlohmann::json& body);

/// The labels a hand-opened ticket gets: `classified` (the call path's classification of h.facts(); may
/// be nullopt only when h.labelled()) with the agent's labels laid over it, each with an "agent" reason
/// first; confidence 1 when the agent gave all three. The call's ticketing rule holds: not_social_assistance
/// opens no ticket, so EventError(422, "not_social_assistance") when the agent gave that category, or the
/// text was classified so and `ticketed` (the call path's decision: confident, Chinese, not unsure) is false.
Classification hand_labels(const HandOpening& h, const std::optional<Classification>& classified, bool ticketed);

/// The prefix of a contact opened by hand where a call has its Call-ID ("hand web-4711"). A SIP Call-ID
/// cannot hold a space (RFC 3261 §25.1 `word`; the parser refuses one with 400), so a hand contact and a
/// call can never take each other's ticket for the same call.
inline constexpr const char* kHandContactPrefix = "hand ";

class TicketService {
 public:
  /// Told of every ticket opened or changed, after its commit; the ticket is shared, never changed again.
  using ChangeListener = std::function<void(const std::shared_ptr<const Ticket>&, const std::string& what)>;

  TicketService(TicketStore& store, const Clock& clock, std::shared_ptr<const SlaPolicy> policy,
                Directory directory, EscalationEngine& engine, std::string instance, std::string public_url);

  void on_change(ChangeListener l) { listener_ = std::move(l); }

  /// Opens a ticket for a call (or joins the caller's open ticket in the same category, incrementing
  /// call_count). Durable when it returns. Throws StoreError when the store cannot commit.
  /// `at`: the call's moment when it is not now (a call kept over a restart); default now.
  Ticket open_for_call(const CallFacts& facts, const Classification& c, const std::string& queue,
                       std::optional<Instant> at = std::nullopt);

  /// What opening a call wrote: the ticket, and whether the call joined an open ticket (并单) or was
  /// known already (the same Call-ID on a new branch: nothing written).
  struct CallOpening {
    Ticket ticket;
    bool joined = false, known = false;
  };
  /// The write of open_for_call, for group commit (the call path): runs in `tx` with the call's moment
  /// `now` as the opening instant, and fills `o` (reset first, so it may run again after a rollback).
  /// Nothing is tracked or told until opened(o) after the commit.
  void open_in(WriteTx& tx, const CallFacts& facts, const Classification& c, const std::string& queue, Instant now,
               CallOpening& o);
  /// After the commit of open_in: the ticket's timers start and listeners (board, SLA thread) are told.
  /// The second form hands `o.ticket` to the listeners (the call path: no copy).
  void opened(const CallOpening& o);
  void opened(CallOpening&& o);

  /// Applies an API event `{"type": ..., "by": ..., "note": ..., ...}` to ticket `id` and returns the
  /// updated ticket. Throws EventError (400/404/409) or StoreError.
  Ticket apply(const std::string& id, const nlohmann::json& event);

  /// Opens a ticket for a contact that did not come through SIP (HandOpening), or joins the caller's open
  /// ticket in the same category: the same code and 并单 rules as a call (open_in), in one transaction
  /// with a `hand_opened` event (channel, contact id, who, whether it joined). `labels` is the call
  /// path's classification of the text with the agent's labels laid over it. The contact is linked as
  /// call "hand <contact_id>" (kHandContactPrefix; the ticket's call_id when it opens one, for GET
  /// /api/v1/calls). A
  /// contact_id seen before returns its ticket with `known` and writes nothing. Throws StoreError.
  CallOpening open_by_hand(const HandOpening& h, const Classification& labels);

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
  /// 并单 of a call more urgent than the open ticket it joins (critical > urgent > normal): the ticket takes
  /// the call's urgency (and its request type, unless an agent confirmed one), and every deadline that
  /// has not been met becomes the earlier of its own and the call's, counted from the call's moment
  /// `now` (policy: help first for emergencies), pauses and extensions of the old case not added to it,
  /// with the flag "urgency_raised"; a ticket waiting on the caller resumes (the caller has called). A less
  /// or equally urgent call changes nothing here. Terminal tickets are never joined.
  void raise_urgency(Ticket& t, const Classification& c, Instant now) const;
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
  /// Tells the listener, if any, that `t` changed.
  void tell(Ticket t, const char* what) const;
  int max_extensions_ = 2;
};

}  // namespace assist
