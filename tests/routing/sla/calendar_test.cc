#include "routing/sla/calendar.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "routing/common/time_format.h"
#include "tests/routing/common/shared_dir.h"
#include "tests/routing/common/time_helpers.h"

using namespace std::chrono;
using assist::Due;
using assist::Instant;
using assist::WorkingDayCalendar;

using assist::testing::at;
using assist::testing::due_text;

namespace {



const WorkingDayCalendar& cal() { return *WorkingDayCalendar::builtin(); }

}  // namespace

TEST_CASE("builtin calendar holds 2025 and 2026", "[sla][calendar]") {
  CHECK(cal().has_year(2025));
  CHECK(cal().has_year(2026));
  CHECK_FALSE(cal().has_year(2027));
  CHECK(cal().last_year() == 2026);
  CHECK(WorkingDayCalendar{}.last_year() == 0);
}

TEST_CASE("taxonomy worked example: 2026-09-30 10:00 + 10 working days", "[sla][calendar]") {
  const Due d = cal().add_working_days(at("2026-09-30T10:00:00+08:00"), 10);
  CHECK(due_text(d) == "2026-10-21T00:00:00+08:00");
  CHECK_FALSE(d.provisional);
}

TEST_CASE("National Day 2026: holidays off, make-up weekend days worked", "[sla][calendar]") {
  bool prov = false;
  CHECK_FALSE(cal().is_working_day(2026y / October / 1, &prov));
  CHECK_FALSE(cal().is_working_day(2026y / October / 7, &prov));
  CHECK(cal().is_working_day(2026y / October / 8, &prov));
  CHECK(cal().is_working_day(2026y / October / 10, &prov));          // Saturday, make-up day
  CHECK_FALSE(cal().is_working_day(2026y / October / 11, &prov));    // ordinary Sunday
  CHECK(cal().is_working_day(2026y / September / 20, &prov));        // Sunday, make-up day
  CHECK_FALSE(cal().is_working_day(2026y / September / 25, &prov));  // Mid-Autumn, a Friday
  CHECK_FALSE(prov);
  // Opened Friday 10-09: the make-up Saturday 10-10 is the first working day.
  CHECK(due_text(cal().add_working_days(at("2026-10-09T16:00:00+08:00"), 1)) ==
        "2026-10-11T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-10-09T16:00:00+08:00"), 2)) ==
        "2026-10-13T00:00:00+08:00");
  // Opened Friday 09-18: Saturday 09-19 is off, Sunday 09-20 is worked.
  CHECK(due_text(cal().add_working_days(at("2026-09-18T11:00:00+08:00"), 1)) ==
        "2026-09-21T00:00:00+08:00");
  // Opened Thursday 09-24 before Mid-Autumn (09-25..27) and National Day.
  CHECK(due_text(cal().add_working_days(at("2026-09-24T09:00:00+08:00"), 1)) ==
        "2026-09-29T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-09-24T09:00:00+08:00"), 3)) ==
        "2026-10-01T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-09-24T09:00:00+08:00"), 4)) ==
        "2026-10-09T00:00:00+08:00");
}

TEST_CASE("Spring Festival 2026", "[sla][calendar]") {
  // 02-14 (Saturday) worked, 02-15..02-23 off, 02-28 (Saturday) worked.
  const Instant fri = at("2026-02-13T10:00:00+08:00");
  CHECK(due_text(cal().add_working_days(fri, 1)) == "2026-02-15T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(fri, 2)) == "2026-02-25T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(fri, 6)) == "2026-03-01T00:00:00+08:00");  // 24..27, 28 (Sat)
  CHECK(due_text(cal().add_working_days(fri, 7)) == "2026-03-03T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-02-14T10:00:00+08:00"), 1)) ==
        "2026-02-25T00:00:00+08:00");
  // 2025: 01-26 (Sunday) worked, 01-28..02-04 off, 02-08 (Saturday) worked.
  CHECK(due_text(cal().add_working_days(at("2025-01-24T10:00:00+08:00"), 1)) ==
        "2025-01-27T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2025-01-24T10:00:00+08:00"), 3)) ==
        "2025-02-06T00:00:00+08:00");
}

TEST_CASE("a ticket opened on a holiday counts from the next working day", "[sla][calendar]") {
  CHECK(due_text(cal().add_working_days(at("2026-10-03T15:00:00+08:00"), 1)) ==
        "2026-10-09T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-10-03T15:00:00+08:00"), 3)) ==
        "2026-10-11T00:00:00+08:00");
  // Opened on a make-up working day: that day is the opening day and is not counted either.
  CHECK(due_text(cal().add_working_days(at("2026-10-10T09:00:00+08:00"), 1)) ==
        "2026-10-13T00:00:00+08:00");
}

