#include "routing/dispatch/directory.h"

#include "routing/common/time_format.h"
#include "routing/dispatch/regions.h"

namespace assist {

std::string department_of(const std::string& category) {
  if (category == "medical_assistance") return "medical_insurance";
  if (category == "education_assistance") return "education";
  if (category == "housing_assistance") return "housing";
  if (category == "employment_assistance") return "human_resources";
  if (category == "disaster_relief") return "emergency_management";
  if (category == "stranded_person") return "relief_station";
  return "civil_affairs";
}

std::string region_prefix(const std::string& region_code, const std::string& level) {
  const size_t n = level == "league" ? 4 : level == "county" ? 6 : level == "township" ? 9 : 12;
  return region_code.size() >= n ? region_code.substr(0, n) : "";
}

namespace {

bool day_matches(const DutyWindow& w, std::chrono::year_month_day d, const WorkingDayCalendar* calendar,
                 const std::string& region) {
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  const unsigned wd = std::chrono::weekday{std::chrono::sys_days{d}}.c_encoding();
  bool working = wd >= 1 && wd <= 5;
  if (calendar) working = calendar->is_working_day(d, nullptr, region);  // the entry's own days off too
  for (const auto& day : w.days) {
    if (day == "every" || day == names[wd]) return true;
    if (day == "workdays" && working) return true;
    if (day == "offdays" && !working) return true;
  }
  return false;
}

}  // namespace

bool on_duty(const DirectoryEntry& e, Instant now, const WorkingDayCalendar* calendar) {
  if (e.duty.empty()) return true;
  const auto today = shanghai_date(now);
  const auto yesterday = std::chrono::year_month_day{std::chrono::sys_days{today} - std::chrono::days(1)};
  const int minute = static_cast<int>(
      std::chrono::duration_cast<std::chrono::minutes>(now - shanghai_midnight(today)).count());
  for (const auto& w : e.duty) {
    if (w.from < w.to) {
      if (minute >= w.from && minute < w.to && day_matches(w, today, calendar, e.region)) return true;
    } else {  // past midnight: the evening of a matching day, or the small hours after one
      if (minute >= w.from && day_matches(w, today, calendar, e.region)) return true;
      if (minute < w.to && day_matches(w, yesterday, calendar, e.region)) return true;
    }
  }
  return false;
}

Directory::Directory(std::vector<DirectoryEntry> entries, std::shared_ptr<const WorkingDayCalendar> calendar)
    : state_(std::make_shared<State>()) {
  state_->entries = std::move(entries);
  state_->calendar = std::move(calendar);
}

std::vector<DirectoryEntry> Directory::entries() const {
  std::lock_guard lock(state_->mu);
  return state_->entries;
}

void Directory::replace(std::vector<DirectoryEntry> entries) {
  std::lock_guard lock(state_->mu);
  state_->entries = std::move(entries);
}

std::optional<DirectoryEntry> Directory::find(const std::vector<DirectoryEntry>& entries, const std::string& level,
                                              const std::string& region_code, const std::string& role,
                                              const std::string& department) const {
  const std::string prefix = region_prefix(region_code, level);
  if (prefix.empty()) return std::nullopt;
  for (const auto& e : entries)
    if (e.level == level && e.region == prefix && (role.empty() || e.role == role) &&
        (department.empty() || e.department == department))
      return e;
  return std::nullopt;
}

// A 9-digit unit that is not a township (farm, park) has no township window or coordinator of its own
// unless the directory names one; its county acts for it (the lookups below fall through to the county).
std::optional<DirectoryEntry> Directory::office_for(const std::string& region_code, const std::string& department,
                                                    const std::string& request_type) const {
  std::lock_guard lock(state_->mu);
  const auto& entries = state_->entries;
  if (request_type == "report") {
    if (auto e = find(entries, "county", region_code, "office", department)) return e;
    return find(entries, "county", region_code, "", "");
  }
  for (const char* level : {"village", "township", "county"})
    if (auto e = find(entries, level, region_code, "office", department)) return e;
  if (auto e = find(entries, "township", region_code, "office", "civil_affairs")) return e;  // 一门受理 window
  if (auto e = find(entries, "township", region_code, "", "")) return e;
  if (Regions::builtin().under_unit(region_code)) {  // a farm or park: its county acts for it
    if (auto e = find(entries, "county", region_code, "office", "civil_affairs")) return e;
    return find(entries, "county", region_code, "", "");
  }
  return std::nullopt;
}

std::optional<DirectoryEntry> Directory::coordinator(const std::string& level, const std::string& region_code,
                                                     std::optional<Instant> now) const {
  std::lock_guard lock(state_->mu);
  if (level == "supervisor") {  // the hotline centre's shift supervisor (值班长) whose area holds the place
    std::optional<DirectoryEntry> fallback;
    for (const auto& e : state_->entries) {
      if (e.level != "supervisor" || !region_code.starts_with(e.region)) continue;
      if (!now || on_duty(e, *now, state_->calendar.get())) return e;
      if (e.fallback && !fallback) fallback = e;
    }
    return fallback;
  }
  const std::string prefix = region_prefix(region_code, level);
  if (prefix.empty()) return std::nullopt;
  // coordinators on duty, then the level's fallback, then an office of the level (a plain township entry
  // receives both the dispatch and the escalations)
  for (const char* role : {"coordinator", "office"}) {
    std::optional<DirectoryEntry> fallback;
    for (const auto& e : state_->entries) {
      if (e.level != level || e.region != prefix || e.role != role) continue;
      if (!now || on_duty(e, *now, state_->calendar.get())) return e;
      if (e.fallback && !fallback) fallback = e;
    }
    if (fallback) return fallback;
  }
  return std::nullopt;
}

}  // namespace assist
