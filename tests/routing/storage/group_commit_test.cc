// GroupCommitter and the call path on it (issue 3, "a stalled disk"): many calls in one durable commit, a
// write that throws does not cost the others theirs, and a store that cannot commit within the stall
// time (here: a real second SQLite connection holding the write lock) has calls answered without a
// ticket id, tickets kept and written when the lock goes, and readiness false meanwhile.
#include "routing/storage/group_commit.h"

#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "routing/route/call_router.h"
#include "tests/routing/common/test_world.h"

using namespace assist;
using namespace assist::testing;

namespace {

constexpr auto kBound = std::chrono::seconds(20);  // a bound on waiting, never expected to be reached

struct TempDb {
  std::filesystem::path dir;
  TempDb() {
    char tmpl[] = "/tmp/assist-gc-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "store.db").string(); }
};

/// Another process's connection holding the store's write lock (BEGIN IMMEDIATE) until release().
struct LockHolder {
  SQLite::Database db;
  explicit LockHolder(const std::string& path) : db(path, SQLite::OPEN_READWRITE) { db.exec("BEGIN IMMEDIATE"); }
  void release() { db.exec("ROLLBACK"); }
};

GroupCommitter::Job open_job(World& w, const std::string& call_id, const std::string& caller,
                             std::shared_ptr<TicketService::CallOpening> out, std::function<void(std::exception_ptr)> done,
                             std::function<void()> late = nullptr) {
  const Instant at = w.clock.now();
  return GroupCommitter::Job{
      [&w, call_id, caller, out, at](WriteTx& tx) {
        w.service->open_in(tx, facts(call_id, caller), labels("temporary_assistance", "help", "urgent"), "sa_urgent", at,
                           *out);
      },
      std::move(done), std::move(late)};
}

std::int64_t open_tickets(World& w) { return w.store->count(TicketFilter{}); }

}  // namespace

TEST_CASE("group commit: calls queued while a commit runs are written together, each done after its commit",
          "[storage][group_commit]") {
  TempDb tmp;
  World w(full_directory(), tmp.path());
  GroupCommitter gc(*w.store, {});
  gc.start();
  auto lock = std::make_unique<LockHolder>(tmp.path());  // the first batch waits: the rest gathers behind it
  constexpr int kCalls = 300;
  std::atomic<int> done{0}, durable_at_done{0};
  std::promise<void> all;
  for (int i = 0; i < kCalls; ++i) {
    auto o = std::make_shared<TicketService::CallOpening>();
    REQUIRE(gc.submit(open_job(w, "gc-" + std::to_string(i) + "@pbx", "1390000" + std::to_string(1000 + i), o,
                               [&, o](std::exception_ptr e) {
                                 REQUIRE(!e);
                                 // durable when done is called: the read connection sees it
                                 if (w.store->get(o->ticket.id)) ++durable_at_done;
                                 if (++done == kCalls) all.set_value();
                               })));
  }
  CHECK(open_tickets(w) == 0);
  lock->release();
  REQUIRE(all.get_future().wait_for(kBound) == std::future_status::ready);
  CHECK(durable_at_done == kCalls);
  CHECK(open_tickets(w) == kCalls);
  const auto s = gc.stats();
  CHECK(s.committed == kCalls);
  CHECK(s.batches <= 2);  // the one the lock held, then everything that gathered behind it
  CHECK(s.largest_batch >= kCalls / 2);
  CHECK(s.pending == 0);
  CHECK(gc.healthy());
}

TEST_CASE("group commit: a write that throws gets its error and the others in its batch are written",
          "[storage][group_commit]") {
  TempDb tmp;
  World w(full_directory(), tmp.path());
  GroupCommitter gc(*w.store, {});
  gc.start();
  LockHolder lock(tmp.path());
  std::promise<std::exception_ptr> a, bad, c;
  auto oa = std::make_shared<TicketService::CallOpening>(), oc = std::make_shared<TicketService::CallOpening>();
  REQUIRE(gc.submit(open_job(w, "a@pbx", "13900000001", oa, [&](std::exception_ptr e) { a.set_value(e); })));
  REQUIRE(gc.submit({[](WriteTx& tx) {
                       tx.next_sequence("ticket");  // written, then thrown: must be rolled back
                       throw std::runtime_error("a broken write");
                     },
                     [&](std::exception_ptr e) { bad.set_value(e); }, nullptr}));
  REQUIRE(gc.submit(open_job(w, "c@pbx", "13900000003", oc, [&](std::exception_ptr e) { c.set_value(e); })));
  lock.release();
  auto fa = a.get_future(), fbad = bad.get_future(), fc = c.get_future();
  REQUIRE(fc.wait_for(kBound) == std::future_status::ready);
  CHECK(!fa.get());
  CHECK(!fc.get());
  const auto e = fbad.get();
  REQUIRE(e);
  CHECK_THROWS_WITH(std::rethrow_exception(e), "a broken write");
  REQUIRE(w.store->get(oa->ticket.id));
  REQUIRE(w.store->get(oc->ticket.id));
  // the broken write's sequence step was rolled back: the two tickets have consecutive numbers
  CHECK(oa->ticket.id.substr(oa->ticket.id.size() - 6) == "000001");
  CHECK(oc->ticket.id.substr(oc->ticket.id.size() - 6) == "000002");
  CHECK(gc.stats().failed == 1);
}

TEST_CASE("group commit: past max_pending a write is refused, nothing queued", "[storage][group_commit]") {
  TempDb tmp;
  World w(full_directory(), tmp.path());
  GroupCommitter gc(*w.store, {.max_pending = 2});
  gc.start();
  LockHolder lock(tmp.path());
  std::atomic<int> done{0};
  auto o1 = std::make_shared<TicketService::CallOpening>(), o2 = std::make_shared<TicketService::CallOpening>(),
       o3 = std::make_shared<TicketService::CallOpening>();
  std::promise<void> both;
  auto count = [&](std::exception_ptr) {
    if (++done == 2) both.set_value();
  };
  CHECK(gc.submit(open_job(w, "1@pbx", "13900000001", o1, count)));
  CHECK(gc.submit(open_job(w, "2@pbx", "13900000002", o2, count)));
  CHECK_FALSE(gc.submit(open_job(w, "3@pbx", "13900000003", o3, count)));
  CHECK(gc.stats().refused == 1);
  lock.release();
  REQUIRE(both.get_future().wait_for(kBound) == std::future_status::ready);
  CHECK(open_tickets(w) == 2);
}

TEST_CASE("stalled store: the call is redirected without a ticket id, the ticket kept and written on recovery",
          "[storage][group_commit][sip]") {
  TempDb tmp;
  World w(full_directory(), tmp.path());
  GroupCommitter gc(*w.store, {.stall = std::chrono::milliseconds(50)});
  gc.start();
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
  router.set_ready(true);
  REQUIRE(router.ready());

  auto has_ticket_header = [](const sip::RedirectDecision& d) {
    for (const auto& [k, v] : d.headers)
      if (k == "X-Assist-Ticket") return true;
    return false;
  };
  auto header = [](const sip::RedirectDecision& d, const std::string& name) {
    for (const auto& [k, v] : d.headers)
      if (k == name) return v;
    return std::string();
  };

  SECTION("a healthy store: the 302 carries the ticket id once it is durable") {
    std::promise<sip::RedirectDecision> answered;
    router.on_invite(facts("ok@pbx", "13900000009"), [&](sip::RedirectDecision d) { answered.set_value(std::move(d)); });
    auto f = answered.get_future();
    REQUIRE(f.wait_for(kBound) == std::future_status::ready);
    const auto d = f.get();
    CHECK(d.status == 302);
    const auto id = header(d, "X-Assist-Ticket");
    REQUIRE_FALSE(id.empty());
    CHECK(w.store->get(id));
  }

  SECTION("a store that does not commit within the stall time") {
    std::atomic<int> opened{0};
    std::promise<void> both_opened;
    w.service->on_change([&](const std::shared_ptr<const Ticket>&, const std::string& what) {
      if (what == "opened" && ++opened == 2) both_opened.set_value();
    });
    auto lock = std::make_unique<LockHolder>(tmp.path());
    const Instant called_at = w.clock.now();
    std::promise<sip::RedirectDecision> first;
    router.on_invite(facts("s1@pbx", "13900000011"), [&](sip::RedirectDecision d) { first.set_value(std::move(d)); });
    auto f1 = first.get_future();
    REQUIRE(f1.wait_for(kBound) == std::future_status::ready);
    const auto d1 = f1.get();
    CHECK(d1.status == 302);
    CHECK_FALSE(has_ticket_header(d1));
    CHECK_FALSE(header(d1, "X-Assist-Urgency").empty());  // still classified and routed
    CHECK_FALSE(d1.contact.empty());
    CHECK(open_tickets(w) == 0);
    // not ready (OPTIONS, /readyz answer 503) but still taking calls
    CHECK_FALSE(router.ready());
    CHECK(router.taking_calls());

    // known stalled: the next call is answered at once, inside on_invite, without a ticket id
    bool answered_inline = false;
    sip::RedirectDecision d2;
    w.clock.advance(std::chrono::seconds(30));
    router.on_invite(facts("s2@pbx", "13900000012"), [&](sip::RedirectDecision d) {
      answered_inline = true;
      d2 = std::move(d);
    });
    CHECK(answered_inline);
    CHECK(d2.status == 302);
    CHECK_FALSE(has_ticket_header(d2));
    CHECK(router.stalled_calls() == 2);

    // the store recovers: both tickets are written, opened at their calls' moments, and readiness returns
    lock->release();
    REQUIRE(both_opened.get_future().wait_for(kBound) == std::future_status::ready);
    REQUIRE(open_tickets(w) == 2);
    CHECK(router.ready());
    const auto t1 = w.store->by_call("s1@pbx");
    const auto t2 = w.store->by_call("s2@pbx");
    REQUIRE(t1);
    REQUIRE(t2);
    CHECK(t1->opened_at == called_at);
    CHECK(t2->opened_at == called_at + std::chrono::seconds(30));
    CHECK(router.tickets_opened() == 2);
  }
}

TEST_CASE("stopping with a stalled store keeps the calls' tickets in the spill file; the next start writes them",
          "[storage][group_commit][sip]") {
  TempDb tmp;
  const std::string spill = (tmp.dir / "pending.jsonl").string();
  Instant called_at;
  {
    World w(full_directory(), tmp.path());
    GroupCommitter gc(*w.store, {.stall = std::chrono::milliseconds(50), .spill_path = spill});
    gc.start();
    CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock,
                      &gc};
    router.set_ready(true);
    LockHolder lock(tmp.path());
    called_at = w.clock.now();
    std::promise<sip::RedirectDecision> answered;
    router.on_invite(facts("kept@pbx", "13900000021"), [&](sip::RedirectDecision d) { answered.set_value(d); });
    auto f = answered.get_future();
    REQUIRE(f.wait_for(kBound) == std::future_status::ready);
    CHECK(f.get().status == 302);
    gc.stop();  // the one last attempt meets the lock too
    CHECK(open_tickets(w) == 0);
  }
  REQUIRE(std::filesystem::exists(spill));
  {
    World w(full_directory(), tmp.path());
    w.clock.advance(std::chrono::hours(1));  // restarted later: the ticket keeps the call's moment
    CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock};
    CHECK(router.replay_spilled(spill) == 1);
    CHECK_FALSE(std::filesystem::exists(spill));
    const auto t = w.store->by_call("kept@pbx");
    REQUIRE(t);
    CHECK(t->opened_at == called_at);
    CHECK(t->caller == "13900000021");
    CHECK(router.replay_spilled(spill) == 0);  // nothing left to do
  }
}

