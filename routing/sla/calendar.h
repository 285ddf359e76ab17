#pragma once
// Working-day calendar of mainland China (shared reference: call-taxonomy.md "Working days"):
// Monday-Friday less public holidays, plus weekend days the State Council's notice makes working days
// (调休). Data: ops/calendars/cn-YYYY.yaml, `year` then `days: [{date, off, name}]` (off false = a
// make-up working day). A year with no file is counted on weekdays only and flagged provisional.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "routing/common/clock.h"

namespace assist {

/// A calendar file that cannot be used. what() is "source:line: key: what", line 1-based.
class CalendarError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A due instant and whether it rests on a year with no calendar (weekdays only).
struct Due {
  Instant at;
  bool provisional = false;
};

/// Office hours on a working day, Asia/Shanghai local time, as half-open windows [start, end) counted
/// from local midnight, ascending and not overlapping. Used for limits in working hours ("4wh").
/// Default: 08:30-12:00 and 14:30-18:00 (7 h a day), the usual hours of a township or county office.
struct BusinessHours {
  struct Window {
    std::chrono::minutes start;
    std::chrono::minutes end;
  };
  std::vector<Window> windows{
      {std::chrono::hours(8) + std::chrono::minutes(30), std::chrono::hours(12)},
      {std::chrono::hours(14) + std::chrono::minutes(30), std::chrono::hours(18)}};
};

/// Working days by year, loaded from the State Council's yearly notice (one file a year). Immutable
/// once loaded and shared (thread-safe for reads). Days are Shanghai calendar days.
class WorkingDayCalendar {
 public:
  /// Adds one year's file (YAML text); `source` names it in errors. Throws CalendarError naming the
  /// source, line and key (bad date, date outside `year`, duplicate date, missing key).
  /// Loading is all-or-nothing: on error the calendar is unchanged. Also rejected: a year already
  /// loaded, an unknown key, `off` that is not true/false, a make-up day (off: false) that is not a
  /// Saturday or Sunday, a YAML syntax error (key "yaml").
  void load_year_yaml(std::string_view yaml, std::string_view source);
  /// The built-in calendars (every ops/calendars/cn-YYYY.yaml compiled in), loaded once. Throws
  /// CalendarError when an embedded file is broken or its name's year differs from its `year`.
  static std::shared_ptr<const WorkingDayCalendar> builtin();
  /// The built-in calendars plus every cn-YYYY.yaml in folder `dir` (a file there replaces the built-in
  /// file of its year: a new year arrives without a rebuild). Throws CalendarError naming the file; a
  /// folder that cannot be read is an error too.
  static std::shared_ptr<const WorkingDayCalendar> with_folder(const std::string& dir);
  /// A short fingerprint of what is loaded (years and listed days), for the policy version.
  std::uint64_t fingerprint() const;

  bool has_year(int year) const;
  /// The last year with a calendar, or 0 when none.
  int last_year() const;
  /// Whether a Shanghai calendar day is a working day. When its year has no file the answer is
  /// Monday-Friday and *provisional is set to true; otherwise *provisional is left as it was (so a
  /// caller can accumulate it over many days).
  bool is_working_day(std::chrono::year_month_day d, bool* provisional = nullptr) const;

  /// Civil Code arts. 201-203: the opening day is not counted; counting starts on the next working day;
  /// the period ends at 24:00 of the n-th working day (the instant 00:00 of the next calendar day,
  /// Asia/Shanghai). n >= 1, else std::invalid_argument. Example (taxonomy): opened
  /// 2026-09-30T10:00+08:00, n = 10 -> 2026-10-21T00:00:00+08:00. Provisional when any day it looked
  /// at lies in a year with no file. Cost: about n/5 + (listed days passed) + 14 steps.
  Due add_working_days(Instant opened, int n) const;

  /// A limit in working hours: `hours` (>= 1, else std::invalid_argument) of office time inside `bh`'s
  /// windows on working days, counted from the opening instant itself (a ticket opened inside a window
  /// starts counting at once; outside, at the next window's start). Ends exactly where the last hour
  /// is used up (e.g. 12:00, not 14:30). Provisional as for add_working_days.
  Due add_working_hours(Instant opened, std::int64_t hours, const BusinessHours& bh = {}) const;

 private:
  std::set<int> years_;                           // years that have a file
  std::map<std::chrono::sys_days, bool> listed_;  // listed day -> off? (all years, one map)
};

/// How long the loaded calendars last, seen from `now` (issue 5: operators are warned 60 days before
/// the last calendar year runs out, and alerted once deadlines become provisional).
struct CalendarStatus {
  int last_year = 0;      ///< last year with a file (0 = none)
  int days_left = 0;      ///< days from today (Shanghai) to the end of last_year, 0 when already past
  bool warn = false;      ///< days_left <= warn_days
  std::string message;    ///< one clear line for the log and the API ("" when nothing to say)
};
CalendarStatus calendar_status(const WorkingDayCalendar& cal, Instant now, int warn_days = 60);

}  // namespace assist
