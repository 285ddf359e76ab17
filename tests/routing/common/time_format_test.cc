#include "routing/common/time_format.h"

#include <catch2/catch.hpp>

using namespace std::chrono;
using assist::Instant;

TEST_CASE("format_rfc3339 writes Shanghai time, milliseconds only when not zero", "[time]") {
  const Instant epoch{};
  CHECK(assist::format_rfc3339(epoch) == "1970-01-01T08:00:00+08:00");
  const Instant t = Instant{sys_days{2026y / October / 20}} + hours(16);  // 16:00Z = next day 00:00 +08
  CHECK(assist::format_rfc3339(t) == "2026-10-21T00:00:00+08:00");
  CHECK(assist::format_rfc3339(t + milliseconds(250)) == "2026-10-21T00:00:00.250+08:00");
  CHECK(assist::format_rfc3339(t - milliseconds(1)) == "2026-10-20T23:59:59.999+08:00");
}

TEST_CASE("parse_rfc3339 accepts any offset and round-trips", "[time]") {
  const auto a = assist::parse_rfc3339("2026-09-30T10:00:00+08:00");
  REQUIRE(a);
  CHECK(*a == Instant{sys_days{2026y / September / 30}} + hours(2));
  CHECK(assist::parse_rfc3339("2026-09-30T02:00:00Z") == a);
  CHECK(assist::parse_rfc3339("2026-09-30T02:00:00z") == a);
  CHECK(assist::parse_rfc3339("2026-09-29T21:00:00-05:00") == a);
  CHECK(assist::parse_rfc3339("2026-09-30T07:30:00+05:30") == a);
  CHECK(assist::parse_rfc3339("2026-09-30 10:00:00+08:00") == a);
  CHECK(assist::parse_rfc3339("2026-09-30T10:00:00.5+08:00") == *a + milliseconds(500));
  CHECK(assist::parse_rfc3339("2026-09-30T10:00:00.123456+08:00") == *a + milliseconds(123));
  for (const char* s :
       {"2026-10-21T00:00:00+08:00", "2025-12-31T23:59:59.001+08:00", "2026-02-28T12:00:00+08:00"})
    CHECK(assist::format_rfc3339(*assist::parse_rfc3339(s)) == s);
}

TEST_CASE("parse_rfc3339 rejects partial and local-time forms", "[time]") {
  for (const char* bad :
       {"", "2026-09-30", "2026-09-30T10:00:00", "2026-09-30T10:00+08:00", "2026-09-30T10:00:00+0800",
        "2026-09-30T10:00:00+08:00 ", "2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z",
        "2026-09-30T24:00:00Z", "2026-09-30T10:60:00Z", "2026-09-30T10:00:00.Z",
        "2026-09-30T10:00:00Zjunk", "2026-09-30T10:00:00+24:00", "2026/09/30T10:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(assist::parse_rfc3339(bad).has_value());
  }
}

TEST_CASE("shanghai_date and shanghai_midnight use UTC+8, not the process time zone", "[time]") {
  const Instant before = *assist::parse_rfc3339("2026-09-30T15:59:59.999Z");
  const Instant after = *assist::parse_rfc3339("2026-09-30T16:00:00Z");
  CHECK(assist::shanghai_date(before) == 2026y / September / 30);
  CHECK(assist::shanghai_date(after) == 2026y / October / 1);
  CHECK(assist::shanghai_midnight(2026y / October / 1) == after);
  CHECK(assist::format_rfc3339(assist::shanghai_midnight(2027y / January / 1)) ==
        "2027-01-01T00:00:00+08:00");
  CHECK(assist::shanghai_date(assist::shanghai_midnight(2026y / February / 17)) ==
        2026y / February / 17);
}
