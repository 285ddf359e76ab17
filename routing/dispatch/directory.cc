#include "routing/dispatch/directory.h"

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

std::optional<DirectoryEntry> Directory::find(const std::string& level, const std::string& region_code,
                                              const std::string& role, const std::string& department) const {
  const std::string prefix = region_prefix(region_code, level);
  if (prefix.empty()) return std::nullopt;
  for (const auto& e : entries_)
    if (e.level == level && e.region == prefix && (role.empty() || e.role == role) &&
        (department.empty() || e.department == department))
      return e;
  return std::nullopt;
}

std::optional<DirectoryEntry> Directory::office_for(const std::string& region_code, const std::string& department,
                                                    const std::string& request_type) const {
  if (request_type == "report") {
    if (auto e = find("county", region_code, "office", department)) return e;
    return find("county", region_code, "", "");
  }
  for (const char* level : {"village", "township", "county"})
    if (auto e = find(level, region_code, "office", department)) return e;
  if (auto e = find("township", region_code, "office", "civil_affairs")) return e;  // 一门受理 window
  return find("township", region_code, "", "");
}

std::optional<DirectoryEntry> Directory::coordinator(const std::string& level, const std::string& region_code) const {
  if (auto e = find(level, region_code, "coordinator", "")) return e;
  return find(level, region_code, "", "");
}

}  // namespace assist
