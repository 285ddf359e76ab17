#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

// Unit tests assert outcomes, not log lines: keep the output to what Catch2 reports.
int main(int argc, char* argv[]) {
  spdlog::set_level(spdlog::level::off);
  return Catch::Session().run(argc, argv);
}
