// The store's ticket record: members at their defaults are left out, and every member reads back.
#include "routing/tickets/ticket.h"

#include <catch2/catch.hpp>

#include "routing/common/time_format.h"

using namespace assist;

namespace {

Instant t0() { return *parse_rfc3339("2026-11-30T10:00:00+08:00"); }

/// A call's ticket as opening leaves it: the rest at defaults.
Ticket new_call() {
  Ticket t;
  t.id = "SA-20261130-000001";
  t.call_id = "c1@pbx";
  t.caller = "13812345678";
  t.category = "minimum_living_allowance";
  t.request_type = "consult";
  t.urgency = "normal";
  t.opened_at = t.updated_at = t0();
  t.first_response_due = t0() + std::chrono::hours(24);
  t.resolution_due = t.resolution_due_base = t0() + std::chrono::hours(48);
  return t;
}

/// A ticket with every member away from its default.
Ticket everything() {
  using std::chrono::hours;
  using std::chrono::minutes;
  Ticket t = new_call();
  t.id = "SA-20261130-000042";
  t.category = "temporary_assistance";
  t.request_type = "help";
  t.urgency = "critical";
  t.confidence = 0.9;
  t.reasons = {{"r", "断粮", "urgency=critical", "政策(六) 先行救助", 2.5}};
  t.language = "mn";
  t.ivr_digits = "3";
  t.asr_text = "家里断粮";
  t.region_hint = "150102";
  t.region_code = "150102001";
  t.queue = "sa_urgent";
  t.confirmed = true;
  t.status = "acknowledged";
  t.opened_at = t0();
  t.first_response_due = t0() + minutes(15);
  t.resolution_due = t0() + hours(26);
  t.provisional = true;
  t.sla_rule = "urgency=critical";
  t.acknowledged_at = t0() + minutes(5);
  t.resolved_at = t0() + hours(1);
  t.closed_at = t0() + hours(2);
  t.result = "done";
  t.assignee = Assignee{"王", "150102001", "township", "window", "民政"};
  t.dispatch_gap = true;
  t.first_response_esc = {"township", true, true, true, Millis(5), true};
  t.resolution_esc = {"county", false, true, false, Millis(7), false};
  t.call_count = 3;
  t.flags = {"repeat_caller"};
  t.updated_at = t0() + minutes(1);
  t.policy_version = "p-1";
  t.business_hours = "08:30-17:30";
  t.channel = "wechat";
  t.resolution_due_base = t0() + hours(24);
  t.paused_since = t0() + minutes(30);
  t.paused_total = Millis(60000);
  t.extended_total = Millis(3600000);
  t.contact_failed = true;
  t.extensions = nlohmann::json::array({{{"by", "a"}}});
  t.office_since = t0() + minutes(2);
  t.office_first_response_due = t0() + minutes(17);
  t.office_resolution_due = t0() + hours(25);
  t.office_shift = Millis(1000);
  t.office_round = 2;
  t.returned = true;
  t.offices = nlohmann::json::array({{{"office", "x"}}});
  t.merged_into = "SA-20261130-000001";
  t.merged_from = {"SA-20261130-000003"};
  t.resolution = {{"outcome", "granted"}};
  t.revisit = {{"reached", true}};
  t.ladder = {{"steps", 2}};
  t.review = true;
  t.emergency_transfers = nlohmann::json::array({{{"to", "110"}}});
  return t;
}

}  // namespace

TEST_CASE("ticket record: a ticket with every member set keeps every member", "[tickets][record]") {
  const Ticket t = everything();
  const auto j = to_record(t);
  // the members of the record before defaults were left out: each one is there when it is set
  for (const char* key :
       {"id", "call_id", "caller", "category", "request_type", "urgency", "confidence", "reasons", "language",
        "ivr_digits", "asr_text", "region_hint", "region_code", "queue", "confirmed", "status", "opened_at",
        "first_response_due", "resolution_due", "provisional", "sla_rule", "acknowledged_at", "resolved_at",
        "closed_at", "result", "assignee", "dispatch_gap", "first_response_escalation", "resolution_escalation",
        "call_count", "flags", "updated_at", "policy_version", "business_hours", "channel", "resolution_due_base",
        "paused_since", "paused_total_ms", "extended_total_ms", "contact_failed", "extensions", "office_since",
        "office_first_response_due", "office_resolution_due", "office_shift_ms", "office_round", "returned",
        "offices", "merged_into", "merged_from", "resolution", "revisit", "ladder", "review",
        "emergency_transfers"})
    CHECK(j.contains(key));
  CHECK(j.size() == 55);
  const Ticket back = from_record(j);
  CHECK(to_record(back) == j);
  CHECK(back.first_response_esc == t.first_response_esc);
  CHECK(back.resolution_esc == t.resolution_esc);
  CHECK(back.assignee == t.assignee);
  CHECK(back.paused_since == t.paused_since);
  CHECK(back.office_resolution_due == t.office_resolution_due);
  CHECK(back.resolution_due_base == t.resolution_due_base);
  CHECK(back.language == "mn");
  CHECK(back.merged_from == t.merged_from);
  CHECK(back.reasons == t.reasons);
}

