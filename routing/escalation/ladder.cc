#include "routing/escalation/ladder.h"

#include <cmath>

namespace assist {

std::optional<PlannedStep> EscalationLadder::for_clock(const Ticket& t, const std::string& clock, Instant start,
                                                       Instant due, Millis span, const ClockEscalation& esc) const {
  std::optional<PlannedStep> best;
  auto consider = [&](PlannedStep s) {
    if (!best || s.at < best->at) best = std::move(s);
  };
  if (!esc.warned && t.assignee && esc.level.empty()) {
    // at warning_at of the limit; a deadline moved by pauses or extensions moves its warning with it
    const auto shift = due - (start + span);
    const auto at = start + Millis(std::llround(double(span.count()) * warning_at_)) + shift;
    consider({clock, "warning", "office", clock + "_warning", at});
  }
  if ((t.urgency == "critical" || t.urgency == "urgent") && !esc.acknowledged && !ladder_.empty()) {
    // the level after the last one reached, at due + the steps of the levels before it
    size_t next = 0;
    if (!esc.level.empty()) {
      next = ladder_.size();
      for (size_t i = 0; i < ladder_.size(); ++i)
        if (ladder_[i].level == esc.level) next = i + 1;
    }
    if (next < ladder_.size()) {
      Instant at = due - esc.skipped;  // a level with nobody passes its moment straight to the next
      for (size_t i = 0; i < next; ++i) at += ladder_[i].step;
      consider({clock, "escalation", ladder_[next].level, clock + "_overdue", at});
    }
  } else if (t.urgency == "normal" && t.assignee && !esc.acknowledged && !ladder_.empty()) {
    // normal tickets: a reminder to the office at the limit (催办), the shift supervisor one step later (督办);
    // the coordinator ladder is for critical and urgent cases only
    if (esc.level.empty()) consider({clock, "warning", "office", clock + "_overdue", due});
    else if (esc.level == "office") consider({clock, "escalation", "supervisor", clock + "_overdue", due + ladder_[0].step});
  }
  return best;
}

nlohmann::json EscalationLadder::snapshot() const {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : ladder_) steps.push_back({{"level", s.level}, {"step_ms", s.step.count()}});
  return {{"warning_at", warning_at_}, {"steps", steps}};
}

EscalationLadder EscalationLadder::for_ticket(const Ticket& t) const {
  if (!t.ladder.is_object() || !t.ladder.contains("steps")) return *this;
  std::vector<LadderStep> steps;
  for (const auto& s : t.ladder["steps"]) steps.push_back({s.value("level", ""), Millis(s.value("step_ms", std::int64_t(0)))});
  EscalationLadder l(std::move(steps), t.ladder.value("warning_at", warning_at_));
  l.supervisor_at_breach_ = supervisor_at_breach_;
  return l;
}

std::optional<PlannedStep> EscalationLadder::next_step(const Ticket& t) const {
  if (t.ladder.is_object()) return for_ticket(t).own_next_step(t);
  return own_next_step(t);
}

std::optional<PlannedStep> EscalationLadder::own_next_step(const Ticket& t) const {
  if (t.terminal() || t.review) return std::nullopt;
  std::optional<PlannedStep> told;  // the shift supervisor at breach, when configured (confirmed or not)
  if (supervisor_at_breach_) {
    if (!t.acknowledged_at && !t.first_response_esc.supervisor_told)
      told = PlannedStep{"first_response", "warning", "supervisor", "first_response_breached", t.first_response_due};
    if (!t.paused_since && !t.resolution_esc.supervisor_told && (!told || t.resolution_due < told->at))
      told = PlannedStep{"resolution", "warning", "supervisor", "resolution_breached", t.resolution_due};
  }
  if (!t.confirmed) return told;
  std::optional<PlannedStep> best = told;
  if (!t.acknowledged_at && !t.returned) {
    const Instant start = t.office_start(), due = t.office_first_due();
    auto fr = for_clock(t, "first_response", start, due, due - start, t.first_response_esc);
    if (fr) fr->round = t.office_round;
    if (fr && (!best || fr->at < best->at)) best = fr;
  }
  if (!t.paused_since)
    if (auto r = for_clock(t, "resolution", t.opened_at, t.resolution_due, t.resolution_base() - t.opened_at,
                           t.resolution_esc);
        r && (!best || r->at < best->at))
      best = r;
  return best;
}

Millis EscalationLadder::step_of(const std::string& level) const {
  for (const auto& s : ladder_)
    if (s.level == level) return s.step;
  return Millis(0);
}

}  // namespace assist
