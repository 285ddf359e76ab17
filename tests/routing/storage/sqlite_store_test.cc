// SqliteTicketStore: durable across reopen, a message id is written once, rollback on throw, paging.
#include "routing/storage/sqlite_store.h"

#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <future>
#include <thread>

#include "routing/common/resources.h"
#include "routing/common/time_format.h"
#include "routing/tickets/ticket.h"

using namespace assist;

namespace {

Instant t0() { return *parse_rfc3339("2026-11-30T10:00:00+08:00"); }

Ticket ticket(const std::string& id) {
  Ticket t;
  t.id = id;
  t.call_id = id + "@pbx";
  t.caller = "13812345678";
  t.category = "temporary_assistance";
  t.request_type = "help";
  t.urgency = "critical";
  t.opened_at = t0();
  t.first_response_due = t0() + std::chrono::minutes(15);
  t.resolution_due = t0() + std::chrono::hours(24);
  return t;
}

OutboxMessage message(const std::string& id) {
  OutboxMessage m;
  m.id = id;
  m.ticket_id = "SA-1";
  m.kind = "dispatch";
  m.level = "office";
  m.reason = "dispatched";
  m.notify = "webhook";
  m.body = {{"id", id}};
  m.created_at = t0();
  m.next_attempt_at = t0();
  return m;
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("assist-store-" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("store: tickets, calls and messages survive a reopen", "[storage][sqlite]") {
  TempDir dir;
  const std::string file = (dir.path / "sub" / "t.db").string();  // the folder is created
  {
    SqliteTicketStore s(file);
    s.transact([&](WriteTx& tx) {
      Ticket t = ticket("SA-1");
      t.first_response_esc.level = "township";
      tx.put(t);
      tx.link_call("SA-1@pbx", "SA-1", "13812345678", t0());
      tx.event("SA-1", "opened", "system", "", {{"k", 1}}, t0());
      CHECK(tx.enqueue(message("m1")));
    });
  }
  SqliteTicketStore s(file);
  const auto t = s.get("SA-1");
  REQUIRE(t);
  CHECK(t->caller == "13812345678");
  CHECK(t->first_response_due == t0() + std::chrono::minutes(15));
  CHECK(t->first_response_esc.level == "township");
  CHECK(s.by_call("SA-1@pbx")->id == "SA-1");
  CHECK(s.events("SA-1").size() == 1);
  CHECK(s.message("m1"));
  CHECK(s.active().size() == 1);
  CHECK(s.writable());
}

TEST_CASE("store: a message id is written once", "[storage][sqlite]") {
  SqliteTicketStore s(":memory:");
  s.transact([&](WriteTx& tx) {
    CHECK(tx.enqueue(message("m1")));
    CHECK_FALSE(tx.enqueue(message("m1")));
  });
  s.transact([&](WriteTx& tx) { CHECK_FALSE(tx.enqueue(message("m1"))); });
  CHECK(s.outbox("", 10).size() == 1);
}

TEST_CASE("store: a throwing transaction writes nothing", "[storage][sqlite]") {
  SqliteTicketStore s(":memory:");
  CHECK_THROWS_AS(s.transact([&](WriteTx& tx) {
    tx.put(ticket("SA-1"));
    tx.enqueue(message("m1"));
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);
  CHECK_FALSE(s.get("SA-1"));
  CHECK_FALSE(s.message("m1"));
}

TEST_CASE("store: list pages by id and skips terminal tickets", "[storage][sqlite]") {
  SqliteTicketStore s(":memory:");
  s.transact([&](WriteTx& tx) {
    for (const char* id : {"SA-1", "SA-2", "SA-3"}) tx.put(ticket(id));
    Ticket done = ticket("SA-4");
    done.status = "resolved";
    tx.put(done);
    CHECK(tx.next_sequence("ticket") == 1);
    CHECK(tx.next_sequence("ticket") == 2);
  });
  TicketFilter f;
  f.limit = 2;
  auto page = s.list(f);
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == "SA-1");
  f.after = page.back().id;
  page = s.list(f);
  REQUIRE(page.size() == 1);
  CHECK(page[0].id == "SA-3");
  CHECK(s.active().size() == 3);
  TicketFilter resolved;
  resolved.statuses = {"resolved"};
  CHECK(s.list(resolved).size() == 1);
}

TEST_CASE("store: a store file removed while open takes no more writes (they would vanish with the process)",
          "[storage][sqlite]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  const std::string file = (dir.path / "t.db").string();
  SqliteTicketStore s(file);
  s.transact([&](WriteTx& tx) { tx.put(ticket("SA-1")); });
  CHECK(s.writable());
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
  CHECK_THROWS_WITH(s.transact([&](WriteTx& tx) { tx.put(ticket("SA-2")); }),
                    Catch::Contains("was removed or replaced"));
  CHECK_THROWS_AS(s.transact_batch(1, [&](std::size_t, WriteTx& tx) { tx.put(ticket("SA-3")); }), StoreError);
  CHECK_FALSE(s.writable());
  // a new file at the same path is another store: still refused (its ids would repeat the old ones)
  { SqliteTicketStore other(file); }
  CHECK_THROWS_AS(s.transact([&](WriteTx& tx) { tx.put(ticket("SA-4")); }), StoreError);
}

TEST_CASE("store: a write waits at most half a second for a stalled commit, then fails", "[storage][sqlite]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  const std::string file = (dir.path / "t.db").string();
  SqliteTicketStore s(file);
  // a commit stalled inside the store: transact_batch holding the write lock while its write waits
  std::promise<void> inside, release;
  auto released = release.get_future().share();
  std::thread stalled([&] {
    s.transact_batch(1, [&](std::size_t, WriteTx&) {
      inside.set_value();
      released.wait();
    });
  });
  inside.get_future().wait();
  CHECK_THROWS_WITH(s.transact([&](WriteTx& tx) { tx.put(ticket("SA-9")); }), Catch::Contains("busy"));
  CHECK(s.writable());  // a probe never waits behind it: the committer reports the stall
  release.set_value();
  stalled.join();
  s.transact([&](WriteTx& tx) { tx.put(ticket("SA-9")); });
  CHECK(s.get("SA-9"));
}

TEST_CASE("store: a WAL removed while open takes no more writes (its commits would be lost)", "[storage][sqlite]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  const std::string file = (dir.path / "t.db").string();
  SqliteTicketStore s(file);
  s.transact([&](WriteTx& tx) { tx.put(ticket("SA-1")); });
  s.transact([&](WriteTx& tx) { tx.put(ticket("SA-2")); });  // the WAL is known by now
  std::filesystem::remove(file + "-wal");
  CHECK_THROWS_WITH(s.transact([&](WriteTx& tx) { tx.put(ticket("SA-3")); }), Catch::Contains("WAL"));
  CHECK_FALSE(s.writable());
}

TEST_CASE("store: text that is not valid UTF-8 is stored with U+FFFD, not refused", "[storage][sqlite]") {
  SqliteTicketStore s(":memory:");
  Ticket t = ticket("SA-1");
  t.asr_text = "家里断粮\xE7\xB2";  // an ASR cut inside a character
  s.transact([&](WriteTx& tx) {
    tx.put(t);
    tx.event("SA-1", "opened", "system", "", {{"text", t.asr_text}}, t0());
  });
  CHECK(s.get("SA-1")->asr_text == "家里断粮\xEF\xBF\xBD");
}

TEST_CASE("store: callers and calls written before a reopen are found after it (the key filters are loaded)",
          "[storage][sqlite]") {
  TempDir dir;
  const std::string file = (dir.path / "t.db").string();
  {
    SqliteTicketStore s(file);
    s.transact([&](WriteTx& tx) {
      tx.put(ticket("SA-1"));
      tx.link_call("SA-1@pbx", "SA-1", "13812345678", t0());
    });
  }
  SqliteTicketStore s(file);
  s.transact([&](WriteTx& tx) {
    REQUIRE(tx.ticket_of_call("SA-1@pbx", "13812345678"));
    CHECK(tx.ticket_of_call("SA-1@pbx", "13812345678")->id == "SA-1");
    CHECK(tx.call_id_known("SA-1@pbx"));
    CHECK_FALSE(tx.ticket_of_call("SA-1@pbx", "13900000000"));  // that Call-ID from another number: not that call
    REQUIRE(tx.open_for_caller("13812345678", "temporary_assistance"));
    CHECK(tx.calls_since("13812345678", t0() - std::chrono::hours(1)) == 1);
    CHECK_FALSE(tx.ticket_of_call("other@pbx", "13812345678"));
    CHECK_FALSE(tx.call_id_known("other@pbx"));
    CHECK_FALSE(tx.open_for_caller("13900000000", "temporary_assistance"));
    CHECK(tx.calls_since("13900000000", t0() - std::chrono::hours(1)) == 0);
    // written in this transaction: found in it too
    Ticket t = ticket("SA-2");
    t.caller = "13900000000";
    tx.put(t);
    tx.link_call("SA-2@pbx", "SA-2", t.caller, t0());
    CHECK(tx.ticket_of_call("SA-2@pbx", t.caller));
    CHECK(tx.open_for_caller("13900000000", "temporary_assistance"));
  });
}

TEST_CASE("store: sequences count in memory, are written with each commit, and are read again after a rollback "
          "or another connection's commit",
          "[storage][sqlite]") {
  TempDir dir;
  const std::string file = (dir.path / "t.db").string();
  {
    SqliteTicketStore s(file);
    s.transact([&](WriteTx& tx) {
      CHECK(tx.next_sequence("ticket") == 1);
      CHECK(tx.next_sequence("ticket") == 2);
      CHECK(tx.next_sequence("hand_contact") == 1);
    });
    s.transact([&](WriteTx& tx) { CHECK(tx.next_sequence("ticket") == 3); });
    CHECK_THROWS(s.transact([&](WriteTx& tx) {
      CHECK(tx.next_sequence("ticket") == 4);
      throw std::runtime_error("boom");
    }));
    s.transact([&](WriteTx& tx) { CHECK(tx.next_sequence("ticket") == 4); });  // the rolled-back 4 was not written
    // a batch whose second write fails runs again without it: the others take 5 and 6
    std::vector<std::int64_t> got(3, 0);
    const auto errors = s.transact_batch(3, [&](std::size_t i, WriteTx& tx) {
      got[i] = tx.next_sequence("ticket");
      if (i == 1) throw std::runtime_error("bad write");
    });
    CHECK_FALSE(errors[0]);
    CHECK(errors[1]);
    CHECK(got[0] == 5);
    CHECK(got[2] == 6);
    {
      SQLite::Database other(file, SQLite::OPEN_READWRITE);
      other.setBusyTimeout(1000);
      other.exec("UPDATE sequences SET value = 100 WHERE name = 'ticket'");
    }
    s.transact([&](WriteTx& tx) { CHECK(tx.next_sequence("ticket") == 101); });
  }
  SqliteTicketStore s(file);  // durable: the last committed value
  s.transact([&](WriteTx& tx) {
    CHECK(tx.next_sequence("ticket") == 102);
    CHECK(tx.next_sequence("hand_contact") == 2);
  });
}

TEST_CASE("store: WAL checkpoints run while writes go on, so the WAL does not grow without bound",
          "[storage][sqlite]") {
  TempDir dir;
  const std::string file = (dir.path / "t.db").string();
  SqliteTicketStore s(file);
  // a few thousand WAL pages: past the point where the checkpoint thread is woken
  int n = 0;
  for (int batch = 0; batch < 60 && s.checkpointed_frames() == 0; ++batch) {
    s.transact_batch(100, [&](std::size_t, WriteTx& tx) {
      Ticket t = ticket("SA-" + std::to_string(++n));
      t.caller = std::to_string(13800000000 + n);
      t.asr_text = std::string(2000, 'x');
      tx.put(t);
      tx.link_call(t.call_id, t.id, t.caller, t0());
    });
  }
  // the checkpoint runs on its own thread: wait for it, bounded
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (s.checkpointed_frames() == 0 && std::chrono::steady_clock::now() < give_up) {
    s.transact([&](WriteTx& tx) { tx.put(ticket("SA-" + std::to_string(++n))); });  // each commit wakes it again
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(s.checkpointed_frames() > 0);
  CHECK(std::filesystem::file_size(file) > 1'000'000);  // pages reached the database file while it is open
}

TEST_CASE("store: version 4 keys a call by Call-ID and number; a version 3 store's '<call-id> from <number>' "
          "keys are split back on upgrade",
          "[storage][sqlite]") {
  TempDir dir;
  const std::string file = (dir.path / "v3.db").string();
  std::filesystem::create_directories(dir.path);
  {
    // a store as version 3 left it: calls keyed by the Call-ID alone, a second number's call under
    // "<call-id> from <number>", a hand contact under "hand <contact_id>"
    SQLite::Database db(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const auto& e : resources::under("schemas/sql/")) {
      const auto name = e.path.substr(std::string_view("schemas/sql/").size());
      if (std::atoi(std::string(name.substr(0, 3)).c_str()) > 3) continue;
      db.exec(std::string(e.data));
    }
    db.exec("PRAGMA user_version = 3");
    auto put = [&](const std::string& id, const std::string& caller) {
      Ticket t = ticket(id);
      t.caller = caller;
      SQLite::Statement q(db, "INSERT INTO tickets (id, call_id, caller, category, urgency, status, opened_at, "
                              "updated_at, doc) VALUES (?,?,?,?,?,?,?,?,?)");
      q.bind(1, id);
      q.bind(2, t.call_id);
      q.bind(3, caller);
      q.bind(4, t.category);
      q.bind(5, t.urgency);
      q.bind(6, t.status);
      q.bind(7, static_cast<int64_t>(t.opened_at.time_since_epoch().count()));
      q.bind(8, static_cast<int64_t>(t.opened_at.time_since_epoch().count()));
      q.bind(9, to_record(t).dump());
      q.exec();
    };
    put("SA-1", "13812345678");
    put("SA-2", "13900000001");
    put("SA-3", "");
    put("SA-4", "13700000003");
    put("SA-5", "+86 139-0000-0005");  // version 3 kept callers as they came
    put("SA-6", "anonymous");
    put("SA-7", "13300000002");
    db.exec("INSERT INTO calls (call_id, ticket_id, caller, at) VALUES "
            "('c1@pbx', 'SA-1', '13812345678', 1), ('c1@pbx from 13900000001', 'SA-2', '13900000001', 2), "
            "('c1@pbx from ', 'SA-3', '', 3), ('hand 13900000001', 'SA-4', '13700000003', 4), "
            "('c5@pbx', 'SA-5', '+86 139-0000-0005', 5), ('c6@pbx', 'SA-6', 'anonymous', 6), "
            "('hand c-1', 'SA-4', '13700000003', 7), ('hand c-1 from 13300000002', 'SA-7', '13300000002', 8)");
  }
  SqliteTicketStore s(file);
  CHECK(s.by_call("c1@pbx", std::string("13812345678"))->id == "SA-1");
  CHECK(s.by_call("c1@pbx", std::string("13900000001"))->id == "SA-2");
  CHECK(s.by_call("c1@pbx", std::string(""))->id == "SA-3");
  CHECK(s.by_call("c1@pbx")->id == "SA-1");  // the Call-ID alone: the first call
  CHECK(s.call_id_shared("c1@pbx"));
  CHECK_FALSE(s.by_call("c1@pbx from 13900000001"));  // no such key is left
  CHECK(s.by_call("hand 13900000001")->id == "SA-4");  // a hand contact's key stays whole
  CHECK_FALSE(s.call_id_shared("hand 13900000001"));
  CHECK(s.by_call("hand c-1", std::string("13300000002"))->id == "SA-7");  // a second number's hand contact too
  CHECK(s.by_call("hand c-1", std::string("13700000003"))->id == "SA-4");
  // callers in the form the call path keys them by now, in the calls and in the tickets
  CHECK(s.by_call("c5@pbx", std::string("13900000005"))->id == "SA-5");
  CHECK(s.get("SA-5")->caller == "13900000005");
  CHECK(s.by_call("c6@pbx", std::string(""))->id == "SA-6");
  CHECK(s.get("SA-6")->caller.empty());
  s.transact([&](WriteTx& tx) {
    CHECK(tx.ticket_of_call("c1@pbx", "13900000001")->id == "SA-2");
    CHECK_FALSE(tx.ticket_of_call("c1@pbx", "13600000000"));
    // linking the same call again keeps its first ticket
    tx.link_call("c1@pbx", "SA-4", "13900000001", t0());
    CHECK(tx.ticket_of_call("c1@pbx", "13900000001")->id == "SA-2");
    // version 5: a caller's open ticket is found through their calls (并单), the index by caller is gone
    REQUIRE(tx.open_for_caller("13812345678", "temporary_assistance"));
    CHECK(tx.open_for_caller("13812345678", "temporary_assistance")->id == "SA-1");
    CHECK(tx.open_for_caller("13700000003", "temporary_assistance")->id == "SA-4");  // a hand contact's caller
    CHECK_FALSE(tx.open_for_caller("13812345678", "medical_assistance"));
  });
  CHECK(s.by_caller("13900000001", 10).size() == 1);
  SQLite::Database check(file, SQLite::OPEN_READONLY);
  CHECK(check.execAndGet("PRAGMA user_version").getInt() >= 5);
  CHECK(check.execAndGet("SELECT COUNT(*) FROM calls").getInt() == 8);
  CHECK(check.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE name = 'tickets_caller'").getInt() == 0);
}

TEST_CASE("store: another program's SQLite database is refused and left as it was", "[storage][foreign]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  const std::string path = (dir.path / "other.db").string();
  {
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES ('a', '1')");
  }
  const auto size = std::filesystem::file_size(path);
  try {
    SqliteTicketStore store(path);
    FAIL("opened another program's database as a store");
  } catch (const StoreError& e) {
    CHECK(std::string(e.what()).find("no tickets table") != std::string::npos);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  SQLite::Database after(path, SQLite::OPEN_READONLY);
  CHECK(after.execAndGet("PRAGMA journal_mode").getString() == "delete");  // not switched to WAL
  CHECK(after.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").getInt() == 1);
  CHECK(std::filesystem::file_size(path) == size);
  // a new file and an empty database are stores to be
  SqliteTicketStore fresh((dir.path / "new.db").string());
  CHECK(fresh.schema_version() >= 1);
  // near misses: a tickets table of another shape (no schema version), views alone; refused, untouched
  for (const char* sql : {"CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT)",
                          "CREATE VIEW v AS SELECT 1 AS one",
                          // a helpdesk's own tickets table, with a schema version of its own
                          "CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT); PRAGMA user_version = 1"}) {
    INFO(sql);
    const std::string other = (dir.path / "near.db").string();
    std::filesystem::remove(other);
    {
      SQLite::Database db(other, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      db.exec(sql);
    }
    const auto before = std::filesystem::file_size(other);
    CHECK_THROWS_AS(SqliteTicketStore(other), StoreError);
    SQLite::Database after_near(other, SQLite::OPEN_READONLY);
    CHECK(after_near.execAndGet("PRAGMA journal_mode").getString() == "delete");
    CHECK(after_near.execAndGet("SELECT COUNT(*) FROM sqlite_master").getInt() == 1);
    CHECK(std::filesystem::file_size(other) == before);
  }
}

TEST_CASE("store: a store a later release upgraded is refused, not misread (rolling back)", "[storage][schema]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  const std::string path = (dir.path / "s.db").string();
  { SqliteTicketStore s(path); }
  const int newer = SqliteTicketStore::schema_version() + 1;
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA journal_mode = DELETE");  // as a later release might keep it: it must stay so
    db.exec("PRAGMA user_version = " + std::to_string(newer));
  }
  try {
    SqliteTicketStore s(path);
    FAIL("a newer store was opened");
  } catch (const StoreError& e) {
    CHECK(std::string(e.what()).find("version " + std::to_string(newer) + ", newer than this release's") !=
          std::string::npos);
  }
  CHECK(SqliteTicketStore::file_schema_version(path) == newer);  // left as it was
  SQLite::Database after(path, SQLite::OPEN_READONLY);
  CHECK(after.execAndGet("PRAGMA journal_mode").getString() == "delete");
}
