// Issue 5: the lifecycle that keeps deadlines honest, on the simulated clock: waiting on the caller
// (pause/resume), extensions (延期), return (退单) and reassignment (改派) with the office's own clock,
// merges, the resolution standard, the revisit (回访), emergency handover and mandatory report,
// recompute (on purpose, and of provisional deadlines when a calendar arrives), the API's clocks,
// and the compact timer line the store keeps for start-up.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "routing/tickets/ticket_service.h"
#include "tests/routing/common/test_world.h"

using namespace assist;
using namespace assist::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {


Ticket ev(World& w, const std::string& id, json e) {
  if (!e.contains("by")) e["by"] = "tester";
  return w.service->apply(id, e);
}

// A normal help ticket (1wd / 10wd), confirmed, signed off and in progress.
Ticket normal_in_progress(World& w, const std::string& call = "n@pbx", const std::string& caller = "13700000000") {
  const Ticket t = w.service->open_for_call(facts(call, caller), labels("minimum_living_allowance", "help", "normal"),
                                            "sa_general");
  w.confirm(t.id);
  ev(w, t.id, {{"type", "acknowledge"}});
  return ev(w, t.id, {{"type", "start"}});
}

EscalationLadder ladder_of(World& w) { return EscalationLadder(w.config.ladder, w.config.warning_at); }

}  // namespace

TEST_CASE("lifecycle: waiting on the caller needs a failed contact first", "[tickets][lifecycle]") {
  World w;
  const Ticket t = normal_in_progress(w);
  CHECK_FALSE(has(allowed_events(t), "wait_on_caller"));
  auto e = event_error([&] { ev(w, t.id, {{"type", "wait_on_caller"}}); });
  CHECK(e.status == 409);
  CHECK(e.code == "no_failed_contact");
  ev(w, t.id, {{"type", "contact_attempt"}, {"reached", true}});
  CHECK(event_error([&] { ev(w, t.id, {{"type", "wait_on_caller"}}); }).status == 409);
  const Ticket f = ev(w, t.id, {{"type", "contact_attempt"}, {"reached", false}});
  CHECK(has(allowed_events(f), "wait_on_caller"));
  const Ticket p = ev(w, t.id, {{"type", "wait_on_caller"}, {"note", "电话无人接听"}});
  CHECK(p.status == "waiting_on_caller");
  CHECK(p.paused_since == w.clock.now());
  CHECK(allowed_events(p) == std::vector<std::string>{"resume", "contact_attempt", "note", "transfer_emergency", "extend",
                                                      "case_by_case", "merge"});
  CHECK(event_error([&] { ev(w, t.id, {{"type", "resolve"}, {"result", "x"}}); }).status == 409);
}

