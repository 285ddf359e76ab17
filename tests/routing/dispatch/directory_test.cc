// Directory: who receives the dispatch (office of the department, else the township window; a report
// goes to the county) and who coordinates each level (DESIGN "Details settled: Directory entries").
#include "routing/dispatch/directory.h"

#include <catch2/catch.hpp>

using assist::DirectoryEntry;
using assist::Directory;

namespace {

DirectoryEntry e(std::string region, std::string level, std::string name, std::string role = "coordinator",
                 std::string department = "civil_affairs") {
  DirectoryEntry d;
  d.region = std::move(region);
  d.level = std::move(level);
  d.name = std::move(name);
  d.notify = "webhook";
  d.role = std::move(role);
  d.department = std::move(department);
  return d;
}

const Directory& dir() {
  static const Directory d({
      e("150102001", "township", "街道协调员"),
      e("150102001", "township", "街道民政办", "office", "civil_affairs"),
      e("150102001", "township", "街道医保站", "office", "medical_insurance"),
      e("150102002", "township", "锡林北路街道窗口"),
      e("150102", "county", "新城区协调员"),
      e("150102", "county", "新城区教育局", "office", "education"),
      e("150102", "county", "新城区民政局", "office", "civil_affairs"),
      e("1501", "league", "呼和浩特市协调员"),
  });
  return d;
}

std::string office(const std::string& place, const std::string& dept, const std::string& type = "help") {
  auto o = dir().office_for(place, dept, type);
  return o ? o->name : "(none)";
}

}  // namespace

TEST_CASE("directory: department_of follows the taxonomy's last column", "[dispatch][directory]") {
  using assist::department_of;
  CHECK(department_of("minimum_living_allowance") == "civil_affairs");
  CHECK(department_of("temporary_assistance") == "civil_affairs");
  CHECK(department_of("hardship_report") == "civil_affairs");
  CHECK(department_of("medical_assistance") == "medical_insurance");
  CHECK(department_of("education_assistance") == "education");
  CHECK(department_of("housing_assistance") == "housing");
  CHECK(department_of("employment_assistance") == "human_resources");
  CHECK(department_of("disaster_relief") == "emergency_management");
  CHECK(department_of("stranded_person") == "relief_station");
}

TEST_CASE("directory: region_prefix per level", "[dispatch][directory]") {
  using assist::region_prefix;
  CHECK(region_prefix("150102001001", "league") == "1501");
  CHECK(region_prefix("150102001001", "county") == "150102");
  CHECK(region_prefix("150102001001", "township") == "150102001");
  CHECK(region_prefix("150102001001", "village") == "150102001001");
  CHECK(region_prefix("150102", "township") == "");
}

TEST_CASE("directory: office_for prefers the department's office entry", "[dispatch][directory]") {
  CHECK(office("150102001001", "civil_affairs") == "街道民政办");
  CHECK(office("150102001001", "medical_insurance") == "街道医保站");
  CHECK(office("150102001", "medical_insurance") == "街道医保站");
  // no township office of education: the county's
  CHECK(office("150102001001", "education") == "新城区教育局");
}

TEST_CASE("directory: office_for falls back to the township window", "[dispatch][directory]") {
  // housing has no office anywhere: the civil-affairs window of the township (一门受理)
  CHECK(office("150102001001", "housing") == "街道民政办");
  // a township with only a plain entry
  CHECK(office("150102002005", "housing") == "锡林北路街道窗口");
  // a township with nobody, under a county with no office of the department: a gap
  CHECK(office("150102003001", "housing") == "(none)");
  // a county-level place cannot reach a township window
  CHECK(office("150102", "housing") == "(none)");
}

TEST_CASE("directory: a report goes to the county, never the township", "[dispatch][directory]") {
  CHECK(office("150102001001", "civil_affairs", "report") == "新城区民政局");
  CHECK(office("150102001001", "education", "report") == "新城区教育局");
  const auto o = dir().office_for("150102001001", "medical_insurance", "report");
  REQUIRE(o);
  CHECK(o->level == "county");
  CHECK(o->name != "街道医保站");
}

TEST_CASE("directory: coordinator of each level", "[dispatch][directory]") {
  auto name = [](const char* level, const char* place) {
    auto c = dir().coordinator(level, place);
    return c ? c->name : "(none)";
  };
  CHECK(name("township", "150102001001") == "街道协调员");
  CHECK(name("township", "150102002001") == "锡林北路街道窗口");
  CHECK(name("county", "150102001001") == "新城区协调员");
  CHECK(name("league", "150102001001") == "呼和浩特市协调员");
  CHECK(name("township", "150102003001") == "(none)");
  CHECK(name("county", "150103001001") == "(none)");
  CHECK(name("league", "150203001001") == "(none)");
  // coordinators before offices, but an office stands in when it is all there is
  const Directory only_office({e("150102", "county", "民政局", "office")});
  REQUIRE(only_office.coordinator("county", "150102001"));
  CHECK(only_office.coordinator("county", "150102001")->name == "民政局");
}
