#include "routing/tickets/ticket.h"

#include <charconv>
#include <climits>
#include <cmath>
#include <sstream>

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
          {"skipped_ms", e.skipped.count()}, {"supervisor_told", e.supervisor_told}};
}
ClockEscalation esc_from(const nlohmann::json& j) {
  ClockEscalation e;
  e.level = j.value("level", "");
  e.acknowledged = j.value("acknowledged", false);
  e.warned = j.value("warned", false);
  e.breached = j.value("breached", false);
  e.skipped = Millis(j.value("skipped_ms", std::int64_t(0)));
  e.supervisor_told = j.value("supervisor_told", false);
  return e;
}
std::int64_t ms(Instant t) { return t.time_since_epoch().count(); }
Instant at(std::int64_t v) { return Instant(Millis(v)); }
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
  // The members every ticket has, then the others only when they differ from what from_record assumes
  // when they are missing: a new call's record is a third of the full one, and cheaper to make and write.
  nlohmann::json j = {{"id", t.id},
                      {"category", t.category},
                      {"request_type", t.request_type},
                      {"urgency", t.urgency},
                      {"status", t.status},
                      {"opened_at", ms(t.opened_at)},
                      {"first_response_due", ms(t.first_response_due)},
                      {"resolution_due", ms(t.resolution_due)},
                      {"updated_at", ms(t.updated_at)}};
  auto text = [&](const char* key, const std::string& v, const char* dflt = "") {
    if (v != dflt) j[key] = v;
  };
  auto flag = [&](const char* key, bool v) {
    if (v) j[key] = true;
  };
  auto when = [&](const char* key, const std::optional<Instant>& v) {
    if (v) j[key] = ms(*v);
  };
  auto span = [&](const char* key, Millis v) {
    if (v.count() != 0) j[key] = v.count();
  };
  auto list = [&](const char* key, const nlohmann::json& v) {  // read back as [] when missing
    if (!(v.is_array() && v.empty())) j[key] = v;
  };
  auto doc = [&](const char* key, const nlohmann::json& v) {  // read back as null when missing
    if (!v.is_null()) j[key] = v;
  };
  auto esc = [&](const char* key, const ClockEscalation& e) {
    if (!(e == ClockEscalation{})) j[key] = esc_json(e);
  };
  text("call_id", t.call_id);
  text("caller", t.caller);
  if (t.confidence != 0) j["confidence"] = t.confidence;
  if (!t.reasons.empty()) j["reasons"] = reasons_json(t.reasons);
  text("language", t.language, "zh");
  text("ivr_digits", t.ivr_digits);
  text("asr_text", t.asr_text);
  text("region_hint", t.region_hint);
  text("region_code", t.region_code);
  text("queue", t.queue);
  flag("confirmed", t.confirmed);
  flag("provisional", t.provisional);
  text("sla_rule", t.sla_rule);
  when("acknowledged_at", t.acknowledged_at);
  when("resolved_at", t.resolved_at);
  when("closed_at", t.closed_at);
  text("result", t.result);
  if (t.assignee) j["assignee"] = assignee_json(t.assignee);
  flag("dispatch_gap", t.dispatch_gap);
  esc("first_response_escalation", t.first_response_esc);
  esc("resolution_escalation", t.resolution_esc);
  if (t.call_count != 1) j["call_count"] = t.call_count;
  if (!t.flags.empty()) j["flags"] = t.flags;
  text("policy_version", t.policy_version);
  text("business_hours", t.business_hours);
  text("channel", t.channel);
  if (t.resolution_base() != t.resolution_due) j["resolution_due_base"] = ms(t.resolution_base());
  when("paused_since", t.paused_since);
  span("paused_total_ms", t.paused_total);
  span("extended_total_ms", t.extended_total);
  flag("contact_failed", t.contact_failed);
  list("extensions", t.extensions);
  when("office_since", t.office_since);
  when("raised_at", t.raised_at);
  text("raised_from", t.raised_from);
  when("office_first_response_due", t.office_first_response_due);
  when("office_resolution_due", t.office_resolution_due);
  span("office_shift_ms", t.office_shift);
  if (t.office_round != 1) j["office_round"] = t.office_round;
  flag("returned", t.returned);
  list("offices", t.offices);
  text("merged_into", t.merged_into);
  if (!t.merged_from.empty()) j["merged_from"] = t.merged_from;
  doc("resolution", t.resolution);
  doc("revisit", t.revisit);
  doc("ladder", t.ladder);
  flag("review", t.review);
  list("emergency_transfers", t.emergency_transfers);
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
  t.reasons = reasons_from_json(j.value("reasons", nlohmann::json::array()));
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
  t.policy_version = j.value("policy_version", "");
  t.business_hours = j.value("business_hours", "");
  t.channel = j.value("channel", "");
  t.resolution_due_base = at(j.value("resolution_due_base", ms(t.resolution_due)));
  t.paused_since = opt_at(j.value("paused_since", nlohmann::json()));
  t.paused_total = Millis(j.value("paused_total_ms", std::int64_t(0)));
  t.extended_total = Millis(j.value("extended_total_ms", std::int64_t(0)));
  t.contact_failed = j.value("contact_failed", false);
  t.extensions = j.value("extensions", nlohmann::json::array());
  t.office_since = opt_at(j.value("office_since", nlohmann::json()));
  t.raised_at = opt_at(j.value("raised_at", nlohmann::json()));
  t.raised_from = j.value("raised_from", "");
  t.office_first_response_due = opt_at(j.value("office_first_response_due", nlohmann::json()));
  t.office_resolution_due = opt_at(j.value("office_resolution_due", nlohmann::json()));
  t.office_shift = Millis(j.value("office_shift_ms", std::int64_t(0)));
  t.office_round = j.value("office_round", 1);
  t.returned = j.value("returned", false);
  t.offices = j.value("offices", nlohmann::json::array());
  t.merged_into = j.value("merged_into", "");
  t.merged_from = j.value("merged_from", std::vector<std::string>{});
  t.resolution = j.value("resolution", nlohmann::json());
  t.revisit = j.value("revisit", nlohmann::json());
  t.ladder = j.value("ladder", nlohmann::json());
  t.review = j.value("review", false);
  t.emergency_transfers = j.value("emergency_transfers", nlohmann::json::array());
  return t;
}

