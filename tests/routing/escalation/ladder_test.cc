// EscalationLadder::next_step: pure arithmetic from a ticket's state to the next step it owes
// (DESIGN "Domain rules: Escalation ladder", "Details settled: A step", "The climb stops").
#include "routing/escalation/ladder.h"

#include <catch2/catch.hpp>

#include "routing/common/time_format.h"

using assist::Assignee;
using assist::EscalationLadder;
using assist::Instant;
using assist::LadderStep;
using assist::Millis;
using assist::Ticket;
using namespace std::chrono_literals;

namespace {

Instant t0() { return *assist::parse_rfc3339("2026-11-30T10:00:00+08:00"); }

// The built-in ladder: township 15m, county 30m, league 1h; warning at 80 %.
EscalationLadder ladder() {
  return EscalationLadder({{"township", Millis(15min)}, {"county", Millis(30min)}, {"league", Millis(1h)}}, 0.8);
}

// A confirmed, dispatched critical ticket: first response 15m, resolution 24h.
Ticket critical() {
  Ticket t;
  t.id = "SA-20261130-000001";
  t.category = "temporary_assistance";
  t.request_type = "help";
  t.urgency = "critical";
  t.confirmed = true;
  t.region_code = "150102001001";
  t.opened_at = t0();
  t.first_response_due = t0() + 15min;
  t.resolution_due = t0() + 24h;
  t.assignee = Assignee{"海拉尔东路街道社会救助窗口", "150102001", "township", "coordinator", "civil_affairs"};
  return t;
}

}  // namespace

TEST_CASE("ladder: an unconfirmed ticket owes nothing", "[escalation][ladder]") {
  Ticket t = critical();
  t.confirmed = false;
  CHECK_FALSE(ladder().next_step(t));
}

TEST_CASE("ladder: terminal tickets owe nothing", "[escalation][ladder]") {
  for (const char* s : {"resolved", "closed", "cancelled", "merged"}) {
    Ticket t = critical();
    t.status = s;
    t.first_response_due = t0() - 1h;  // long overdue
    CAPTURE(s);
    CHECK_FALSE(ladder().next_step(t));
  }
}

TEST_CASE("ladder: confirmed critical ticket climbs warning, township, county, league", "[escalation][ladder]") {
  const auto L = ladder();
  Ticket t = critical();

  auto s = L.next_step(t);
  REQUIRE(s);
  CHECK(s->clock == "first_response");
  CHECK(s->kind == "warning");
  CHECK(s->level == "office");
  CHECK(s->reason == "first_response_warning");
  CHECK(s->at == t0() + 12min);  // 80 % of 15m

  t.first_response_esc.warned = true;
  s = L.next_step(t);
  REQUIRE(s);
  CHECK(s->kind == "escalation");
  CHECK(s->level == "township");
  CHECK(s->reason == "first_response_overdue");
  CHECK(s->at == t0() + 15min);  // at due

  t.first_response_esc.level = "township";
  s = L.next_step(t);
  REQUIRE(s);
  CHECK(s->level == "county");
  CHECK(s->reason == "first_response_overdue");
  CHECK(s->at == t0() + 30min);  // due + township's step

  t.first_response_esc.level = "county";
  s = L.next_step(t);
  REQUIRE(s);
  CHECK(s->level == "league");
  CHECK(s->at == t0() + 60min);  // due + 15m + 30m

  SECTION("after the last level, the first-response clock owes nothing more") {
    t.first_response_esc.level = "league";
    s = L.next_step(t);
    REQUIRE(s);
    CHECK(s->clock == "resolution");  // only the other clock remains
    CHECK(s->kind == "warning");
    CHECK(s->at == t0() + Millis(static_cast<std::int64_t>(24 * 3600 * 1000 * 0.8)));

    t.resolution_esc.warned = true;
    t.resolution_esc.level = "league";
    CHECK_FALSE(L.next_step(t));
  }
}

TEST_CASE("ladder: planned moments are fixed from due, whatever the clock says", "[escalation][ladder]") {
  Ticket t = critical();
  t.first_response_esc.warned = true;
  t.first_response_esc.level = "township";
  // Same answer however late we ask: the step is overdue, not shifted.
  CHECK(ladder().next_step(t)->at == t0() + 30min);
}

TEST_CASE("ladder: the office warning needs a dispatched ticket", "[escalation][ladder]") {
  Ticket t = critical();
  t.assignee.reset();
  auto s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->kind == "escalation");
  CHECK(s->level == "township");
  CHECK(s->at == t0() + 15min);
}

