#pragma once
// SLA timers and escalation (DESIGN "routing/sla ──► one timer for the earliest due moment"): every
// non-terminal confirmed ticket has at most one entry in a min-heap keyed by the moment of its next step;
// nothing scans when nothing is due. A due step is taken in one store transaction that writes its outbox
// message and the ticket's new escalation state together, so a step is sent once even across a crash.
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>

#include "routing/common/clock.h"
#include "routing/dispatch/directory.h"
#include "routing/escalation/ladder.h"
#include "routing/storage/ticket_store.h"

namespace assist {

class EscalationEngine {
 public:
  /// Called after a step changed a ticket (for SSE) and when a message was enqueued (to wake delivery).
  using ChangeListener = std::function<void(const std::shared_ptr<const Ticket>&, const std::string& what)>;

  EscalationEngine(TicketStore& store, const Clock& clock, EscalationLadder ladder, Directory directory,
                   std::string public_url);

  void on_change(ChangeListener l) { listener_ = std::move(l); }

  /// (Re)computes the ticket's next step and keeps its timer entry (or drops it). Cheap; thread-safe.
  void track(const Ticket& t);
  /// Loads every active ticket from the store (at start).
  void load();
  /// The earliest moment any tracked ticket owes a step.
  std::optional<Instant> next_due() const;
  /// Takes every step due at the clock's now; returns how many messages were written. A store failure
  /// keeps the entries for the next run. Thread-safe.
  int run_due();
  /// The configured ladder (a ticket confirmed now stores its snapshot).
  const EscalationLadder& ladder() const { return ladder_; }
  /// Number of tickets with a pending timer.
  size_t tracked() const;
  /// Directory gaps seen (levels with nobody), for metrics.
  std::uint64_t gaps() const { return gaps_; }

 private:
  int take_steps(const std::string& ticket_id, Instant now);
  TicketStore& store_;
  const Clock& clock_;
  EscalationLadder ladder_;
  Directory directory_;
  std::string public_url_;
  ChangeListener listener_;
  mutable std::mutex mu_;
  std::set<std::pair<Instant, std::string>> heap_;   // (due, ticket id): ordered, erasable
  std::map<std::string, Instant> due_of_;            // ticket id -> its entry in heap_
  std::uint64_t gaps_ = 0;
};

}  // namespace assist
