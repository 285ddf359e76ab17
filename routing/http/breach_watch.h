#pragma once
// When each open ticket breaches (DESIGN "every breach shows on the board at once"): a clock breaches
// when the wall clock passes its due moment while it runs — first response until the office's sign-off
// (acknowledged_at), resolution until the ticket is terminal. One entry per ticket, its next breach,
// in an ordered set: a timer waits for the earliest; nothing scans. Pure (no I/O, no clock): the caller
// passes `now`. Not thread-safe (SseHub locks).
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "routing/tickets/ticket.h"

namespace assist::http {

struct DueBreach {
  std::string ticket_id;
  std::string clock;  ///< first_response | resolution
  Instant at;
};

/// True while `clock` runs on `t` and its due moment is at or before `now`.
bool breached(const Ticket& t, const std::string& clock, Instant now);

class BreachWatch {
 public:
  /// (Re)computes the ticket's next breach after `now` and keeps it (or drops the entry when none).
  void track(const Ticket& t, Instant now);
  /// Removes and returns the entries due at or before `now`, earliest first.
  std::vector<DueBreach> take_due(Instant now);
  /// The earliest entry's moment.
  std::optional<Instant> next() const;
  std::size_t size() const { return of_.size(); }

 private:
  std::set<std::tuple<Instant, std::string, std::string>> due_;  // (at, ticket id, clock)
  std::map<std::string, std::pair<Instant, std::string>> of_;     // ticket id -> its entry
};

}  // namespace assist::http
