#pragma once
// The escalation ladder (DESIGN "Domain rules", "Details settled: A step"): pure arithmetic from a
// ticket's state to the next step it owes and when. A step is (ticket, kind, level, reason) and is sent
// once. Per clock (first response, resolution) while it runs on a confirmed ticket:
//   - a warning to the dispatched office at warning_at of the limit;
//   - for critical and urgent tickets, when the limit passes, the first ladder level (township), then each
//     next level after the previous level's `step` without an acknowledgement (county, then league).
// Normal tickets get a reminder to the office when the limit passes (催办) and the shift supervisor (a
// directory entry of level `supervisor`) one first step later (督办), not the coordinator ladder.
// Acknowledgement by a coordinator stops that clock's climb; the office's sign-off (acknowledge) stops the
// first-response clock, resolve stops both. Planned moments are fixed from the due instant (due,
// due + step1, due + step1 + step2, ...), so a restart or a late timer never shifts the ladder. A level
// with nobody in the directory is skipped at its moment and the next level is told then (DESIGN: "the
// next level up, and the gap is reported"), not a step later.
// Issue 5: the first-response clock runs on the office that holds the ticket: after a reassignment (改派)
// it restarts from office_since with office_first_response_due, and after a return (退单) it waits until
// the ticket is reassigned. The resolution clock is the ticket's overall one: it never restarts, is
// paused while waiting_on_caller (no step while paused) and moves with resume and extend (the ticket's
// resolution_due already holds the moved deadline); its warning comes at the same share of the limit
// before the moved deadline. A ticket reopened for review after an unsatisfied revisit owes no step.
#include <optional>
#include <string>
#include <vector>

#include "routing/config/config.h"
#include "routing/tickets/ticket.h"

namespace assist {

struct PlannedStep {
  std::string clock;   ///< first_response | resolution
  std::string kind;    ///< warning | escalation
  std::string level;   ///< office | township | county | league
  std::string reason;  ///< first_response_warning, first_response_overdue, ...
  Instant at;          ///< the moment it is due
  /// The office round of a first-response step (Ticket::office_round): a step of round > 1 is a new step
  /// for a new office and needs its own message id (suffix "-r<round>").
  int round = 1;
};

class EscalationLadder {
 public:
  EscalationLadder(std::vector<LadderStep> ladder, double warning_at)
      : ladder_(std::move(ladder)), warning_at_(warning_at) {}

  /// The earliest step this ticket still owes (it may be in the past: it is overdue), or nullopt when
  /// it owes none now or ever (terminal, unconfirmed, clocks stopped, ladder exhausted).
  std::optional<PlannedStep> next_step(const Ticket& t) const;

  const std::vector<LadderStep>& steps() const { return ladder_; }
  /// This ladder as stored on a ticket at confirmation (Ticket::ladder).
  nlohmann::json snapshot() const;
  /// escalation.supervisor_at_breach: the shift supervisor is told when any running clock's limit passes,
  /// confirmed or not (DESIGN: an unconfirmed ticket that breaches is the shift supervisor's).
  void set_supervisor_at_breach(bool on) { supervisor_at_breach_ = on; }
  /// The ladder that applies to `t`: its stored snapshot, else this one.
  EscalationLadder for_ticket(const Ticket& t) const;
  /// The step of `level` in this ladder (0 when it has none).
  Millis step_of(const std::string& level) const;

 private:
  std::optional<PlannedStep> own_next_step(const Ticket& t) const;
  std::optional<PlannedStep> for_clock(const Ticket& t, const std::string& clock, Instant start, Instant due,
                                       Millis span, const ClockEscalation& esc) const;
  std::vector<LadderStep> ladder_;
  double warning_at_;
  bool supervisor_at_breach_ = false;
};

}  // namespace assist
