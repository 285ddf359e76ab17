#pragma once
// Drives the EscalationEngine in production: one thread that sleeps until the earliest due moment (or
// until woken because a ticket changed) and takes the steps due then. No periodic scan: with nothing due
// it sleeps (at most 1 s at a time, so that a wall-clock step is noticed).
#include <condition_variable>
#include <functional>
#include <mutex>
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
  /// A ticket's timer may have moved earlier: re-check now.
  void wake();

 private:
  void loop();
  EscalationEngine& engine_;
  const Clock& clock_;
  std::function<void()> after_steps_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace assist