TEST_CASE("lifecycle: a pause across National Day moves the deadline by exactly the paused wall time",
          "[tickets][lifecycle]") {
  World w;
  w.clock.set(at("2026-09-28T10:00:00+08:00"));  // Monday
  const Ticket t = normal_in_progress(w);
  // 10 working days from 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (Saturday, make-up), 10-12 .. 10-16
  CHECK(t.resolution_due == at("2026-10-17T00:00:00+08:00"));
  const Instant fr_due = t.first_response_due;
  w.clock.set(at("2026-09-30T12:00:00+08:00"));
  ev(w, t.id, {{"type", "contact_attempt"}, {"reached", false}});
  const Ticket p = ev(w, t.id, {{"type", "wait_on_caller"}});
  // while paused the ladder owes no resolution step, however long the pause
  w.clock.set(at("2026-10-20T00:00:00+08:00"));
  CHECK_FALSE(ladder_of(w).next_step(*w.store->get(t.id)));
  // the API shows the resolution clock paused, its remaining time frozen at the pause
  const auto api = to_api(*w.store->get(t.id), w.clock.now());
  CHECK(api["paused"] == true);
  CHECK(api["clocks"]["resolution"]["paused"] == true);
  CHECK(api["clocks"]["resolution"]["remaining_seconds"] ==
        std::chrono::duration_cast<std::chrono::seconds>(at("2026-10-17T00:00:00+08:00") - at("2026-09-30T12:00:00+08:00"))
            .count());
  CHECK(api["clocks"]["resolution"]["breached"] == false);
  w.clock.set(at("2026-10-08T09:00:00+08:00"));  // the caller calls back after the holiday
  const Ticket r = ev(w, t.id, {{"type", "resume"}});
  const Millis paused = at("2026-10-08T09:00:00+08:00") - at("2026-09-30T12:00:00+08:00");
  CHECK(r.status == "in_progress");
  CHECK_FALSE(r.paused_since);
  CHECK(r.paused_total == paused);
  CHECK(r.resolution_due == at("2026-10-17T00:00:00+08:00") + paused);  // wall time, not working days
  CHECK(r.resolution_due == at("2026-10-24T21:00:00+08:00"));
  CHECK(r.resolution_base() == at("2026-10-17T00:00:00+08:00"));
  CHECK(r.first_response_due == fr_due);  // the first-response clock never pauses
  const auto evs = w.store->events(t.id);
  CHECK(evs.back()["type"] == "resume");
  CHECK(evs.back()["body"]["paused_seconds"] == paused.count() / 1000);
  // the ladder plans the resolution warning from the moved deadline
  const auto step = ladder_of(w).next_step(r);
  REQUIRE(step);
  CHECK(step->clock == "resolution");
  CHECK(step->kind == "warning");
  CHECK(step->at == r.opened_at + (r.resolution_base() - r.opened_at) * 4 / 5 + paused);
}

TEST_CASE("lifecycle: the first-response clock keeps running while waiting", "[tickets][lifecycle]") {
  World w;
  const Ticket t = w.open_critical();
  w.confirm(t.id);
  // not signed off yet: no wait possible before start, and the first-response step stays planned
  CHECK_FALSE(has(allowed_events(*w.store->get(t.id)), "wait_on_caller"));
  const auto step = ladder_of(w).next_step(*w.store->get(t.id));
  REQUIRE(step);
  CHECK(step->clock == "first_response");
}

TEST_CASE("lifecycle: extend needs a reason and approval and is limited by policy", "[tickets][lifecycle]") {
  World w;
  w.clock.set(at("2026-09-30T10:00:00+08:00"));
  const Ticket t = normal_in_progress(w);
  CHECK(t.resolution_due == at("2026-10-21T00:00:00+08:00"));  // the taxonomy's worked example
  CHECK(event_error([&] { ev(w, t.id, {{"type", "extend"}, {"reason", "需入户核查"}, {"approved_by", "值班长"}}); })
            .field == "duration");
  CHECK(event_error([&] { ev(w, t.id, {{"type", "extend"}, {"duration", "5wd"}, {"approved_by", "值班长"}}); })
            .field == "reason");
  CHECK(event_error([&] { ev(w, t.id, {{"type", "extend"}, {"duration", "5wd"}, {"reason", "需入户核查"}}); })
            .field == "approved_by");
  CHECK(event_error([&] {
          ev(w, t.id, {{"type", "extend"}, {"duration", "soon"}, {"reason", "x"}, {"approved_by", "y"}});
        }).field == "duration");
  const Ticket e1 =
      ev(w, t.id, {{"type", "extend"}, {"duration", "1wd"}, {"reason", "需入户核查"}, {"approved_by", "值班长王"}});
  CHECK(e1.resolution_due == at("2026-10-22T00:00:00+08:00"));  // 10-21 is the next working day
  const Ticket e2 = ev(w, t.id, {{"type", "extend"}, {"duration", "48h"}, {"reason", "等待医院证明"}, {"approved_by", "值班长王"}});
  CHECK(e2.resolution_due == at("2026-10-24T00:00:00+08:00"));
  CHECK(e2.extended_total == 72h);
  CHECK(e2.resolution_base() == at("2026-10-21T00:00:00+08:00"));
  REQUIRE(e2.extensions.size() == 2);
  CHECK(e2.extensions[0]["approved_by"] == "值班长王");
  CHECK(e2.extensions[0]["by"] == "tester");
  const auto e = event_error([&] {
    ev(w, t.id, {{"type", "extend"}, {"duration", "1d"}, {"reason", "再延"}, {"approved_by", "值班长王"}});
  });
  CHECK(e.status == 409);
  CHECK(e.code == "extension_limit");
  CHECK(w.store->get(t.id)->resolution_due == at("2026-10-24T00:00:00+08:00"));
  w.service->set_max_extensions(3);
  CHECK(ev(w, t.id, {{"type", "extend"}, {"duration", "1d"}, {"reason", "再延"}, {"approved_by", "值班长王"}})
            .resolution_due == at("2026-10-25T00:00:00+08:00"));
}