TEST_CASE("a spill file line that cannot be written stays in the file, the others are written",
          "[storage][group_commit]") {
  TempDb tmp;
  const std::string spill = (tmp.dir / "pending.jsonl").string();
  World w(full_directory(), tmp.path());
  {
    std::ofstream out(spill);
    out << R"({"call_id":"a@pbx","caller":"13900000031","labels":{"category":"temporary_assistance","request_type":"help","urgency":"urgent"},"queue":"sa_urgent","at_ms":1796000000000})"
        << "\n{not json\n"
        << R"({"call_id":"a@pbx","caller":"13900000031","labels":{"category":"temporary_assistance","request_type":"help","urgency":"urgent"},"queue":"sa_urgent","at_ms":1796000000000})"
        << "\n";
  }
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock};
  CHECK(router.replay_spilled(spill) == 2);  // the same Call-ID twice opens one ticket
  CHECK(open_tickets(w) == 1);
  REQUIRE(std::filesystem::exists(spill));
  std::ifstream in(spill);
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(rest == "{not json\n");
}

TEST_CASE("the daemon's replay queues the kept calls and returns at once, even with the store locked",
          "[storage][group_commit]") {
  TempDb tmp;
  const std::string spill = (tmp.dir / "pending.jsonl").string();
  World w(full_directory(), tmp.path());
  {
    std::ofstream out(spill);
    out << "{half a line from a full disk";  // no newline: the next line must still stand alone
  }
  GroupCommitter gc(*w.store, {.spill_path = spill});
  gc.start();
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
  {
    LockHolder lock(tmp.path());
    // a call kept by a stop during a stall, appended after the half line
    GroupCommitter gc2(*w.store, {.stall = std::chrono::milliseconds(20), .spill_path = spill});
    gc2.start();
    CallRouter r2{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc2};
    r2.set_ready(true);
    std::promise<void> answered;
    r2.on_invite(facts("replay@pbx", "13900000041"), [&](sip::RedirectDecision) { answered.set_value(); });
    REQUIRE(answered.get_future().wait_for(kBound) == std::future_status::ready);
    gc2.stop();
    // the lock still held: the replay must not wait on it
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(router.replay_spilled(spill) == 1);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200));
    CHECK(open_tickets(w) == 0);
  }
  std::promise<void> written;
  w.service->on_change([&](const std::shared_ptr<const Ticket>& t, const std::string& what) {
    if (what == "opened" && t->call_id == "replay@pbx") written.set_value();
  });
  REQUIRE(written.get_future().wait_for(kBound) == std::future_status::ready);
  CHECK(w.store->by_call("replay@pbx"));
  gc.stop();
  // the half line stays owed, alone; the written call is gone from the file
  std::ifstream in(spill);
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(rest == "{half a line from a full disk\n");
}

