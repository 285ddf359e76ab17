#include "routing/sla/policy.h"

#include <catch2/catch.hpp>

#include "routing/common/time_format.h"
#include "tests/routing/common/time_helpers.h"

using assist::Deadlines;
using assist::Instant;
using assist::SlaError;
using assist::SlaPolicy;
using nlohmann::json;

using assist::testing::at;
using assist::testing::due_text;

namespace {


// The default limits of DESIGN / call-taxonomy.md "Deadlines", first match wins.
const json kDefaults = json::parse(R"([
  {"urgency": "critical", "first_response": "15m", "resolution": "24h"},
  {"urgency": "urgent", "first_response": "2h", "resolution": "24h"},
  {"request_type": "consult", "first_response": "1wd", "resolution": "2wd"},
  {"request_type": ["complaint", "report"], "first_response": "1wd", "resolution": "15wd"},
  {"first_response": "1wd", "resolution": "10wd"}
])");

SlaPolicy defaults() {
  return SlaPolicy(assist::limits_from_json(kDefaults), assist::WorkingDayCalendar::builtin());
}

std::string fmt(Instant t) { return assist::format_rfc3339(t); }

}  // namespace

TEST_CASE("default limits: first match wins", "[sla][policy]") {
  const SlaPolicy p = defaults();
  REQUIRE(p.limits().size() == 5);
  const Instant opened = at("2026-09-30T10:00:00+08:00");

  SECTION("critical beats the request type's rule") {
    const Deadlines d = p.compute(opened, "temporary_assistance", "complaint", "critical", "150102");
    CHECK(d.rule_index == 0);
    CHECK(d.rule == "urgency=critical first_response=15m resolution=24h");
    CHECK(fmt(d.first_response_due) == "2026-09-30T10:15:00+08:00");
    CHECK(fmt(d.resolution_due) == "2026-10-01T10:00:00+08:00");  // wall clock, holiday or not
    CHECK_FALSE(d.provisional);
  }
  SECTION("urgent") {
    const Deadlines d = p.compute(opened, "disaster_relief", "help", "urgent", "");
    CHECK(d.rule_index == 1);
    CHECK(d.rule == "urgency=urgent first_response=2h resolution=24h");
    CHECK(fmt(d.first_response_due) == "2026-09-30T12:00:00+08:00");
    CHECK(fmt(d.resolution_due) == "2026-10-01T10:00:00+08:00");
  }
  SECTION("consult, normal: 1wd / 2wd across National Day") {
    const Deadlines d = p.compute(opened, "minimum_living_allowance", "consult", "normal", "");
    CHECK(d.rule_index == 2);
    CHECK(d.rule == "request_type=consult first_response=1wd resolution=2wd");
    CHECK(fmt(d.first_response_due) == "2026-10-09T00:00:00+08:00");
    CHECK(fmt(d.resolution_due) == "2026-10-10T00:00:00+08:00");
  }
  SECTION("complaint and report, normal: 15wd") {
    for (const char* type : {"complaint", "report"}) {
      const Deadlines d = p.compute(opened, "minimum_living_allowance", type, "normal", "");
      CHECK(d.rule_index == 3);
      CHECK(d.rule == "request_type=complaint|report first_response=1wd resolution=15wd");
      CHECK(fmt(d.first_response_due) == "2026-10-09T00:00:00+08:00");
      // 10-08, 09, 10 (Sat), 12-16, 19-23, 26, 27
      CHECK(fmt(d.resolution_due) == "2026-10-28T00:00:00+08:00");
    }
  }
  SECTION("help and suggestion fall through to the catch-all: the taxonomy's example") {
    for (const char* type : {"help", "suggestion"}) {
      const Deadlines d = p.compute(opened, "temporary_assistance", type, "normal", "");
      CHECK(d.rule_index == 4);
      CHECK(d.rule == "first_response=1wd resolution=10wd");
      CHECK(fmt(d.resolution_due) == "2026-10-21T00:00:00+08:00");
      CHECK_FALSE(d.provisional);
    }
  }
  SECTION("a deadline in 2027 (no calendar) is provisional; a wall-clock one is not") {
    const Instant late = at("2026-12-28T10:00:00+08:00");
    const Deadlines help = p.compute(late, "temporary_assistance", "help", "normal", "");
    CHECK(help.provisional);
    CHECK(fmt(help.first_response_due) == "2026-12-30T00:00:00+08:00");
    CHECK(fmt(help.resolution_due) == "2027-01-12T00:00:00+08:00");  // 29,30,31, then Jan 1, 4-8, 11
    CHECK_FALSE(p.compute(late, "stranded_person", "help", "critical", "").provisional);
  }
}

