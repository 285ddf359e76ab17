#pragma once
// Durations as the config writes them (DESIGN "Config"): "90s", "15m", "2h", "1d" (wall clock),
// "10wd" (working days, Civil Code arts. 201-203) and "4wh" (working hours in business hours).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace assist {

struct Duration {
  enum class Unit { wall, working_days, working_hours };
  Unit unit = Unit::wall;
  std::int64_t amount = 0;  ///< seconds for wall; days for working_days; hours for working_hours

  std::int64_t wall_seconds() const { return unit == Unit::wall ? amount : 0; }
  bool operator==(const Duration&) const = default;
};

/// Parses "<positive integer><unit>" with unit s, m, h, d, wd or wh; nullopt for anything else
/// (no sign, no spaces, no fraction, no overflow).
std::optional<Duration> parse_duration(std::string_view s);

/// Writes a duration back in the config's notation ("15m", "2h", "10wd"), largest exact wall unit.
std::string to_string(const Duration& d);

}  // namespace assist
