#include "routing/tickets/ticket_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "routing/classify/utf8.h"
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
                                          "transfer_emergency", "wait_on_caller", "resume", "extend", "return",
                                          "reassign", "merge", "resolve", "close", "cancel", "case_by_case"};

bool one_of(const std::string& v, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// Free text people type (names, reasons, results): phone, ID and bank numbers in it are masked before it is
// stored or shown (PIPL; DESIGN "Privacy"). Codes and times (region_code, duration, eta, to) are not free text.
bool free_text_key(std::string_view key) {
  for (const char* k : {"by", "note", "taken_by", "reason", "decision", "approved_by", "result", "responder",
                        "summary", "finding", "outcome", "record", "revisit"})
    if (key == k) return true;
  return false;
}

// A control character other than tab and line breaks: C0 (NUL, ESC...), DEL, C1 (U+0080-U+009F: an 8-bit
// CSI is a terminal escape, U+0085 a line break of its own), the line and paragraph separators U+2028/2029
// (line breaks too, unlike \n unknown to most readers), the Arabic letter mark U+061C and the bidi
// embeddings, overrides, isolates and deprecated format characters (U+202A-U+202E, U+2066-U+206F) that make a
// note read in another order than it was written. Text a person typed has none; a NUL would cut it short in
// a log line or a message.
bool has_control(std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (utf8::control_at(v, i) > 0 && c != '\t' && c != '\n' && c != '\r') return true;
    const auto next = [&](std::size_t k) { return i + k < v.size() ? static_cast<unsigned char>(v[i + k]) : 0; };
    if (c == 0xE2 && next(1) == 0x80 && next(2) >= 0xA8 && next(2) <= 0xAE) return true;
    if (c == 0xE2 && next(1) == 0x81 && next(2) >= 0xA6 && next(2) <= 0xAF) return true;
    if (c == 0xD8 && next(1) == 0x9C) return true;
  }
  return false;
}

std::string text_field(const nlohmann::json& ev, const char* key, size_t max = 4000) {
  if (!ev.contains(key) || ev[key].is_null()) return "";
  if (!ev[key].is_string()) throw EventError(400, "bad_field", std::string(key) + " must be a string", key);
  std::string v = ev[key];
  if (v.size() > max) throw EventError(400, "bad_field", std::string(key) + " is too long", key);
  if (has_control(v))
    throw EventError(400, "bad_field", std::string(key) + " holds a control character (only tab and line breaks)", key);
  return free_text_key(key) ? mask_numbers_in_text(v) : v;
}

std::string label_field(const nlohmann::json& ev, const char* key, const std::vector<std::string>& set) {
  const std::string v = text_field(ev, key, 64);
  if (!v.empty() && !one_of(v, set)) throw EventError(400, "bad_label", std::string(key) + ": unknown id '" + v + "'", key);
  return v;
}

// The fields each event type reads besides type, by, note and child_alone (DESIGN "HTTP API"). Anything
// else is refused by name: a misspelt field ("reson") would otherwise be dropped without a word.
// Every resolution standard's fields (resolution_standard): what `resolve` may carry.
const std::vector<std::string> kStandardFields = {"given",  "fund",     "approved_by",  "outcome",        "finding",
                                                  "caller_told", "answer", "accepted", "visit_booked", "time_limit_told"};

const std::vector<std::string>& event_fields(const std::string& type) {
  static const std::vector<std::string> none;
  static const std::map<std::string, std::vector<std::string>, std::less<>> fields = {
      {"confirm", {"category", "request_type", "urgency", "region_code"}},
      {"contact_attempt", {"reached"}},
      {"extend", {"duration", "reason", "approved_by"}},
      {"return", {"reason"}},
      {"reassign", {"region_code", "department", "office", "reason"}},
      {"merge", {"into"}},
      {"case_by_case", {"reason", "decision"}},
      {"transfer_emergency", {"to", "taken_by", "at"}},
      // the standard's fields go in `resolution`, or beside it as the older form had them
      {"resolve", [] {
         std::vector<std::string> f = {"resolution", "result"};
         f.insert(f.end(), kStandardFields.begin(), kStandardFields.end());
         return f;
       }()},
      {"close", {"revisit"}}};
  const auto it = fields.find(type);
  return it == fields.end() ? none : it->second;
}

// Refuses a key of `obj` that is neither common to every event (with `common`) nor one of `own`, by name
// (numbers in it masked); `where` prefixes the name of a nested object's keys ("resolution.").
void check_fields(const nlohmann::json& obj, const std::vector<std::string>& own, const std::string& where,
                  bool common) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();
    if (common && (k == "type" || k == "by" || k == "note" || k == "child_alone")) continue;
    if (std::find(own.begin(), own.end(), k) != own.end()) continue;
    std::string list = common ? "type, by, note, child_alone" : "";
    for (const auto& f : own) list += (list.empty() ? "" : ", ") + f;
    throw EventError(400, "unknown_field",
                     "unknown field '" + where + mask_numbers_in_text(k.substr(0, 64)) + "' (the fields are " + list + ")",
                     where + mask_numbers_in_text(k.substr(0, 64)));
  }
}

// The policy's deadlines for `t`, keeping what the ticket's history added: pauses and extensions move
// the resolution deadline; a reassigned office's clock counts from its own start.
// A division code given through the API: "" (none), or 6, 9 or 12 digits; `known`: in the region table.
void check_division(const std::string& region, const char* field, bool known) {
  if (region.empty()) return;
  if (region.find_first_not_of("0123456789") != std::string::npos ||
      (region.size() != 6 && region.size() != 9 && region.size() != 12))
    throw EventError(400, "bad_region", std::string(field) + " must be a 6, 9 or 12-digit division code", field);
  if (known && !Regions::builtin().known(region))
    throw EventError(400, "unknown_region", std::string(field) + " " + region + " is not a known division", field);
}

// The office that must act: the ticket's place, else the call's region hint. Its days off and office hours
// count the deadlines (issue 5).
std::string place_of(const Ticket& t) { return t.region_code.empty() ? t.region_hint : t.region_code; }

