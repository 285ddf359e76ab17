// One log line a period for repeated failures (routing/common/log_limit.h).
#include "routing/common/log_limit.h"

#include <catch2/catch.hpp>

using assist::LogLimit;
using namespace std::chrono_literals;

TEST_CASE("log limit: the first at once, then one line a period with how many", "[common][log_limit]") {
  LogLimit limit(10s);
  const LogLimit::Steady::time_point t0{};  // a steady clock that reads zero: the first is said all the same
  CHECK(limit.note(t0) == 1);
  CHECK(limit.note(t0 + 1s) == 0);
  CHECK(limit.note(t0 + 9s, 5) == 0);
  CHECK(limit.note(t0 + 10s) == 7);  // the line stands for the 1 + 5 unsaid and this one
  CHECK(limit.note(t0 + 19s) == 0);
  CHECK(limit.note(t0 + 20s) == 2);
  CHECK(limit.note(t0 + 1h, 3) == 3);
}
