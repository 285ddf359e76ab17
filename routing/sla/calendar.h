#pragma once
// Working-day calendar of mainland China (shared reference: call-taxonomy.md "Working days"):
// Monday-Friday less public holidays, plus weekend days the State Council's notice makes working days
// (调休). Data: ops/calendars/cn-YYYY.yaml, `year` then `days: [{date, off, name}]` (off false = a
// make-up working day). A year with no file is counted on weekdays only and flagged provisional.
// Regional extra days off (issue 5): days a region's offices are closed that the national calendar does
// not have, from regions-YYYY.yaml files (`year` then `days: [{region, date, name}]`, region a division-code
// prefix); they apply to every office whose code starts with the prefix, on top of the national calendar.
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
#include "routing/sla/business_hours.h"

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

/// Working days by year, loaded from the State Council's yearly notice (one file a year), plus regional
/// extra days off. Immutable once loaded and shared (thread-safe for reads). Days are Shanghai calendar
/// days. `region` arguments are division codes (6, 9 or 12 digits; "" = national only): a regional day
/// off applies when its prefix is a prefix of `region`.
class WorkingDayCalendar {
 public:
  /// Adds one year's file (YAML text); `source` names it in errors. Throws CalendarError naming the
  /// source, line and key (bad date, date outside `year`, duplicate date, missing key).
  /// Loading is all-or-nothing: on error the calendar is unchanged. Also rejected: a year already
  /// loaded, an unknown key, `off` that is not true/false, a make-up day (off: false) that is not a
  /// Saturday or Sunday, a YAML syntax error (key "yaml"). Returns the year loaded.
  int load_year_yaml(std::string_view yaml, std::string_view source);
  /// Adds one year's regional extra days off (regions-YYYY.yaml): `year: YYYY`, then
  /// `days: [{region, date, name}]` with region a division-code prefix of 2 to 12 digits (a league's
  /// day off closes every office in it), date YYYY-MM-DD inside `year`, name what the day is. Throws
  /// CalendarError "source:line: key: what" (the same checks as load_year_yaml, plus a region that is not
  /// 2-12 digits, the same region and date listed twice, regional days of a year already loaded).
  /// All-or-nothing. Adds no working day: a region cannot undo a national holiday. Returns the year.
  int load_regional_yaml(std::string_view yaml, std::string_view source);
  /// The built-in calendars (every ops/calendars/cn-YYYY.yaml and regions-YYYY.yaml compiled in), loaded
  /// once. Throws CalendarError when an embedded file is broken or its name's year differs from its `year`.
  static std::shared_ptr<const WorkingDayCalendar> builtin();
  /// The built-in calendars plus every cn-YYYY.yaml and regions-YYYY.yaml in folder `dir` (a file there
  /// replaces the built-in file of the same name: a new year arrives without a rebuild). Throws
  /// CalendarError naming the file; a folder that cannot be read, or another *.yaml in it, is an error.
  static std::shared_ptr<const WorkingDayCalendar> with_folder(const std::string& dir);
  /// A short fingerprint of what is loaded (years, listed days, regional days off), for the policy
  /// version. Without regional days it is what it was before they existed (stored versions stay valid).
  std::uint64_t fingerprint() const;

  bool has_year(int year) const;
  /// The last year with a calendar, or 0 when none.
  int last_year() const;
  /// Whether a Shanghai calendar day is a working day (in `region`, when given). When its year has no
  /// file the answer is Monday-Friday less `region`'s days off and *provisional is set to true;
  /// otherwise *provisional is left as it was (so a caller can accumulate it over many days).
  bool is_working_day(std::chrono::year_month_day d, bool* provisional = nullptr,
                      std::string_view region = {}) const;
  /// The regional days off that apply to `region` (every prefix of it), by day, with their names
  /// ("152502 那达慕"); empty for "" or when none is loaded.
  std::map<std::chrono::sys_days, std::string> regional_days_off(std::string_view region) const;
  /// Number of regional days off loaded (all regions).
  std::size_t regional_count() const;

  /// Civil Code arts. 201-203: the opening day is not counted; counting starts on the next working day;
  /// the period ends at 24:00 of the n-th working day (the instant 00:00 of the next calendar day,
  /// Asia/Shanghai). n >= 1, else std::invalid_argument. Example (taxonomy): opened
  /// 2026-09-30T10:00+08:00, n = 10 -> 2026-10-21T00:00:00+08:00. Working days of `region` (its
  /// regional days off are not counted). Provisional when any day it looked at lies in a year with no
  /// file. Cost: about n/5 + (listed days passed) + 14 steps.
  Due add_working_days(Instant opened, int n, std::string_view region = {}) const;

  /// A limit in working hours: `hours` (>= 1, else std::invalid_argument) of office time inside `bh`'s
  /// windows (BusinessHours::on: the season's, on each day) on working days of `region`, counted from the
  /// opening instant itself (a ticket opened inside a window starts counting at once; outside, at the next
  /// window's start). Ends exactly where the last hour is used up (e.g. 12:00, not 14:30). Provisional as
  /// for add_working_days. std::invalid_argument when `bh` does not validate().
  Due add_working_hours(Instant opened, std::int64_t hours, const BusinessHours& bh = {},
                        std::string_view region = {}) const;

 private:
  /// The regional day-off sets that apply to one region code (one per matching prefix).
  struct RegionalView {
    std::vector<const std::set<std::chrono::sys_days>*> sets;
    bool off(std::chrono::sys_days d) const;
    bool any_in(std::chrono::sys_days from, std::chrono::sys_days to) const;  ///< a day off in [from, to)
  };
  RegionalView regional_view(std::string_view region) const;
  bool working(std::chrono::sys_days d, const RegionalView& rv, bool* provisional) const;

  std::set<int> years_;                           // years that have a file
  std::map<std::chrono::sys_days, bool> listed_;  // listed day -> off? (all years, one map)
  std::set<int> regional_years_;                  // years that have a regional file
  std::map<std::string, std::set<std::chrono::sys_days>> regional_;  // prefix -> extra days off
  std::map<std::pair<std::string, std::chrono::sys_days>, std::string> regional_names_;
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