TEST_CASE("category, region and working-hour rules", "[sla][policy]") {
  const SlaPolicy p(assist::limits_from_json(json::parse(R"([
    {"category": "stranded_person", "region": ["1501", "1502"], "urgency": ["urgent", "normal"],
     "first_response": "90s", "resolution": "4wh"},
    {"category": ["hardship_report"], "first_response": "4wh", "resolution": "3d"},
    {"first_response": "1d", "resolution": "10wd"}
  ])")),
                    assist::WorkingDayCalendar::builtin());
  const Instant opened = at("2026-03-02T10:00:00+08:00");
  const Deadlines a = p.compute(opened, "stranded_person", "help", "normal", "150102001001");
  CHECK(a.rule_index == 0);
  CHECK(a.rule ==
        "urgency=urgent|normal category=stranded_person region=1501|1502 first_response=90s "
        "resolution=4wh");
  CHECK(fmt(a.first_response_due) == "2026-03-02T10:01:30+08:00");
  CHECK(fmt(a.resolution_due) == "2026-03-02T16:30:00+08:00");
  CHECK(p.compute(opened, "stranded_person", "help", "normal", "150202").rule_index == 0);
  CHECK(p.compute(opened, "stranded_person", "help", "normal", "150302").rule_index == 2);
  CHECK(p.compute(opened, "stranded_person", "help", "normal", "").rule_index == 2);
  CHECK(p.compute(opened, "stranded_person", "help", "critical", "150102").rule_index == 2);
  const Deadlines b = p.compute(opened, "hardship_report", "report", "normal", "");
  CHECK(b.rule_index == 1);
  CHECK(fmt(b.first_response_due) == "2026-03-02T16:30:00+08:00");
  CHECK(fmt(b.resolution_due) == "2026-03-05T10:00:00+08:00");
}

TEST_CASE("describe writes rules built in code", "[sla][policy]") {
  assist::LimitRule r;
  r.request_types = {"complaint", "report"};
  r.first_response = *assist::parse_duration("1wd");
  r.resolution = *assist::parse_duration("24h");
  CHECK(assist::describe(r) == "request_type=complaint|report first_response=1wd resolution=1d");
  r.text = "as written";
  CHECK(assist::describe(r) == "as written");
}

