// Regional extra days off (routing/sla/calendar.h, regions-YYYY.yaml) and office hours on the calendar:
// a region's own closed days are not counted in working days nor working hours, for offices whose code
// starts with the region's prefix only. The days below are invented for the tests; no real regional
// holiday is implied.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "routing/common/time_format.h"
#include "tests/routing/common/time_helpers.h"
#include "routing/sla/calendar.h"

using namespace std::chrono;
using assist::Due;
using assist::Instant;
using assist::WorkingDayCalendar;

using assist::testing::at;
using assist::testing::due_text;

namespace {



// 152522 (a banner) closed Wednesday and Thursday 15-16 July 2026; all of league 1525 Friday 11 September.
constexpr const char* kRegional2026 =
    "year: 2026\n"
    "days:\n"
    "  - {region: \"152522\", date: 2026-07-15, name: 测试休息日}\n"
    "  - {region: \"152522\", date: 2026-07-16, name: 测试休息日}\n"
    "  - {region: \"1525\", date: 2026-09-11, name: 测试全盟休息日}\n";

WorkingDayCalendar with_regions() {
  WorkingDayCalendar c = *WorkingDayCalendar::builtin();
  c.load_regional_yaml(kRegional2026, "regions-2026.yaml");
  return c;
}

}  // namespace

TEST_CASE("regional days off: closed only for offices under the prefix", "[sla][calendar][regional]") {
  const auto c = with_regions();
  CHECK_FALSE(c.is_working_day(2026y / July / 15, nullptr, "152522"));
  CHECK_FALSE(c.is_working_day(2026y / July / 15, nullptr, "152522101001"));  // a village of the banner
  CHECK(c.is_working_day(2026y / July / 15, nullptr, "152523"));              // the next banner works
  CHECK(c.is_working_day(2026y / July / 15, nullptr, "15252"));               // a shorter code is not under it
  CHECK(c.is_working_day(2026y / July / 15));                                 // the national calendar
  CHECK_FALSE(c.is_working_day(2026y / September / 11, nullptr, "152501"));   // the league's day
  CHECK_FALSE(c.is_working_day(2026y / September / 11, nullptr, "152522"));
  CHECK(c.is_working_day(2026y / September / 11, nullptr, "150102"));
  CHECK_FALSE(c.is_working_day(2026y / October / 1, nullptr, "152522"));      // national holidays still hold
  CHECK(c.is_working_day(2026y / October / 10, nullptr, "152522"));           // and make-up days (调休)
  const auto days_off = c.regional_days_off("152522101");
  REQUIRE(days_off.size() == 3);
  CHECK(days_off.at(sys_days{2026y / July / 15}) == "152522 测试休息日");
  CHECK(days_off.at(sys_days{2026y / September / 11}) == "1525 测试全盟休息日");
  CHECK(c.regional_days_off("150102").empty());
  CHECK(c.regional_count() == 3);
}

TEST_CASE("regional days off: working days skip them (Civil Code count)", "[sla][calendar][regional]") {
  const auto c = with_regions();
  const Instant mon = at("2026-07-13T10:00:00+08:00");
  CHECK(due_text(c.add_working_days(mon, 1, "152522")) == "2026-07-15T00:00:00+08:00");  // Tuesday
  CHECK(due_text(c.add_working_days(mon, 2)) == "2026-07-16T00:00:00+08:00");
  CHECK(due_text(c.add_working_days(mon, 2, "152522")) == "2026-07-18T00:00:00+08:00");  // Friday, not Wednesday
  CHECK(due_text(c.add_working_days(mon, 10)) == "2026-07-28T00:00:00+08:00");
  CHECK(due_text(c.add_working_days(mon, 10, "152522101")) == "2026-07-30T00:00:00+08:00");
  CHECK(due_text(c.add_working_days(mon, 10, "150102001")) == "2026-07-28T00:00:00+08:00");
  // opened on the banner's own day off: counting starts with the next working day, as on a holiday
  CHECK(due_text(c.add_working_days(at("2026-07-15T09:00:00+08:00"), 1, "152522")) == "2026-07-18T00:00:00+08:00");
  CHECK_FALSE(c.add_working_days(mon, 10, "152522").provisional);
}

