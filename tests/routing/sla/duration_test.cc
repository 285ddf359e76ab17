#include "routing/sla/duration.h"

#include <catch2/catch.hpp>

using assist::Duration;
using assist::parse_duration;

TEST_CASE("parse_duration reads every unit of the config's notation", "[sla][duration]") {
  CHECK(parse_duration("90s") == Duration{Duration::Unit::wall, 90});
  CHECK(parse_duration("15m") == Duration{Duration::Unit::wall, 15 * 60});
  CHECK(parse_duration("2h") == Duration{Duration::Unit::wall, 2 * 3600});
  CHECK(parse_duration("24h") == Duration{Duration::Unit::wall, 86400});
  CHECK(parse_duration("1d") == Duration{Duration::Unit::wall, 86400});
  CHECK(parse_duration("10wd") == Duration{Duration::Unit::working_days, 10});
  CHECK(parse_duration("4wh") == Duration{Duration::Unit::working_hours, 4});
  CHECK(parse_duration("15m")->wall_seconds() == 900);
  CHECK(parse_duration("10wd")->wall_seconds() == 0);
}

TEST_CASE("parse_duration rejects anything else", "[sla][duration]") {
  for (const char* bad : {"",
                          "s",
                          "wd",
                          "0s",
                          "0wd",
                          "-5m",
                          "+5m",
                          "1.5h",
                          " 5m",
                          "5m ",
                          "5 m",
                          "5M",
                          "5w",
                          "5dw",
                          "5mm",
                          "1wdx",
                          "m5",
                          "0x10s",
                          "99999999999999999999s",
                          "9999999999999999d",
                          "99999999999999wd",
                          "五m"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("to_string writes the largest exact unit", "[sla][duration]") {
  using assist::to_string;
  CHECK(to_string(*parse_duration("90s")) == "90s");
  CHECK(to_string(*parse_duration("120s")) == "2m");
  CHECK(to_string(*parse_duration("15m")) == "15m");
  CHECK(to_string(*parse_duration("90m")) == "90m");
  CHECK(to_string(*parse_duration("2h")) == "2h");
  CHECK(to_string(*parse_duration("24h")) == "1d");
  CHECK(to_string(*parse_duration("10wd")) == "10wd");
  CHECK(to_string(*parse_duration("4wh")) == "4wh");
  CHECK(to_string(Duration{}) == "0s");
  for (const char* s : {"1s", "59s", "61m", "3d", "1wd", "7000wh"})
    CHECK(to_string(*parse_duration(s)) == s);
}
