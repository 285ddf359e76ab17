#pragma once
// Dispatch and escalation messages (DESIGN "Dispatch and escalation messages") and the notifier seam:
// a message is written to the outbox in the same transaction as the step that made it, then delivered
// at least once by a notifier plugin (plugins/notify-*), registered by name.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "routing/common/clock.h"

namespace assist {

/// One outbox row. `id` is stable and is the receiver's idempotency key; one step (ticket, kind, level,
/// reason) gets one id, so writing it twice is a no-op.
struct OutboxMessage {
  std::string id;
  std::string ticket_id;
  std::string kind;    ///< dispatch | warning | escalation
  std::string level;   ///< office | township | county | league
  std::string reason;  ///< dispatched | first_response_warning | resolution_warning | first_response_overdue | resolution_overdue
  std::string notify;  ///< notifier plugin name ("webhook")
  nlohmann::json body; ///< the message as delivered (JSON object)
  std::string state = "pending";  ///< pending | delivered | dead
  int attempts = 0;
  Instant created_at{};
  Instant next_attempt_at{};
  std::optional<Instant> delivered_at;
  std::string last_error;
  std::string acknowledged_by;  ///< for escalations: the coordinator who acknowledged ("" = not yet)
};

/// The outcome of one delivery attempt.
struct DeliveryResult {
  bool ok = false;
  bool permanent = false;  ///< a failure that retrying cannot fix (4xx other than 408/429)
  std::string error;       ///< for the outbox's last_error; no personal data
};

/// A delivery channel. deliver() starts one attempt and calls `done` exactly once, from any thread.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) = 0;
  /// How many deliveries this notifier may have in flight at once (the outbox never exceeds it).
  virtual int max_in_flight() const { return 8; }
  /// Stops in-flight work; `done` callbacks still fire (with a failure) or not at all after this returns.
  virtual void stop() = 0;
};

}  // namespace assist
