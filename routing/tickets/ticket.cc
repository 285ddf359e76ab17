#include "routing/tickets/ticket.h"

#include "routing/common/mask.h"
#include "routing/common/time_format.h"

namespace assist {
namespace {

int level_rank(const std::string& l) {
  if (l == "township") return 1;
  if (l == "county") return 2;
  if (l == "league") return 3;
  return 0;
}

nlohmann::json esc_json(const ClockEscalation& e) {
  return {{"level", e.level}, {"acknowledged", e.acknowledged}, {"warned", e.warned}, {"breached", e.breached},
          {"skipped_ms", e.skipped.count()}};
}
ClockEscalation esc_from(const nlohmann::json& j) {
  ClockEscalation e;
  e.level = j.value("level", "");
  e.acknowledged = j.value("acknowledged", false);
  e.warned = j.value("warned", false);
  e.breached = j.value("breached", false);
  e.skipped = Millis(j.value("skipped_ms", std::int64_t(0)));
  return e;
}
std::int64_t ms(Instant t) { return t.time_since_epoch().count(); }
Instant at(std::int64_t v) { return Instant(Millis(v)); }
nlohmann::json opt_ms(const std::optional<Instant>& t) { return t ? nlohmann::json(ms(*t)) : nlohmann::json(nullptr); }
std::optional<Instant> opt_at(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  return at(j.get<std::int64_t>());
}
nlohmann::json opt_time(const std::optional<Instant>& t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}
nlohmann::json assignee_json(const std::optional<Assignee>& a) {
  if (!a) return nullptr;
  return {{"name", a->name}, {"region", a->region}, {"level", a->level}, {"role", a->role}, {"department", a->department}};
}

}  // namespace

bool Ticket::terminal() const {
  return status == "resolved" || status == "closed" || status == "cancelled" || status == "merged";
}

std::string Ticket::escalation_level() const {
  return level_rank(first_response_esc.level) >= level_rank(resolution_esc.level) ? first_response_esc.level
                                                                                   : resolution_esc.level;
}

nlohmann::json to_record(const Ticket& t) {
  std::optional<Assignee> a = t.assignee;
  nlohmann::json j = {
      {"id", t.id}, {"call_id", t.call_id}, {"caller", t.caller}, {"category", t.category},
      {"request_type", t.request_type}, {"urgency", t.urgency}, {"confidence", t.confidence},
      {"reasons", t.reasons}, {"language", t.language}, {"ivr_digits", t.ivr_digits}, {"asr_text", t.asr_text},
      {"region_hint", t.region_hint}, {"region_code", t.region_code}, {"queue", t.queue},
      {"confirmed", t.confirmed}, {"status", t.status}, {"opened_at", ms(t.opened_at)},
      {"first_response_due", ms(t.first_response_due)}, {"resolution_due", ms(t.resolution_due)},
      {"provisional", t.provisional}, {"sla_rule", t.sla_rule}, {"acknowledged_at", opt_ms(t.acknowledged_at)},
      {"resolved_at", opt_ms(t.resolved_at)}, {"closed_at", opt_ms(t.closed_at)}, {"result", t.result},
      {"assignee", assignee_json(a)}, {"dispatch_gap", t.dispatch_gap},
      {"first_response_escalation", esc_json(t.first_response_esc)},
      {"resolution_escalation", esc_json(t.resolution_esc)}, {"call_count", t.call_count}, {"flags", t.flags},
      {"updated_at", ms(t.updated_at)}};
  return j;
}

Ticket from_record(const nlohmann::json& j) {
  Ticket t;
  t.id = j.at("id");
  t.call_id = j.value("call_id", "");
  t.caller = j.value("caller", "");
  t.category = j.at("category");
  t.request_type = j.at("request_type");
  t.urgency = j.at("urgency");
  t.confidence = j.value("confidence", 0.0);
  t.reasons = j.value("reasons", nlohmann::json::array());
  t.language = j.value("language", "zh");
  t.ivr_digits = j.value("ivr_digits", "");
  t.asr_text = j.value("asr_text", "");
  t.region_hint = j.value("region_hint", "");
  t.region_code = j.value("region_code", "");
  t.queue = j.value("queue", "");
  t.confirmed = j.value("confirmed", false);
  t.status = j.at("status");
  t.opened_at = at(j.at("opened_at"));
  t.first_response_due = at(j.at("first_response_due"));
  t.resolution_due = at(j.at("resolution_due"));
  t.provisional = j.value("provisional", false);
  t.sla_rule = j.value("sla_rule", "");
  t.acknowledged_at = opt_at(j.value("acknowledged_at", nlohmann::json()));
  t.resolved_at = opt_at(j.value("resolved_at", nlohmann::json()));
  t.closed_at = opt_at(j.value("closed_at", nlohmann::json()));
  t.result = j.value("result", "");
  if (j.contains("assignee") && !j["assignee"].is_null()) {
    const auto& a = j["assignee"];
    t.assignee = Assignee{a.value("name", ""), a.value("region", ""), a.value("level", ""), a.value("role", ""),
                          a.value("department", "")};
  }
  t.dispatch_gap = j.value("dispatch_gap", false);
  t.first_response_esc = esc_from(j.value("first_response_escalation", nlohmann::json::object()));
  t.resolution_esc = esc_from(j.value("resolution_escalation", nlohmann::json::object()));
  t.call_count = j.value("call_count", 1);
  t.flags = j.value("flags", std::vector<std::string>{});
  t.updated_at = at(j.value("updated_at", std::int64_t(0)));
  return t;
}

nlohmann::json to_api(const Ticket& t, Instant now) {
  auto left = [&](Instant due) { return std::chrono::duration_cast<std::chrono::seconds>(due - now).count(); };
  nlohmann::json j = {
      {"id", t.id}, {"call_id", t.call_id}, {"caller", mask_number(t.caller)}, {"category", t.category},
      {"request_type", t.request_type}, {"urgency", t.urgency}, {"confidence", t.confidence},
      {"reasons", t.reasons}, {"language", t.language}, {"ivr_digits", t.ivr_digits},
      {"asr_text", mask_numbers_in_text(t.asr_text)}, {"region_hint", t.region_hint},
      {"region_code", t.region_code}, {"queue", t.queue}, {"confirmed", t.confirmed}, {"status", t.status},
      {"opened_at", format_rfc3339(t.opened_at)}, {"first_response_due", format_rfc3339(t.first_response_due)},
      {"resolution_due", format_rfc3339(t.resolution_due)}, {"provisional", t.provisional},
      {"sla_rule", t.sla_rule}, {"acknowledged_at", opt_time(t.acknowledged_at)},
      {"resolved_at", opt_time(t.resolved_at)}, {"closed_at", opt_time(t.closed_at)}, {"result", t.result},
      {"assignee", assignee_json(t.assignee)}, {"dispatch_gap", t.dispatch_gap},
      {"escalation_level", t.escalation_level().empty() ? nlohmann::json(nullptr) : nlohmann::json(t.escalation_level())},
      {"escalation", {{"first_response", esc_json(t.first_response_esc)}, {"resolution", esc_json(t.resolution_esc)}}},
      {"call_count", t.call_count}, {"flags", t.flags}, {"updated_at", format_rfc3339(t.updated_at)},
      {"first_response_seconds_left", t.acknowledged_at || t.terminal() ? nlohmann::json(nullptr) : nlohmann::json(left(t.first_response_due))},
      {"resolution_seconds_left", t.terminal() ? nlohmann::json(nullptr) : nlohmann::json(left(t.resolution_due))}};
  return j;
}

std::string sip_priority(const std::string& urgency) {
  if (urgency == "critical") return "emergency";
  if (urgency == "urgent") return "urgent";
  return "normal";
}

}  // namespace assist
