// OutboxWorker with a fake notifier the test completes by hand: in-flight limit, delivered, retry with
// backoff on the simulated clock, dead-lettering (DESIGN "Dispatch and escalation messages").
#include "routing/escalation/outbox_worker.h"

#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "routing/common/time_format.h"
#include "routing/storage/sqlite_store.h"

using namespace assist;
using namespace std::chrono_literals;

namespace {

// Records each delivery; the test decides when and how it ends.
class FakeNotifier final : public Notifier {
 public:
  struct Pending {
    OutboxMessage m;
    std::function<void(DeliveryResult)> done;
  };
  void deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) override {
    pending.push_back({m, std::move(done)});
    ++calls;
  }
  void stop() override {}
  /// Completes the oldest pending delivery.
  void complete(DeliveryResult r) {
    REQUIRE_FALSE(pending.empty());
    auto p = std::move(pending.front());
    pending.erase(pending.begin());
    p.done(r);
  }
  std::vector<Pending> pending;
  int calls = 0;
};

std::string name(int i) {
  std::string s = "m";
  s += std::to_string(i);
  return s;
}

Instant t0() { return *parse_rfc3339("2026-11-30T10:00:00+08:00"); }

OutboxMessage msg(const std::string& id, Instant now, const std::string& notify = "webhook") {
  OutboxMessage m;
  m.id = id;
  m.ticket_id = "SA-20261130-000001";
  m.kind = "escalation";
  m.level = "township";
  m.reason = "first_response_overdue";
  m.notify = notify;
  m.body = {{"id", id}};
  m.created_at = now;
  m.next_attempt_at = now;
  return m;
}

struct Rig {
  Rig(OutboxPolicy p = {3, Millis(1000), Millis(8000), 5})
      : clock(t0()), store(":memory:"), policy(p), worker(store, clock, {{"webhook", &fake}}, p) {}
  void add(const std::string& id, const std::string& notify = "webhook") {
    store.transact([&](WriteTx& tx) { REQUIRE(tx.enqueue(msg(id, clock.now(), notify))); });
  }
  OutboxMessage get(const std::string& id) {
    auto m = store.message(id);
    REQUIRE(m);
    return *m;
  }
  SimulatedClock clock;
  SqliteTicketStore store;
  OutboxPolicy policy;
  FakeNotifier fake;
  OutboxWorker worker;
};

}  // namespace

TEST_CASE("outbox: backoff doubles from retry_initial up to retry_max", "[escalation][outbox]") {
  const OutboxPolicy p{8, Millis(1000), Millis(300000), 20};
  CHECK(OutboxWorker::backoff(p, 1) == 1s);
  CHECK(OutboxWorker::backoff(p, 2) == 2s);
  CHECK(OutboxWorker::backoff(p, 3) == 4s);
  CHECK(OutboxWorker::backoff(p, 9) == 256s);
  CHECK(OutboxWorker::backoff(p, 10) == 300s);  // 512s capped
  CHECK(OutboxWorker::backoff(p, 19) == 300s);
  CHECK(OutboxWorker::backoff(p, 1000) == 300s);  // no overflow
}

TEST_CASE("outbox: at most max_in_flight deliveries at a time", "[escalation][outbox]") {
  Rig r;
  for (int i = 0; i < 5; ++i) r.add(name(i));
  CHECK(r.worker.pump() == 3);
  CHECK(r.worker.in_flight() == 3);
  CHECK(r.fake.calls == 3);
  CHECK(r.worker.pump() == 0);  // full
  r.fake.complete({true, false, ""});
  CHECK(r.worker.in_flight() == 2);
  CHECK(r.worker.pump() == 1);  // one slot; never the ones already in flight
  CHECK(r.fake.calls == 4);
  std::set<std::string> ids;
  for (const auto& p : r.fake.pending) ids.insert(p.m.id);
  CHECK(ids.size() == 3);
}

TEST_CASE("outbox: success marks the message delivered", "[escalation][outbox]") {
  Rig r;
  r.add("m1");
  REQUIRE(r.worker.pump() == 1);
  r.clock.advance(250ms);
  r.fake.complete({true, false, ""});
  const auto m = r.get("m1");
  CHECK(m.state == "delivered");
  CHECK(m.attempts == 1);
  CHECK(m.delivered_at == t0() + 250ms);
  CHECK(r.worker.delivered() == 1);
  CHECK(r.worker.in_flight() == 0);
  CHECK(r.worker.pump() == 0);  // never again
  CHECK_FALSE(r.store.outbox_next());
}