TEST_CASE("OPTIONS readiness asks the store probe: another process's lock shows before any call meets it",
          "[storage][group_commit][sip]") {
  TempDb tmp;
  World w(full_directory(), tmp.path());
  GroupCommitter gc(*w.store, {});
  gc.start();
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
  router.set_ready(true);
  router.set_store_probe([&] { return w.store->writable(); }, std::chrono::milliseconds(0));
  CHECK(router.ready());
  {
    LockHolder lock(tmp.path());
    CHECK_FALSE(router.ready());
    CHECK(router.taking_calls());  // calls are still taken (and would be redirected)
  }
  CHECK(router.ready());
}

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

/// Waits (bounded) until `pred` holds; the keeper works on its own thread.
template <class Pred>
bool eventually(Pred pred) {
  const auto give_up = std::chrono::steady_clock::now() + kBound;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

TEST_CASE("stalled store: late calls are kept on disk as they come, and the file goes once they are written",
          "[storage][group_commit][sip]") {
  TempDb tmp;
  const std::string keep = (tmp.dir / "late.jsonl").string();
  World w(full_directory(), tmp.path());
  GroupCommitter gc(*w.store, {.stall = std::chrono::milliseconds(50), .keep_path = keep});
  gc.start();
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
  router.set_ready(true);
  auto lock = std::make_unique<LockHolder>(tmp.path());
  for (int k = 0; k < 3; ++k) {
    std::promise<sip::RedirectDecision> answered;
    router.on_invite(facts("late" + std::to_string(k) + "@pbx", "1390000003" + std::to_string(k)),
                     [&](sip::RedirectDecision d) { answered.set_value(std::move(d)); });
    auto f = answered.get_future();
    REQUIRE(f.wait_for(kBound) == std::future_status::ready);
    CHECK(f.get().status == 302);
  }
  // each late call's line, fdatasynced: what a kill now would leave for the next start
  REQUIRE(eventually([&] { return lines_of(keep).size() == 3; }));
  CHECK(lines_of(keep)[0].find("\"late0@pbx\"") != std::string::npos);
  CHECK(open_tickets(w) == 0);
  lock->release();
  REQUIRE(eventually([&] { return open_tickets(w) == 3; }));
  CHECK(eventually([&] { return !std::filesystem::exists(keep); }));
  gc.stop();
  CHECK_FALSE(std::filesystem::exists(keep));
}

TEST_CASE("a start after a kill during a stall moves the kept lines into the spill file and writes them once",
          "[storage][group_commit]") {
  TempDb tmp;
  const std::string keep = (tmp.dir / "late.jsonl").string(), spill = (tmp.dir / "pending.jsonl").string();
  World w(full_directory(), tmp.path());
  // a line a stop left, cut short by a crash; two kept lines (one of them already committed) and a last one
  // cut short by the kill
  auto line = [&](const std::string& call_id, const std::string& caller) {
    return nlohmann::json{{"call_id", call_id}, {"caller", caller}, {"labels", {{"category", "temporary_assistance"},
                                                                                 {"request_type", "help"},
                                                                                 {"urgency", "urgent"}}},
                          {"queue", "sa_urgent"}, {"at_ms", w.clock.now().time_since_epoch().count()}}
        .dump();
  };
  w.service->open_for_call(facts("done@pbx", "13900000041"), labels("temporary_assistance", "help", "urgent"),
                           "sa_urgent");
  {
    std::ofstream(spill) << "{\"call_id\": \"cut";
    std::ofstream(keep) << line("kept@pbx", "13900000040") << "\n" << line("done@pbx", "13900000041") << "\n{\"call";
  }
  CHECK(GroupCommitter::adopt_kept(keep, spill) == 2);
  CHECK_FALSE(std::filesystem::exists(keep));
  const auto merged = lines_of(spill);
  REQUIRE(merged.size() == 3);
  CHECK(merged[0] == "{\"call_id\": \"cut");  // stays its own (unreadable) line
  CHECK(GroupCommitter::adopt_kept(keep, spill) == 0);  // nothing left to adopt
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock};
  router.replay_spilled(spill);
  CHECK(lines_of(spill) == std::vector<std::string>{"{\"call_id\": \"cut"});  // only the unreadable line stays
  REQUIRE(w.store->by_call("kept@pbx"));
  CHECK(w.store->by_call("done@pbx")->call_count == 1);  // already committed: the same call again, not twice
  CHECK(open_tickets(w) == 2);
}

