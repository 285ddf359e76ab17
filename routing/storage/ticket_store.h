#pragma once
// The store seam (DESIGN "Storage"): tickets, their append-only events, the calls that opened or joined
// them, and the outbox. Nothing above this interface may depend on SQLite (PostgreSQL is the path for
// several routing daemons sharing one store).
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "routing/escalation/notifier.h"
#include "routing/tickets/ticket.h"

namespace assist {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TicketFilter {
  std::vector<std::string> statuses;  ///< empty = every status not terminal
  std::string urgency;                ///< "" = any
  std::string region;                 ///< region-code prefix; "" = any
  int limit = 1000;
  std::string after;                  ///< cursor: ticket id to continue after ("" = from the start)
  bool provisional_only = false;      ///< only tickets whose deadlines are provisional (no calendar year)
};

/// One write transaction. Reads inside it see its own writes.
class WriteTx {
 public:
  virtual ~WriteTx() = default;
  virtual std::optional<Ticket> get(const std::string& id) = 0;
  /// The ticket the call `call_id` from `caller` ("" = no number) opened or joined already: a new INVITE
  /// with a known Call-ID from the same number is the same call (a new branch, a replayed write).
  virtual std::optional<Ticket> ticket_of_call(const std::string& call_id, const std::string& caller) = 0;
  /// True when some call, from any number, came with `call_id`.
  virtual bool call_id_known(const std::string& call_id) = 0;
  /// The caller's newest non-terminal ticket in `category`, for 并单 (repeat calls attach to it).
  virtual std::optional<Ticket> open_for_caller(const std::string& caller, const std::string& category) = 0;
  /// How many calls this caller made since `since` (priority flag: repeat caller).
  virtual int calls_since(const std::string& caller, Instant since) = 0;
  virtual void put(const Ticket& t) = 0;
  /// Appends an event row (append-only history: who, when, what, why).
  virtual void event(const std::string& ticket_id, const std::string& type, const std::string& by,
                     const std::string& note, const nlohmann::json& body, Instant at) = 0;
  /// Records that the call (`call_id`, `caller`) opened or joined `ticket_id`; a call linked already keeps
  /// its first ticket.
  virtual void link_call(const std::string& call_id, const std::string& ticket_id, const std::string& caller, Instant at) = 0;
  /// Writes a message; false (and nothing written) when its id exists already: a step is sent once.
  virtual bool enqueue(const OutboxMessage& m) = 0;
  virtual std::optional<OutboxMessage> message(const std::string& id) = 0;
  virtual void update_message(const OutboxMessage& m) = 0;
  /// Next value of a named counter (ticket ids), starting at 1.
  virtual std::int64_t next_sequence(const std::string& name) = 0;
};

class TicketStore {
 public:
  virtual ~TicketStore() = default;
  /// Runs `fn` in one transaction committed durably (synchronous=FULL) before returning. If `fn` throws,
  /// nothing is written and the exception propagates. Throws StoreError when the store cannot commit.
  virtual void transact(const std::function<void(WriteTx&)>& fn) = 0;
  /// Group commit (DESIGN "Storage"): runs write(0, tx) .. write(count-1, tx) in order in one transaction,
  /// each seeing the writes of those before it, and commits once, durably. A write that throws anything
  /// but StoreError (or a store fault: busy, I/O, full, read-only) has its exception returned at its
  /// index and nothing of it written: the transaction is rolled back and the batch run again without it,
  /// so each write must be safe to run again (it resets what it captures). nullptr at an index: written. Throws StoreError when the
  /// store cannot begin, write or commit; then nothing of the batch is written.
  virtual std::vector<std::exception_ptr> transact_batch(std::size_t count, const std::function<void(std::size_t, WriteTx&)>& write) = 0;
  virtual std::optional<Ticket> get(const std::string& id) = 0;
  /// The ticket of the call `call_id` from `caller`; with no caller given, of the first call that came
  /// with that Call-ID (see call_id_shared).
  virtual std::optional<Ticket> by_call(const std::string& call_id,
                                        const std::optional<std::string>& caller = std::nullopt) = 0;
  /// True when calls from more than one number came with `call_id` (each is its own call, RFC 3261
  /// §8.1.1.4): the Call-ID alone does not say whose call it is.
  virtual bool call_id_shared(const std::string& call_id) = 0;
  /// The caller's tickets, newest first, at most `limit` (any status): the agent sees the caller's history.
  virtual std::vector<Ticket> by_caller(const std::string& caller, int limit) = 0;
  virtual std::vector<Ticket> list(const TicketFilter& f) = 0;
  /// Every ticket whose clocks may still need a timer (not terminal): loaded at start.
  virtual std::vector<Ticket> active() = 0;
  /// Streams every non-terminal ticket with only what the timers need filled in (id and the fields
  /// timer_fields() holds; labels, texts and history left empty): start-up with a million open tickets
  /// reads no full record. The Ticket passed is reused between calls; `fn` must not call the store.
  virtual void for_each_active(const std::function<void(const Ticket&)>& fn) = 0;
  /// How many tickets a filter matches (limit and cursor ignored), for metrics.
  virtual std::int64_t count(const TicketFilter& f) = 0;
  virtual std::vector<nlohmann::json> events(const std::string& ticket_id) = 0;
  /// Pending messages due at `now` for notifier `notify` ("" = any), oldest first, at most `limit`,
  /// skipping ids in `exclude`.
  virtual std::vector<OutboxMessage> outbox_due(Instant now, int limit, const std::vector<std::string>& exclude,
                                                const std::string& notify = "") = 0;
  /// The earliest next_attempt_at among pending messages.
  virtual std::optional<Instant> outbox_next() = 0;
  virtual std::vector<OutboxMessage> outbox(const std::string& state, int limit) = 0;
  virtual std::optional<OutboxMessage> message(const std::string& id) = 0;
  /// The message whose short-link token (body "token") is `token`, for /l/<token>.
  virtual std::optional<OutboxMessage> message_by_token(const std::string& token) = 0;
  /// True when a write can be committed now (for /readyz).
  virtual bool writable() = 0;
};

}  // namespace assist