TEST_CASE("ladder: the office's sign-off stops the first-response clock", "[escalation][ladder]") {
  Ticket t = critical();
  t.status = "acknowledged";
  t.acknowledged_at = t0() + 5min;
  auto s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->clock == "resolution");
  CHECK(s->reason == "resolution_warning");
  // even when the first-response climb had started
  t.first_response_esc.warned = true;
  t.first_response_esc.level = "township";
  CHECK(ladder().next_step(t)->clock == "resolution");
}

TEST_CASE("ladder: a coordinator's acknowledgement stops that clock's climb", "[escalation][ladder]") {
  Ticket t = critical();
  t.first_response_esc.warned = true;
  t.first_response_esc.level = "township";
  t.first_response_esc.acknowledged = true;
  auto s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->clock == "resolution");
  CHECK(s->kind == "warning");
}

TEST_CASE("ladder: the resolution clock warns and climbs too", "[escalation][ladder]") {
  Ticket t = critical();
  t.status = "acknowledged";
  t.acknowledged_at = t0() + 5min;
  t.resolution_esc.warned = true;
  auto s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->clock == "resolution");
  CHECK(s->kind == "escalation");
  CHECK(s->level == "township");
  CHECK(s->reason == "resolution_overdue");
  CHECK(s->at == t0() + 24h);
  t.resolution_esc.level = "township";
  CHECK(ladder().next_step(t)->at == t0() + 24h + 15min);
  t.resolution_esc.level = "county";
  CHECK(ladder().next_step(t)->at == t0() + 24h + 45min);
}

TEST_CASE("ladder: the earlier clock wins", "[escalation][ladder]") {
  Ticket t = critical();
  t.resolution_due = t0() + 10min;  // a resolution limit shorter than first response (odd, but data)
  auto s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->clock == "resolution");
  CHECK(s->at == t0() + 8min);
}

TEST_CASE("ladder: urgent tickets climb the ladder", "[escalation][ladder]") {
  Ticket t = critical();
  t.urgency = "urgent";
  t.first_response_due = t0() + 2h;
  t.first_response_esc.warned = true;
  auto s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->level == "township");
  CHECK(s->at == t0() + 2h);
}

TEST_CASE("ladder: normal tickets get warnings, a reminder at the limit and the supervisor a step later, no coordinators",
          "[escalation][ladder]") {
  Ticket t = critical();
  t.urgency = "normal";
  auto s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->kind == "warning");
  CHECK(s->clock == "first_response");
  t.first_response_esc.warned = true;
  s = ladder().next_step(t);
  REQUIRE(s);  // 催办 to the office when the first-response limit passes
  CHECK(s->kind == "warning");
  CHECK(s->reason == "first_response_overdue");
  CHECK(s->level == "office");
  CHECK(s->at == t0() + 15min);
  t.first_response_esc.level = "office";
  s = ladder().next_step(t);
  REQUIRE(s);  // 督办 by the shift supervisor one first step (15m) later
  CHECK(s->kind == "escalation");
  CHECK(s->level == "supervisor");
  CHECK(s->at == t0() + 30min);
  t.first_response_esc.level = "supervisor";
  t.resolution_esc.warned = true;
  s = ladder().next_step(t);
  REQUIRE(s);
  CHECK(s->clock == "resolution");
  CHECK(s->reason == "resolution_overdue");
  CHECK(s->level == "office");
  t.resolution_esc.level = "supervisor";
  CHECK_FALSE(ladder().next_step(t));  // never township, county or league
  t.acknowledged_at = t0() + 1min;  // the office's sign-off stops the first-response reminders
  t.first_response_esc = {};
  t.first_response_esc.warned = true;
  CHECK_FALSE(ladder().next_step(t));
}

TEST_CASE("ladder: an empty ladder gives warnings only", "[escalation][ladder]") {
  EscalationLadder empty({}, 0.8);
  Ticket t = critical();
  t.first_response_esc.warned = true;
  t.resolution_esc.warned = true;
  CHECK_FALSE(empty.next_step(t));
}

TEST_CASE("ladder: with supervisor_at_breach the shift supervisor hears of a breach, confirmed or not",
          "[escalation][ladder]") {
  EscalationLadder l = ladder();
  Ticket t = critical();
  t.confirmed = false;  // an unconfirmed ticket that breaches is the shift supervisor's
  CHECK_FALSE(l.next_step(t));
  l.set_supervisor_at_breach(true);
  auto s = l.next_step(t);
  REQUIRE(s);
  CHECK(s->level == "supervisor");
  CHECK(s->reason == "first_response_breached");
  CHECK(s->at == t0() + 15min);
  t.first_response_esc.supervisor_told = true;
  s = l.next_step(t);
  REQUIRE(s);
  CHECK(s->reason == "resolution_breached");
  CHECK(s->at == t0() + 24h);
  // a stored ladder keeps the setting of the daemon that reads it
  t.ladder = l.snapshot();
  CHECK(l.next_step(t)->reason == "resolution_breached");
}