TEST_CASE("stalled store: a call that comes once the stall is known is kept on disk at once, not after the stall "
          "time",
          "[storage][group_commit][sip]") {
  TempDb tmp;
  const std::string keep = (tmp.dir / "late.jsonl").string();
  World w(full_directory(), tmp.path());
  // a long stall time: nothing is told late by the watchdog during this test; the store's own fault (the
  // lock outlasting the 1 s busy wait) makes the committer unhealthy
  GroupCommitter gc(*w.store, {.stall = std::chrono::seconds(60), .keep_path = keep});
  gc.start();
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
  router.set_ready(true);
  LockHolder lock(tmp.path());
  router.on_invite(facts("first@pbx", "13900000050"), [](sip::RedirectDecision) {});
  REQUIRE(eventually([&] { return !gc.healthy(); }));
  bool answered = false;
  router.on_invite(facts("second@pbx", "13900000051"), [&](sip::RedirectDecision d) { answered = d.status == 302; });
  CHECK(answered);  // at once, without a ticket id
  REQUIRE(eventually([&] { return lines_of(keep).size() == 1; }));
  CHECK(lines_of(keep)[0].find("\"second@pbx\"") != std::string::npos);
  CHECK(gc.stats().late == 0);  // kept before any stall time passed
  lock.release();
  REQUIRE(eventually([&] { return open_tickets(w) == 2; }));
  CHECK(eventually([&] { return !std::filesystem::exists(keep); }));
}