TEST_CASE("the opening day is the Shanghai day, from 00:00:00 to 23:59:59", "[sla][calendar]") {
  // Monday 2026-03-02.
  CHECK(due_text(cal().add_working_days(at("2026-03-02T23:59:59+08:00"), 1)) ==
        "2026-03-04T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-03-02T23:59:59.999+08:00"), 1)) ==
        "2026-03-04T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-03-03T00:00:00+08:00"), 1)) ==
        "2026-03-05T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-03-02T00:00:00+08:00"), 1)) ==
        "2026-03-04T00:00:00+08:00");
  // The same instants written in UTC: the day is Shanghai's, not UTC's.
  CHECK(due_text(cal().add_working_days(at("2026-03-02T15:59:59Z"), 1)) == "2026-03-04T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-03-02T16:00:00Z"), 1)) == "2026-03-05T00:00:00+08:00");
  // Friday 23:59:59 -> Monday; Saturday 00:00:00 -> Monday as well.
  CHECK(due_text(cal().add_working_days(at("2026-03-06T23:59:59+08:00"), 1)) ==
        "2026-03-10T00:00:00+08:00");
  CHECK(due_text(cal().add_working_days(at("2026-03-07T00:00:00+08:00"), 1)) ==
        "2026-03-10T00:00:00+08:00");
}

TEST_CASE("year end 2026 -> 2027 with no 2027 calendar: weekdays, provisional", "[sla][calendar]") {
  const Instant wed = at("2026-12-30T10:00:00+08:00");
  const Due d1 = cal().add_working_days(wed, 1);  // Thursday 12-31 is in 2026: not provisional
  CHECK(due_text(d1) == "2027-01-01T00:00:00+08:00");
  CHECK_FALSE(d1.provisional);
  const Due d2 = cal().add_working_days(wed, 2);  // Friday 2027-01-01, counted as a weekday
  CHECK(due_text(d2) == "2027-01-02T00:00:00+08:00");
  CHECK(d2.provisional);
  const Due d3 = cal().add_working_days(wed, 3);
  CHECK(due_text(d3) == "2027-01-05T00:00:00+08:00");
  CHECK(d3.provisional);
  const Due d10 = cal().add_working_days(wed, 10);  // 12-31, then 9 weekdays of 2027
  CHECK(due_text(d10) == "2027-01-14T00:00:00+08:00");
  CHECK(d10.provisional);
  bool prov = false;
  CHECK(cal().is_working_day(2027y / January / 1, &prov));
  CHECK(prov);

  SECTION("the 2027 file arrives: the same deadline is recomputed without the flag") {
    WorkingDayCalendar c;
    c.load_year_yaml("year: 2026\ndays: []\n", "t-2026.yaml");
    c.load_year_yaml("year: 2027\ndays:\n  - {date: \"2027-01-01\", off: true, name: \"元旦\"}\n",
                     "t-2027.yaml");
    const Due r = c.add_working_days(wed, 2);
    CHECK(due_text(r) == "2027-01-05T00:00:00+08:00");
    CHECK_FALSE(r.provisional);
  }
}

TEST_CASE("add_working_days needs n >= 1 and handles long limits", "[sla][calendar]") {
  CHECK_THROWS_AS(cal().add_working_days(at("2026-03-02T10:00:00+08:00"), 0), std::invalid_argument);
  CHECK_THROWS_AS(cal().add_working_days(at("2026-03-02T10:00:00+08:00"), -3), std::invalid_argument);
  // An empty calendar is weekdays only: 1000 working days = 200 weeks from the Tuesday after opening,
  // the last one a Monday, due at 24:00 of it.
  WorkingDayCalendar none;
  const Due d = none.add_working_days(at("2030-01-07T10:00:00+08:00"), 1000);  // Monday
  CHECK(d.provisional);
  CHECK(assist::shanghai_date(d.at) == year_month_day{sys_days{2030y / January / 7} + days{1401}});
}

TEST_CASE("add_working_days agrees with a plain day-by-day walk over is_working_day",
          "[sla][calendar]") {
  // Covers the whole-week skip, including weeks that run into 2027 (no file).
  for (sys_days open = sys_days{2025y / January / 1}; open <= sys_days{2026y / December / 31};
       open += days{3}) {
    for (int n : {1, 4, 5, 6, 7, 11, 23, 40}) {
      bool prov = false;
      sys_days d = open;
      for (int k = 0; k < n;) {
        d += days{1};
        if (cal().is_working_day(year_month_day{d}, &prov)) ++k;
      }
      const Due got =
          cal().add_working_days(assist::shanghai_midnight(year_month_day{open}) + hours(10), n);
      INFO("opened " << assist::format_rfc3339(assist::shanghai_midnight(year_month_day{open}))
                     << " n=" << n);
      REQUIRE(got.at == assist::shanghai_midnight(year_month_day{d + days{1}}));
      REQUIRE(got.provisional == prov);
    }
  }
}

