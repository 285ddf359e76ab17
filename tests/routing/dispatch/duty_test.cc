// Duty rotas (值班, issue 6): on_duty() by weekday, "workdays"/"offdays" following the working-day
// calendar (调休 make-up Saturday 2026-10-10, National Day 2026-10-01), windows past midnight; and
// Directory::coordinator(level, place, now): first on duty, else the fallback, else nobody. A Directory
// is a handle: copies share one table and replace() reaches all of them.
#include <catch2/catch.hpp>

#include "routing/common/time_format.h"
#include "routing/dispatch/directory.h"
#include "routing/sla/calendar.h"
#include "tests/routing/common/time_helpers.h"

using namespace assist;
using assist::testing::at;

namespace {

int hm(int h, int m) { return h * 60 + m; }

DutyWindow window(std::vector<std::string> days, int from, int to) {
  DutyWindow w;
  w.days = std::move(days);
  w.from = from;
  w.to = to;
  return w;
}

DirectoryEntry person(std::string name, std::vector<DutyWindow> duty, std::string role = "coordinator",
                      bool fallback = false, std::string region = "150102001", std::string level = "township") {
  DirectoryEntry e;
  e.region = std::move(region);
  e.level = std::move(level);
  e.name = std::move(name);
  e.notify = "webhook";
  e.role = std::move(role);
  e.duty = std::move(duty);
  e.fallback = fallback;
  return e;
}

const WorkingDayCalendar* cal() {
  static const auto c = WorkingDayCalendar::builtin();
  return c.get();
}

}  // namespace

TEST_CASE("duty: no windows means always on duty", "[dispatch][duty][issue6]") {
  const auto e = person("a", {});
  CHECK(on_duty(e, at("2026-11-30T03:00:00+08:00"), nullptr));
  CHECK(on_duty(e, at("2026-10-01T12:00:00+08:00"), cal()));
  CHECK(on_duty(e, at("2026-11-29T23:59:59+08:00"), cal()));
}

TEST_CASE("duty: windows by weekday, start inclusive and end exclusive, in Shanghai time", "[dispatch][duty][issue6]") {
  const auto e = person("mon-day", {window({"mon"}, hm(8, 30), hm(17, 30))});
  // 2026-11-30 is a Monday
  CHECK(on_duty(e, at("2026-11-30T08:30:00+08:00"), nullptr));
  CHECK(on_duty(e, at("2026-11-30T12:00:00+08:00"), nullptr));
  CHECK(on_duty(e, at("2026-11-30T17:29:59+08:00"), nullptr));
  CHECK_FALSE(on_duty(e, at("2026-11-30T17:30:00+08:00"), nullptr));
  CHECK_FALSE(on_duty(e, at("2026-11-30T08:29:59+08:00"), nullptr));
  CHECK_FALSE(on_duty(e, at("2026-12-01T12:00:00+08:00"), nullptr));  // Tuesday
  // the same instant written in UTC: 2026-11-30T02:00Z = 10:00 Shanghai, Monday
  CHECK(on_duty(e, at("2026-11-30T02:00:00Z"), nullptr));
  // Sunday 2026-11-29 20:00 UTC is Monday 04:00 in Shanghai: outside the hours
  CHECK_FALSE(on_duty(e, at("2026-11-29T20:00:00Z"), nullptr));

  const auto weekend = person("weekend", {window({"sat", "sun"}, 0, 24 * 60)});
  CHECK(on_duty(weekend, at("2026-11-28T00:00:00+08:00"), nullptr));  // Saturday
  CHECK(on_duty(weekend, at("2026-11-29T23:59:59+08:00"), nullptr));  // Sunday
  CHECK_FALSE(on_duty(weekend, at("2026-11-30T00:00:00+08:00"), nullptr));

  const auto every = person("every", {window({"every"}, hm(9, 0), hm(10, 0))});
  CHECK(on_duty(every, at("2026-10-01T09:30:00+08:00"), cal()));
  CHECK(on_duty(every, at("2026-11-29T09:30:00+08:00"), cal()));
  CHECK_FALSE(on_duty(every, at("2026-11-29T10:30:00+08:00"), cal()));
}

