#include "routing/tickets/ticket_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "routing/common/mask.h"
#include "routing/common/time_format.h"
#include "routing/dispatch/regions.h"
#include "routing/escalation/messages.h"

namespace assist {
namespace {

const std::vector<std::string> kCategories = {
    "minimum_living_allowance", "extreme_poverty_support", "temporary_assistance", "medical_assistance",
    "education_assistance",     "housing_assistance",      "employment_assistance", "disaster_relief",
    "care_services",            "stranded_person",         "hardship_report",      "not_social_assistance"};
const std::vector<std::string> kRequestTypes = {"consult", "help", "complaint", "report", "suggestion"};
const std::vector<std::string> kUrgencies = {"critical", "urgent", "normal"};
const std::vector<std::string> kEvents = {"confirm", "acknowledge", "start", "contact_attempt", "note",
                                          "transfer_emergency", "resolve", "close", "cancel"};

bool one_of(const std::string& v, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

std::string text_field(const nlohmann::json& ev, const char* key, size_t max = 4000) {
  if (!ev.contains(key) || ev[key].is_null()) return "";
  if (!ev[key].is_string()) throw EventError(400, "bad_field", std::string(key) + " must be a string", key);
  std::string v = ev[key];
  if (v.size() > max) throw EventError(400, "bad_field", std::string(key) + " is too long", key);
  return v;
}

std::string label_field(const nlohmann::json& ev, const char* key, const std::vector<std::string>& set) {
  const std::string v = text_field(ev, key, 64);
  if (!v.empty() && !one_of(v, set)) throw EventError(400, "bad_label", std::string(key) + ": unknown id '" + v + "'", key);
  return v;
}

void recompute(Ticket& t, const SlaPolicy& policy) {
  const auto d = policy.compute(t.opened_at, t.category, t.request_type, t.urgency,
                                t.region_code.empty() ? t.region_hint : t.region_code);
  t.first_response_due = d.first_response_due;
  t.resolution_due = d.resolution_due;
  t.provisional = d.provisional;
  t.sla_rule = d.rule;
  if (d.provisional)
    spdlog::warn("ALERT provisional deadline: ticket {} needs a calendar year that is not loaded; "
                 "computed on weekdays only (add ops/calendars/cn-YYYY.yaml)", t.id);
}

}  // namespace

std::vector<std::string> allowed_events(const Ticket& t) {
  if (t.status == "open" && !t.confirmed) return {"confirm", "contact_attempt", "note", "transfer_emergency", "cancel"};
  if (t.status == "open") return {"confirm", "acknowledge", "contact_attempt", "note", "transfer_emergency", "cancel"};
  if (t.status == "acknowledged") return {"confirm", "start", "contact_attempt", "note", "transfer_emergency", "resolve", "cancel"};
  if (t.status == "in_progress") return {"confirm", "contact_attempt", "note", "transfer_emergency", "resolve"};
  if (t.status == "resolved") return {"note", "close"};
  return {"note"};
}

TicketService::TicketService(TicketStore& store, const Clock& clock, std::shared_ptr<const SlaPolicy> policy,
                             Directory directory, EscalationEngine& engine, std::string instance,
                             std::string public_url)
    : store_(store), clock_(clock), policy_(std::move(policy)), directory_(std::move(directory)), engine_(engine),
      instance_(std::move(instance)), public_url_(std::move(public_url)) {}

Ticket TicketService::open_for_call(const CallFacts& facts, const Classification& c, const std::string& queue) {
  const Instant now = clock_.now();
  Ticket out;
  bool joined = false;
  store_.transact([&](WriteTx& tx) {
    if (!facts.caller.empty()) {
      if (auto open = tx.open_for_caller(facts.caller, c.category)) {
        // 并单: a repeat call in the same category joins the caller's open ticket.
        Ticket t = *open;
        ++t.call_count;
        if (tx.calls_since(facts.caller, now - std::chrono::hours(24)) >= 2 &&
            !one_of("repeat_caller", t.flags))
          t.flags.push_back("repeat_caller");
        t.updated_at = now;
        tx.put(t);
        tx.link_call(facts.call_id, t.id, facts.caller, now);
        tx.event(t.id, "call_joined", "system", "", {{"call_id", facts.call_id}}, now);
        out = t;
        joined = true;
        return;
      }
    }
    Ticket t;
    const auto day = shanghai_date(now);
    char id[64];
    std::snprintf(id, sizeof id, "%s-%04d%02u%02u-%06lld", instance_.c_str(), int(day.year()), unsigned(day.month()),
                  unsigned(day.day()), static_cast<long long>(tx.next_sequence("ticket")));
    t.id = id;
    t.call_id = facts.call_id;
    t.caller = facts.caller;
    t.category = c.category;
    t.request_type = c.request_type;
    t.urgency = c.urgency;
    t.confidence = c.confidence;
    t.reasons = nlohmann::json::array();
    for (const auto& r : c.reasons)
      t.reasons.push_back({{"rule", r.rule}, {"cue", r.cue}, {"label", r.label}, {"clause", r.clause}, {"weight", r.weight}});
    t.language = c.language;
    t.ivr_digits = facts.ivr_digits;
    t.asr_text = facts.asr_text;
    t.region_hint = facts.region_hint;
    t.queue = queue;
    t.opened_at = now;
    t.updated_at = now;
    if (c.category == "hardship_report") t.flags.push_back("third_party_report");
    if (!facts.caller.empty() && tx.calls_since(facts.caller, now - std::chrono::hours(24)) >= 2)
      t.flags.push_back("repeat_caller");
    recompute(t, *policy_);
    tx.put(t);
    tx.link_call(facts.call_id, t.id, facts.caller, now);
    tx.event(t.id, "opened", "system", "",
             {{"call_id", facts.call_id}, {"category", t.category}, {"request_type", t.request_type},
              {"urgency", t.urgency}, {"confidence", t.confidence}, {"sla_rule", t.sla_rule}},
             now);
    out = t;
  });
  engine_.track(out);
  if (listener_) listener_(out, joined ? "changed" : "opened");
  return out;
}

void TicketService::dispatch(WriteTx& tx, Ticket& t, Instant now, std::vector<OutboxMessage>& sent) {
  const std::string place = t.region_code;
  if (place.empty()) {
    t.dispatch_gap = true;
    t.assignee.reset();
    spdlog::warn("dispatch gap: ticket {} confirmed with no place (no region_code and no region hint)", t.id);
    tx.event(t.id, "dispatch_gap", "system", "no place of the trouble", nlohmann::json::object(), now);
    return;
  }
  const auto office = directory_.office_for(place, department_of(t.category), t.request_type);
  if (!office) {
    t.dispatch_gap = true;
    t.assignee.reset();  // the previous office was not told of the move: it no longer holds the ticket
    spdlog::warn("dispatch gap: ticket {}: no office or township window in the directory for {} ({})", t.id, place,
                 department_of(t.category));
    tx.event(t.id, "dispatch_gap", "system", "no office for " + place, {{"region_code", place}}, now);
    return;
  }
  Assignee a{office->name, office->region, office->level, office->role, office->department};
  t.dispatch_gap = false;
  if (t.assignee && *t.assignee == a) return;  // same office: a repeated confirm does not dispatch again
  // A changed place or department dispatches again, under a new id.
  int n = 1;
  while (tx.message(message_id(t.id, "dispatch", "office", "dispatched") + (n == 1 ? "" : "-" + std::to_string(n))))
    ++n;
  const std::string id = message_id(t.id, "dispatch", "office", "dispatched") + (n == 1 ? "" : "-" + std::to_string(n));
  t.assignee = a;
  auto m = build_message(t, id, "dispatch", "office", "dispatched", *office, public_url_, now);
  if (tx.enqueue(m)) {
    sent.push_back(m);
    tx.event(t.id, "dispatch", "system", m.body["text"].get<std::string>(), {{"message_id", id}, {"to", office->name}}, now);
  }
}

Ticket TicketService::apply(const std::string& id, const nlohmann::json& ev) {
  if (!ev.is_object()) throw EventError(400, "bad_body", "the body must be a JSON object");
  if (!ev.contains("type") || !ev["type"].is_string())
    throw EventError(400, "missing_field", "type is required (one of the event types)", "type");
  const std::string type = ev["type"];
  if (!one_of(type, kEvents)) {
    std::string list;
    for (const auto& e : kEvents) list += (list.empty() ? "" : ", ") + e;
    throw EventError(400, "unknown_event", "unknown event type '" + type + "'; supported: " + list, "type");
  }
  const std::string by = text_field(ev, "by", 200);
  const std::string note = text_field(ev, "note");
  const Instant now = clock_.now();
  Ticket out;
  std::vector<OutboxMessage> sent;
  store_.transact([&](WriteTx& tx) {
    auto found = tx.get(id);
    if (!found) throw EventError(404, "not_found", "no ticket " + id);
    Ticket t = *found;
    const auto allowed = allowed_events(t);
    if (type == "acknowledge" && t.status == "open" && !t.confirmed)
      throw EventError(409, "not_confirmed", "the ticket must be confirmed before the office signs it off", "type",
                       allowed);
    if (!one_of(type, allowed))
      throw EventError(409, "not_allowed", "'" + type + "' is not allowed while the ticket is " + t.status, "type", allowed);
    nlohmann::json body = nlohmann::json::object();
    if (type == "confirm") {
      const auto category = label_field(ev, "category", kCategories);
      const auto request_type = label_field(ev, "request_type", kRequestTypes);
      const auto urgency = label_field(ev, "urgency", kUrgencies);
      const auto region = text_field(ev, "region_code", 12);
      if (!region.empty() && (region.find_first_not_of("0123456789") != std::string::npos ||
                              (region.size() != 6 && region.size() != 9 && region.size() != 12)))
        throw EventError(400, "bad_region", "region_code must be a 6, 9 or 12-digit division code", "region_code");
      if (!region.empty() && !Regions::builtin().known(region))
        throw EventError(400, "unknown_region", "region_code " + region + " is not a known division", "region_code");
      body = {{"before", {{"category", t.category}, {"request_type", t.request_type}, {"urgency", t.urgency}}}};
      if (!category.empty()) t.category = category;
      if (!request_type.empty()) t.request_type = request_type;
      if (!urgency.empty()) t.urgency = urgency;
      t.region_code = !region.empty() ? region : (t.region_code.empty() ? t.region_hint : t.region_code);
      t.confirmed = true;
      body["after"] = {{"category", t.category}, {"request_type", t.request_type}, {"urgency", t.urgency},
                       {"region_code", t.region_code}};
      recompute(t, *policy_);  // from the same opening instant
    } else if (type == "acknowledge") {
      t.status = "acknowledged";
      t.acknowledged_at = now;
    } else if (type == "start") {
      t.status = "in_progress";
    } else if (type == "contact_attempt") {
      if (!ev.contains("reached") || !ev["reached"].is_boolean())
        throw EventError(400, "missing_field", "reached (true or false) is required", "reached");
      body = {{"reached", ev["reached"]}};
    } else if (type == "transfer_emergency") {
      const std::string to = text_field(ev, "to", 16);
      if (to != "110" && to != "119" && to != "120" && to != "12356")
        throw EventError(400, "bad_field", "to must be 110, 119, 120 or 12356", "to");
      body = {{"to", to}, {"taken_by", text_field(ev, "taken_by", 200)}};
    } else if (type == "resolve") {
      if (!t.acknowledged_at)
        throw EventError(409, "not_acknowledged", "the office must sign the ticket off before resolving it", "type", allowed);
      const std::string result = text_field(ev, "result");
      if (result.empty()) throw EventError(400, "missing_field", "result is required (the resolution standard's result)", "result");
      t.result = result;
      t.status = "resolved";
      t.resolved_at = now;
    } else if (type == "close") {
      t.status = "closed";
      t.closed_at = now;
      body = {{"revisit", text_field(ev, "revisit")}};
    } else if (type == "cancel") {
      t.status = "cancelled";
      t.closed_at = now;
    }
    t.updated_at = now;
    tx.event(t.id, type, by, mask_numbers_in_text(note), body, now);
    // the dispatch a confirmation causes follows it in the history
    if (type == "confirm" && t.category != "not_social_assistance") dispatch(tx, t, now, sent);
    tx.put(t);
    out = t;
  });
  engine_.track(out);
  if (listener_) listener_(out, "changed");
  for (const auto& m : sent)
    spdlog::info("dispatch {} -> {} ({})", out.id, m.body["to"]["name"].get<std::string>(), m.body["place"].get<std::string>());
  return out;
}

OutboxMessage TicketService::acknowledge_escalation(const std::string& message_id, const nlohmann::json& body) {
  if (!body.is_object()) throw EventError(400, "bad_body", "the body must be a JSON object");
  const std::string by = text_field(body, "by", 200);
  const std::string responder = text_field(body, "responder", 200);
  const std::string eta = text_field(body, "eta", 64);
  if (by.empty()) throw EventError(400, "missing_field", "by (who acknowledges) is required", "by");
  if (!eta.empty() && !parse_rfc3339(eta)) throw EventError(400, "bad_field", "eta must be an RFC 3339 time", "eta");
  const Instant now = clock_.now();
  OutboxMessage out;
  Ticket changed;
  store_.transact([&](WriteTx& tx) {
    auto m = tx.message(message_id);
    if (!m) throw EventError(404, "not_found", "no message " + message_id);
    if (m->kind != "escalation") throw EventError(409, "not_escalation", "message " + message_id + " is not an escalation");
    auto t = tx.get(m->ticket_id);
    if (!t) throw EventError(404, "not_found", "no ticket " + m->ticket_id);
    ClockEscalation& esc = m->reason.starts_with("first_response") ? t->first_response_esc : t->resolution_esc;
    esc.acknowledged = true;
    if (m->acknowledged_by.empty()) m->acknowledged_by = by;
    tx.update_message(*m);
    t->updated_at = now;
    tx.put(*t);
    tx.event(t->id, "escalation_acknowledged", by, "",
             {{"message_id", message_id}, {"level", m->level}, {"responder", responder}, {"eta", eta}}, now);
    out = *m;
    changed = *t;
  });
  engine_.track(changed);
  if (listener_) listener_(changed, "changed");
  return out;
}

}  // namespace assist
