#pragma once
// Drives the EscalationEngine in production: one thread that sleeps until the earliest due moment (or
// until woken because a ticket changed) and takes the steps due then. No periodic scan: with nothing due
// it sleeps (at most 1 s at a time, so that a wall-clock step is noticed).
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "routing/escalation/engine.h"

namespace assist {

class SlaThread {
 public:
  /// `after_steps` runs after a run that wrote messages (wakes the outbox).
  SlaThread(EscalationEngine& engine, const Clock& clock, std::function<void()> after_steps);
  ~SlaThread();
  void start();
  void stop();
  /// A ticket's timer may have moved earlier: re-check now. Nothing is done (no thread woken) when the
  /// engine's earliest due moment is not before the moment the thread already waits for: a new call's
  /// ticket, due in minutes, costs no context switch.
  void wake();

 private:
  void loop();
  EscalationEngine& engine_;
  const Clock& clock_;
  std::function<void()> after_steps_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false, woken_ = false;
  std::optional<Instant> waiting_until_;  // set while the thread waits: the end of its wait
  std::thread thread_;
};

}  // namespace assist