TEST_CASE("duty: workdays and offdays follow the calendar, 调休 included", "[dispatch][duty][issue6]") {
  const auto office = person("workdays", {window({"workdays"}, hm(8, 30), hm(17, 30))});
  const auto holiday = person("offdays", {window({"offdays"}, hm(8, 30), hm(17, 30))});

  SECTION("2026-10-10 is a make-up working Saturday") {
    const Instant sat = at("2026-10-10T10:00:00+08:00");
    CHECK(on_duty(office, sat, cal()));
    CHECK_FALSE(on_duty(holiday, sat, cal()));
    // without a calendar a Saturday is a day off
    CHECK_FALSE(on_duty(office, sat, nullptr));
    CHECK(on_duty(holiday, sat, nullptr));
  }
  SECTION("2026-10-01 (Thursday) is National Day") {
    const Instant thu = at("2026-10-01T10:00:00+08:00");
    CHECK_FALSE(on_duty(office, thu, cal()));
    CHECK(on_duty(holiday, thu, cal()));
    CHECK(on_duty(office, thu, nullptr));  // Monday-Friday without a calendar
    CHECK_FALSE(on_duty(holiday, thu, nullptr));
  }
  SECTION("an ordinary week") {
    CHECK(on_duty(office, at("2026-11-30T10:00:00+08:00"), cal()));
    CHECK_FALSE(on_duty(holiday, at("2026-11-30T10:00:00+08:00"), cal()));
    CHECK_FALSE(on_duty(office, at("2026-11-29T10:00:00+08:00"), cal()));
    CHECK(on_duty(holiday, at("2026-11-29T10:00:00+08:00"), cal()));
  }
}

TEST_CASE("duty: a window past midnight belongs to the day it starts", "[dispatch][duty][issue6]") {
  const auto night = person("night", {window({"workdays"}, hm(17, 30), hm(8, 30))});
  SECTION("an ordinary week") {
    CHECK(on_duty(night, at("2026-11-30T17:30:00+08:00"), cal()));   // Monday evening
    CHECK(on_duty(night, at("2026-11-30T23:59:00+08:00"), cal()));
    CHECK(on_duty(night, at("2026-12-01T00:00:00+08:00"), cal()));   // small hours after Monday
    CHECK(on_duty(night, at("2026-12-01T08:29:59+08:00"), cal()));
    CHECK_FALSE(on_duty(night, at("2026-12-01T08:30:00+08:00"), cal()));
    CHECK_FALSE(on_duty(night, at("2026-12-01T12:00:00+08:00"), cal()));
    // Monday's small hours follow Sunday, a day off: not on duty
    CHECK_FALSE(on_duty(night, at("2026-11-30T03:00:00+08:00"), cal()));
    // Saturday's small hours follow Friday, a working day
    CHECK(on_duty(night, at("2026-12-05T03:00:00+08:00"), cal()));
    CHECK_FALSE(on_duty(night, at("2026-12-05T20:00:00+08:00"), cal()));  // Saturday evening
  }
  SECTION("around the make-up Saturday and the holiday") {
    CHECK(on_duty(night, at("2026-10-10T20:00:00+08:00"), cal()));   // make-up Saturday evening
    CHECK(on_duty(night, at("2026-10-11T03:00:00+08:00"), cal()));   // after it
    CHECK_FALSE(on_duty(night, at("2026-10-11T20:00:00+08:00"), cal()));
    CHECK(on_duty(night, at("2026-10-01T03:00:00+08:00"), cal()));   // after Wednesday 09-30, a working day
    CHECK_FALSE(on_duty(night, at("2026-10-01T20:00:00+08:00"), cal()));  // the holiday's evening
    CHECK_FALSE(on_duty(night, at("2026-10-02T03:00:00+08:00"), cal()));
  }
  SECTION("offdays past midnight") {
    const auto off = person("off-night", {window({"offdays"}, hm(17, 30), hm(8, 30))});
    CHECK(on_duty(off, at("2026-10-01T20:00:00+08:00"), cal()));
    CHECK(on_duty(off, at("2026-10-08T03:00:00+08:00"), cal()));   // after 10-07, still a holiday
    CHECK_FALSE(on_duty(off, at("2026-10-09T03:00:00+08:00"), cal()));  // after 10-08, a working day
    CHECK_FALSE(on_duty(off, at("2026-10-10T20:00:00+08:00"), cal()));  // the make-up Saturday
  }
}

TEST_CASE("duty: several windows, any one is enough", "[dispatch][duty][issue6]") {
  const auto e = person("split", {window({"workdays"}, hm(8, 30), hm(12, 0)), window({"workdays"}, hm(14, 30), hm(17, 30))});
  CHECK(on_duty(e, at("2026-11-30T09:00:00+08:00"), cal()));
  CHECK_FALSE(on_duty(e, at("2026-11-30T13:00:00+08:00"), cal()));
  CHECK(on_duty(e, at("2026-11-30T15:00:00+08:00"), cal()));
}