TEST_CASE("regional days off: the week skip agrees with a day-by-day walk", "[sla][calendar][regional]") {
  const auto c = with_regions();
  for (const char* region : {"152522", "152501", "150102"}) {
    for (sys_days open = sys_days{2026y / June / 1}; open <= sys_days{2026y / October / 1}; open += days{2}) {
      for (int n : {1, 3, 6, 7, 11, 23}) {
        bool prov = false;
        sys_days d = open;
        for (int k = 0; k < n;) {
          d += days{1};
          if (c.is_working_day(year_month_day{d}, &prov, region)) ++k;
        }
        const Due got = c.add_working_days(assist::shanghai_midnight(year_month_day{open}) + hours(10), n, region);
        INFO(region << " opened " << assist::format_rfc3339(assist::shanghai_midnight(year_month_day{open})) << " n=" << n);
        REQUIRE(got.at == assist::shanghai_midnight(year_month_day{d + days{1}}));
        REQUIRE(got.provisional == prov);
      }
    }
  }
}

TEST_CASE("regional days off and seasonal hours: working hours", "[sla][calendar][regional]") {
  const auto c = with_regions();
  const Instant tue_17 = at("2026-07-14T17:00:00+08:00");
  CHECK(due_text(c.add_working_hours(tue_17, 2)) == "2026-07-15T09:30:00+08:00");
  CHECK(due_text(c.add_working_hours(tue_17, 2, {}, "152522")) == "2026-07-17T09:30:00+08:00");  // 15, 16 closed
  assist::BusinessHours summer;  // the year's hours, and summer hours from May to September
  summer.seasons.push_back({"summer", 5, 1, 9, 30, {{hours(8), hours(12)}, {hours(15), minutes(18 * 60 + 30)}}});
  // 17:00-18:30 counts 1.5 h; Friday 08:00 + 0.5 h
  CHECK(due_text(c.add_working_hours(tue_17, 2, summer, "152522")) == "2026-07-17T08:30:00+08:00");
  // out of season the year's hours: Tuesday 13 October 17:00 + 2 h -> Wednesday 09:30
  CHECK(due_text(c.add_working_hours(at("2026-10-13T17:00:00+08:00"), 2, summer, "152522")) ==
        "2026-10-14T09:30:00+08:00");
  // 12:00-15:00 is the summer noon break: 11:00 + 2 h ends at 16:00
  CHECK(due_text(c.add_working_hours(at("2026-07-13T11:00:00+08:00"), 2, summer, "152522")) ==
        "2026-07-13T16:00:00+08:00");
}

TEST_CASE("regional days off: the fingerprint changes only when there are some", "[sla][calendar][regional]") {
  WorkingDayCalendar same = *WorkingDayCalendar::builtin();
  CHECK(same.fingerprint() == WorkingDayCalendar::builtin()->fingerprint());
  CHECK(with_regions().fingerprint() != WorkingDayCalendar::builtin()->fingerprint());
  WorkingDayCalendar other = *WorkingDayCalendar::builtin();
  other.load_regional_yaml("year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-17, name: x}\n", "r.yaml");
  CHECK(other.fingerprint() != with_regions().fingerprint());
}

TEST_CASE("regional days off in a year with no national calendar are still provisional", "[sla][calendar][regional]") {
  WorkingDayCalendar c = *WorkingDayCalendar::builtin();
  c.load_regional_yaml("year: 2027\ndays:\n  - {region: \"152522\", date: 2027-01-06, name: 测试}\n", "r.yaml");
  bool prov = false;
  CHECK_FALSE(c.is_working_day(2027y / January / 6, &prov, "152522"));
  CHECK(prov);
  const Due d = c.add_working_days(at("2027-01-05T10:00:00+08:00"), 1, "152522");  // Tuesday
  CHECK(due_text(d) == "2027-01-08T00:00:00+08:00");
  CHECK(d.provisional);
}