// Independent reference: the shared JSON files (NateScarlet/holiday-cn, from the State Council's
// notices), a hand-written calendar walk (no std::chrono, no WorkingDayCalendar), every opening day of
// 2025-2026 at 10:00 Shanghai time.
namespace {
struct Ymd {
  int y, m, d;
};
bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int month_days(int y, int m) {
  static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : len[m - 1];
}
Ymd next(Ymd v) {
  if (++v.d > month_days(v.y, v.m)) {
    v.d = 1;
    if (++v.m > 12) v.m = 1, ++v.y;
  }
  return v;
}
int weekday_sakamoto(Ymd v) {  // 0 = Sunday
  static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  int y = v.y - (v.m < 3);
  return (y + y / 4 - y / 100 + y / 400 + t[v.m - 1] + v.d) % 7;
}
std::string text(Ymd v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", v.y, v.m, v.d);
  return buf;
}
}  // namespace

TEST_CASE("reference check against the shared holiday JSON, 2025-2026", "[sla][calendar][reference][shared]") {
  std::map<std::string, bool> listed;  // date -> isOffDay
  for (const char* y : {"2025", "2026"}) {
    std::ifstream f(assist::test::shared_dir() + "/data/calendar-cn/" + y + ".json");
    REQUIRE(f.good());
    const auto j = nlohmann::json::parse(f);
    for (const auto& day : j.at("days"))
      listed[day.at("date").get<std::string>()] = day.at("isOffDay").get<bool>();
  }
  REQUIRE(listed.size() == 33 + 39);
  auto working = [&](Ymd v) {
    const auto it = listed.find(text(v));
    if (it != listed.end()) return !it->second;
    const int wd = weekday_sakamoto(v);
    return wd != 0 && wd != 6;
  };

  int compared = 0, skipped = 0;
  for (Ymd open{2025, 1, 1}; open.y <= 2026; open = next(open)) {
    const Instant opened = at((text(open) + "T10:00:00+08:00").c_str());
    for (int n : {1, 2, 10, 15}) {
      Ymd d = open;
      for (int k = 0; k < n;) {
        d = next(d);
        if (working(d)) ++k;
      }
      if (d.y >= 2027) {
        ++skipped;
        continue;
      }
      const std::string expected = text(next(d)) + "T00:00:00+08:00";
      const Due got = cal().add_working_days(opened, n);
      INFO("opened " << text(open) << " + " << n << "wd");
      CHECK(due_text(got) == expected);
      CHECK_FALSE(got.provisional);
      ++compared;
    }
  }
  CHECK(compared + skipped == 730 * 4);
  CHECK(compared > 2880);
}

TEST_CASE("working hours: 08:30-12:00 and 14:30-18:00 on working days", "[sla][calendar]") {
  const auto wh = [](const char* opened, int h) {
    return due_text(cal().add_working_hours(at(opened), h));
  };
  CHECK(wh("2026-03-02T10:00:00+08:00", 4) == "2026-03-02T16:30:00+08:00");
  CHECK(wh("2026-03-02T09:00:00+08:00", 3) == "2026-03-02T12:00:00+08:00");  // ends at 12:00, not 14:30
  CHECK(wh("2026-03-02T13:00:00+08:00", 1) == "2026-03-02T15:30:00+08:00");  // lunch does not count
  CHECK(wh("2026-03-02T19:00:00+08:00", 1) == "2026-03-03T09:30:00+08:00");
  CHECK(wh("2026-03-02T07:00:00+08:00", 7) == "2026-03-02T18:00:00+08:00");
  CHECK(wh("2026-03-02T07:00:00+08:00", 8) == "2026-03-03T09:30:00+08:00");
  CHECK(wh("2026-10-09T17:00:00+08:00", 2) == "2026-10-10T09:30:00+08:00");  // make-up Saturday
  CHECK(wh("2026-09-30T17:30:00+08:00", 1) == "2026-10-08T09:00:00+08:00");  // across National Day
  CHECK(wh("2026-03-02T10:00:00.250+08:00", 1) == "2026-03-02T11:00:00.250+08:00");
  const Due prov = cal().add_working_hours(at("2026-12-31T17:00:00+08:00"), 2);
  CHECK(due_text(prov) == "2027-01-01T09:30:00+08:00");
  CHECK(prov.provisional);
  CHECK_THROWS_AS(cal().add_working_hours(at("2026-03-02T10:00:00+08:00"), 0), std::invalid_argument);
  assist::BusinessHours none;
  none.windows.clear();
  CHECK_THROWS_AS(cal().add_working_hours(at("2026-03-02T10:00:00+08:00"), 1, none),
                  std::invalid_argument);
}

