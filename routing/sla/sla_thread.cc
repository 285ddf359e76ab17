#include "routing/sla/sla_thread.h"

namespace assist {

SlaThread::SlaThread(EscalationEngine& engine, const Clock& clock, std::function<void()> after_steps)
    : engine_(engine), clock_(clock), after_steps_(std::move(after_steps)) {}

SlaThread::~SlaThread() { stop(); }

void SlaThread::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void SlaThread::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SlaThread::wake() {
  const auto next = engine_.next_due();
  {
    std::lock_guard lock(mu_);
    if (waiting_until_ && (!next || *next >= *waiting_until_)) return;  // it wakes in time anyway
    woken_ = true;
  }
  cv_.notify_all();
}

void SlaThread::loop() {
  std::unique_lock lock(mu_);
  while (running_) {
    woken_ = false;
    lock.unlock();
    if (engine_.run_due() > 0 && after_steps_) after_steps_();
    const auto next = engine_.next_due();
    lock.lock();
    if (!running_) break;
    auto wait = Millis(1000);
    if (next) wait = std::clamp(std::chrono::duration_cast<Millis>(*next - clock_.now()), Millis(0), Millis(1000));
    if (wait > Millis(0)) {
      waiting_until_ = clock_.now() + wait;
      cv_.wait_for(lock, wait, [this] { return woken_ || !running_; });
      waiting_until_.reset();
    }
  }
}

}  // namespace assist
