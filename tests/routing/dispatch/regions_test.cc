// Regions: Inner Mongolia's division codes and full place names (ops/regions/nei-mongol.csv).
#include "routing/dispatch/regions.h"

#include <catch2/catch.hpp>

using assist::Regions;

TEST_CASE("regions: full names from league to township", "[dispatch][regions]") {
  const auto& r = Regions::builtin();
  CHECK(r.full_name("1501") == "呼和浩特市");
  CHECK(r.full_name("150102") == "呼和浩特市 新城区");
  CHECK(r.full_name("150102001") == "呼和浩特市 新城区 海拉尔东路街道");
  CHECK_THAT(r.full_name("150102001001"), Catch::StartsWith("呼和浩特市 新城区 海拉尔东路街道"));
  CHECK(r.full_name("9999") == "");
  CHECK(r.full_name("") == "");
}

TEST_CASE("regions: known codes", "[dispatch][regions]") {
  const auto& r = Regions::builtin();
  CHECK(r.known("1501"));
  CHECK(r.known("150102"));
  CHECK(r.known("150102001"));
  CHECK(r.known("150102001001"));
  CHECK_FALSE(r.known("999999"));
  CHECK_FALSE(r.known("150102999"));
  CHECK_FALSE(r.known("150102999001"));
  CHECK_FALSE(r.known(""));
}
