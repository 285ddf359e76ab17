#pragma once
// The messages people receive (DESIGN "Dispatch and escalation messages"): one JSON object per message
// with a stable id, the ticket, kind, level, reason, recipient (`to`), region code and full place name,
// and a Chinese text. Texts carry no names, ID numbers or diagnoses (PIPL art. 21: the SMS platform is a
// processor); the link leads to the details. A report's text never names the reporter.
#include <string>

#include "routing/config/config.h"
#include "routing/escalation/notifier.h"
#include "routing/tickets/ticket.h"

namespace assist {

/// The stable id of a step: "<ticket>-<kind>-<level>-<reason>" (a dispatch also carries its sequence).
std::string message_id(const std::string& ticket_id, const std::string& kind, const std::string& level,
                       const std::string& reason);

/// Builds a message for `t` to `to`. `public_url` is the base of links; `now` its creation instant.
/// kind dispatch|warning|escalation; level office|township|county|league; reason as in PlannedStep.
OutboxMessage build_message(const Ticket& t, const std::string& id, const std::string& kind,
                            const std::string& level, const std::string& reason, const DirectoryEntry& to,
                            const std::string& public_url, Instant now);

/// Chinese names agents and officials read: 临时救助, 特急, 求助, ...
std::string category_zh(const std::string& id);
std::string urgency_zh(const std::string& id);
std::string request_type_zh(const std::string& id);

}  // namespace assist
