#pragma once
// Instants written as RFC 3339 text in tests, and deadlines read back the same way. Header only.
#include <catch2/catch.hpp>

#include <string>

#include "routing/common/time_format.h"
#include "routing/sla/calendar.h"

namespace assist::testing {

/// The instant an RFC 3339 text names ("2026-10-01T10:00:00+08:00"); fails the test when it is not one.
inline Instant at(const char* rfc3339) {
  const auto t = parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

/// A deadline as RFC 3339 text in +08:00.
inline std::string due_text(const Due& d) { return format_rfc3339(d.at); }

}  // namespace assist::testing
