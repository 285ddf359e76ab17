#include "routing/sla/duration.h"

#include <limits>

namespace assist {

namespace {
struct UnitSpec {
  std::string_view suffix;
  Duration::Unit unit;
  std::int64_t factor;  // to the stored amount (seconds for wall units)
};
// Longest suffixes first, so "wd" is not read as "d".
constexpr UnitSpec kUnits[] = {
    {"wd", Duration::Unit::working_days, 1}, {"wh", Duration::Unit::working_hours, 1},
    {"s", Duration::Unit::wall, 1},          {"m", Duration::Unit::wall, 60},
    {"h", Duration::Unit::wall, 3600},       {"d", Duration::Unit::wall, 86400},
};
// Instants are milliseconds in int64; keep every amount convertible to milliseconds (and a good
// margin for adding it to an instant): about 292 years of seconds.
constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1000 / 1000;
}  // namespace

std::optional<Duration> parse_duration(std::string_view s) {
  for (const auto& u : kUnits) {
    if (!s.ends_with(u.suffix)) continue;
    const auto digits = s.substr(0, s.size() - u.suffix.size());
    if (digits.empty() || digits.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n == 0) return std::nullopt;
    // Working days and hours become day loops and wall offsets: the same bound in seconds applies.
    const std::int64_t per = u.unit == Duration::Unit::working_days    ? 86400
                             : u.unit == Duration::Unit::working_hours ? 3600
                                                                       : u.factor;
    if (n > kMaxSeconds / per) return std::nullopt;
    return Duration{u.unit, n * u.factor};
  }
  return std::nullopt;
}

std::string to_string(const Duration& d) {
  switch (d.unit) {
    case Duration::Unit::working_days:
      return std::to_string(d.amount) + "wd";
    case Duration::Unit::working_hours:
      return std::to_string(d.amount) + "wh";
    case Duration::Unit::wall:
      break;
  }
  if (d.amount != 0) {
    if (d.amount % 86400 == 0) return std::to_string(d.amount / 86400) + "d";
    if (d.amount % 3600 == 0) return std::to_string(d.amount / 3600) + "h";
    if (d.amount % 60 == 0) return std::to_string(d.amount / 60) + "m";
  }
  return std::to_string(d.amount) + "s";
}

}  // namespace assist