TEST_CASE("lifecycle: return and reassign restart the office's clock, not the ticket's", "[tickets][lifecycle]") {
  World w;
  const Instant opened = w.clock.now();
  const Ticket t = w.open_critical();
  const Ticket c = w.confirm(t.id);
  REQUIRE(c.assignee);
  CHECK(c.assignee->name == "海拉尔东路街道社会救助窗口");
  w.clock.advance(10min);
  CHECK(event_error([&] { ev(w, t.id, {{"type", "return"}}); }).field == "reason");
  const Ticket r = ev(w, t.id, {{"type", "return"}, {"by", "街道窗口"}, {"reason", "属医保救助，非本单位职责"}});
  CHECK(r.status == "open");
  CHECK(r.returned);
  CHECK_FALSE(r.assignee);
  REQUIRE(r.offices.size() == 1);
  CHECK(r.offices[0]["ended"] == "returned");
  CHECK(r.offices[0]["reason"] == "属医保救助，非本单位职责");
  CHECK_FALSE(has(allowed_events(r), "acknowledge"));
  CHECK_FALSE(has(allowed_events(r), "return"));
  // nobody holds it: the first-response ladder waits for the reassignment; the overall clock goes on
  w.clock.advance(20min);  // past the original 15-minute first response
  auto step = ladder_of(w).next_step(*w.store->get(t.id));
  REQUIRE(step);
  CHECK(step->clock == "resolution");
  const Ticket g = ev(w, t.id, {{"type", "reassign"}, {"by", "值班长"}, {"office", "海拉尔东路街道医保站"},
                                {"reason", "改派医保站"}});
  CHECK(g.status == "open");
  CHECK_FALSE(g.returned);
  REQUIRE(g.assignee);
  CHECK(g.assignee->name == "海拉尔东路街道医保站");
  CHECK(g.office_round == 2);
  CHECK(g.office_since == w.clock.now());
  CHECK(g.office_first_response_due == w.clock.now() + 15min);  // the office's clock restarts
  CHECK(g.office_resolution_due == w.clock.now() + 24h);
  CHECK(g.first_response_due == opened + 15min);  // the ticket's own clocks stay visible and unchanged
  CHECK(g.resolution_due == opened + 24h);
  // the new office is told under a new message id
  const auto ids = w.outbox_ids();
  CHECK(std::count_if(ids.begin(), ids.end(), [](const std::string& s) { return s.find("dispatch") != std::string::npos; }) == 2);
  // the ladder runs the first-response clock on the new office
  step = ladder_of(w).next_step(g);
  REQUIRE(step);
  CHECK(step->clock == "first_response");
  CHECK(step->kind == "warning");
  CHECK(step->round == 2);
  CHECK(step->at == *g.office_since + 12min);
  // the same office again is refused; an office that signs off and is then reassigned is recorded too
  CHECK(event_error([&] { ev(w, t.id, {{"type", "reassign"}, {"office", "海拉尔东路街道医保站"}}); }).code == "same_office");
  ev(w, t.id, {{"type", "acknowledge"}});
  const Ticket g2 = ev(w, t.id, {{"type", "reassign"}, {"office", "海拉尔东路街道社会救助窗口"}, {"reason", "退回街道"}});
  CHECK(g2.office_round == 3);
  CHECK_FALSE(g2.acknowledged_at);
  REQUIRE(g2.offices.size() == 2);
  CHECK(g2.offices[1]["ended"] == "reassigned");
  const auto api = to_api(g2, w.clock.now());
  CHECK(api["clocks"]["first_response"]["office_round"] == 3);
  CHECK(api["clocks"]["first_response"]["due"] == format_rfc3339(w.clock.now() + 15min));
  CHECK(api["clocks"]["resolution"]["due"] == format_rfc3339(opened + 24h));
  CHECK(api["clocks"]["office_resolution"]["due"] == format_rfc3339(w.clock.now() + 24h));
  CHECK(api["first_response_due"] == format_rfc3339(opened + 15min));
  CHECK(api["office_first_response_due"] == format_rfc3339(w.clock.now() + 15min));
  CHECK(w.event_types(t.id) == std::vector<std::string>{"opened", "confirm", "dispatch", "return", "reassign",
                                                        "dispatch", "acknowledge", "reassign", "dispatch"});
}

