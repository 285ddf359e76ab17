#pragma once
// The directory of offices and coordinators by region and department (DESIGN "Details settled:
// Directory entries"), and who must act on a ticket: dispatch (派单) goes to the `office` entry for the
// place and the category's department (the taxonomy's last column), else to the township entry; a
// `report` (举报) goes to the county, never to the unit it accuses. Escalations go to the coordinator of a
// level who is on duty (值班), else the level's fallback; nobody = a gap, reported by the caller.
//
// A Directory is a handle: copies share one table, so a reload (replace()) reaches every holder at once.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "routing/config/config.h"
#include "routing/sla/calendar.h"

namespace assist {

/// The department that handles a category (call-taxonomy.md, "usually handled by"): civil_affairs,
/// medical_insurance, education, housing, human_resources, emergency_management, relief_station.
std::string department_of(const std::string& category);

/// The region-code prefix of a level: league 4 digits, county 6, township 9, village 12; "" when the
/// code is too short for that level.
std::string region_prefix(const std::string& region_code, const std::string& level);

/// Whether an entry is on duty at `now` (Shanghai time): no duty windows = always. "workdays" and
/// "offdays" follow the working-day calendar (调休 included, and the regional days off of the entry's
/// region); without a calendar, Monday-Friday.
bool on_duty(const DirectoryEntry& e, Instant now, const WorkingDayCalendar* calendar);

class Directory {
 public:
  explicit Directory(std::vector<DirectoryEntry> entries,
                     std::shared_ptr<const WorkingDayCalendar> calendar = nullptr);

  /// The office that receives the dispatch of a ticket at `region_code` (6, 9 or 12 digits):
  /// for request type `report`, the county office of the department, else the county entry;
  /// otherwise the `office` entry of the department with the longest matching prefix (village,
  /// township, county), else the township entry of the place. nullopt = a dispatch gap.
  std::optional<DirectoryEntry> office_for(const std::string& region_code, const std::string& department,
                                           const std::string& request_type) const;

  /// The coordinator of `level` (township, county, league) for the place: among that level's coordinator
  /// entries for the place's prefix, the first on duty at `now`, else the one marked `fallback`; failing
  /// those, the same among the level's offices. Without `now`, duty times are not looked at.
  /// nullopt = nobody at that level now.
  std::optional<DirectoryEntry> coordinator(const std::string& level, const std::string& region_code,
                                            std::optional<Instant> now = std::nullopt) const;

  /// A copy of the table.
  std::vector<DirectoryEntry> entries() const;
  /// Replaces the table for every holder of this directory (reload).
  void replace(std::vector<DirectoryEntry> entries);

 private:
  struct State {
    mutable std::mutex mu;
    std::vector<DirectoryEntry> entries;
    std::shared_ptr<const WorkingDayCalendar> calendar;
  };
  std::optional<DirectoryEntry> find(const std::vector<DirectoryEntry>& entries, const std::string& level,
                                     const std::string& region_code, const std::string& role,
                                     const std::string& department) const;
  std::shared_ptr<State> state_;
};

}  // namespace assist