TEST_CASE("a broken calendar file is an error naming source, line and key", "[sla][calendar]") {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"year: 2026\ndays:\n  - {date: \"2026-01-01\", off: true, name: \"元旦\"}\n  - {date: "
       "\"2026-02-30\", off: true, name: \"x\"}\n",
       "cn-test.yaml:4: days[1].date: not a date (YYYY-MM-DD): \"2026-02-30\""},
      {"year: 2026\ndays:\n  - date: \"2025-12-31\"\n    off: true\n    name: \"x\"\n",
       "cn-test.yaml:3: days[0].date: 2025-12-31 is outside year 2026"},
      {"year: 2026\ndays:\n  - {date: \"2026-01-01\", off: true, name: \"元旦\"}\n  - {date: "
       "\"2026-01-02\", name: \"元旦\"}\n",
       "cn-test.yaml:4: days[1].off: missing"},
      {"# comment\ndays: []\n", "cn-test.yaml:2: year: missing"},
      {"year: 2026\n", "cn-test.yaml:1: days: missing"},
      {"year: 2026\ndays:\n  - {date: \"2026-01-01\", off: true, name: \"元旦\", paid: true}\n",
       "cn-test.yaml:3: days[0].paid: unknown key"},
      {"year: 2026\ndays:\n  - {date: \"2026-01-01\", off: true, name: \"a\"}\n  - {date: "
       "\"2026-01-01\", off: true, name: \"b\"}\n",
       "cn-test.yaml:4: days[1].date: 2026-01-01 is listed twice"},
      {"year: 2026\ndays:\n  - {date: \"2026-01-05\", off: false, name: \"x\"}\n",
       "cn-test.yaml:3: days[0].off: false marks a make-up working day"},
      {"year: 2026\ndays:\n  - {date: \"2026-01-01\", off: \"true\", name: \"x\"}\n",
       "cn-test.yaml:3: days[0].off: expected true or false"},
      {"year: 2026\ndays:\n  - {date: 2026-01-01, off: yes, name: \"x\"}\n",
       "cn-test.yaml:3: days[0].off"},
      {"year: twenty\ndays: []\n", "cn-test.yaml:1: year: expected a four-digit year"},
      {"year: 2026\ndays: {a: 1}\n", "cn-test.yaml:2: days: expected a list"},
      {"year: 2026\ndays:\n  - {date: \"2026-01-01\", off: true\n", "cn-test.yaml:4: yaml:"},
      {"- 1\n- 2\n", "cn-test.yaml:1: (file): expected a map"},
      {"year: 2026\nholidays: []\ndays: []\n", "cn-test.yaml:2: holidays: unknown key"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    WorkingDayCalendar cal;
    CHECK_THROWS_WITH(cal.load_year_yaml(c.yaml, "cn-test.yaml"), Catch::StartsWith(c.message));
    CHECK_FALSE(cal.has_year(2026));  // all or nothing
  }
  WorkingDayCalendar twice;
  twice.load_year_yaml("year: 2026\ndays: []\n", "a.yaml");
  CHECK_THROWS_WITH(twice.load_year_yaml("year: 2026\ndays: []\n", "b.yaml"),
                    Catch::StartsWith("b.yaml:1: year: 2026 is already loaded"));
}

TEST_CASE("the shipped files match the shared JSON one to one", "[sla][calendar][reference][shared]") {
  for (int y : {2025, 2026}) {
    std::ifstream f(assist::test::shared_dir() + "/data/calendar-cn/" + std::to_string(y) + ".json");
    REQUIRE(f.good());
    const auto j = nlohmann::json::parse(f);
    for (const auto& day : j.at("days")) {
      const auto s = day.at("date").get<std::string>();
      const year_month_day ymd{year(std::stoi(s.substr(0, 4))),
                               month(unsigned(std::stoi(s.substr(5, 2)))),
                               std::chrono::day(unsigned(std::stoi(s.substr(8, 2))))};
      INFO(s);
      CHECK(cal().is_working_day(ymd) == !day.at("isOffDay").get<bool>());
    }
  }
}