TEST_CASE("lifecycle: merge keeps a pointer and the calls", "[tickets][lifecycle]") {
  World w;
  const Ticket a = w.open_critical("a@pbx", "13800000001");
  const Ticket b = w.open_critical("b@pbx", "13800000002");
  CHECK(event_error([&] { ev(w, a.id, {{"type", "merge"}}); }).field == "into");
  CHECK(event_error([&] { ev(w, a.id, {{"type", "merge"}, {"into", a.id}}); }).status == 400);
  CHECK(event_error([&] { ev(w, a.id, {{"type", "merge"}, {"into", "SA-nope"}}); }).code == "unknown_ticket");
  const Ticket m = ev(w, a.id, {{"type", "merge"}, {"into", b.id}, {"note", "同一户，邻居和本人各打一次"}});
  CHECK(m.status == "merged");
  CHECK(m.merged_into == b.id);
  CHECK(m.terminal());
  const Ticket target = *w.store->get(b.id);
  CHECK(target.call_count == 2);
  CHECK(target.merged_from == std::vector<std::string>{a.id});
  CHECK(w.event_types(b.id).back() == "merged_from");
  CHECK(allowed_events(m) == std::vector<std::string>{"note"});
  CHECK(to_api(m, w.clock.now())["merged_into"] == b.id);
  // into a ticket that has ended: 409
  const Ticket c = w.open_critical("c@pbx", "13800000003");
  CHECK(event_error([&] { ev(w, c.id, {{"type", "merge"}, {"into", a.id}}); }).status == 409);
  // the merged ticket owes no step
  CHECK_FALSE(ladder_of(w).next_step(m));
}