TEST_CASE("a broken regional file is an error naming source, line and key", "[sla][calendar][regional]") {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"year: 2026\ndays:\n  - {region: \"1\", date: 2026-07-15, name: x}\n",
       "regions-2026.yaml:3: days[0].region: expected a division-code prefix (2 to 12 digits"},
      {"year: 2026\ndays:\n  - {region: \"15a2\", date: 2026-07-15, name: x}\n",
       "regions-2026.yaml:3: days[0].region: expected a division-code prefix"},
      {"year: 2026\ndays:\n  - {region: \"152522\", date: 2027-07-15, name: x}\n",
       "regions-2026.yaml:3: days[0].date: 2027-07-15 is outside year 2026"},
      {"year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-15}\n",
       "regions-2026.yaml:3: days[0].name: missing"},
      {"year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-15, name: x, off: true}\n",
       "regions-2026.yaml:3: days[0].off: unknown key (expected region, date, name)"},
      {"year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-15, name: x}\n"
       "  - {region: \"152522\", date: 2026-07-15, name: y}\n",
       "regions-2026.yaml:4: days[1].date: 2026-07-15 is listed twice for region 152522"},
      {"year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-32, name: x}\n",
       "regions-2026.yaml:3: days[0].date: not a date (YYYY-MM-DD)"},
      {"days: []\n", "regions-2026.yaml:1: year: missing"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    WorkingDayCalendar cal;
    CHECK_THROWS_WITH(cal.load_regional_yaml(c.yaml, "regions-2026.yaml"), Catch::StartsWith(c.message));
    CHECK(cal.regional_count() == 0);  // all or nothing
  }
  // the same region and date in two lines is refused, the same date in two regions is not
  WorkingDayCalendar ok;
  ok.load_regional_yaml("year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-15, name: x}\n"
                        "  - {region: \"152523\", date: 2026-07-15, name: x}\n",
                        "a.yaml");
  CHECK(ok.regional_count() == 2);
  CHECK_THROWS_WITH(ok.load_regional_yaml("year: 2026\ndays: []\n", "b.yaml"),
                    Catch::StartsWith("b.yaml:1: year: regional days off of 2026 are already loaded"));
}

TEST_CASE("a calendar folder takes regions-YYYY.yaml beside cn-YYYY.yaml", "[sla][calendar][regional]") {
  const auto dir = std::filesystem::temp_directory_path() / ("assist-cal-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto write = [&](const char* name, const char* text) { std::ofstream(dir / name) << text; };
  write("regions-2026.yaml", kRegional2026);
  const auto c = WorkingDayCalendar::with_folder(dir.string());
  CHECK(c->has_year(2026));  // the built-in national files stay
  CHECK_FALSE(c->is_working_day(2026y / July / 15, nullptr, "152522"));
  CHECK(c->is_working_day(2026y / July / 15, nullptr, "150102"));
  CHECK(c->regional_count() == 3);

  write("regions-2025.yaml", "year: 2026\ndays: []\n");
  CHECK_THROWS_WITH(WorkingDayCalendar::with_folder(dir.string()),
                    Catch::Contains("regions-2025.yaml:0: year: differs from the file name's year"));
  std::filesystem::remove(dir / "regions-2025.yaml");
  write("holidays.yaml", "year: 2026\ndays: []\n");
  CHECK_THROWS_WITH(WorkingDayCalendar::with_folder(dir.string()),
                    Catch::Contains("holidays.yaml:0: (file): name is not cn-YYYY.yaml (national) or "
                                    "regions-YYYY.yaml (regional days off)"));
  std::filesystem::remove_all(dir);
  // the shipped calendars have no regional days off
  CHECK(WorkingDayCalendar::builtin()->regional_count() == 0);
}