TEST_CASE("limits_from_json names the item and key of an error", "[sla][policy]") {
  struct Case {
    const char* limits;
    const char* message;
  };
  const Case cases[] = {
      {R"({"first_response": "1wd"})", "sla.limits: expected a list"},
      {R"([])", "sla.limits: empty"},
      {R"(["1wd"])", "sla.limits[0]: expected an object"},
      {R"([{"urgncy": "critical", "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].urgncy: unknown key"},
      {R"([{"urgency": "critical", "first_response": "15m", "resolution": "24h"}, {"first_response": "15 m", "resolution": "10wd"}])",
       "sla.limits[1].first_response: bad duration \"15 m\""},
      {R"([{"first_response": "1wd", "resolution": "0wd"}])",
       "sla.limits[0].resolution: bad duration \"0wd\""},
      {R"([{"first_response": "1wd", "resolution": 10}])",
       "sla.limits[0].resolution: expected a duration"},
      {R"([{"first_response": "1wd"}])", "sla.limits[0].resolution: missing"},
      {R"([{"first_response": "1wd", "resolution": "2000wd"}])",
       "sla.limits[0].resolution: \"2000wd\" is too long"},
      {R"([{"urgency": "high", "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].urgency: unknown value \"high\" (critical, urgent, normal)"},
      {R"([{"request_type": ["help", "question"], "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].request_type: unknown value \"question\""},
      {R"([{"category": "dibao", "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].category: unknown value \"dibao\""},
      {R"([{"region": "15a", "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].region: \"15a\" is not a region-code prefix"},
      {R"([{"region": "1501020010011", "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].region: \"1501020010011\" is not a region-code prefix"},
      {R"([{"urgency": 5, "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].urgency: expected a string"},
      {R"([{"urgency": [], "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].urgency: expected a string or a non-empty list"},
      {R"([{"urgency": ["urgent", 1], "first_response": "15m", "resolution": "24h"}, {"first_response": "1wd", "resolution": "10wd"}])",
       "sla.limits[0].urgency: expected a string or a list of strings"},
      {R"([{"first_response": "1wd", "resolution": "10wd"}, {"urgency": "critical", "first_response": "15m", "resolution": "24h"}])",
       "sla.limits[1]: the last rule must match everything"},
  };
  for (const auto& c : cases) {
    INFO(c.limits);
    CHECK_THROWS_WITH(assist::limits_from_json(json::parse(c.limits)), Catch::StartsWith(c.message));
  }
}

TEST_CASE("SlaPolicy refuses an empty list and reports a ticket no rule matches", "[sla][policy]") {
  const auto cal = assist::WorkingDayCalendar::builtin();
  CHECK_THROWS_AS(SlaPolicy({}, cal), SlaError);
  CHECK_THROWS_AS(SlaPolicy(assist::limits_from_json(kDefaults), nullptr), std::invalid_argument);
  assist::LimitRule only_critical;
  only_critical.urgencies = {"critical"};
  only_critical.first_response = *assist::parse_duration("15m");
  only_critical.resolution = *assist::parse_duration("24h");
  const SlaPolicy p({only_critical}, cal);
  CHECK_THROWS_AS(p.compute(at("2026-03-02T10:00:00+08:00"), "care_services", "help", "normal", ""),
                  SlaError);
}

// ---- issue 5: time counted on the office that must act (its hours, its days off) ----

namespace {

// Invented for the tests: banner 152522 keeps summer hours and is closed 15-16 July 2026.
assist::BusinessHoursTable banner_hours() {
  return assist::business_hours_from_json(json::parse(R"({
    "default": {"hours": ["08:30-12:00", "14:30-18:00"]},
    "152522": {"hours": ["08:30-12:00", "14:30-18:00"],
               "seasons": [{"name": "summer", "from": "05-01", "to": "09-30", "hours": ["08:00-12:00", "15:00-18:30"]}]}
  })"));
}

std::shared_ptr<const assist::WorkingDayCalendar> banner_calendar() {
  auto c = std::make_shared<assist::WorkingDayCalendar>(*assist::WorkingDayCalendar::builtin());
  c->load_regional_yaml("year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-15, name: 测试}\n"
                        "  - {region: \"152522\", date: 2026-07-16, name: 测试}\n",
                        "regions-2026.yaml");
  return c;
}

const json kHourLimits = json::parse(R"([
  {"urgency": "urgent", "first_response": "2wh", "resolution": "3wd"},
  {"first_response": "1wd", "resolution": "10wd"}
])");

}  // namespace

