// Office hours per region and season (routing/sla/business_hours.h): the longest division-code prefix
// wins, seasons replace the hours on their days, and a bad config section names the value at fault.
#include "routing/sla/business_hours.h"

#include <catch2/catch.hpp>

using assist::BusinessHours;
using assist::BusinessHoursError;
using assist::BusinessHoursTable;
using nlohmann::json;
using namespace std::chrono;

namespace {

BusinessHoursTable table(const char* text) { return assist::business_hours_from_json(json::parse(text)); }

std::string error_of(const char* text) {
  try {
    table(text);
  } catch (const BusinessHoursError& e) {
    return e.pointer + " | " + e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("business hours: the default is 08:30-12:00 and 14:30-18:00 everywhere", "[sla][hours]") {
  const BusinessHoursTable t;
  CHECK(t.for_region("").describe() == "08:30-12:00 14:30-18:00");
  CHECK(t.for_region("150102001001").describe() == "08:30-12:00 14:30-18:00");
  CHECK(t.describe_for("152522") == "08:30-12:00 14:30-18:00");
  CHECK(t.entries().size() == 1);
  CHECK(table("{}") == t);  // an empty section changes nothing
}

TEST_CASE("business hours: the longest prefix of the office's code wins", "[sla][hours]") {
  const auto t = table(R"({
    "default": {"hours": ["09:00-17:00"]},
    "1525":    {"hours": ["08:00-12:00", "14:00-17:30"]},
    "152522":  {"hours": ["08:00-12:00", "15:00-18:30"]}
  })");
  std::string prefix = "unset";
  CHECK(t.for_region("152522101", &prefix).describe() == "08:00-12:00 15:00-18:30");
  CHECK(prefix == "152522");
  CHECK(t.for_region("152501", &prefix).describe() == "08:00-12:00 14:00-17:30");  // the league's
  CHECK(prefix == "1525");
  CHECK(t.for_region("150102001", &prefix).describe() == "09:00-17:00");  // the default
  CHECK(prefix.empty());
  CHECK(t.for_region("").describe() == "09:00-17:00");
  CHECK(t.describe_for("152522101001") == "152522: 08:00-12:00 15:00-18:30");
  CHECK(t.describe_for("150102") == "09:00-17:00");
}

TEST_CASE("business hours: a season replaces the hours on its days, also across the year end", "[sla][hours]") {
  const auto t = table(R"({"152522": {"hours": ["08:30-12:00", "14:30-18:00"], "seasons": [
    {"name": "summer", "from": "05-01", "to": "09-30", "hours": ["08:00-12:00", "15:00-18:30"]},
    {"name": "winter", "from": "11-15", "to": "02-29", "hours": ["09:00-12:00", "14:00-17:00"]}]}})");
  const BusinessHours& h = t.for_region("152522");
  const auto text = [&](year_month_day d) {
    std::string out;
    for (const auto& w : h.on(d)) out += std::to_string(w.start.count()) + "-" + std::to_string(w.end.count()) + " ";
    return out;
  };
  CHECK(text(2026y / April / 30) == "510-720 870-1080 ");  // the year's own hours
  CHECK(text(2026y / May / 1) == "480-720 900-1110 ");     // summer, first day
  CHECK(text(2026y / September / 30) == "480-720 900-1110 ");
  CHECK(text(2026y / October / 1) == "510-720 870-1080 ");
  CHECK(text(2026y / November / 15) == "540-720 840-1020 ");  // winter runs over New Year
  CHECK(text(2027y / January / 10) == "540-720 840-1020 ");
  CHECK(text(2028y / February / 29) == "540-720 840-1020 ");
  CHECK(text(2027y / March / 1) == "510-720 870-1080 ");
  CHECK(h.describe() ==
        "08:30-12:00 14:30-18:00; summer 05-01..09-30 08:00-12:00 15:00-18:30; winter 11-15..02-29 09:00-12:00 "
        "14:00-17:00");
}

TEST_CASE("business hours: a window may end at 24:00, and hours are checked", "[sla][hours]") {
  CHECK(table(R"({"default": {"hours": ["00:00-24:00"]}})").for_region("").describe() == "00:00-24:00");
  BusinessHours none;
  none.windows.clear();
  CHECK_THROWS_AS(none.validate(), std::invalid_argument);
  CHECK_THROWS_AS(BusinessHoursTable(none), std::invalid_argument);
  BusinessHours backwards;
  backwards.windows = {{hours(14), hours(18)}, {hours(8), hours(12)}};
  CHECK_THROWS_AS(backwards.validate(), std::invalid_argument);
  BusinessHoursTable t;
  CHECK_THROWS_AS(t.set("15a2", BusinessHours{}), std::invalid_argument);
  CHECK_THROWS_AS(t.set("1", BusinessHours{}), std::invalid_argument);
}

TEST_CASE("business hours: a bad section names the value at fault", "[sla][hours]") {
  CHECK(error_of(R"({"default": {"hours": ["8:30-12:00"]}})") ==
        "/default/hours/0 | expected a window HH:MM-HH:MM such as \"08:30-12:00\", got 8:30-12:00");
  CHECK(error_of(R"({"default": {"hours": ["12:00-08:30"]}})") ==
        "/default/hours/0 | the window 12:00-08:30 ends before it starts");
  CHECK(error_of(R"({"default": {"hours": ["08:30-12:00", "11:00-18:00"]}})") ==
        "/default/hours/1 | the window 11:00-18:00 starts before the previous one ends (windows ascend, no overlap)");
  CHECK(error_of(R"({"default": {"hours": []}})").starts_with("/default/hours | expected a non-empty list"));
  CHECK(error_of(R"({"default": {"hours": ["24:00-24:30"]}})").starts_with("/default/hours/0 | expected a window"));
  CHECK(error_of(R"({"inner": {"hours": ["08:00-12:00"]}})") ==
        "/inner | \"inner\" is neither default nor a division-code prefix (2 to 12 digits)");
  CHECK(error_of(R"({"1525": ["08:00-12:00"]})") == "/1525 | expected {hours: [\"HH:MM-HH:MM\", ...], seasons?: [...]}");
  CHECK(error_of(R"({"1525": {"hours": ["08:00-12:00"], "lunch": "12:00"}})") ==
        "/1525/lunch | unknown key 'lunch' (hours, seasons)");
  CHECK(error_of(R"({"1525": {"hours": ["08:00-12:00"], "seasons": [{"from": "02-30", "to": "03-31",
        "hours": ["08:00-12:00"]}]}})") == "/1525/seasons/0/from | expected a month and day MM-DD such as \"05-01\", got 02-30");
  CHECK(error_of(R"({"1525": {"hours": ["08:00-12:00"], "seasons": [{"from": "05-01", "hours": ["08:00-12:00"]}]}})") ==
        "/1525/seasons/0 | missing to");
}