nlohmann::json to_api(const Ticket& t, Instant now) {
  auto left = [&](Instant due) { return std::chrono::duration_cast<std::chrono::seconds>(due - now).count(); };
  nlohmann::json j = {
      {"id", t.id}, {"call_id", t.call_id}, {"caller", mask_number(t.caller)}, {"category", t.category},
      {"request_type", t.request_type}, {"urgency", t.urgency}, {"confidence", t.confidence},
      {"reasons", reasons_json(t.reasons)}, {"language", t.language}, {"ivr_digits", t.ivr_digits},
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
      {"raised_at", opt_time(t.raised_at)},
      {"raised_from", t.raised_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.raised_from)},
      {"first_response_seconds_left", t.acknowledged_at || t.terminal() ? nlohmann::json(nullptr) : nlohmann::json(left(t.first_response_due))},
      {"resolution_seconds_left", t.terminal() ? nlohmann::json(nullptr) : nlohmann::json(left(t.resolution_due))}};
  // Issue 5: each clock with its due moment, what is left, how much of it is used, whether it is paused
  // or breached. A stopped clock (met, or the ticket ended) counts to the moment it stopped.
  const auto ended = t.resolved_at ? t.resolved_at : t.closed_at;
  auto clock_json = [&](Instant start, Instant due, Millis paused_before, std::optional<Instant> paused,
                        std::optional<Instant> stopped, bool esc_breached) {
    Instant ref = stopped ? *stopped : (paused ? *paused : now);
    if (stopped && paused && *paused < *stopped) ref = *paused;
    const auto total = (due - start) - paused_before;
    const auto remaining = due - ref;
    double ratio = total.count() > 0 ? 1.0 - double(remaining.count()) / double(total.count()) : 1.0;
    if (ratio < 0) ratio = 0;
    return nlohmann::json{{"start", format_rfc3339(start)},
                          {"due", format_rfc3339(due)},
                          {"remaining_seconds", std::chrono::duration_cast<std::chrono::seconds>(remaining).count()},
                          {"elapsed_ratio", std::round(ratio * 10000.0) / 10000.0},
                          {"paused", paused.has_value() && !stopped},
                          {"running", !stopped && !paused},
                          {"stopped_at", opt_time(stopped)},
                          {"breached", esc_breached || ref > due}};
  };
  nlohmann::json clocks;
  {
    auto stopped = t.acknowledged_at ? t.acknowledged_at : ended;
    if (t.status == "merged" || t.status == "cancelled") stopped = t.closed_at ? t.closed_at : std::optional<Instant>(t.updated_at);
    clocks["first_response"] = clock_json(t.office_start(), t.office_first_due(), Millis(0), std::nullopt, stopped,
                                          t.first_response_esc.breached);
    clocks["first_response"]["office_round"] = t.office_round;
  }
  {
    auto stopped = ended;
    if (t.status == "merged" || t.status == "cancelled") stopped = t.closed_at ? t.closed_at : std::optional<Instant>(t.updated_at);
    clocks["resolution"] = clock_json(t.opened_at, t.resolution_due, t.paused_total, t.paused_since, stopped,
                                      t.resolution_esc.breached);
    clocks["resolution"]["base_due"] = format_rfc3339(t.resolution_base());
    clocks["resolution"]["paused_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(t.paused_total).count();
    clocks["resolution"]["extended_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(t.extended_total).count();
    if (t.office_since && t.office_resolution_due)
      clocks["office_resolution"] = clock_json(*t.office_since, *t.office_resolution_due, t.office_shift, t.paused_since,
                                               stopped, false);
    else
      clocks["office_resolution"] = nullptr;
  }
  j["clocks"] = clocks;
  j["paused"] = t.paused_since.has_value();
  j["paused_since"] = opt_time(t.paused_since);
  j["policy_version"] = t.policy_version;
  j["business_hours"] = t.business_hours;
  j["channel"] = t.channel.empty() ? "sip" : t.channel;
  j["resolution_due_base"] = format_rfc3339(t.resolution_base());
  j["extensions"] = t.extensions;
  j["office_since"] = opt_time(t.office_since);
  j["office_first_response_due"] = opt_time(t.office_first_response_due);
  j["office_resolution_due"] = opt_time(t.office_resolution_due);
  j["office_round"] = t.office_round;
  j["returned"] = t.returned;
  j["offices"] = t.offices;
  j["merged_into"] = t.merged_into.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.merged_into);
  j["merged_from"] = t.merged_from;
  j["resolution"] = t.resolution;
  j["revisit"] = t.revisit;
  j["review"] = t.review;
  j["emergency_transfers"] = t.emergency_transfers;
  j["contact_failed"] = t.contact_failed;
  return j;
}