TEST_CASE("outbox: a failure is retried after the backoff", "[escalation][outbox]") {
  Rig r;
  r.add("m1");
  REQUIRE(r.worker.pump() == 1);
  r.fake.complete({false, false, "HTTP 503"});
  auto m = r.get("m1");
  CHECK(m.state == "pending");
  CHECK(m.attempts == 1);
  CHECK(m.last_error == "HTTP 503");
  CHECK(m.next_attempt_at == t0() + 1s);
  CHECK(r.store.outbox_next() == t0() + 1s);
  CHECK(r.worker.failures() == 1);

  CHECK(r.worker.pump() == 0);  // not yet
  r.clock.advance(999ms);
  CHECK(r.worker.pump() == 0);
  r.clock.advance(1ms);
  REQUIRE(r.worker.pump() == 1);
  r.fake.complete({false, false, "timeout"});
  m = r.get("m1");
  CHECK(m.attempts == 2);
  CHECK(m.next_attempt_at == t0() + 1s + 2s);

  r.clock.set(m.next_attempt_at);
  REQUIRE(r.worker.pump() == 1);
  r.fake.complete({true, false, ""});
  m = r.get("m1");
  CHECK(m.state == "delivered");
  CHECK(m.attempts == 3);
  CHECK(m.last_error.empty());
}

TEST_CASE("outbox: a permanent failure is dead at once", "[escalation][outbox]") {
  Rig r;
  r.add("m1");
  REQUIRE(r.worker.pump() == 1);
  r.fake.complete({false, true, "HTTP 404"});
  const auto m = r.get("m1");
  CHECK(m.state == "dead");
  CHECK(m.attempts == 1);
  CHECK(m.last_error == "HTTP 404");
  CHECK(r.worker.dead() == 1);
  r.clock.advance(1h);
  CHECK(r.worker.pump() == 0);
  CHECK(r.store.outbox("dead", 10).size() == 1);
}

TEST_CASE("outbox: max_attempts failures make it dead", "[escalation][outbox]") {
  Rig r;  // max_attempts 5
  r.add("m1");
  for (int i = 1; i <= 5; ++i) {
    CAPTURE(i);
    REQUIRE(r.worker.pump() == 1);
    r.fake.complete({false, false, "HTTP 500"});
    const auto m = r.get("m1");
    CHECK(m.attempts == i);
    CHECK(m.state == (i < 5 ? "pending" : "dead"));
    if (i < 5) CHECK(m.next_attempt_at == r.clock.now() + OutboxWorker::backoff(r.policy, i));
    r.clock.set(m.next_attempt_at);
  }
  r.clock.advance(1h);
  CHECK(r.worker.pump() == 0);
  CHECK(r.worker.dead() == 1);
  CHECK(r.fake.calls == 5);
}

TEST_CASE("outbox: a message for a channel with no notifier stays pending", "[escalation][outbox]") {
  Rig r;
  r.add("m1", "sms");
  CHECK(r.worker.pump() == 0);
  CHECK(r.get("m1").state == "pending");
  CHECK(r.get("m1").attempts == 0);
}

TEST_CASE("outbox: a delivery that completes inside deliver() is fine", "[escalation][outbox]") {
  struct Instant_ final : Notifier {
    void deliver(const OutboxMessage&, std::function<void(DeliveryResult)> done) override { done({true, false, ""}); }
    void stop() override {}
  } now_notifier;
  SimulatedClock clock(t0());
  SqliteTicketStore store(":memory:");
  OutboxWorker w(store, clock, {{"webhook", &now_notifier}}, {2, Millis(1000), Millis(8000), 5});
  store.transact([&](WriteTx& tx) {
    for (int i = 0; i < 4; ++i) tx.enqueue(msg(name(i), clock.now()));
  });
  CHECK(w.pump() == 2);
  CHECK(w.in_flight() == 0);
  CHECK(w.pump() == 2);
  CHECK(store.outbox("delivered", 10).size() == 4);
}