TEST_CASE("lifecycle: resolve asks for what the resolution standard names", "[tickets][lifecycle]") {
  World w;
  SECTION("urgent and critical: the 先行救助 record") {
    const Ticket t = w.open_critical();
    w.confirm(t.id);
    ev(w, t.id, {{"type", "acknowledge"}});
    auto e = event_error([&] { ev(w, t.id, {{"type", "resolve"}, {"result", "已救助"}}); });
    CHECK(e.status == 400);
    CHECK(e.field == "resolution.given");
    e = event_error([&] {
      ev(w, t.id, {{"type", "resolve"}, {"resolution", {{"given", "临时救助金2000元、棉被两床"}, {"fund", "乡镇临时救助备用金"}}}});
    });
    CHECK(e.field == "resolution.approved_by");
    // another standard's field, a field beside the object, or the object as text: refused, not dropped
    e = event_error([&] { ev(w, t.id, {{"type", "resolve"}, {"resolution", {{"answer", "已答复"}}}}); });
    CHECK(e.code == "unknown_field");
    CHECK(e.field == "resolution.answer");
    e = event_error([&] {
      ev(w, t.id, {{"type", "resolve"}, {"given", "棉被"},
                   {"resolution", {{"given", "x"}, {"fund", "y"}, {"approved_by", "z"}}}});
    });
    CHECK(e.code == "unknown_field");
    CHECK(e.field == "given");
    e = event_error([&] { ev(w, t.id, {{"type", "resolve"}, {"resolution", "已救助"}}); });
    CHECK(e.code == "bad_field");
    CHECK(e.field == "resolution");
    const Ticket r = ev(w, t.id, {{"type", "resolve"},
                                  {"resolution",
                                   {{"given", "临时救助金2000元、棉被两床，已电话13812345678告知"},
                                    {"fund", "乡镇临时救助备用金"}, {"approved_by", "街道办主任 0471-6912345"}}}});
    CHECK(r.status == "resolved");
    CHECK(r.resolution["standard"] == "relief_record");
    CHECK(r.resolution["fund"] == "乡镇临时救助备用金");
    // numbers in the record are masked as in every note, in the ticket, its result and its history
    CHECK(r.resolution["given"] == "临时救助金2000元、棉被两床，已电话138****5678告知");
    CHECK(r.resolution["approved_by"] == "街道办主任 0471****2345");
    CHECK(r.result.find("13812345678") == std::string::npos);
    CHECK(w.store->events(t.id).back().dump().find("13812345678") == std::string::npos);
    CHECK_FALSE(r.result.empty());
  }
  SECTION("hardship report: the on-site check's outcome") {
    const Ticket t = w.service->open_for_call(facts("h@pbx", "13600000000"), labels("hardship_report", "help", "normal"),
                                              "sa_general");
    CHECK(resolution_standard(t).id == "onsite_check");
    w.confirm(t.id);
    ev(w, t.id, {{"type", "acknowledge"}});
    CHECK(event_error([&] { ev(w, t.id, {{"type", "resolve"}, {"resolution", {{"outcome", "looked"}}}}); }).field ==
          "resolution.outcome");
    CHECK(ev(w, t.id, {{"type", "resolve"}, {"resolution", {{"outcome", "enrolled"}}}}).status == "resolved");
  }
  SECTION("application: accepted, visit booked, time limit told") {
    const Ticket t = normal_in_progress(w);
    CHECK(resolution_standard(t).id == "application_accepted");
    CHECK(event_error([&] {
            ev(w, t.id, {{"type", "resolve"}, {"resolution", {{"accepted", false}, {"visit_booked", "2026-12-02"}, {"time_limit_told", true}}}});
          }).field == "resolution.accepted");
    CHECK(ev(w, t.id, {{"type", "resolve"}, {"accepted", true}, {"visit_booked", "2026-12-02 上午"}, {"time_limit_told", true}})
              .status == "resolved");
    // a resolution given as null is not given, as for every field: the fields beside it count
    const Ticket u = normal_in_progress(w, "n2@pbx", "13700000002");
    CHECK(ev(w, u.id, {{"type", "resolve"}, {"resolution", nullptr}, {"accepted", true}, {"visit_booked", "2026-12-02 上午"},
                       {"time_limit_told", true}})
              .status == "resolved");
  }
  SECTION("complaint: the finding given to the caller") {
    Ticket t = w.service->open_for_call(facts("c@pbx", "13500000000"), labels("minimum_living_allowance", "complaint", "normal"),
                                        "sa_general");
    CHECK(resolution_standard(t).fields == std::vector<std::string>{"finding", "caller_told"});
  }
}

TEST_CASE("lifecycle: close asks for the revisit; not satisfied reopens for review", "[tickets][lifecycle]") {
  World w;
  const Ticket t = normal_in_progress(w);
  ev(w, t.id, {{"type", "resolve"}, {"accepted", true}, {"visit_booked", "周三上午"}, {"time_limit_told", true}});
  CHECK(event_error([&] { ev(w, t.id, {{"type", "close"}}); }).field == "revisit.reached");
  CHECK(event_error([&] { ev(w, t.id, {{"type", "close"}, {"revisit", {{"reached", true}}}}); }).field == "revisit.satisfied");
  const Ticket o = ev(w, t.id, {{"type", "close"}, {"revisit", {{"reached", true}, {"satisfied", false}}}});
  CHECK(o.status == "in_progress");
  CHECK(o.review);
  CHECK(has(o.flags, "revisit_unsatisfied"));
  CHECK_FALSE(o.resolved_at);
  CHECK_FALSE(ladder_of(w).next_step(o));  // review: the board shows it, no ladder
  ev(w, t.id, {{"type", "resolve"}, {"accepted", true}, {"visit_booked", "周五上午"}, {"time_limit_told", true}});
  const Ticket c = ev(w, t.id, {{"type", "close"}, {"revisit", {{"reached", true}, {"satisfied", true}}}});
  CHECK(c.status == "closed");
  CHECK(c.revisit["satisfied"] == true);
  CHECK(w.store->events(t.id).back()["body"]["outcome"] == "closed");
}