TEST_CASE("restarts during one stall do not multiply the kept calls: replayed lines are neither kept again nor "
          "spilled again",
          "[storage][group_commit]") {
  TempDb tmp;
  const std::string spill = (tmp.dir / "pending.jsonl").string(), keep = (tmp.dir / "late.jsonl").string();
  World w(full_directory(), tmp.path());
  LockHolder lock(tmp.path());
  {  // the first run: a call during the stall, then a stop
    GroupCommitter gc(*w.store, {.stall = std::chrono::milliseconds(20), .spill_path = spill, .keep_path = keep});
    gc.start();
    CallRouter r{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
    r.set_ready(true);
    std::promise<void> answered;
    r.on_invite(facts("once@pbx", "13900000060"), [&](sip::RedirectDecision) { answered.set_value(); });
    REQUIRE(answered.get_future().wait_for(kBound) == std::future_status::ready);
    gc.stop();
  }
  REQUIRE(lines_of(spill).size() == 1);
  for (int restart = 0; restart < 3; ++restart) {  // the store still locked at each start
    GroupCommitter gc(*w.store, {.stall = std::chrono::milliseconds(20), .spill_path = spill, .keep_path = keep});
    gc.start();
    CallRouter r{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
    CHECK(r.replay_spilled(spill) == 1);
    REQUIRE(eventually([&] { return !gc.healthy() && gc.stats().late >= 1; }));
    gc.stop();
    CHECK(lines_of(spill).size() == 1);  // not 2, 4, 8
    CHECK_FALSE(std::filesystem::exists(keep));
  }
}

TEST_CASE("a keep file an earlier run left (not adopted) keeps its lines when this run's are done",
          "[storage][group_commit]") {
  TempDb tmp;
  const std::string keep = (tmp.dir / "late.jsonl").string();
  { std::ofstream(keep) << "{\"call_id\": \"earlier@pbx\"}\n"; }
  World w(full_directory(), tmp.path());
  GroupCommitter gc(*w.store, {.stall = std::chrono::milliseconds(20), .keep_path = keep});
  gc.start();
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock, &gc};
  router.set_ready(true);
  auto lock = std::make_unique<LockHolder>(tmp.path());
  std::promise<void> answered;
  router.on_invite(facts("now@pbx", "13900000070"), [&](sip::RedirectDecision) { answered.set_value(); });
  REQUIRE(answered.get_future().wait_for(kBound) == std::future_status::ready);
  REQUIRE(eventually([&] { return lines_of(keep).size() == 2; }));
  lock->release();
  REQUIRE(eventually([&] { return open_tickets(w) == 1; }));
  REQUIRE(eventually([&] { return lines_of(keep).size() == 1; }));
  CHECK(lines_of(keep)[0] == "{\"call_id\": \"earlier@pbx\"}");
  gc.stop();
  CHECK(lines_of(keep).size() == 1);
}
