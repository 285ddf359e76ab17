#pragma once
// Office hours for limits in working hours ("4wh"; issue 5, DESIGN "Config"): the windows of a working day
// in which an office counts time, per region. Hours differ by place (a pastoral banner may open earlier
// and close for a longer noon break) and by season (summer and winter hours), so the config gives them by
// division-code prefix, the longest prefix that matches the office's code winning, with optional seasons.
// Which days are working days is the calendar's business (routing/sla/calendar.h), not this file's.
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace assist {

/// One set of office hours, Asia/Shanghai local time.
/// Invariant (validate()): every list of windows is non-empty, each window [start, end) lies within
/// 00:00-24:00 with start < end, and windows ascend without overlapping.
struct BusinessHours {
  /// A half-open window [start, end), in minutes after local midnight.
  struct Window {
    std::chrono::minutes start;
    std::chrono::minutes end;
    bool operator==(const Window&) const = default;
  };
  /// Hours that replace `windows` on the days from `from` to `to` (month-day, both inclusive; from after
  /// to wraps the year end, e.g. winter 10-01..04-30). The first season that holds a day wins.
  struct Season {
    std::string name;           ///< "summer", "winter", ... (for people; may be "")
    unsigned from_month = 1, from_day = 1, to_month = 12, to_day = 31;
    std::vector<Window> windows;
    bool operator==(const Season&) const = default;
  };

  /// Default: 08:30-12:00 and 14:30-18:00 (7 h a day), the usual hours of a township or county office.
  std::vector<Window> windows{
      {std::chrono::hours(8) + std::chrono::minutes(30), std::chrono::hours(12)},
      {std::chrono::hours(14) + std::chrono::minutes(30), std::chrono::hours(18)}};
  std::vector<Season> seasons;

  /// The windows in force on Shanghai calendar day `d`: the first season holding it, else `windows`.
  const std::vector<Window>& on(std::chrono::year_month_day d) const;
  /// Throws std::invalid_argument naming what is wrong when the invariant does not hold.
  void validate() const;
  /// The hours as the config writes them: "08:30-12:00 14:30-18:00", then each season as
  /// "; summer 05-01..09-30 08:00-12:00 15:00-18:30". Stored on tickets, mixed into the policy version.
  std::string describe() const;
  bool operator==(const BusinessHours&) const = default;
};

/// Office hours by division-code prefix: the entry whose prefix is the longest prefix of the office's
/// code wins; the entry "" is the default for every other code (and for a ticket with no place).
/// Always holds a default entry.
class BusinessHoursTable {
 public:
  /// The default alone: BusinessHours{} (08:30-12:00, 14:30-18:00).
  BusinessHoursTable();
  /// `hours` as the default for every region. Throws std::invalid_argument when invalid.
  explicit BusinessHoursTable(BusinessHours hours);

  /// Sets the hours of `prefix` (2 to 12 digits; "" = the default), replacing any. Throws
  /// std::invalid_argument for a prefix that is not 2-12 digits or hours that do not validate().
  void set(const std::string& prefix, BusinessHours hours);

  /// The hours for an office's code (6, 9 or 12 digits; "" = the default): longest matching prefix.
  /// `*prefix`, when given, receives the prefix that matched ("" = the default).
  const BusinessHours& for_region(std::string_view code, std::string* prefix = nullptr) const;
  /// What a ticket in `code` records: the hours with, when they are not the default's, the region they
  /// belong to: "08:30-12:00 14:30-18:00" or "152502: 08:00-12:00 15:00-18:30".
  std::string describe_for(std::string_view code) const;

  /// Every entry, by prefix ("" first).
  const std::map<std::string, BusinessHours>& entries() const { return by_prefix_; }
  bool operator==(const BusinessHoursTable&) const = default;

 private:
  std::map<std::string, BusinessHours> by_prefix_;
};

/// A `sla.business_hours` section that cannot be used. `pointer` is the JSON pointer of the offending
/// value relative to the section ("/152502/hours/1"), so the config can name its file line.
class BusinessHoursError : public std::runtime_error {
 public:
  BusinessHoursError(std::string pointer, const std::string& what)
      : std::runtime_error(what), pointer(std::move(pointer)) {}
  std::string pointer;
};

/// Parses the config's `sla.business_hours`: an object whose keys are "default" or a division-code prefix
/// (2 to 12 digits) and whose values are {"hours": ["HH:MM-HH:MM", ...], "seasons"?: [{"name"?,
/// "from": "MM-DD", "to": "MM-DD", "hours": [...]}]}. "24:00" may end a window. Without a "default" key
/// the default stays BusinessHours{}. Throws BusinessHoursError (pointer + message) for a bad key, a
/// window that is not HH:MM-HH:MM, a window that ends before it starts, windows out of order or
/// overlapping, an empty list, a month-day that does not exist (02-30), an unknown key.
BusinessHoursTable business_hours_from_json(const nlohmann::json& section);

}  // namespace assist
