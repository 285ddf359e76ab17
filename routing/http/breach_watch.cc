#include "routing/http/breach_watch.h"

namespace assist::http {

bool breached(const Ticket& t, const std::string& clock, Instant now) {
  if (t.terminal()) return false;
  if (clock == "first_response") return !t.acknowledged_at && t.first_response_due <= now;
  // waiting on the caller pauses the resolution clock (DESIGN "Clocks run on the office")
  return t.status != "waiting_on_caller" && t.resolution_due <= now;
}

void BreachWatch::track(const Ticket& t, Instant now) {
  if (auto it = of_.find(t.id); it != of_.end()) {
    due_.erase({it->second.first, t.id, it->second.second});
    of_.erase(it);
  }
  if (t.terminal()) return;
  std::optional<std::pair<Instant, std::string>> next;
  // Only moments still ahead: a breach already past was announced when it came (or before a restart).
  if (!t.acknowledged_at && t.first_response_due > now) next = {t.first_response_due, "first_response"};
  if (t.resolution_due > now && (!next || t.resolution_due < next->first)) next = {t.resolution_due, "resolution"};
  if (!next) return;
  due_.insert({next->first, t.id, next->second});
  of_[t.id] = *next;
}

std::vector<DueBreach> BreachWatch::take_due(Instant now) {
  std::vector<DueBreach> out;
  for (auto it = due_.begin(); it != due_.end() && std::get<0>(*it) <= now;) {
    out.push_back({std::get<1>(*it), std::get<2>(*it), std::get<0>(*it)});
    of_.erase(std::get<1>(*it));
    it = due_.erase(it);
  }
  return out;
}

std::optional<Instant> BreachWatch::next() const {
  if (due_.empty()) return std::nullopt;
  return std::get<0>(*due_.begin());
}

}  // namespace assist::http