TEST_CASE("lifecycle: emergency handover is recorded; a child alone is a mandatory report", "[tickets][lifecycle]") {
  World w;
  const Ticket t = w.open_critical();
  CHECK(event_error([&] { ev(w, t.id, {{"type", "transfer_emergency"}, {"to", "120"}}); }).field == "taken_by");
  CHECK(event_error([&] { ev(w, t.id, {{"type", "transfer_emergency"}, {"to", "911"}, {"taken_by", "x"}}); }).field == "to");
  const Ticket e = ev(w, t.id, {{"type", "transfer_emergency"}, {"by", "agent-7"}, {"to", "110"}, {"taken_by", "110接警员 3号"},
                                {"at", "2026-11-30T10:02:00+08:00"}, {"child_alone", true}});
  CHECK(e.status == "open");  // the ticket stays open for the assistance that follows
  REQUIRE(e.emergency_transfers.size() == 1);
  CHECK(e.emergency_transfers[0]["to"] == "110");
  CHECK(e.emergency_transfers[0]["taken_by"] == "110接警员 3号");
  CHECK(e.emergency_transfers[0]["at"] == "2026-11-30T10:02:00+08:00");
  CHECK(e.emergency_transfers[0]["by"] == "agent-7");
  CHECK(has(e.flags, "mandatory_report"));
  CHECK(has(e.flags, "child_alone"));
  CHECK(w.store->events(t.id).back()["body"]["mandatory_report"] == true);
}

TEST_CASE("lifecycle: the policy that applied is on the ticket", "[tickets][lifecycle][recompute]") {
  World w;
  const Ticket t = w.open_critical();
  CHECK(t.policy_version == w.policy->version());
  CHECK(t.policy_version.starts_with("p-"));
  CHECK(t.sla_rule == "urgency=critical first_response=15m resolution=24h");
  // another limits list is another version; the same list the same one
  auto limits = w.config.limits;
  CHECK(SlaPolicy(limits, WorkingDayCalendar::builtin()).version() == w.policy->version());
  limits[0].first_response = Duration{Duration::Unit::wall, 600};
  limits[0].text.clear();
  CHECK(SlaPolicy(limits, WorkingDayCalendar::builtin()).version() != w.policy->version());
}

TEST_CASE("lifecycle: recompute on purpose reports what moved and keeps pauses and extensions",
          "[tickets][lifecycle][recompute]") {
  World w;
  const Instant opened = w.clock.now();
  const Ticket crit = w.open_critical();
  w.confirm(crit.id);
  ev(w, crit.id, {{"type", "acknowledge"}});
  ev(w, crit.id, {{"type", "start"}});
  ev(w, crit.id, {{"type", "extend"}, {"duration", "2h"}, {"reason", "r"}, {"approved_by", "a"}});
  const Ticket norm = normal_in_progress(w, "n2@pbx", "13711111111");
  // new policy: critical resolution in 12 h
  auto limits = w.config.limits;
  limits[0] = limits_from_json(json::parse(R"([{"urgency":"critical","first_response":"15m","resolution":"12h"},
                                               {"first_response":"1wd","resolution":"10wd"}])"))[0];
  auto policy2 = std::make_shared<SlaPolicy>(limits, WorkingDayCalendar::builtin());
  w.policy = policy2;
  w.restart();
  RecomputeRequest dry;
  dry.dry_run = true;
  auto rep = w.service->recompute(dry);
  CHECK(rep["checked"] == 2);
  CHECK(rep["moved"] == 1);
  CHECK(w.store->get(crit.id)->resolution_due == opened + 26h);  // dry run: nothing written
  rep = w.service->recompute(RecomputeRequest{});
  CHECK(rep["moved"] == 1);
  REQUIRE(rep["changes"].size() == 1);
  CHECK(rep["changes"][0]["id"] == crit.id);
  CHECK(rep["changes"][0]["resolution_due"][0] == format_rfc3339(opened + 26h));
  CHECK(rep["changes"][0]["resolution_due"][1] == format_rfc3339(opened + 14h));  // 12 h + the 2 h extension
  const Ticket after = *w.store->get(crit.id);
  CHECK(after.policy_version == policy2->version());
  CHECK(after.sla_rule == "urgency=critical first_response=15m resolution=12h");
  CHECK(w.event_types(crit.id).back() == "recomputed");
  CHECK(w.store->get(norm.id)->policy_version == policy2->version());  // unchanged deadlines, new version
  CHECK(w.event_types(norm.id).back() == "start");                     // ... and no event for it
  CHECK(w.service->recompute(RecomputeRequest{})["moved"] == 0);       // idempotent
}

