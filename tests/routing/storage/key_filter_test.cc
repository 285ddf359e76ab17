// KeyFilter: never a false "not seen"; rare false "maybe" within its sizing.
#include "routing/storage/key_filter.h"

#include <catch2/catch.hpp>

#include <string>

using namespace assist;

TEST_CASE("key filter: every key added is found; keys never added are rarely taken for seen", "[storage]") {
  const std::size_t n = 200'000;
  KeyFilter f(n);
  for (std::size_t i = 0; i < n; ++i) f.add("1380000" + std::to_string(i));
  for (std::size_t i = 0; i < n; ++i) REQUIRE(f.maybe("1380000" + std::to_string(i)));
  std::size_t false_maybe = 0;
  for (std::size_t i = 0; i < n; ++i) false_maybe += f.maybe(std::to_string(i) + "-call@pbx") ? 1 : 0;
  CHECK(false_maybe < n / 50);  // about 1 in 100 at its sizing
  CHECK(f.bytes() >= n * 10 / 8);
}

TEST_CASE("key filter: filled far past its sizing it still finds every key", "[storage]") {
  KeyFilter f(0);  // the minimum: a million bits
  const std::size_t n = 400'000;
  for (std::size_t i = 0; i < n; ++i) f.add(std::to_string(i * 7919));
  for (std::size_t i = 0; i < n; ++i) REQUIRE(f.maybe(std::to_string(i * 7919)));
  KeyFilter empty(0);
  CHECK_FALSE(empty.maybe(""));
  CHECK_FALSE(empty.maybe("13800000000"));
}
