#include "routing/escalation/outbox_worker.h"

#include <spdlog/spdlog.h>

namespace assist {

OutboxWorker::OutboxWorker(TicketStore& store, const Clock& clock, std::map<std::string, Notifier*> notifiers,
                           OutboxPolicy p)
    : store_(store), clock_(clock), notifiers_(std::move(notifiers)), policy_(p) {}

OutboxWorker::~OutboxWorker() { stop(); }

Millis OutboxWorker::backoff(const OutboxPolicy& p, int attempts) {
  Millis d = p.retry_initial;
  for (int i = 1; i < attempts && d < p.retry_max; ++i) d *= 2;
  return std::min(d, p.retry_max);
}

Millis OutboxWorker::jittered(const OutboxPolicy& p, int attempts, const std::string& id) {
  const Millis base = backoff(p, attempts);
  if (p.jitter <= 0) return base;
  const size_t h = std::hash<std::string>{}(id + "#" + std::to_string(attempts));
  const double unit = static_cast<double>(h % 10001) / 10000.0 * 2.0 - 1.0;  // [-1, 1]
  return Millis(static_cast<std::int64_t>(static_cast<double>(base.count()) * (1.0 + p.jitter * unit)));
}

bool OutboxWorker::retry(const std::string& id) {
  bool ok = false;
  store_.transact([&](WriteTx& tx) {
    auto m = tx.message(id);
    if (!m || m->state == "delivered") return;
    m->state = "pending";
    m->attempts = 0;
    m->next_attempt_at = clock_.now();
    m->last_error = "manual retry";
    tx.update_message(*m);
    ok = true;
  });
  if (ok) wake();
  return ok;
}

bool OutboxWorker::recipient_allows(const OutboxMessage& m, Instant now) {
  if (policy_.per_recipient_max <= 0) return true;
  const auto& to = m.body.contains("to") ? m.body["to"] : nlohmann::json::object();
  const std::string key = m.notify + "|" + to.value("name", "") + "|" + to.value("address", "");
  Instant wait_until{};
  {
    std::lock_guard lock(mu_);
    auto& q = sent_to_[key];
    while (!q.empty() && q.front() <= now - policy_.per_recipient_window) q.pop_front();
    if (static_cast<int>(q.size()) < policy_.per_recipient_max) {
      q.push_back(now);
      return true;
    }
    wait_until = q.front() + policy_.per_recipient_window;
  }
  try {  // the message waits in the store for the window: it is never dropped
    store_.transact([&](WriteTx& tx) {
      auto cur = tx.message(m.id);
      if (!cur || cur->state != "pending") return;
      cur->next_attempt_at = wait_until;
      tx.update_message(*cur);
    });
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot defer {}: {}", m.id, e.what());
  }
  return false;
}

void OutboxWorker::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

int OutboxWorker::in_flight() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(in_flight_.size());
}

int OutboxWorker::pump() {
  std::vector<std::string> busy;
  std::map<std::string, int> used;  // in flight per notifier
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, name] : in_flight_) {
      busy.push_back(id);
      ++used[name];
    }
  }
  // Each notifier reads its own due messages: a slow channel's backlog never starves another.
  int started = 0;
  for (const auto& [name, n] : notifiers_) {
    if (!n) continue;
    const int room = std::min(policy_.max_in_flight, n->max_in_flight()) - used[name];
    if (room <= 0) continue;
    std::vector<OutboxMessage> due;
    try {
      due = store_.outbox_due(clock_.now(), room, busy, name);
    } catch (const std::exception& e) {
      spdlog::error("outbox: cannot read pending messages: {}", e.what());
      return started;
    }
    for (const auto& m : due) {
      if (!recipient_allows(m, clock_.now())) continue;
      {
        std::lock_guard lock(mu_);
        if (!in_flight_.emplace(m.id, m.notify).second) continue;
      }
      ++started;
      n->deliver(m, [this, m](DeliveryResult r) { finish(m, r); });
    }
  }
  return started;  // messages for a notifier that is not configured stay pending
}

void OutboxWorker::finish(const OutboxMessage& sent, const DeliveryResult& r) {
  const Instant now = clock_.now();
  try {
    store_.transact([&](WriteTx& tx) {
      auto m = tx.message(sent.id);
      if (!m || m->state != "pending") return;
      ++m->attempts;
      if (r.ok) {
        m->state = "delivered";
        m->delivered_at = now;
        m->last_error.clear();
      } else {
        m->last_error = r.error;
        if (r.permanent || m->attempts >= policy_.max_attempts) {
          m->state = "dead";
          spdlog::error("ALERT outbox: message {} dead-lettered after {} attempts: {}", m->id, m->attempts, r.error);
        } else {
          m->next_attempt_at = now + jittered(policy_, m->attempts, m->id);
        }
      }
      tx.update_message(*m);
      if (m->state == "dead") ++dead_;
    });
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot record the delivery of {}: {}", sent.id, e.what());
  }
  if (r.ok) ++delivered_;
  else {
    ++failures_;
    spdlog::warn("outbox: delivery of {} failed: {}", sent.id, r.error);
  }
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(sent.id);
    woken_ = true;
  }
  cv_.notify_all();
}

void OutboxWorker::loop() {
  std::unique_lock lock(mu_);
  while (running_) {
    woken_ = false;
    lock.unlock();
    pump();
    std::optional<Instant> next;
    try {
      next = store_.outbox_next();
    } catch (const std::exception&) {
    }
    lock.lock();
    if (!running_) break;
    // Sleep until the next retry is due (at most 1 s, so a clock step is noticed), or until woken.
    auto wait = Millis(1000);
    if (next) wait = std::clamp(std::chrono::duration_cast<Millis>(*next - clock_.now()), Millis(0), Millis(1000));
    if (wait > Millis(0)) cv_.wait_for(lock, wait, [this] { return woken_ || !running_; });
  }
}

}  // namespace assist
