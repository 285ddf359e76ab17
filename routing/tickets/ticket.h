#pragma once
// A quick-response ticket (DESIGN "Domain rules"): opened at the call with the suggested labels,
// confirmed or corrected by the agent, dispatched to the responsible office, with two clocks on the
// office (first response = sign-off 签收 and contact; resolution = 办结) and an escalation state per clock.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routing/classify/reason.h"
#include "routing/common/clock.h"

namespace assist {

/// Where a clock's escalation stands: the last ladder level whose message was written ("" = none),
/// whether a coordinator acknowledged it, and the warning sent.
struct ClockEscalation {
  std::string level;
  bool acknowledged = false;
  bool warned = false;
  bool breached = false;  ///< the limit passed while the clock was running (shown on the board)
  Millis skipped{0};      ///< the steps of levels skipped for nobody in the directory: the next level comes sooner
  bool supervisor_told = false;  ///< the shift supervisor was told of the breach (escalation.supervisor_at_breach)
  bool operator==(const ClockEscalation&) const = default;
};

/// The office (or township window) a ticket was dispatched to (派单).
struct Assignee {
  std::string name, region, level, role, department;
  bool operator==(const Assignee&) const = default;
};

struct Ticket {
  std::string id;        ///< "SA-20261129-000042": [A-Za-z0-9-]+
  std::string call_id;   ///< the call that opened it ("hand <contact id>" when an agent opened it by hand)
  std::string caller;    ///< full number: stored, never logged or listed in full
  std::string category, request_type, urgency;
  double confidence = 0;
  std::vector<Reason> reasons;  ///< the classification's reasons at opening
  std::string language = "zh";
  std::string ivr_digits;
  std::string asr_text;
  std::string region_hint;  ///< X-Region-Code of the call
  std::string region_code;  ///< the confirmed place of the trouble ("" until confirmed)
  std::string queue;        ///< the queue the call was redirected to
  bool confirmed = false;
  /// open, acknowledged, in_progress, waiting_on_caller, resolved, closed, cancelled, merged
  std::string status = "open";
  Instant opened_at{};
  Instant first_response_due{};
  Instant resolution_due{};
  bool provisional = false;
  std::string sla_rule;
  std::optional<Instant> acknowledged_at, resolved_at, closed_at;
  std::string result;  ///< the result reported at resolve
  std::optional<Assignee> assignee;
  bool dispatch_gap = false;  ///< confirmed but no office or township window found for the place
  ClockEscalation first_response_esc, resolution_esc;
  int call_count = 1;
  std::vector<std::string> flags;  ///< priority flags: repeat_caller, third_party_report, ...
  Instant updated_at{};

  // ---- issue 5: the policy that applied, pauses, extensions, the office's clock, merges ----
  std::string policy_version;      ///< SlaPolicy::version() of the policy that computed the deadlines
  /// The office hours that counted its working-hour limits (Deadlines::business_hours, e.g.
  /// "152502: 08:00-12:00 15:00-18:30"); "" when its rule has no limit in working hours.
  std::string business_hours;
  /// How the contact came when an agent opened it by hand (POST /api/v1/tickets): phone (a call that
  /// did not come through SIP), walk_in, web, letter, other; "" = a SIP call (the API says "sip").
  std::string channel;
  Instant resolution_due_base{};   ///< the policy's resolution deadline, before pauses and extensions
                                   ///< (epoch = same as resolution_due: a record from before issue 5)
  std::optional<Instant> paused_since;  ///< waiting_on_caller since: the resolution clock is paused
  Millis paused_total{0};          ///< paused time already added to resolution_due
  Millis extended_total{0};        ///< extensions already added to resolution_due
  bool contact_failed = false;     ///< the last recorded contact attempt failed (wait_on_caller allowed)
  nlohmann::json extensions = nlohmann::json::array();  ///< [{at, by, approved_by, reason, duration, moved_s}]
  /// The office's own clock: unset while the first office holds the ticket (its clock is the ticket's);
  /// set at each reassignment (改派), when the new office's clocks restart from that instant.
  std::optional<Instant> office_since, office_first_response_due, office_resolution_due;
  /// 并单 of a more urgent call (TicketService::raise_urgency): when it was first raised, and the urgency the
  /// ticket had before; deadlines computed again (confirm, recompute) are the earlier of the opening's at
  /// `raised_from` and the first raise's at the current urgency, so the emergency stays due from its call.
  std::optional<Instant> raised_at;
  std::string raised_from;
  Millis office_shift{0};          ///< pauses and extensions since office_since (added to office_resolution_due)
  int office_round = 1;            ///< 1 for the first office, +1 at each reassignment
  bool returned = false;           ///< the office returned it (退单) and nobody holds it until reassign
  nlohmann::json offices = nlohmann::json::array();  ///< earlier offices: [{office, since, until, ended, reason}]
  std::string merged_into;         ///< status merged: the ticket it was merged into
  std::vector<std::string> merged_from;
  nlohmann::json resolution = nullptr;  ///< the structured result the resolution standard asks for
  nlohmann::json revisit = nullptr;     ///< 回访 {reached, satisfied, by, at}
  /// The escalation ladder that applied, stored at confirmation so that a config change does not rewrite
  /// running escalations: {"warning_at", "steps": [{"level", "step_ms"}]}; null = the configured ladder.
  nlohmann::json ladder = nullptr;
  bool review = false;             ///< reopened after an unsatisfied revisit (no SLA ladder; the board shows it)
  nlohmann::json emergency_transfers = nlohmann::json::array();  ///< [{to, at, by, taken_by}]

  /// The first-response clock that runs on the office holding the ticket.
  Instant office_start() const { return office_since.value_or(opened_at); }
  Instant office_first_due() const { return office_first_response_due.value_or(first_response_due); }
  Instant resolution_base() const { return resolution_due_base == Instant{} ? resolution_due : resolution_due_base; }

  /// True for resolved, closed, cancelled, merged: no clock runs.
  bool terminal() const;
  /// The higher of the two clocks' escalation levels ("" = none).
  std::string escalation_level() const;
};

/// The store's record (caller in full): a JSON object whose members at their defaults are left out
/// (from_record reads them back as the defaults); from_record(to_record(t)) == t member for member.
nlohmann::json to_record(const Ticket& t);
/// Reads a stored record back; throws nlohmann::json::exception on a malformed record.
Ticket from_record(const nlohmann::json& j);
/// The API's ticket object (DESIGN "API shapes"): caller masked, times RFC 3339 +08:00.
nlohmann::json to_api(const Ticket& t, Instant now);

/// What the escalation timers need, as one compact line (the store keeps it beside the record so that
/// start-up does not parse every record): read_timer_fields() fills those fields of `t` (id untouched)
/// and returns false on a line it cannot read.
std::string timer_fields(const Ticket& t);
bool read_timer_fields(std::string_view line, Ticket& t);

/// The SIP Priority header value for an urgency (RFC 3261 §20.26): emergency, urgent, normal.
std::string sip_priority(const std::string& urgency);

}  // namespace assist
