#pragma once
// Delivery of the outbox (DESIGN "Dispatch and escalation messages"): at least once, at most
// `max_in_flight` deliveries at a time per notifier, retry with exponential backoff (retry_initial
// doubling to retry_max, with jitter), dead-lettered after max_attempts or a permanent failure. State lives in the store, so after
// a restart pending work resumes; only a delivery in flight at a crash may repeat, under the same id.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "routing/common/clock.h"
#include "routing/escalation/notifier.h"
#include "routing/storage/ticket_store.h"

namespace assist {

struct OutboxPolicy {
  int max_in_flight = 8;       ///< per notifier, and never more than the notifier's own max_in_flight()
  Millis retry_initial{1000};
  Millis retry_max{300000};
  int max_attempts = 20;
  double jitter = 0;           ///< +/- this fraction of each delay (deterministic per message and attempt)
  int per_recipient_max = 0;   ///< at most this many deliveries to one recipient per window; 0 = no limit
  Millis per_recipient_window{60000};  ///< over the limit a message waits for the window, never drops
};

class OutboxWorker {
 public:
  /// `notifiers` maps a plugin name ("webhook") to its notifier; messages for a name with none stay
  /// pending. Everything passed must outlive the worker.
  OutboxWorker(TicketStore& store, const Clock& clock, std::map<std::string, Notifier*> notifiers, OutboxPolicy p);
  ~OutboxWorker();

  /// Starts the delivery thread (production). Tests call pump() instead.
  void start();
  void stop();
  /// New messages were written: look now.
  void wake();
  /// Starts deliveries for the messages due at the clock's now, up to the in-flight limit; returns how
  /// many it started. Thread-safe.
  int pump();
  int in_flight() const;
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t failures() const { return failures_; }
  std::uint64_t dead() const { return dead_; }

  /// The delay before attempt `attempts + 1`: retry_initial * 2^(attempts-1), capped at retry_max.
  static Millis backoff(const OutboxPolicy& p, int attempts);
  /// backoff() spread by +/- p.jitter, the same for the same message and attempt.
  static Millis jittered(const OutboxPolicy& p, int attempts, const std::string& id);
  /// Puts a dead (or pending) message back in line now, attempts reset (the API's manual retry).
  /// Returns false when there is no such message or it was delivered.
  bool retry(const std::string& id);

 private:
  void finish(const OutboxMessage& m, const DeliveryResult& r);
  void loop();
  TicketStore& store_;
  const Clock& clock_;
  std::map<std::string, Notifier*> notifiers_;
  OutboxPolicy policy_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> in_flight_;  // message id -> notifier name
  std::map<std::string, std::deque<Instant>> sent_to_;  // recipient -> recent delivery starts (rate limit)
  /// True when the recipient may get one more now; else defers the message to when the window allows.
  bool recipient_allows(const OutboxMessage& m, Instant now);
  bool running_ = false, woken_ = false;
  std::thread thread_;
  std::atomic<std::uint64_t> delivered_{0}, failures_{0}, dead_{0};
};

}  // namespace assist