TEST_CASE("lifecycle: provisional deadlines are recomputed when the calendar arrives", "[tickets][lifecycle][recompute]") {
  World w;
  w.clock.set(at("2026-12-24T10:00:00+08:00"));  // 10 working days reach into 2027: no calendar yet
  const Ticket t = w.service->open_for_call(facts("p@pbx", "13900000000"), labels("minimum_living_allowance", "help", "normal"),
                                            "sa_general");
  CHECK(t.provisional);
  // weekdays only: 12-25, 28, 29, 30, 31, then 2027-01-01 (Friday), 04, 05, 06, 07
  CHECK(t.resolution_due == at("2027-01-08T00:00:00+08:00"));
  TicketFilter pf;
  pf.provisional_only = true;
  CHECK(w.store->count(pf) == 1);
  // the 2027 file arrives (test data: New Year's Day off, a make-up Sunday)
  const auto dir = std::filesystem::temp_directory_path() / ("assist-cal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cn-2027.yaml") << "year: 2027\ndays:\n  - {date: 2027-01-01, off: true, name: 元旦}\n";
  auto cal = WorkingDayCalendar::with_folder(dir.string());
  std::filesystem::remove_all(dir);
  CHECK(cal->has_year(2027));
  CHECK(cal->has_year(2026));
  w.policy = std::make_shared<SlaPolicy>(w.config.limits, cal);
  w.restart();
  RecomputeRequest rq;
  rq.only_provisional = true;
  const auto rep = w.service->recompute(rq);
  CHECK(rep["checked"] == 1);
  CHECK(rep["moved"] == 1);
  CHECK(rep["still_provisional"] == 0);
  const Ticket r = *w.store->get(t.id);
  CHECK_FALSE(r.provisional);
  CHECK(r.resolution_due == at("2027-01-09T00:00:00+08:00"));  // New Year's Day no longer counts
  CHECK(w.store->count(pf) == 0);
}

TEST_CASE("lifecycle: the calendar warning fires 60 days before the last year ends", "[sla][calendar]") {
  const auto& cal = *WorkingDayCalendar::builtin();
  auto s = calendar_status(cal, at("2026-11-29T09:00:00+08:00"));
  CHECK(s.last_year == 2026);
  CHECK(s.days_left == 33);
  CHECK(s.warn);
  CHECK(s.message.find("cn-2027.yaml") != std::string::npos);
  s = calendar_status(cal, at("2026-11-01T00:00:00+08:00"));
  CHECK(s.days_left == 61);
  CHECK_FALSE(s.warn);
  CHECK(s.message.empty());
  s = calendar_status(cal, at("2027-02-01T00:00:00+08:00"));
  CHECK(s.days_left == 0);
  CHECK(s.warn);
}

