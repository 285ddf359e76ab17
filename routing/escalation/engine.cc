#include "routing/escalation/engine.h"

#include <spdlog/spdlog.h>

#include "routing/escalation/messages.h"

namespace assist {

EscalationEngine::EscalationEngine(TicketStore& store, const Clock& clock, EscalationLadder ladder,
                                   Directory directory, std::string public_url)
    : store_(store), clock_(clock), ladder_(std::move(ladder)), directory_(std::move(directory)),
      public_url_(std::move(public_url)) {}

void EscalationEngine::track(const Ticket& t) {
  const auto step = ladder_.next_step(t);
  std::lock_guard lock(mu_);
  if (auto it = due_of_.find(t.id); it != due_of_.end()) {
    heap_.erase({it->second, t.id});
    due_of_.erase(it);
  }
  if (step) {
    heap_.insert({step->at, t.id});
    due_of_[t.id] = step->at;
  }
}

void EscalationEngine::load() {
  for (const auto& t : store_.active()) track(t);
}

std::optional<Instant> EscalationEngine::next_due() const {
  std::lock_guard lock(mu_);
  if (heap_.empty()) return std::nullopt;
  return heap_.begin()->first;
}

size_t EscalationEngine::tracked() const {
  std::lock_guard lock(mu_);
  return heap_.size();
}

int EscalationEngine::run_due() {
  const Instant now = clock_.now();
  std::vector<std::string> due;
  {
    std::lock_guard lock(mu_);
    for (auto it = heap_.begin(); it != heap_.end() && it->first <= now;) {
      due.push_back(it->second);
      due_of_.erase(it->second);
      it = heap_.erase(it);
    }
  }
  int written = 0;
  for (const auto& id : due) {
    try {
      written += take_steps(id, now);
    } catch (const std::exception& e) {
      spdlog::error("escalation: ticket {}: {}; will retry", id, e.what());
      std::lock_guard lock(mu_);
      const Instant retry = now + Millis(1000);
      heap_.insert({retry, id});
      due_of_[id] = retry;
    }
  }
  return written;
}

int EscalationEngine::take_steps(const std::string& ticket_id, Instant now) {
  int written = 0;
  std::optional<Ticket> after;
  std::vector<OutboxMessage> sent;
  store_.transact([&](WriteTx& tx) {
    auto t = tx.get(ticket_id);
    if (!t) return;
    // Several steps may be due at once (a restart after a long stop, a level with nobody): take them in
    // order, each once.
    for (int guard = 0; guard < 16; ++guard) {
      const auto step = ladder_.next_step(*t);
      if (!step || step->at > now) break;
      ClockEscalation& esc = step->clock == "first_response" ? t->first_response_esc : t->resolution_esc;
      std::optional<DirectoryEntry> to;
      const std::string place = t->region_code.empty() ? t->region_hint : t->region_code;
      if (step->level == "supervisor" && step->kind == "warning") {  // told at breach
        esc.supervisor_told = true;
        esc.breached = true;
        to = directory_.coordinator("supervisor", place, now);
        if (!to) {
          spdlog::warn("ALERT escalation.supervisor_at_breach: no shift supervisor in the directory for {}", place);
          continue;
        }
      } else if (step->kind == "warning") {
        esc.warned = true;
        if (step->reason.ends_with("_overdue")) {  // 催办: the normal ticket's limit passed
          esc.level = "office";
          esc.breached = true;
        }
        const auto& a = *t->assignee;
        to = DirectoryEntry{a.region, a.level, a.name, "webhook", a.role, a.department};
        for (const auto& e : directory_.entries())
          if (e.name == a.name && e.region == a.region) to = e;
      } else {
        esc.level = step->level;
        esc.breached = true;
        to = directory_.coordinator(step->level, t->region_code.empty() ? t->region_hint : t->region_code, now);
        if (!to) {
          ++gaps_;
          esc.skipped += ladder_.for_ticket(*t).step_of(step->level);
          spdlog::warn("ALERT escalation gap: ticket {} {}: nobody at level {} (in the directory, or on duty) for "
                       "region {}; the next level is told now", t->id, step->reason, step->level, t->region_code);
          tx.event(t->id, "escalation_gap", "system", "nobody on duty at level " + step->level,
                   {{"level", step->level}, {"reason", step->reason}}, now);
          // the gap is the supervisors' to fill: they are told, once per ticket and level
          if (auto sup = directory_.coordinator("supervisor", place, now)) {
            auto g = build_message(*t, message_id(t->id, "warning", "supervisor", "gap-" + step->level), "warning",
                                   "supervisor", "directory_gap", *sup, public_url_, now);
            g.body["gap_level"] = step->level;
            if (tx.enqueue(g)) sent.push_back(g);
          }
          continue;
        }
      }
      // a step owed by a later office (after a return or reassignment) is a new step with its own id
      const std::string id = message_id(t->id, step->kind, step->level, step->reason) +
                             (step->round > 1 ? "-r" + std::to_string(step->round) : "");
      auto m = build_message(*t, id, step->kind, step->level,
                             step->reason, *to, public_url_, now);
      if (tx.enqueue(m)) {
        ++written;
        sent.push_back(m);
        tx.event(t->id, step->kind, "system", m.body["text"].get<std::string>(),
                 {{"message_id", m.id}, {"level", step->level}, {"reason", step->reason}, {"to", to->name}}, now);
      }
    }
    t->updated_at = now;
    tx.put(*t);
    after = t;
  });
  if (after) {
    track(*after);
    for (const auto& m : sent)
      spdlog::info("{} {} {} -> {} ({})", m.kind, m.ticket_id, m.reason, m.body["to"]["name"].get<std::string>(), m.level);
    if (listener_ && !sent.empty())
      listener_(std::make_shared<const Ticket>(std::move(*after)), sent.back().kind == "escalation" ? "escalated" : "warned");
  }
  return written;
}

}  // namespace assist
