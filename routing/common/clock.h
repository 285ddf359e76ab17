#pragma once
// Time is injected: nothing reads the system clock directly. Deadlines, SLA timers and escalation are
// computed from a Clock, so tests drive a SimulatedClock forward and never sleep.
#include <chrono>
#include <mutex>

namespace assist {

/// An instant on the wall clock (UTC), millisecond resolution. Deadlines are exact to the second;
/// the milliseconds keep an opening instant's order and short test limits honest.
using Instant = std::chrono::sys_time<std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;

/// Wall time source. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// The current wall-clock instant (UTC).
  virtual Instant now() const = 0;
};

/// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  Instant now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
};

/// A clock that moves only when told to: for tests of timers, deadlines and the ladder.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(Instant start) : now_(start) {}
  Instant now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void advance(Millis d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  void set(Instant t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  Instant now_;
};

}  // namespace assist