/// Ends a pause (waiting on the caller) at `now`: the resolution deadlines move by exactly the paused wall
/// time, whatever the calendar did meanwhile, and the ticket is in progress again. `t.paused_since` is set.
void end_pause(Ticket& t, Instant now) {
  const Millis paused = now - *t.paused_since;
  t.resolution_due += paused;
  t.paused_total += paused;
  if (t.office_resolution_due) {
    *t.office_resolution_due += paused;
    t.office_shift += paused;
  }
  t.paused_since.reset();
  t.status = "in_progress";
}

void apply_policy(Ticket& t, const SlaPolicy& policy, bool alert = true) {
  const std::string place = place_of(t);
  auto d = policy.compute(t.opened_at, t.category, t.request_type, t.urgency, place);
  const Millis carried = t.paused_total + t.extended_total;  // pauses and extensions granted to the case
  if (t.raised_at && urgency_rank(t.urgency) >= urgency_rank(t.raised_from)) {
    t.raised_at.reset();  // an agent set the urgency back: the raise is over
    t.raised_from.clear();
  }
  if (t.raised_at) {
    // Still more urgent than before the raise: each deadline is the earlier of the opening's at the old
    // urgency (with the case's pauses and extensions) and the first raising call's at this urgency (without
    // them, as raise_urgency set it; counted from the first raise, so a later raise never moves it later)
    const auto before = policy.compute(t.opened_at, t.category, t.request_type, t.raised_from, place);
    d = policy.compute(*t.raised_at, t.category, t.request_type, t.urgency, place);
    const Instant first = std::min(d.first_response_due, before.first_response_due);
    if (!t.acknowledged_at) t.first_response_due = first;  // a met first response stays as it was
    t.resolution_due = std::min(d.resolution_due, before.resolution_due + carried);
    t.resolution_due_base = t.resolution_due - carried;
    d.provisional = d.provisional || before.provisional;
  } else {
    t.first_response_due = d.first_response_due;
    t.resolution_due_base = d.resolution_due;
    t.resolution_due = d.resolution_due + carried;
  }
  t.provisional = d.provisional;
  t.sla_rule = d.rule;
  t.policy_version = d.policy_version;
  t.business_hours = d.business_hours;
  if (t.office_since) {
    const auto od = policy.compute(*t.office_since, t.category, t.request_type, t.urgency, place);
    t.office_first_response_due = od.first_response_due;
    t.office_resolution_due = od.resolution_due + t.office_shift;
    t.provisional = t.provisional || od.provisional;
  }
  if (alert && t.provisional)
    spdlog::warn("ALERT provisional deadline: ticket {} needs a calendar year that is not loaded; "
                 "computed on weekdays only (add ops/calendars/cn-YYYY.yaml)", t.id);
}

}  // namespace

std::vector<std::string> allowed_events(const Ticket& t) {
  if (t.status == "open" && !t.confirmed)
    return {"confirm", "contact_attempt", "note", "transfer_emergency", "merge", "cancel"};
  if (t.status == "open") {
    std::vector<std::string> v{"confirm"};
    if (!t.returned) v.push_back("acknowledge");
    for (const char* e : {"contact_attempt", "note", "transfer_emergency", "extend", "case_by_case"}) v.push_back(e);
    if (t.assignee) v.push_back("return");
    for (const char* e : {"reassign", "merge", "cancel"}) v.push_back(e);
    return v;
  }
  if (t.status == "acknowledged")
  {
    std::vector<std::string> v{"confirm", "start", "contact_attempt", "note", "transfer_emergency", "extend",
                               "case_by_case"};
    if (t.assignee) v.push_back("return");
    for (const char* e : {"reassign", "resolve", "merge", "cancel"}) v.push_back(e);
    return v;
  }
  if (t.status == "in_progress") {
    std::vector<std::string> v{"confirm", "contact_attempt", "note", "transfer_emergency"};
    if (t.contact_failed) v.push_back("wait_on_caller");  // only after a recorded failed contact
    for (const char* e : {"extend", "case_by_case"}) v.push_back(e);
    if (t.assignee) v.push_back("return");
    for (const char* e : {"reassign", "resolve", "merge"}) v.push_back(e);
    return v;
  }
  if (t.status == "waiting_on_caller")
    return {"resume", "contact_attempt", "note", "transfer_emergency", "extend", "case_by_case", "merge"};
  if (t.status == "resolved") return {"note", "close"};
  return {"note"};
}

ResolutionStandard resolution_standard(const Ticket& t) {
  if (t.urgency == "critical" || t.urgency == "urgent")
    return {"relief_record", "the 先行救助 record: what was given, from which fund, approved by whom",
            {"given", "fund", "approved_by"}};
  if (t.category == "hardship_report")
    return {"onsite_check", "the on-site check's outcome (实地核实): enrolled, not_eligible or referred", {"outcome"}};
  if (t.request_type == "complaint" || t.request_type == "report")
    return {"finding", "the investigation's finding, given to the caller", {"finding", "caller_told"}};
  if (t.request_type == "consult") return {"answer", "the answer given to the caller", {"answer"}};
  return {"application_accepted",
          "the application accepted, the home visit booked and the caller told the statutory time limit",
          {"accepted", "visit_booked", "time_limit_told"}};
}

TicketService::TicketService(TicketStore& store, const Clock& clock, std::shared_ptr<const SlaPolicy> policy,
                             Directory directory, EscalationEngine& engine, std::string instance,
                             std::string public_url)
    : store_(store), clock_(clock), policy_(std::move(policy)), directory_(std::move(directory)), engine_(engine),
      instance_(std::move(instance)), public_url_(std::move(public_url)) {}

Ticket TicketService::open_for_call(const CallFacts& facts, const Classification& c, const std::string& queue,
                                   std::optional<Instant> at) {
  CallOpening o;
  const Instant now = at ? *at : clock_.now();
  store_.transact([&](WriteTx& tx) { open_in(tx, facts, c, queue, now, o); });
  opened(o);
  return o.ticket;
}

