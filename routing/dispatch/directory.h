#pragma once
// The directory of offices and coordinators by region and department (DESIGN "Details settled:
// Directory entries"), and who must act on a ticket: dispatch (派单) goes to the `office` entry for the
// place and the category's department (the taxonomy's last column), else to the township entry; a
// `report` (举报) goes to the county, never to the unit it accuses.
#include <optional>
#include <string>
#include <vector>

#include "routing/config/config.h"

namespace assist {

/// The department that handles a category (call-taxonomy.md, "usually handled by"): civil_affairs,
/// medical_insurance, education, housing, human_resources, emergency_management, relief_station.
std::string department_of(const std::string& category);

/// The region-code prefix of a level: league 4 digits, county 6, township 9, village 12; "" when the
/// code is too short for that level.
std::string region_prefix(const std::string& region_code, const std::string& level);

class Directory {
 public:
  explicit Directory(std::vector<DirectoryEntry> entries) : entries_(std::move(entries)) {}

  /// The office that receives the dispatch of a ticket at `region_code` (6, 9 or 12 digits):
  /// for request type `report`, the county office of the department, else the county entry;
  /// otherwise the `office` entry of the department with the longest matching prefix (village,
  /// township, county), else the township entry of the place. nullopt = a dispatch gap.
  std::optional<DirectoryEntry> office_for(const std::string& region_code, const std::string& department,
                                           const std::string& request_type) const;

  /// The coordinator of `level` (township, county, league) for the place: an entry of that level whose
  /// region is the place's prefix, coordinators before offices. nullopt = nobody at that level.
  std::optional<DirectoryEntry> coordinator(const std::string& level, const std::string& region_code) const;

  const std::vector<DirectoryEntry>& entries() const { return entries_; }

 private:
  std::optional<DirectoryEntry> find(const std::string& level, const std::string& region_code,
                                     const std::string& role, const std::string& department) const;
  std::vector<DirectoryEntry> entries_;
};

}  // namespace assist