namespace {
std::string esc_fields(const ClockEscalation& e) {
  return (e.level.empty() ? std::string("-") : e.level) + " " + (e.acknowledged ? "1" : "0") + " " +
         (e.warned ? "1" : "0") + " " + (e.breached ? "1" : "0") + " " + std::to_string(e.skipped.count());
}
std::int64_t opt_raw(const std::optional<Instant>& t) { return t ? ms(*t) : INT64_MIN; }
}  // namespace

std::string timer_fields(const Ticket& t) {
  std::string s = "v1 " + t.status + " " + t.urgency + " " + (t.confirmed ? "1" : "0") + " " + (t.assignee ? "1" : "0");
  for (std::int64_t v : {ms(t.opened_at), ms(t.first_response_due), ms(t.resolution_due), ms(t.resolution_base()),
                         opt_raw(t.acknowledged_at), opt_raw(t.office_since), opt_raw(t.office_first_response_due),
                         opt_raw(t.paused_since)})
    s += " " + std::to_string(v);
  s += std::string(" ") + (t.returned ? "1" : "0") + " " + (t.review ? "1" : "0") + " " + std::to_string(t.office_round);
  s += " " + esc_fields(t.first_response_esc) + " " + esc_fields(t.resolution_esc);
  return s;
}

bool read_timer_fields(std::string_view line, Ticket& t) {
  std::string_view tok[32];
  size_t n = 0, i = 0;
  while (i < line.size() && n < 32) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) tok[n++] = line.substr(i, j - i);
    i = j;
  }
  if (n != 26 || tok[0] != "v1") return false;
  auto num = [&](size_t k, std::int64_t& v) {
    auto [p, ec] = std::from_chars(tok[k].data(), tok[k].data() + tok[k].size(), v);
    return ec == std::errc() && p == tok[k].data() + tok[k].size();
  };
  std::int64_t v[20];
  for (size_t k = 5; k <= 15; ++k)
    if (!num(k, v[k])) return false;
  auto opt = [](std::int64_t x) { return x == INT64_MIN ? std::optional<Instant>() : std::optional<Instant>(at(x)); };
  t.status = std::string(tok[1]);
  t.urgency = std::string(tok[2]);
  t.confirmed = tok[3] == "1";
  if (tok[4] == "1") t.assignee = Assignee{};
  else t.assignee.reset();
  t.opened_at = at(v[5]);
  t.first_response_due = at(v[6]);
  t.resolution_due = at(v[7]);
  t.resolution_due_base = at(v[8]);
  t.acknowledged_at = opt(v[9]);
  t.office_since = opt(v[10]);
  t.office_first_response_due = opt(v[11]);
  t.paused_since = opt(v[12]);
  t.returned = v[13] == 1;
  t.review = v[14] == 1;
  t.office_round = int(v[15]);
  auto esc = [&](size_t k, ClockEscalation& e) {
    std::int64_t skipped = 0;
    if (!num(k + 4, skipped)) return false;
    e.level = tok[k] == "-" ? "" : std::string(tok[k]);
    e.acknowledged = tok[k + 1] == "1";
    e.warned = tok[k + 2] == "1";
    e.breached = tok[k + 3] == "1";
    e.skipped = Millis(skipped);
    return true;
  };
  return esc(16, t.first_response_esc) && esc(21, t.resolution_esc);
}

std::string sip_priority(const std::string& urgency) {
  if (urgency == "critical") return "emergency";
  if (urgency == "urgent") return "urgent";
  return "normal";
}

}  // namespace assist
