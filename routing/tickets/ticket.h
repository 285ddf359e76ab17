#pragma once
// A quick-response ticket (DESIGN "Domain rules"): opened at the call with the suggested labels,
// confirmed or corrected by the agent, dispatched to the responsible office, with two clocks on the
// office (first response = sign-off 签收 and contact; resolution = 办结) and an escalation state per clock.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  bool operator==(const ClockEscalation&) const = default;
};

/// The office (or township window) a ticket was dispatched to (派单).
struct Assignee {
  std::string name, region, level, role, department;
  bool operator==(const Assignee&) const = default;
};

struct Ticket {
  std::string id;        ///< "SA-20261129-000042": [A-Za-z0-9-]+
  std::string call_id;   ///< the call that opened it ("" when opened by hand)
  std::string caller;    ///< full number: stored, never logged or listed in full
  std::string category, request_type, urgency;
  double confidence = 0;
  nlohmann::json reasons = nlohmann::json::array();
  std::string language = "zh";
  std::string ivr_digits;
  std::string asr_text;
  std::string region_hint;  ///< X-Region-Code of the call
  std::string region_code;  ///< the confirmed place of the trouble ("" until confirmed)
  std::string queue;        ///< the queue the call was redirected to
  bool confirmed = false;
  std::string status = "open";  ///< open, acknowledged, in_progress, resolved, closed, cancelled, merged
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

  /// True for resolved, closed, cancelled, merged: no clock runs.
  bool terminal() const;
  /// The higher of the two clocks' escalation levels ("" = none).
  std::string escalation_level() const;
};

/// Full record for the store (caller in full).
nlohmann::json to_record(const Ticket& t);
/// Reads a stored record back; throws nlohmann::json::exception on a malformed record.
Ticket from_record(const nlohmann::json& j);
/// The API's ticket object (DESIGN "API shapes"): caller masked, times RFC 3339 +08:00.
nlohmann::json to_api(const Ticket& t, Instant now);

/// The SIP Priority header value for an urgency (RFC 3261 §20.26): emergency, urgent, normal.
std::string sip_priority(const std::string& urgency);

}  // namespace assist
