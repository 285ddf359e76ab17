#pragma once
// SLA limits (DESIGN "Domain rules"; taxonomy "Deadlines"): a first-match-wins list on request type
// and urgency (optionally category and region prefix), like a service desk's SLA goals. The rule that
// matched is recorded on the ticket. Time is counted on the office that must act: its region's office
// hours (BusinessHoursTable, for "wh" limits) and its region's extra days off (WorkingDayCalendar).
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routing/sla/calendar.h"
#include "routing/sla/duration.h"

namespace assist {

struct LimitRule {
  std::vector<std::string> request_types;  ///< empty = any
  std::vector<std::string> urgencies;      ///< empty = any
  std::vector<std::string> categories;     ///< empty = any
  std::vector<std::string> regions;        ///< region-code prefixes; empty = any
  Duration first_response;
  Duration resolution;
  /// The rule as text in the config's own spellings (set by limits_from_json); empty = use describe().
  std::string text;
};

/// The rule as text: selectors present, lists joined by '|', then both limits, e.g.
/// "request_type=complaint|report urgency=normal first_response=1wd resolution=15wd". Returns
/// rule.text when set.
std::string describe(const LimitRule& rule);

/// Deadlines of one ticket, computed from its opening instant.
struct Deadlines {
  Instant first_response_due;
  Instant resolution_due;
  bool provisional = false;  ///< a working-day limit ran into a year with no calendar
  int rule_index = -1;       ///< index of the matching rule in the limits list
  std::string rule;          ///< the rule as text, e.g. "urgency=critical first_response=15m resolution=24h"
  std::string policy_version;  ///< SlaPolicy::version() of the policy that computed them
  /// The office hours that counted (BusinessHoursTable::describe_for the region), when the rule has a
  /// limit in working hours; "" otherwise. E.g. "152522: 08:00-12:00 15:00-18:30".
  std::string business_hours;
};

/// A limits list that cannot be used (config error), or a ticket no rule matches. For a limits list,
/// `pointer` is where under `sla.limits` the fault is ("/2/urgency", "" for the list itself) and `reason`
/// the message without the "sla.limits[2].urgency: " that what() starts with, so a config file's error
/// can name its own line and key once.
class SlaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  SlaError(const std::string& what, std::string pointer, std::string reason)
      : std::runtime_error(what), pointer(std::move(pointer)), reason(std::move(reason)) {}
  std::string pointer, reason;
};

/// Parses the config's `sla.limits` array (each item {request_type?, urgency?, category?, region?,
/// first_response, resolution}; the selectors take a string or a list of strings). Throws SlaError
/// naming the item index and key, e.g. "sla.limits[2].urgency: unknown value \"high\" (critical, urgent,
/// normal)": not a list, an item not an object, an unknown key, a missing or bad duration (see
/// parse_duration), a selector not a string or non-empty list of strings, an unknown request type /
/// urgency / category (taxonomy ids), a region that is not 1-12 digits. The list must end with a rule
/// that matches everything. Working-day limits are at most 1000wd, working hours 7000wh.
std::vector<LimitRule> limits_from_json(const nlohmann::json& limits);

class SlaPolicy {
 public:
  /// Throws SlaError when `limits` is empty, std::invalid_argument when `calendar` is null.
  /// `hours` are the office hours for working-hour limits ("4wh") by region (config
  /// `sla.business_hours`; default 08:30-12:00, 14:30-18:00 everywhere).
  SlaPolicy(std::vector<LimitRule> limits, std::shared_ptr<const WorkingDayCalendar> calendar,
            BusinessHoursTable hours = {});

  /// Deadlines for a ticket opened at `opened` with these labels: the first rule whose selectors all
  /// match (a region selector matches a code that starts with one of its prefixes). Wall durations add
  /// exactly; working days follow WorkingDayCalendar::add_working_days (Civil Code arts. 201-203),
  /// working hours add_working_hours. `region_code` is the office that must act (the ticket's place,
  /// else its region hint; "" = none): its extra days off are not counted and its office hours
  /// (longest prefix in the hours table) count "wh" limits. Throws SlaError when no rule matches (a list
  /// built in code without a catch-all).
  Deadlines compute(Instant opened, const std::string& category, const std::string& request_type,
                    const std::string& urgency, const std::string& region_code) const;

  const std::vector<LimitRule>& limits() const { return limits_; }
  const WorkingDayCalendar& calendar() const { return *calendar_; }
  std::shared_ptr<const WorkingDayCalendar> calendar_ptr() const { return calendar_; }
  const BusinessHoursTable& hours() const { return hours_; }
  /// "p-" and 12 hex digits: a hash of the limits (as text), the business hours of every region and the
  /// calendars loaded (national and regional days off). Stored on every ticket with its rule: a ticket
  /// whose version differs was computed under another policy (recompute on purpose:
  /// TicketService::recompute). With only the default hours and no regional days off it is the version
  /// computed before either existed.
  const std::string& version() const { return version_; }
  /// A duration added to `from`: wall exactly; working days counted from the day of `from` (not
  /// counted, Civil Code art. 201); working hours in business hours. Sets *provisional when a working-day
  /// count ran into a year with no calendar. Counted on `region_code` as compute() does. For extensions (延期).
  Instant add(Instant from, const Duration& d, bool* provisional = nullptr,
              std::string_view region_code = {}) const;

 private:
  std::vector<LimitRule> limits_;
  std::shared_ptr<const WorkingDayCalendar> calendar_;
  BusinessHoursTable hours_;
  std::string version_;
};

}  // namespace assist