TEST_CASE("duty: coordinator picks who is on duty, else the fallback, else nobody", "[dispatch][duty][issue6]") {
  const auto day = person("白班协调员", {window({"workdays"}, hm(8, 30), hm(17, 30))});
  const auto night = person("夜班协调员", {window({"workdays"}, hm(17, 30), hm(8, 30))});
  const auto backup = person("街道值班电话", {window({"mon"}, 0, 1)}, "office", /*fallback=*/true);
  const Directory d({day, night, backup}, WorkingDayCalendar::builtin());

  auto name = [&](const char* when) {
    auto c = d.coordinator("township", "150102001001", at(when));
    return c ? c->name : std::string("(nobody)");
  };
  CHECK(name("2026-11-30T10:00:00+08:00") == "白班协调员");
  CHECK(name("2026-11-30T20:00:00+08:00") == "夜班协调员");
  CHECK(name("2026-10-10T10:00:00+08:00") == "白班协调员");   // 调休 Saturday
  CHECK(name("2026-10-01T10:00:00+08:00") == "街道值班电话");  // holiday: nobody on duty, the fallback
  CHECK(name("2026-11-29T10:00:00+08:00") == "街道值班电话");  // Sunday
  // without `now`, duty times are not looked at: the first coordinator
  auto first = d.coordinator("township", "150102001001");
  REQUIRE(first);
  CHECK(first->name == "白班协调员");

  SECTION("without a fallback, nobody") {
    const Directory nf({day, night}, WorkingDayCalendar::builtin());
    CHECK_FALSE(nf.coordinator("township", "150102001001", at("2026-10-01T10:00:00+08:00")));
    CHECK(nf.coordinator("township", "150102001001", at("2026-10-01T03:00:00+08:00")));  // night after 09-30
  }
  SECTION("coordinators come before offices, even listed later") {
    const auto office = person("街道民政办", {}, "office");
    const auto coord = person("街道协调员", {});
    const Directory o({office, coord});
    auto c = o.coordinator("township", "150102001", at("2026-11-30T10:00:00+08:00"));
    REQUIRE(c);
    CHECK(c->name == "街道协调员");
  }
  SECTION("an office serves when no coordinator is on duty") {
    const auto office = person("街道民政办", {}, "office");
    const Directory o({day, office}, WorkingDayCalendar::builtin());
    auto c = o.coordinator("township", "150102001", at("2026-11-29T10:00:00+08:00"));
    REQUIRE(c);
    CHECK(c->name == "街道民政办");
  }
  SECTION("other places and levels are not mixed in") {
    CHECK_FALSE(d.coordinator("township", "150102002001", at("2026-11-30T10:00:00+08:00")));
    CHECK_FALSE(d.coordinator("county", "150102001001", at("2026-11-30T10:00:00+08:00")));
  }
}

TEST_CASE("duty: without a calendar, workdays are Monday to Friday", "[dispatch][duty][issue6]") {
  const auto day = person("白班协调员", {window({"workdays"}, hm(8, 30), hm(17, 30))});
  const Directory d({day});
  CHECK_FALSE(d.coordinator("township", "150102001", at("2026-10-10T10:00:00+08:00")));
  CHECK(d.coordinator("township", "150102001", at("2026-10-01T10:00:00+08:00")));
}

TEST_CASE("duty: Directory copies share one table; replace reaches all", "[dispatch][duty][issue6]") {
  Directory a({person("旧协调员", {})});
  Directory b = a;           // copy
  const Directory c(a);      // another
  REQUIRE(b.coordinator("township", "150102001"));
  CHECK(b.coordinator("township", "150102001")->name == "旧协调员");

  b.replace({person("新协调员", {}), person("新协调员2", {})});
  CHECK(a.entries().size() == 2);
  CHECK(c.entries().size() == 2);
  CHECK(a.coordinator("township", "150102001")->name == "新协调员");
  CHECK(c.coordinator("township", "150102001")->name == "新协调员");

  a.replace({});
  CHECK(b.entries().empty());
  CHECK_FALSE(c.coordinator("township", "150102001"));

  SECTION("the calendar is kept across replace") {
    Directory d({}, WorkingDayCalendar::builtin());
    Directory e = d;
    e.replace({person("白班", {window({"workdays"}, hm(8, 30), hm(17, 30))})});
    CHECK(d.coordinator("township", "150102001", at("2026-10-10T10:00:00+08:00")));   // make-up Saturday
    CHECK_FALSE(d.coordinator("township", "150102001", at("2026-10-01T10:00:00+08:00")));
  }
}

TEST_CASE("duty: a township's own day off is an offday for its entries only", "[dispatch][duty][regional]") {
  // invented for the test: township 150102001 closed Tuesday 2026-12-01
  WorkingDayCalendar c = *WorkingDayCalendar::builtin();
  c.load_regional_yaml("year: 2026\ndays:\n  - {region: \"150102001\", date: 2026-12-01, name: 测试}\n", "r.yaml");
  const auto day_shift = person("白班", {window({"workdays"}, hm(8, 30), hm(17, 30))});
  const auto duty_phone = person("值班电话", {window({"offdays"}, 0, 24 * 60)});
  const auto elsewhere = person("别的街道白班", {window({"workdays"}, hm(8, 30), hm(17, 30))}, "coordinator", false,
                                "150102002");
  const Instant tue = at("2026-12-01T10:00:00+08:00");
  CHECK_FALSE(on_duty(day_shift, tue, &c));
  CHECK(on_duty(duty_phone, tue, &c));
  CHECK(on_duty(elsewhere, tue, &c));
  CHECK(on_duty(day_shift, tue, cal()));  // the national calendar alone: a working day
  CHECK(on_duty(day_shift, at("2026-12-02T10:00:00+08:00"), &c));
}
