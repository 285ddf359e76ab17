#pragma once
// Where the reference data read by the tests tagged [shared] is: $ASSIST_SHARED_DIR, else the folder the
// build names (../shared beside the checkout). It holds data/sip-rfc4475/, data/calendar-cn/ and
// data/classify/ (RFC 4475 torture messages, the State Council calendars, the labelled corpus).
#include <cstdlib>
#include <string>

#ifndef ASSIST_SHARED_DIR
#error "ASSIST_SHARED_DIR must be defined by the build"
#endif

namespace assist::test {

inline std::string shared_dir() {
  const char* env = std::getenv("ASSIST_SHARED_DIR");
  return env && *env ? env : ASSIST_SHARED_DIR;
}

}  // namespace assist::test
