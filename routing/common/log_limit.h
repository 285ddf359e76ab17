#pragma once
// One line for a repeated failure, not one a time: a flood, a full disk or a store that flaps must not
// flood the log, and the line that is written says how many it stands for.
#include <chrono>
#include <cstdint>

namespace assist {

/// Says a repeated event at most once a `period`: the first at once, then one line a period carrying how
/// many happened since the line before. The instant is passed in (steady clock), so tests drive it.
/// Not thread-safe: call it under its owner's lock or strand.
class LogLimit {
 public:
  using Steady = std::chrono::steady_clock;
  explicit LogLimit(Steady::duration period = std::chrono::seconds(10)) : period_(period) {}

  /// Counts `n` events at `now`. Returns, when a line is due, how many events it stands for (these `n` and
  /// every one not said since the last line, ≥ 1); 0 when the line must wait. The first call is always due,
  /// whatever the clock reads (a steady clock may start near zero).
  std::uint64_t note(Steady::time_point now, std::uint64_t n = 1) {
    unsaid_ += n;
    if (said_ && now - last_ < period_) return 0;
    said_ = true;
    last_ = now;
    const auto said = unsaid_;
    unsaid_ = 0;
    return said;
  }

 private:
  Steady::duration period_;
  bool said_ = false;  // (not std::optional: GCC 12 warns maybe-uninitialized through it)
  Steady::time_point last_{};
  std::uint64_t unsaid_ = 0;
};

}  // namespace assist