void TicketService::open_in(WriteTx& tx, const CallFacts& facts, const Classification& c, const std::string& queue,
                            Instant now, CallOpening& o) {
  Ticket& out = o.ticket;
  bool& joined = o.joined;
  bool& known = o.known;
  joined = known = false;
  // A call is its Call-ID and its number (schema 004): the same Call-ID from the same number is the same
  // call again (a new branch, a replayed write), from another number another call.
  if (!facts.call_id.empty()) {
    if (auto same = tx.ticket_of_call(facts.call_id, facts.caller)) {
      out = std::move(*same);
      known = true;
      return;
    }
    // A Call-ID is unique per call (RFC 3261 §8.1.1.4): met from a second number, it is a broken or hostile
    // peer's, and that call must never show this caller someone else's ticket.
    if (tx.call_id_known(facts.call_id))
      spdlog::warn("call {}: its Call-ID already names a call from another number; opened as a call of its own",
                   mask_numbers_in_text(facts.call_id));
  }
  // 并单 joins calls of one matter: `not_social_assistance` names none (an unsure call the agent has yet to
  // read, DESIGN "Unsure calls"), so two such calls are two tickets, never one that hides the second
  if (!facts.caller.empty() && c.category != "not_social_assistance") {
    if (auto open = tx.open_for_caller(facts.caller, c.category)) {
      // 并单: a repeat call in the same category joins the caller's open ticket.
      Ticket t = *open;
      ++t.call_count;
      if (tx.calls_since(facts.caller, now - std::chrono::hours(24)) >= 2 &&
          !one_of("repeat_caller", t.flags))
        t.flags.push_back("repeat_caller");
      for (const auto& f : c.flags)
        if (!one_of(f, t.flags)) t.flags.push_back(f);
      const std::string was = t.urgency;
      raise_urgency(t, c, now);
      // the raised case is worked from the call's (more urgent) queue; a contact opened by hand has none, and
      // the ticket keeps its own
      if (t.urgency != was && !queue.empty()) t.queue = queue;
      t.updated_at = now;
      tx.put(t);
      tx.link_call(facts.call_id, t.id, facts.caller, now);
      // the joining call as it was heard and labelled: its own words and urgency are never lost in the join
      nlohmann::json body{{"call_id", facts.call_id},        {"category", c.category},
                          {"request_type", c.request_type}, {"urgency", c.urgency},
                          {"confidence", c.confidence},     {"asr_text", mask_numbers_in_text(facts.asr_text)},
                          {"ivr_digits", facts.ivr_digits}};
      if (t.urgency != was) body["urgency_raised_from"] = was;
      tx.event(t.id, "call_joined", "system", "", body, now);
      out = std::move(t);
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
  t.reasons = c.reasons;
  t.language = c.language;
  t.ivr_digits = facts.ivr_digits;
  t.asr_text = facts.asr_text;
  t.region_hint = facts.region_hint;
  t.queue = queue;
  t.opened_at = now;
  t.updated_at = now;
  if (c.category == "hardship_report") t.flags.push_back("third_party_report");
  for (const auto& f : c.flags)  // classifier priority flags (monitored_household); never the urgency
    if (!one_of(f, t.flags)) t.flags.push_back(f);
  if (!facts.caller.empty() && tx.calls_since(facts.caller, now - std::chrono::hours(24)) >= 2)
    t.flags.push_back("repeat_caller");
  apply_policy(t, *policy_);
  tx.put(t);
  tx.link_call(facts.call_id, t.id, facts.caller, now);
  tx.event(t.id, "opened", "system", "",
           {{"call_id", facts.call_id}, {"category", t.category}, {"request_type", t.request_type},
            {"urgency", t.urgency}, {"confidence", t.confidence}, {"sla_rule", t.sla_rule}},
           now);
  out = std::move(t);
}

void TicketService::raise_urgency(Ticket& t, const Classification& c, Instant now) const {
  if (t.terminal() || urgency_rank(c.urgency) >= urgency_rank(t.urgency)) return;
  // The caller who was waited on has called: the pause ends now, as a resume would end it (the deadline
  // moves by the paused time first), so the emergency's clock runs and can escalate.
  if (t.paused_since) end_pause(t, now);
  // 先行救助: an emergency reported now is due from now, never later than the ticket already was; the
  // pauses and extensions granted to the old case do not carry over to the emergency's own deadline
  const auto d = policy_->compute(now, t.category, c.request_type, c.urgency, place_of(t));
  if (!t.raised_at) {  // the first raise: when, and the urgency the case was opened at (a later raise
    t.raised_at = now;  // keeps both, so a deadline counted again never moves past the first raise's)
    t.raised_from = t.urgency;
  }
  t.urgency = c.urgency;
  if (!t.confirmed) t.request_type = c.request_type;  // an agent's confirmed type stands
  if (!t.acknowledged_at) t.first_response_due = std::min(t.first_response_due, d.first_response_due);
  if (d.resolution_due < t.resolution_due) {
    t.resolution_due = d.resolution_due;
    t.resolution_due_base = d.resolution_due - t.paused_total - t.extended_total;  // due = base + pauses + extensions
  }
  if (t.office_since) {
    if (t.office_first_response_due && !t.acknowledged_at)
      t.office_first_response_due = std::min(*t.office_first_response_due, d.first_response_due);
    if (t.office_resolution_due) t.office_resolution_due = std::min(*t.office_resolution_due, d.resolution_due);
  }
  t.sla_rule = d.rule;
  t.provisional = t.provisional || d.provisional;
  if (!one_of("urgency_raised", t.flags)) t.flags.push_back("urgency_raised");
}

void TicketService::opened(const CallOpening& o) {
  if (o.known) return;
  engine_.track(o.ticket);
  tell(o.ticket, o.joined ? "changed" : "opened");
}

void TicketService::opened(CallOpening&& o) {
  if (o.known) return;
  engine_.track(o.ticket);
  tell(std::move(o.ticket), o.joined ? "changed" : "opened");
}

void TicketService::tell(Ticket t, const char* what) const {
  if (listener_) listener_(std::make_shared<const Ticket>(std::move(t)), what);
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
  send_dispatch(tx, t, *office, now, sent);
}

void TicketService::send_dispatch(WriteTx& tx, Ticket& t, const DirectoryEntry& office_entry, Instant now,
                                  std::vector<OutboxMessage>& sent) {
  const DirectoryEntry* office = &office_entry;
  Assignee a{office->name, office->region, office->level, office->role, office->department};
  // A changed place or department dispatches again, under a new id.
  auto nth = [&](int n) {
    std::string id = message_id(t.id, "dispatch", "office", "dispatched");
    if (n > 1) id.append("-").append(std::to_string(n));
    return id;
  };
  int n = 1;
  while (tx.message(nth(n))) ++n;
  const std::string id = nth(n);
  t.assignee = a;
  auto m = build_message(t, id, "dispatch", "office", "dispatched", *office, public_url_, now);
  if (tx.enqueue(m)) {
    sent.push_back(m);
    tx.event(t.id, "dispatch", "system", m.body["text"].get<std::string>(), {{"message_id", id}, {"to", office->name}}, now);
  }
}

Ticket TicketService::apply(const std::string& id, const nlohmann::json& ev) {
  if (!ev.is_object()) throw EventError(400, "bad_body", "the body must be a JSON object");
  if (!ev.contains("type")) throw EventError(400, "missing_field", "type is required (one of the event types)", "type");
  if (!ev["type"].is_string()) throw EventError(400, "bad_field", "type must be a string (one of the event types)", "type");
  const std::string type = ev["type"];
  if (!one_of(type, kEvents)) {
    std::string list;
    for (const auto& e : kEvents) list += (list.empty() ? "" : ", ") + e;
    throw EventError(400, "unknown_event", "unknown event type '" + mask_numbers_in_text(type) + "'; supported: " + list, "type");
  }
  check_fields(ev, event_fields(type), "", true);
  if (type == "resolve" && ev.contains("resolution") && ev["resolution"].is_object())
    check_fields(ev["resolution"], kStandardFields, "resolution.", false);
  if (type == "close" && ev.contains("revisit") && ev["revisit"].is_object())
    check_fields(ev["revisit"], {"reached", "satisfied"}, "revisit.", false);
  const std::string by = text_field(ev, "by", 200);
  const std::string note = text_field(ev, "note");
  const Instant now = clock_.now();
  Ticket out;
  std::vector<OutboxMessage> sent;
  std::optional<Ticket> other;  // merge: the ticket this one joins
  store_.transact([&](WriteTx& tx) {
    auto found = tx.get(id);
    if (!found) throw EventError(404, "not_found", "no ticket " + id);
    Ticket t = *found;
    const auto allowed = allowed_events(t);
    if (type == "acknowledge" && t.status == "open" && !t.confirmed)
      throw EventError(409, "not_confirmed", "the ticket must be confirmed before the office signs it off", "type",
                       allowed);
    if (type == "wait_on_caller" && t.status == "in_progress" && !t.contact_failed)
      throw EventError(409, "no_failed_contact",
                       "waiting_on_caller needs a recorded failed contact attempt (contact_attempt with reached: false)",
                       "type", allowed);
    if (!one_of(type, allowed))
      throw EventError(409, "not_allowed", "'" + type + "' is not allowed while the ticket is " + t.status, "type", allowed);
    nlohmann::json body = nlohmann::json::object();
    if (ev.contains("child_alone") && !ev["child_alone"].is_boolean())
      throw EventError(400, "bad_field", "child_alone must be true or false", "child_alone");
    if (ev.value("child_alone", false)) {
      // 强制报告: a child alone is a mandatory report to the public security organ, whatever else happens
      for (const char* f : {"child_alone", "mandatory_report"})
        if (!one_of(f, t.flags)) t.flags.push_back(f);
      body["mandatory_report"] = true;
    }
    auto reason_of = [&]() {
      std::string r = text_field(ev, "reason");
      return r.empty() ? note : r;
    };
    if (type == "confirm") {
      const auto category = label_field(ev, "category", kCategories);
      const auto request_type = label_field(ev, "request_type", kRequestTypes);
      const auto urgency = label_field(ev, "urgency", kUrgencies);
      const auto region = text_field(ev, "region_code", 12);
      check_division(region, "region_code", true);
      body["before"] = {{"category", t.category}, {"request_type", t.request_type}, {"urgency", t.urgency}};
      if (!category.empty()) t.category = category;
      if (!request_type.empty()) t.request_type = request_type;
      if (!urgency.empty()) t.urgency = urgency;
      t.region_code = !region.empty() ? region : (t.region_code.empty() ? t.region_hint : t.region_code);
      t.confirmed = true;
      body["after"] = {{"category", t.category}, {"request_type", t.request_type}, {"urgency", t.urgency},
                       {"region_code", t.region_code}};
      apply_policy(t, *policy_);  // from the same opening instant
      if (t.ladder.is_null()) t.ladder = engine_.ladder().snapshot();  // the ladder that applies from now on
      body["sla_rule"] = t.sla_rule;
      body["policy_version"] = t.policy_version;
      if (!t.business_hours.empty()) body["business_hours"] = t.business_hours;
    } else if (type == "acknowledge") {
      t.status = "acknowledged";
      t.acknowledged_at = now;
    } else if (type == "start") {
      t.status = "in_progress";
    } else if (type == "contact_attempt") {
      if (!ev.contains("reached") || !ev["reached"].is_boolean())
        throw EventError(400, "missing_field", "reached (true or false) is required", "reached");
      t.contact_failed = !ev["reached"].get<bool>();
      body["reached"] = ev["reached"];
    } else if (type == "wait_on_caller") {
      t.status = "waiting_on_caller";
      t.paused_since = now;  // the resolution clock pauses; the first-response clock never does
      body["resolution_due"] = format_rfc3339(t.resolution_due);
    } else if (type == "resume") {
      const Millis paused = now - *t.paused_since;
      body["paused_since"] = format_rfc3339(*t.paused_since);
      body["paused_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(paused).count();
      body["resolution_due_before"] = format_rfc3339(t.resolution_due);
      end_pause(t, now);
      body["resolution_due"] = format_rfc3339(t.resolution_due);
    } else if (type == "extend") {
      const std::string dur_text = text_field(ev, "duration", 16);
      const auto dur = parse_duration(dur_text);
      if (!dur)
        throw EventError(400, dur_text.empty() ? "missing_field" : "bad_field",
                         std::string(dur_text.empty() ? "duration is required" : "duration '" + dur_text + "' is not one") +
                             ": a positive whole number and s, m, h, d, wd or wh (e.g. \"5wd\")",
                         "duration");
      // an extension is days or weeks, not years: larger values are a mistake (and would overflow)
      const bool too_long = (dur->unit == Duration::Unit::wall && dur->amount > 90LL * 24 * 3600) ||
                            (dur->unit == Duration::Unit::working_days && dur->amount > 60) ||
                            (dur->unit == Duration::Unit::working_hours && dur->amount > 480);
      if (too_long)
        throw EventError(400, "bad_field", "an extension is at most 90d, 60wd or 480wh", "duration");
      const std::string reason = reason_of();
      if (reason.empty()) throw EventError(400, "missing_field", "reason is required for an extension (延期)", "reason");
      const std::string approved_by = text_field(ev, "approved_by", 200);
      if (approved_by.empty())
        throw EventError(400, "missing_field", "approved_by (the hotline centre's approval) is required", "approved_by");
      if (int(t.extensions.size()) >= max_extensions_)
        throw EventError(409, "extension_limit",
                         "this ticket has had " + std::to_string(t.extensions.size()) + " extensions; the policy allows " +
                             std::to_string(max_extensions_) + " (sla.max_extensions)",
                         "type", allowed);
      const Instant before = t.resolution_due;
      const Instant after = policy_->add(before, *dur, nullptr, place_of(t));
      const Millis moved = after - before;
      t.resolution_due = after;
      t.extended_total += moved;
      if (t.office_resolution_due) {
        *t.office_resolution_due += moved;
        t.office_shift += moved;
      }
      body = {{"duration", dur_text}, {"reason", reason}, {"approved_by", approved_by},
              {"resolution_due_before", format_rfc3339(before)}, {"resolution_due", format_rfc3339(after)},
              {"moved_seconds", std::chrono::duration_cast<std::chrono::seconds>(moved).count()}};
      nlohmann::json rec = body;
      rec["at"] = format_rfc3339(now);
      rec["by"] = by;
      t.extensions.push_back(rec);
    } else if (type == "return") {
      const std::string reason = reason_of();
      if (reason.empty()) throw EventError(400, "missing_field", "reason is required to return a ticket (退单)", "reason");
      if (!t.assignee)
        throw EventError(409, "no_office", "no office holds this ticket: there is nothing to return", "type", allowed);
      nlohmann::json rec = {{"office", t.assignee->name}, {"region", t.assignee->region}, {"level", t.assignee->level},
                            {"since", format_rfc3339(t.office_start())}, {"until", format_rfc3339(now)},
                            {"ended", "returned"}, {"reason", reason}, {"by", by}};
      t.offices.push_back(rec);
      body = rec;
      t.assignee.reset();
      t.returned = true;  // nobody holds it: the office's clock waits for the reassignment
      t.status = "open";
      t.acknowledged_at.reset();
    } else if (type == "reassign") {
      const auto region = text_field(ev, "region_code", 12);
      if (!region.empty() && !Regions::builtin().known(region))
        throw EventError(400, "unknown_region", "region_code " + region + " is not a known division", "region_code");
      const std::string department = text_field(ev, "department", 64);
      const std::string office_name = text_field(ev, "office", 200);
      const std::string place = region.empty() ? t.region_code : region;
      std::optional<DirectoryEntry> office;
      if (!office_name.empty()) {
        for (const auto& e : directory_.entries())
          if (e.name == office_name) office = e;
        if (!office) throw EventError(400, "unknown_office", "no directory entry named " + office_name, "office");
      } else {
        office = directory_.office_for(place, department.empty() ? department_of(t.category) : department,
                                       t.request_type);
        if (!office) throw EventError(409, "no_office", "no office in the directory for " + place, "region_code", allowed);
      }
      Assignee a{office->name, office->region, office->level, office->role, office->department};
      if (t.assignee && *t.assignee == a)
        throw EventError(409, "same_office", "the ticket is already with " + a.name + "; name another office", "office",
                         allowed);
      const std::string reason = reason_of();
      if (t.assignee) {
        t.offices.push_back({{"office", t.assignee->name}, {"region", t.assignee->region}, {"level", t.assignee->level},
                             {"since", format_rfc3339(t.office_start())}, {"until", format_rfc3339(now)},
                             {"ended", "reassigned"}, {"reason", reason}, {"by", by}});
      }
      if (!region.empty()) t.region_code = region;
      // 改派: the new office's clocks start now; the ticket's overall resolution clock does not restart
      t.office_since = now;
      t.office_shift = Millis(0);
      t.office_round += 1;
      t.returned = false;
      t.acknowledged_at.reset();
      t.first_response_esc = ClockEscalation{};
      t.status = "open";
      t.assignee.reset();
      apply_policy(t, *policy_);
      body = {{"office", a.name}, {"region", a.region}, {"reason", reason}, {"office_round", t.office_round},
              {"office_first_response_due", format_rfc3339(*t.office_first_response_due)},
              {"office_resolution_due", format_rfc3339(*t.office_resolution_due)},
              {"resolution_due", format_rfc3339(t.resolution_due)}};
      other = std::nullopt;
      // the dispatch is written after this event (below)
      t.dispatch_gap = false;
      body["_office"] = {{"region", office->region}, {"level", office->level}, {"name", office->name},
                         {"notify", office->notify}, {"role", office->role}, {"department", office->department}};
    } else if (type == "merge") {
      const std::string into = text_field(ev, "into", 128);
      if (into.empty()) throw EventError(400, "missing_field", "into (the ticket this one joins) is required", "into");
      if (into == t.id) throw EventError(400, "bad_field", "a ticket cannot be merged into itself", "into");
      other = tx.get(into);
      if (!other) throw EventError(400, "unknown_ticket", "no ticket " + into, "into");
      if (other->terminal())
        throw EventError(409, "target_closed", "ticket " + into + " is " + other->status + ": merge into an open one",
                         "into", allowed);
      t.status = "merged";
      t.merged_into = into;
      t.closed_at = now;
      t.paused_since.reset();
      other->call_count += t.call_count;
      other->merged_from.push_back(t.id);
      for (const auto& f : t.flags)
        if (!one_of(f, other->flags)) other->flags.push_back(f);
      other->updated_at = now;
      body = {{"into", into}, {"calls", t.call_count}};
    } else if (type == "case_by_case") {
      // 一事一议 (policy: the county coordination mechanism decides hard cases one by one): a decision a
      // coordinator records, never an automatic step.
      const std::string reason = text_field(ev, "reason", 1000);
      const std::string decision = text_field(ev, "decision", 2000);
      if (by.empty()) throw EventError(400, "missing_field", "by (the coordinator who decides) is required", "by");
      if (reason.empty())
        throw EventError(400, "missing_field",
                         "reason is required (e.g. the amount is beyond the township's authority, no programme fits)",
                         "reason");
      if (decision.empty()) throw EventError(400, "missing_field", "decision is required", "decision");
      body = {{"reason", reason}, {"decision", decision}};
      if (std::find(t.flags.begin(), t.flags.end(), "case_by_case") == t.flags.end()) t.flags.push_back("case_by_case");
    } else if (type == "transfer_emergency") {
      const std::string to = text_field(ev, "to", 16);
      if (to != "110" && to != "119" && to != "120" && to != "12356")
        throw EventError(400, "bad_field", "to must be 110, 119, 120 or 12356", "to");
      const std::string taken_by = text_field(ev, "taken_by", 200);
      if (taken_by.empty())
        throw EventError(400, "missing_field", "taken_by (who took the handover at " + to + ") is required", "taken_by");
      Instant when = now;
      if (const auto at_text = text_field(ev, "at", 64); !at_text.empty()) {
        const auto parsed = parse_rfc3339(at_text);
        if (!parsed) throw EventError(400, "bad_field", "at must be an RFC 3339 time", "at");
        when = *parsed;
      }
      nlohmann::json rec = {{"to", to}, {"at", format_rfc3339(when)}, {"by", by}, {"taken_by", taken_by}};
      t.emergency_transfers.push_back(rec);
      for (auto it = rec.begin(); it != rec.end(); ++it) body[it.key()] = it.value();  // keeps mandatory_report
    } else if (type == "resolve") {
      if (!t.acknowledged_at)
        throw EventError(409, "not_acknowledged", "the office must sign the ticket off before resolving it", "type", allowed);
      const auto standard = resolution_standard(t);
      // null is not given, as for every field
      const bool has_resolution = ev.contains("resolution") && !ev["resolution"].is_null();
      if (has_resolution && !ev["resolution"].is_object())
        throw EventError(400, "bad_field", "resolution must be an object of what the standard asks for: " + standard.text,
                         "resolution");
      const nlohmann::json& src = has_resolution ? ev["resolution"] : ev;
      // a field of another standard (an answer on an emergency's ticket) would be dropped without a word; one
      // beside a resolution object too: they go in one place
      for (const auto& f : kStandardFields) {
        const bool named = std::find(standard.fields.begin(), standard.fields.end(), f) != standard.fields.end();
        const std::string where = &src == &ev ? f : "resolution." + f;
        if (src.contains(f) && !named)
          throw EventError(400, "unknown_field",
                           "'" + where + "' is not asked for here: this ticket's resolution standard asks for " +
                               standard.text,
                           where);
        if (&src != &ev && ev.contains(f))
          throw EventError(400, "unknown_field", "'" + f + "' is given beside a resolution object: put it inside", f);
      }
      nlohmann::json res = {{"standard", standard.id}};
      for (const auto& f : standard.fields) {
        const bool must_be_true = f == "accepted" || f == "caller_told" || f == "time_limit_told";
        const auto it = src.find(f);
        const bool ok = it != src.end() && (must_be_true ? (it->is_boolean() && it->get<bool>())
                                                          : (it->is_string() && !it->get<std::string>().empty()));
        if (!ok)
          throw EventError(400, "missing_field",
                           "resolution." + f + " is required: the resolution standard asks for " + standard.text +
                               (must_be_true ? " (" + f + ": true)" : ""),
                           "resolution." + f);
        if (it->is_string() && has_control(it->get<std::string>()))
          throw EventError(400, "bad_field", "resolution." + f + " holds a control character (only tab and line breaks)",
                           "resolution." + f);
        // free text (an answer, a finding, who approved) is stored as every note is: numbers masked
        res[f] = it->is_string() ? nlohmann::json(mask_numbers_in_text(it->get<std::string>())) : *it;
      }
      if (standard.id == "onsite_check" && !one_of(res["outcome"].get<std::string>(), {"enrolled", "not_eligible", "referred"}))
        throw EventError(400, "bad_field", "resolution.outcome must be enrolled, not_eligible or referred",
                         "resolution.outcome");
      std::string result = text_field(ev, "result");
      if (result.empty()) result = res.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      t.result = result;
      t.resolution = res;
      t.status = "resolved";
      t.resolved_at = now;
      t.review = false;
      body = {{"resolution", res}};
    } else if (type == "close") {
      // 回访: the revisit result decides: not satisfied reopens the ticket for review
      const auto rv = ev.find("revisit");
      if (rv == ev.end() || !rv->is_object() || !rv->contains("reached") || !(*rv)["reached"].is_boolean())
        throw EventError(400, "missing_field", "revisit {reached: true|false, satisfied: true|false} is required",
                         "revisit.reached");
      const bool reached = (*rv)["reached"];
      nlohmann::json rec = {{"reached", reached}, {"by", by}, {"at", format_rfc3339(now)}};
      if (reached) {
        if (!rv->contains("satisfied") || !(*rv)["satisfied"].is_boolean())
          throw EventError(400, "missing_field", "revisit.satisfied (true or false) is required when the caller was reached",
                           "revisit.satisfied");
        rec["satisfied"] = (*rv)["satisfied"];
      } else {
        rec["satisfied"] = nullptr;
      }
      t.revisit = rec;
      if (reached && !(*rv)["satisfied"].get<bool>()) {
        t.status = "in_progress";
        t.review = true;
        t.resolved_at.reset();
        if (!one_of("revisit_unsatisfied", t.flags)) t.flags.push_back("revisit_unsatisfied");
        body = {{"revisit", rec}, {"outcome", "reopened_for_review"}};
      } else {
        t.status = "closed";
        t.closed_at = now;
        body = {{"revisit", rec}, {"outcome", "closed"}};
      }
    } else if (type == "cancel") {
      t.status = "cancelled";
      t.closed_at = now;
      t.paused_since.reset();
    }
    t.updated_at = now;
    std::optional<DirectoryEntry> reassign_to;
    if (body.contains("_office")) {
      const auto& o = body["_office"];
      reassign_to = DirectoryEntry{o["region"], o["level"], o["name"], o["notify"], o["role"], o["department"]};
      body.erase("_office");
    }
    tx.event(t.id, type, by, mask_numbers_in_text(note), body, now);
    // the dispatch a confirmation or reassignment causes follows it in the history
    if (type == "confirm" && t.category != "not_social_assistance") dispatch(tx, t, now, sent);
    if (reassign_to) send_dispatch(tx, t, *reassign_to, now, sent);
    if (other) {
      tx.event(other->id, "merged_from", by, "", {{"from", t.id}, {"calls", t.call_count}}, now);
      tx.put(*other);
    }
    tx.put(t);
    out = t;
  });
  engine_.track(out);
  if (other) engine_.track(*other);
  tell(out, "changed");
  if (other) tell(*other, "changed");
  for (const auto& m : sent)
    spdlog::info("dispatch {} -> {} ({})", out.id, m.body["to"]["name"].get<std::string>(), m.body["place"].get<std::string>());
  return out;
}

nlohmann::json TicketService::recompute(const RecomputeRequest& req) {
  nlohmann::json changes = nlohmann::json::array();
  std::int64_t checked = 0, moved = 0, still = 0;
  const Instant now = clock_.now();
  std::string after;
  for (;;) {
    TicketFilter f;
    f.limit = 500;
    f.after = after;
    f.provisional_only = req.only_provisional;
    const auto page = store_.list(f);
    if (page.empty()) break;
    after = page.back().id;
    std::vector<std::pair<Ticket, bool>> changed;  // the recomputed ticket, whether a deadline moved
    auto one = [&](Ticket t) {
      if (t.terminal()) return;
      ++checked;
      Ticket n = t;
      apply_policy(n, *policy_, false);
      if (n.provisional) ++still;
      const bool due_moved = n.first_response_due != t.first_response_due || n.resolution_due != t.resolution_due ||
                             n.office_first_response_due != t.office_first_response_due ||
                             n.office_resolution_due != t.office_resolution_due;
      const bool differs = due_moved || n.sla_rule != t.sla_rule || n.provisional != t.provisional ||
                           n.policy_version != t.policy_version;
      if (!differs) return;
      nlohmann::json c = {{"id", t.id},
                          {"rule_before", t.sla_rule},
                          {"rule_after", n.sla_rule},
                          {"policy_before", t.policy_version},
                          {"provisional_before", t.provisional},
                          {"provisional_after", n.provisional},
                          {"first_response_due", {format_rfc3339(t.first_response_due), format_rfc3339(n.first_response_due)}},
                          {"resolution_due", {format_rfc3339(t.resolution_due), format_rfc3339(n.resolution_due)}}};
      if (due_moved) {
        ++moved;
        if (changes.size() < 1000) changes.push_back(c);
      }
      n.updated_at = now;
      changed.emplace_back(std::move(n), due_moved);
    };
    if (req.dry_run) {
      for (const auto& t : page) one(t);
    } else {
      store_.transact([&](WriteTx& tx) {
        for (const auto& p : page)
          if (auto t = tx.get(p.id)) one(*t);
        for (const auto& [n, due_moved] : changed) {
          tx.put(n);
          if (!due_moved) continue;  // only the version or the provisional mark changed: no history entry
          tx.event(n.id, "recomputed", req.by, req.reason,
                   {{"policy_version", n.policy_version}, {"sla_rule", n.sla_rule}, {"business_hours", n.business_hours},
                    {"provisional", n.provisional},
                    {"first_response_due", format_rfc3339(n.first_response_due)},
                    {"resolution_due", format_rfc3339(n.resolution_due)}},
                   now);
        }
      });
      for (const auto& [n, due_moved] : changed) {
        engine_.track(n);
        tell(n, "changed");
      }
    }
    if (int(page.size()) < f.limit) break;
  }
  return {{"policy_version", policy_->version()}, {"dry_run", req.dry_run}, {"only_provisional", req.only_provisional},
          {"checked", checked}, {"moved", moved}, {"still_provisional", still}, {"changes", changes}};
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
    if (!m->acknowledged_by.empty())
      throw EventError(409, "already_acknowledged", "this escalation was acknowledged already by " + m->acknowledged_by);
    auto t = tx.get(m->ticket_id);
    if (!t) throw EventError(404, "not_found", "no ticket " + m->ticket_id);
    if (t->terminal())
      throw EventError(409, "ticket_closed", "ticket " + t->id + " is " + t->status + ": nothing to acknowledge");
    ClockEscalation& esc = m->reason.starts_with("first_response") ? t->first_response_esc : t->resolution_esc;
    esc.acknowledged = true;
    m->acknowledged_by = by;
    tx.update_message(*m);
    t->updated_at = now;
    tx.put(*t);
    tx.event(t->id, "escalation_acknowledged", by, "",
             {{"message_id", message_id}, {"level", m->level}, {"responder", responder}, {"eta", eta}}, now);
    out = *m;
    changed = *t;
  });
  engine_.track(changed);
  tell(changed, "changed");
  return out;
}

// ---- tickets opened by hand (POST /api/v1/tickets) ----

namespace {
const std::vector<std::string> kChannels = {"phone", "walk_in", "web", "letter", "other"};
}  // namespace

CallFacts HandOpening::facts() const {
  CallFacts f;
  f.caller = caller;
  f.asr_text = text;
  f.region_hint = region_code.empty() ? region_hint : region_code;  // the office that must act counts the time
  f.language = language;
  return f;
}

HandOpening hand_opening_from_json(const nlohmann::json& body) {
  if (!body.is_object()) throw EventError(400, "bad_body", "the body must be a JSON object");
  static const std::vector<std::string> keys = {"channel", "text", "category", "request_type", "urgency",
                                                "caller", "region_code", "region_hint", "language", "by",
                                                "note", "contact_id"};
  check_fields(body, keys, "", false);
  HandOpening h;
  h.channel = text_field(body, "channel", 16);
  if (h.channel.empty())
    throw EventError(400, "missing_field", "channel is required: phone, walk_in, web, letter or other", "channel");
  if (!one_of(h.channel, kChannels))
    throw EventError(400, "bad_field", "channel must be phone, walk_in, web, letter or other", "channel");
  h.text = text_field(body, "text");
  h.category = label_field(body, "category", kCategories);
  h.request_type = label_field(body, "request_type", kRequestTypes);
  h.urgency = label_field(body, "urgency", kUrgencies);
  if (!h.labelled() && h.text.empty())
    throw EventError(400, "missing_field",
                     "text is required unless category, request_type and urgency are all given (it is classified "
                     "for the labels left out)",
                     "text");
  h.caller = text_field(body, "caller", 96);
  if (!h.caller.empty()) {
    // keyed as the call path keys it, from the same forms (normalize_number): +86 138-0000-1234, (0471) 691 2345,
    // and as a Chinese input method types them (full-width, dashes, middle dots)
    h.caller = normalize_number(h.caller);
    if (h.caller.empty() || h.caller.size() > 20)
      throw EventError(400, "bad_field",
                       "caller must be a phone number: 3 to 20 digits, optionally after +, with spaces, -, . or "
                       "brackets between",
                       "caller");
  }
  h.region_code = text_field(body, "region_code", 12);
  check_division(h.region_code, "region_code", true);
  h.region_hint = text_field(body, "region_hint", 12);
  check_division(h.region_hint, "region_hint", false);
  h.language = text_field(body, "language", 4);
  if (!h.language.empty() && h.language != "zh" && h.language != "mn")
    throw EventError(400, "bad_field", "language must be zh or mn", "language");
  h.by = text_field(body, "by", 200);
  h.note = text_field(body, "note");
  h.contact_id = text_field(body, "contact_id", 64);
  if (!h.contact_id.empty() &&
      h.contact_id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
          std::string::npos)
    throw EventError(400, "bad_field", "contact_id must be 1 to 64 of A-Z a-z 0-9 . _ -", "contact_id");
  return h;
}

Classification hand_labels(const HandOpening& h, const std::optional<Classification>& classified, bool ticketed) {
  Classification c;
  if (classified) {
    c = *classified;
  } else {
    if (!h.labelled()) throw std::invalid_argument("hand_labels: labels missing and nothing classified");
    c.language = h.language.empty() ? "zh" : h.language;
  }
  std::vector<Reason> agent;
  for (const auto& [key, value, dst] : {std::tuple{"category", &h.category, &c.category},
                                        std::tuple{"request_type", &h.request_type, &c.request_type},
                                        std::tuple{"urgency", &h.urgency, &c.urgency}}) {
    if (value->empty()) continue;
    *dst = *value;
    agent.push_back({"agent", "", std::string(key) + "=" + *value, "set by the agent who opened the ticket", 1.0});
  }
  if (h.labelled()) c.confidence = 1.0;  // the agent decided every label
  c.reasons.insert(c.reasons.begin(), agent.begin(), agent.end());
  if (c.category == "not_social_assistance") {
    if (!h.category.empty())
      throw EventError(422, "not_social_assistance",
                       "not_social_assistance opens no ticket here: transfer the caller to the general 12345 line",
                       "category");
    if (!ticketed)
      throw EventError(422, "not_social_assistance",
                       "the text reads as not social assistance, which opens no ticket (as for a call); give "
                       "category to open one anyway, or transfer the caller to the general 12345 line",
                       "text");
  }
  return c;
}

TicketService::CallOpening TicketService::open_by_hand(const HandOpening& h, const Classification& labels) {
  const Instant now = clock_.now();
  CallOpening o;
  store_.transact([&](WriteTx& tx) {
    CallFacts f = h.facts();
    f.call_id = kHandContactPrefix + (h.contact_id.empty() ? instance_ + "-" + std::to_string(tx.next_sequence("hand_contact"))
                                                : h.contact_id);
    open_in(tx, f, labels, "", now, o);  // the call path's opening: same ticket, same 并单
    if (o.known) return;                 // the same contact again: nothing new
    Ticket& t = o.ticket;
    if (!o.joined) {
      t.channel = h.channel;
      if (!h.region_code.empty()) t.region_code = h.region_code;  // the place; still confirmed by the agent
      if (!h.region_hint.empty()) t.region_hint = h.region_hint;
      tx.put(t);  // the deadlines stand: they were counted on this place (facts().region_hint)
    }
    tx.event(t.id, "hand_opened", h.by, mask_numbers_in_text(h.note),
             {{"channel", h.channel}, {"contact_id", f.call_id}, {"joined", o.joined}}, now);
  });
  opened(o);
  if (!o.known)
    spdlog::info("ticket {} {} by hand ({}) from {}", o.ticket.id, o.joined ? "joined" : "opened", h.channel,
                 h.caller.empty() ? std::string("no number") : mask_number(h.caller));
  return o;
}

}  // namespace assist