TEST_CASE("policy: working hours count in the office's region, with its season", "[sla][policy][hours]") {
  const SlaPolicy p(assist::limits_from_json(kHourLimits), assist::WorkingDayCalendar::builtin(), banner_hours());
  const Instant tue_17 = at("2026-07-14T17:00:00+08:00");
  const Deadlines banner = p.compute(tue_17, "temporary_assistance", "help", "urgent", "152522101001");
  CHECK(fmt(banner.first_response_due) == "2026-07-15T08:30:00+08:00");  // 17:00-18:30, then 08:00 + 0.5 h
  CHECK(banner.business_hours == "152522: 08:30-12:00 14:30-18:00; summer 05-01..09-30 08:00-12:00 15:00-18:30");
  const Deadlines city = p.compute(tue_17, "temporary_assistance", "help", "urgent", "150102001001");
  CHECK(fmt(city.first_response_due) == "2026-07-15T09:30:00+08:00");  // 17:00-18:00, then 08:30 + 1 h
  CHECK(city.business_hours == "08:30-12:00 14:30-18:00");
  const Deadlines none = p.compute(tue_17, "temporary_assistance", "help", "urgent", "");
  CHECK(none.first_response_due == city.first_response_due);
  // a rule with no limit in working hours records no hours
  CHECK(p.compute(tue_17, "temporary_assistance", "help", "normal", "152522").business_hours.empty());
  // extensions in working hours too
  CHECK(fmt(p.add(tue_17, *assist::parse_duration("2wh"), nullptr, "152522")) == "2026-07-15T08:30:00+08:00");
  CHECK(fmt(p.add(tue_17, *assist::parse_duration("2wh"))) == "2026-07-15T09:30:00+08:00");
}

TEST_CASE("policy: the region's extra days off are not counted", "[sla][policy][hours]") {
  const SlaPolicy p(assist::limits_from_json(kHourLimits), banner_calendar(), banner_hours());
  const Instant mon = at("2026-07-13T10:00:00+08:00");
  const Deadlines banner = p.compute(mon, "minimum_living_allowance", "help", "normal", "152522101");
  CHECK(fmt(banner.first_response_due) == "2026-07-15T00:00:00+08:00");
  CHECK(fmt(banner.resolution_due) == "2026-07-30T00:00:00+08:00");  // 15 and 16 July skipped
  const Deadlines city = p.compute(mon, "minimum_living_allowance", "help", "normal", "150102001");
  CHECK(fmt(city.resolution_due) == "2026-07-28T00:00:00+08:00");
  // working hours skip them as well: Tuesday 17:00 + 2wh -> Friday 17 July
  CHECK(fmt(p.compute(at("2026-07-14T17:00:00+08:00"), "temporary_assistance", "help", "urgent", "152522")
                .first_response_due) == "2026-07-17T08:30:00+08:00");
  // an extension of 2wd from 24:00 of Tuesday 14 July: Friday 17 and Monday 20 in the banner
  CHECK(fmt(p.add(at("2026-07-15T00:00:00+08:00"), *assist::parse_duration("2wd"), nullptr, "152522")) ==
        "2026-07-21T00:00:00+08:00");
  CHECK(fmt(p.add(at("2026-07-15T00:00:00+08:00"), *assist::parse_duration("2wd"))) == "2026-07-17T00:00:00+08:00");
}

TEST_CASE("policy: the version covers every region's hours and the regional days off", "[sla][policy][hours]") {
  const auto limits = assist::limits_from_json(kHourLimits);
  const auto builtin = assist::WorkingDayCalendar::builtin();
  const SlaPolicy plain(limits, builtin);
  // the config's default section is the built-in default: the same version as before regions existed
  const SlaPolicy from_config(limits, builtin,
                              assist::business_hours_from_json(json::parse(
                                  R"({"default": {"hours": ["08:30-12:00", "14:30-18:00"]}})")));
  CHECK(from_config.version() == plain.version());
  const SlaPolicy regional(limits, builtin, banner_hours());
  CHECK(regional.version() != plain.version());
  auto other_hours = banner_hours();
  other_hours.set("152523", assist::BusinessHours{});
  CHECK(SlaPolicy(limits, builtin, other_hours).version() != regional.version());
  CHECK(SlaPolicy(limits, banner_calendar(), banner_hours()).version() != regional.version());
  CHECK(regional.compute(at("2026-07-14T17:00:00+08:00"), "temporary_assistance", "help", "urgent", "").policy_version ==
        regional.version());
}