TEST_CASE("ticket record: a new call's ticket leaves its defaults out and reads back the same", "[tickets][record]") {
  const Ticket t = new_call();
  const auto j = to_record(t);
  for (const char* key : {"acknowledged_at", "assignee", "resolution", "revisit", "ladder", "offices", "extensions",
                          "first_response_escalation", "paused_since", "office_round", "call_count", "language",
                          "resolution_due_base", "flags", "merged_from"})
    CHECK_FALSE(j.contains(key));
  const Ticket back = from_record(j);
  CHECK(to_record(back) == j);
  CHECK(back.language == "zh");
  CHECK(back.call_count == 1);
  CHECK(back.office_round == 1);
  CHECK(back.resolution_due_base == t.resolution_due);
  CHECK(back.reasons.empty());
  CHECK(back.revisit.is_null());
  CHECK_FALSE(back.assignee);
  CHECK(back.first_response_esc == ClockEscalation{});
}

TEST_CASE("ticket record: a record written whole (nulls and defaults spelled out) reads as before",
          "[tickets][record]") {
  // as the store wrote every ticket before defaults were left out
  const auto j = nlohmann::json::parse(R"({"acknowledged_at":null,"asr_text":"想问一下低保申请","assignee":null,
    "business_hours":"","call_count":1,"call_id":"1-16350@127.0.0.1","caller":"14000000000",
    "category":"minimum_living_allowance","channel":"","closed_at":null,"confidence":0.6,"confirmed":false,
    "contact_failed":false,"dispatch_gap":false,"emergency_transfers":[],"extended_total_ms":0,"extensions":[],
    "first_response_due":1796140800000,"first_response_escalation":{"acknowledged":false,"breached":false,
    "level":"","skipped_ms":0,"supervisor_told":false,"warned":false},"flags":[],"id":"SA-20261130-000001",
    "ivr_digits":"3","ladder":null,"language":"zh","merged_from":[],"merged_into":"",
    "office_first_response_due":null,"office_resolution_due":null,"office_round":1,"office_shift_ms":0,
    "office_since":null,"offices":[],"opened_at":1795993288634,"paused_since":null,"paused_total_ms":0,
    "policy_version":"p-1399e917d9c2","provisional":false,"queue":"sa_general","reasons":[{"clause":"c",
    "cue":"低保","label":"category=minimum_living_allowance","rule":"dibao.programme","weight":2.5}],
    "region_code":"","region_hint":"150102001001","request_type":"consult","resolution":null,
    "resolution_due":1796227200000,"resolution_due_base":1796227200000,"resolution_escalation":{
    "acknowledged":false,"breached":false,"level":"","skipped_ms":0,"supervisor_told":false,"warned":false},
    "resolved_at":null,"result":"","returned":false,"review":false,"revisit":null,
    "sla_rule":"request_type=consult first_response=1wd resolution=2wd","status":"open",
    "updated_at":1795993288634,"urgency":"normal"})");
  const Ticket t = from_record(j);
  CHECK(t.id == "SA-20261130-000001");
  CHECK(t.asr_text == "想问一下低保申请");
  CHECK(t.queue == "sa_general");
  CHECK(t.reasons.size() == 1);
  CHECK_FALSE(t.acknowledged_at);
  CHECK_FALSE(t.assignee);
  CHECK(t.resolution.is_null());
  CHECK(t.resolution_due_base == t.resolution_due);
  const auto compact = to_record(t);
  CHECK(compact.size() < j.size() / 2);
  for (const auto& [key, value] : compact.items()) CHECK(j.at(key) == value);  // nothing changed, only left out
  CHECK(from_record(compact).policy_version == "p-1399e917d9c2");
}
