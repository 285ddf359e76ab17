#pragma once
// RFC 3339 timestamps as the API and messages write them: always in Asia/Shanghai (+08:00, which has
// had no daylight saving since 1991), seconds, and milliseconds only when they are not zero.
#include <optional>
#include <string>
#include <string_view>

#include "routing/common/clock.h"

namespace assist {

/// China Standard Time offset used by every deadline rule (taxonomy: Asia/Shanghai, UTC+8).
inline constexpr std::chrono::hours kShanghaiOffset{8};

/// "2026-10-21T00:00:00+08:00" (or "...T00:00:00.250+08:00" when the milliseconds are not zero).
std::string format_rfc3339(Instant t);

/// Parses an RFC 3339 timestamp with any offset ("Z", "+08:00", "-05:30"), optional fraction.
/// Returns nullopt on anything else (no partial parses, no local-time guesses).
std::optional<Instant> parse_rfc3339(std::string_view s);

/// The Shanghai calendar date of `t` (the local day an instant falls on).
std::chrono::year_month_day shanghai_date(Instant t);

/// The instant at 00:00:00 Shanghai time of calendar day `d`.
Instant shanghai_midnight(std::chrono::year_month_day d);

}  // namespace assist