TEST_CASE("lifecycle: the timer line holds what the ladder needs", "[tickets][lifecycle][store]") {
  World w;
  Ticket t = w.open_critical();
  w.confirm(t.id);
  w.clock.advance(5min);
  ev(w, t.id, {{"type", "return"}, {"reason", "r"}});
  ev(w, t.id, {{"type", "reassign"}, {"office", "海拉尔东路街道医保站"}});
  ev(w, t.id, {{"type", "acknowledge"}});
  ev(w, t.id, {{"type", "start"}});
  ev(w, t.id, {{"type", "contact_attempt"}, {"reached", false}});
  ev(w, t.id, {{"type", "wait_on_caller"}});
  const Ticket full = *w.store->get(t.id);
  Ticket part;
  REQUIRE(read_timer_fields(timer_fields(full), part));
  CHECK(timer_fields(part) == timer_fields(full));
  CHECK_FALSE(read_timer_fields("v1 open critical", part));
  // the store streams the open tickets as timer lines; the ladder plans the same from either
  const Ticket other = w.open_critical("o@pbx", "13500000009");
  w.confirm(other.id);
  std::vector<Ticket> parts;  // the callback must not call the store back (it holds the read lock)
  w.store->for_each_active([&](const Ticket& p) { parts.push_back(p); });
  CHECK(parts.size() == 2);
  for (const auto& p : parts) {
    CHECK(p.category.empty());  // only the timer fields
    const auto a = ladder_of(w).next_step(p);
    const auto b = ladder_of(w).next_step(*w.store->get(p.id));
    REQUIRE(a.has_value() == b.has_value());
    if (a) {
      CHECK(a->at == b->at);
      CHECK(a->reason == b->reason);
      CHECK(a->round == b->round);
    }
  }
}

TEST_CASE("lifecycle: a misspelt or foreign field and a control character are refused by name, nothing written",
          "[tickets][lifecycle][fields]") {
  World w;
  const Ticket t = normal_in_progress(w);
  const auto before = w.store->events(t.id).size();
  struct Case {
    json body;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{{"type", "return"}, {"reson", "不归我单位"}}, "reson"},  // a typo: the reason would have been lost
      {{{"type", "note"}, {"note", "ok"}, {"urgency", "critical"}}, "urgency"},  // confirm's field on a note
      {{{"type", "resolve"}, {"resolution", {{"answr", "已答复"}}}}, "resolution.answr"},
      {{{"type", "close"}, {"revisit", {{"reached", true}, {"satisfied", true}, {"score", 5}}}}, "revisit.score"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body.dump());
    const auto e = event_error([&] { ev(w, t.id, c.body); });
    CHECK(e.status == 400);
    CHECK(e.code == "unknown_field");
    CHECK(e.field == c.field);
  }
  // a number given as a field's name is masked where the refusal names it, in the field too
  const auto named = event_error([&] { ev(w, t.id, {{"type", "note"}, {"13812345678", "x"}}); });
  CHECK(named.field == "138****5678");
  CHECK(std::string(named.what()).find("13812345678") == std::string::npos);
  // C0, DEL, C1 (U+009B CSI, U+0085 NEL) and bidi overrides and isolates (U+202E, U+2066)
  for (const std::string& bad : {std::string("a\0b", 3), std::string("\x1b[31m"), std::string("x\x7f"),
                                 std::string("a\xC2\x9B" "31m"), std::string("a\xC2\x85" "b"),
                                 std::string("\xE2\x80\xAE" "cba"), std::string("\xE2\x81\xA6" "x"),
                                 std::string("a\xE2\x80\xA8" "b"), std::string("\xE2\x81\xAA" "x"),
                                 std::string("\xD8\x9C" "x")}) {
    CAPTURE(bad);
    const auto e = event_error([&] { ev(w, t.id, {{"type", "note"}, {"note", bad}}); });
    CHECK(e.code == "bad_field");
    CHECK(e.field == "note");
  }
  // tab and line breaks are text; the fields each event names are taken
  ev(w, t.id, {{"type", "note"}, {"note", "第一行\n第二行\t完"}});  // and characters near the refused ones: 。 — “ ”
  ev(w, t.id, {{"type", "note"}, {"note", "已联系。——“好的” ©"}});
  ev(w, t.id, {{"type", "contact_attempt"}, {"reached", true}, {"child_alone", false}});
  CHECK(w.store->events(t.id).size() == before + 3);
}
