// EscalationEngine over the SQLite store, driven by a SimulatedClock: each step written once to the
// outbox, at its moment, across repeated runs and restarts (DESIGN "Nothing lost", "A step").
#include "routing/escalation/engine.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/routing/common/test_world.h"

using namespace assist;
using namespace assist::testing;
using namespace std::chrono_literals;
using Ids = std::vector<std::string>;

namespace {

std::string mid(const Ticket& t, const std::string& rest) { return t.id + "-" + rest; }

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("engine: nothing is tracked until a ticket is confirmed", "[escalation][engine]") {
  World w;
  CHECK(w.engine->tracked() == 0);
  CHECK_FALSE(w.engine->next_due());
  w.open_critical();
  CHECK(w.engine->tracked() == 0);  // unconfirmed: the board's, not the ladder's
  CHECK_FALSE(w.engine->next_due());
  w.clock.advance(2h);
  CHECK(w.engine->run_due() == 0);
  CHECK(w.outbox_ids().empty());
}

TEST_CASE("engine: a confirmed critical ticket climbs the ladder, each step once", "[escalation][engine]") {
  World w;
  const Instant t0 = w.clock.now();
  const Ticket t = w.open_critical();
  w.clock.advance(2min);
  w.confirm(t.id);

  const std::string dispatch = mid(t, "dispatch-office-dispatched");
  const std::string warning = mid(t, "warning-office-first_response_warning");
  const std::string township = mid(t, "escalation-township-first_response_overdue");
  const std::string county = mid(t, "escalation-county-first_response_overdue");
  const std::string league = mid(t, "escalation-league-first_response_overdue");

  CHECK(w.outbox_ids() == Ids{dispatch});
  REQUIRE(w.engine->next_due());
  CHECK(*w.engine->next_due() == t0 + 12min);  // 80 % of 15m, counted from the opening instant
  CHECK(w.engine->tracked() == 1);

  CHECK(w.engine->run_due() == 0);  // nothing due yet at +2m
  w.clock.set(t0 + 12min - 1ms);
  CHECK(w.engine->run_due() == 0);
  w.clock.set(t0 + 12min);
  CHECK(w.engine->run_due() == 1);
  CHECK(w.outbox_ids() == Ids{dispatch, warning});
  CHECK(*w.engine->next_due() == t0 + 15min);
  CHECK(w.engine->run_due() == 0);  // repeated: no duplicate

  w.clock.set(t0 + 15min);
  CHECK(w.engine->run_due() == 1);
  CHECK(w.outbox_ids() == Ids{dispatch, warning, township});
  CHECK(*w.engine->next_due() == t0 + 30min);

  SECTION("the messages say who, what and where") {
    auto m = w.store->message(township);
    REQUIRE(m);
    CHECK(m->kind == "escalation");
    CHECK(m->level == "township");
    CHECK(m->reason == "first_response_overdue");
    CHECK(m->state == "pending");
    CHECK(m->body["to"]["name"] == "海拉尔东路街道社会救助窗口");
    CHECK(m->body["ack_url"] == std::string(kUrl) + "/api/v1/escalations/" + township + "/acknowledge");
    CHECK(m->body["place"].get<std::string>().starts_with("呼和浩特市 新城区 海拉尔东路街道"));
    const std::string text = m->body["text"];
    CHECK(text.find("13812345678") == std::string::npos);  // no caller number in a message
    auto d = w.store->message(dispatch);
    REQUIRE(d);
    CHECK(d->body["to"]["name"] == "海拉尔东路街道社会救助窗口");
    CHECK_FALSE(d->body.contains("ack_url"));
  }

  SECTION("county after the township's step, league after the county's, then nothing") {
    w.clock.set(t0 + 30min);
    CHECK(w.engine->run_due() == 1);
    CHECK(w.outbox_ids() == Ids{dispatch, warning, township, county});
    CHECK(w.store->message(county)->body["to"]["name"] == "新城区民政局值班室");
    w.clock.set(t0 + 60min);
    CHECK(w.engine->run_due() == 1);
    CHECK(w.outbox_ids() == Ids{dispatch, warning, township, county, league});
    CHECK(w.store->get(t.id)->first_response_esc.level == "league");
    CHECK(w.store->get(t.id)->escalation_level() == "league");
    // next is the resolution warning (80 % of 24h), nothing more on first response
    REQUIRE(w.engine->next_due());
    CHECK(*w.engine->next_due() == t0 + Millis(static_cast<std::int64_t>(24 * 3600 * 1000 * 0.8)));
    w.clock.set(t0 + 10h);
    CHECK(w.engine->run_due() == 0);
    CHECK(w.outbox_ids().size() == 5);
  }

  SECTION("a restart over the same store sends nothing twice") {
    w.restart();
    CHECK(w.engine->tracked() == 1);
    CHECK(*w.engine->next_due() == t0 + 30min);
    CHECK(w.engine->run_due() == 0);
    CHECK(w.outbox_ids() == Ids{dispatch, warning, township});
    w.clock.set(t0 + 30min);
    CHECK(w.engine->run_due() == 1);
    w.restart();
    CHECK(w.engine->run_due() == 0);
    CHECK(w.outbox_ids() == Ids{dispatch, warning, township, county});
  }

  SECTION("a coordinator's acknowledgement stops the climb") {
    w.service->acknowledge_escalation(township, {{"by", "街道值班员"}, {"responder", "李"}});
    w.clock.set(t0 + 2h);
    CHECK(w.engine->run_due() == 0);
    CHECK(w.outbox_ids() == Ids{dispatch, warning, township});
    CHECK(w.store->message(township)->acknowledged_by == "街道值班员");
  }

  SECTION("the office's sign-off after a breach stops the climb") {
    w.service->apply(t.id, {{"type", "acknowledge"}, {"by", "window"}});
    w.clock.set(t0 + 2h);
    CHECK(w.engine->run_due() == 0);
    CHECK(w.outbox_ids() == Ids{dispatch, warning, township});
  }
}

TEST_CASE("engine: a late run takes every overdue step in order, once", "[escalation][engine]") {
  World w;
  const Instant t0 = w.clock.now();
  const Ticket t = w.open_critical();
  w.confirm(t.id);
  w.clock.set(t0 + 45min);  // the daemon was stopped: warning, township and county all due
  CHECK(w.engine->run_due() == 3);
  auto ids = w.outbox_ids();  // same created_at: the store orders them by id
  std::sort(ids.begin(), ids.end());
  Ids want{mid(t, "dispatch-office-dispatched"), mid(t, "warning-office-first_response_warning"),
           mid(t, "escalation-township-first_response_overdue"), mid(t, "escalation-county-first_response_overdue")};
  std::sort(want.begin(), want.end());
  CHECK(ids == want);
  // taken in ladder order: the ticket's history shows it
  std::vector<std::string> steps;
  for (const auto& e : w.store->events(t.id))
    if (e["type"] == "warning" || e["type"] == "escalation") steps.push_back(e["body"]["level"]);
  CHECK(steps == Ids{"office", "township", "county"});
  CHECK(*w.engine->next_due() == t0 + 60min);  // the ladder is not shifted by the late run
}

TEST_CASE("engine: the office's sign-off before due means no escalation", "[escalation][engine]") {
  World w;
  const Instant t0 = w.clock.now();
  const Ticket t = w.open_critical();
  w.confirm(t.id);
  w.clock.set(t0 + 5min);
  w.service->apply(t.id, {{"type", "acknowledge"}, {"by", "window"}});
  REQUIRE(w.engine->next_due());
  CHECK(*w.engine->next_due() == t0 + Millis(static_cast<std::int64_t>(24 * 3600 * 1000 * 0.8)));
  w.clock.set(t0 + 3h);
  CHECK(w.engine->run_due() == 0);
  CHECK(w.outbox_ids() == Ids{mid(t, "dispatch-office-dispatched")});
}

TEST_CASE("engine: next_due is the earliest moment over all tickets", "[escalation][engine]") {
  World w;
  const Instant t0 = w.clock.now();
  const Ticket a = w.service->open_for_call(facts("a@pbx", "13900000001"), labels("temporary_assistance", "help", "urgent"),
                                            "sa_urgent");
  w.confirm(a.id);
  CHECK(*w.engine->next_due() == t0 + Millis(static_cast<std::int64_t>(2 * 3600 * 1000 * 0.8)));  // 1h36m
  w.clock.advance(10min);
  const Ticket b = w.open_critical("b@pbx", "13900000002");
  w.confirm(b.id);
  CHECK(w.engine->tracked() == 2);
  CHECK(*w.engine->next_due() == t0 + 10min + 12min);
  w.service->apply(b.id, {{"type", "cancel"}, {"by", "agent"}});
  CHECK(w.engine->tracked() == 1);
  CHECK(*w.engine->next_due() == t0 + 96min);
}

TEST_CASE("engine: a level with nobody in the directory is skipped and reported", "[escalation][engine]") {
  World w(without_level(full_directory(), "county"));
  const Instant t0 = w.clock.now();
  const Ticket t = w.open_critical();
  w.confirm(t.id);
  w.clock.set(t0 + 30min);
  w.engine->run_due();
  const auto ids = w.outbox_ids();
  CHECK_FALSE(contains(ids, mid(t, "escalation-county-first_response_overdue")));
  CHECK(w.engine->gaps() == 1);
  CHECK(contains(w.event_types(t.id), "escalation_gap"));
  // the league is told at the county's moment, in the same run
  CHECK(w.store->get(t.id)->first_response_esc.level == "league");
  CHECK(contains(w.outbox_ids(), mid(t, "escalation-league-first_response_overdue")));
  w.clock.set(t0 + 60min);
  w.engine->run_due();
  CHECK(w.engine->gaps() == 1);  // the gap is reported once
}

// DESIGN "Escalation ladder": "Where a level has nobody in the directory (or nobody on duty), the next
// level up": at the skipped level's moment, not one more step later.
TEST_CASE("engine: with no county coordinator the league is told at the county's moment",
          "[escalation][engine]") {
  World w(without_level(full_directory(), "county"));
  const Instant t0 = w.clock.now();
  const Ticket t = w.open_critical();
  w.confirm(t.id);
  w.clock.set(t0 + 30min);
  w.engine->run_due();
  CHECK(contains(w.outbox_ids(), mid(t, "escalation-league-first_response_overdue")));
}

TEST_CASE("engine: with no township coordinator the county is told at due", "[escalation][engine]") {
  World w(without_level(full_directory(), "township"));
  const Instant t0 = w.clock.now();
  const Ticket t = w.open_critical();
  w.confirm(t.id);  // dispatch gap: no township window either
  w.clock.set(t0 + 15min);
  w.engine->run_due();
  CHECK(contains(w.event_types(t.id), "escalation_gap"));
  CHECK(contains(w.outbox_ids(), mid(t, "escalation-county-first_response_overdue")));
}

TEST_CASE("engine: the ladder stored at confirmation applies even after the configured ladder changes",
          "[escalation][engine]") {
  World w;
  const Instant t0 = w.clock.now();
  const Ticket t = w.open_critical();
  w.confirm(t.id);
  REQUIRE(w.store->get(t.id)->ladder.is_object());
  // a restart with a new configured ladder (county after 5 minutes, not 15) keeps the ticket's own
  w.restart_with_ladder({{"township", Millis(5min)}, {"county", Millis(5min)}, {"league", Millis(5min)}});
  w.clock.set(t0 + 15min);
  w.engine->run_due();
  CHECK(contains(w.outbox_ids(), mid(t, "escalation-township-first_response_overdue")));
  w.clock.set(t0 + 25min);
  w.engine->run_due();
  CHECK_FALSE(contains(w.outbox_ids(), mid(t, "escalation-county-first_response_overdue")));  // not due+5m
  w.clock.set(t0 + 30min);
  w.engine->run_due();
  CHECK(contains(w.outbox_ids(), mid(t, "escalation-county-first_response_overdue")));  // due + 15m
}
