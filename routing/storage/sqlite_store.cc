#include "routing/storage/sqlite_store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <unordered_map>

#include <pthread.h>
#include <sys/stat.h>
#include <spdlog/spdlog.h>

#include "routing/common/mask.h"
#include "routing/common/resources.h"
#include "routing/storage/key_filter.h"

namespace assist {
namespace {

std::int64_t ms(Instant t) { return t.time_since_epoch().count(); }
Instant at(std::int64_t v) { return Instant(Millis(v)); }

#define ASSIST_MESSAGE_COLUMNS                                                                      \
  "id, ticket_id, kind, level, reason, notify, body, state, attempts, created_at, next_attempt_at, " \
  "delivered_at, last_error, acknowledged_by"
const char* const kMessageColumns = ASSIST_MESSAGE_COLUMNS;
const char* const kMessageById = "SELECT " ASSIST_MESSAGE_COLUMNS " FROM outbox WHERE id = ?";

OutboxMessage read_message(SQLite::Statement& q) {
  OutboxMessage m;
  m.id = q.getColumn(0).getString();
  m.ticket_id = q.getColumn(1).getString();
  m.kind = q.getColumn(2).getString();
  m.level = q.getColumn(3).getString();
  m.reason = q.getColumn(4).getString();
  m.notify = q.getColumn(5).getString();
  m.body = nlohmann::json::parse(q.getColumn(6).getString());
  m.state = q.getColumn(7).getString();
  m.attempts = q.getColumn(8).getInt();
  m.created_at = at(q.getColumn(9).getInt64());
  m.next_attempt_at = at(q.getColumn(10).getInt64());
  if (!q.getColumn(11).isNull()) m.delivered_at = at(q.getColumn(11).getInt64());
  m.last_error = q.getColumn(12).getString();
  m.acknowledged_by = q.getColumn(13).getString();
  return m;
}

std::optional<Ticket> one_ticket(SQLite::Statement& q) {
  if (!q.executeStep()) return std::nullopt;
  return from_record(nlohmann::json::parse(q.getColumn(0).getString()));
}

std::optional<OutboxMessage> one_message(SQLite::Database& db, const std::string& id) {
  SQLite::Statement q(db, std::string("SELECT ") + kMessageColumns + " FROM outbox WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_message(q);
}

// How long a write waits for another process's lock on the file before it fails (and the group committer
// tries again): short, so a stalled store holds no thread long.
constexpr int kWriteBusyMs = 1000;

void configure(SQLite::Database& db) {
  db.setBusyTimeout(kWriteBusyMs);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=FULL");
  // A group commit of a thousand tickets dirties a few MB: keep them in the page cache until COMMIT
  // (the default 2 MB spills them to the WAL mid-batch, each page written twice).
  db.exec("PRAGMA cache_size=-65536");
  // Statement journals (an UPSERT keeps the pages it changes, to undo it alone) stay in memory: on disk
  // they cost a write per page the batch had already changed.
  db.exec("PRAGMA temp_store=MEMORY");
  db.exec("PRAGMA foreign_keys=ON");
}

}  // namespace

/// The write connection's prepared statements, kept for the life of the store: a call's write runs up to
/// seven statements (three for a new caller), and preparing them anew each time cost more than running
/// them. Keyed by the SQL text's address (each is a literal at one place in this file). Only used under
/// the write mutex.
class StatementCache {
 public:
  explicit StatementCache(SQLite::Database& db) : db_(db) {}
  /// The statement for `sql`, reset and with no bindings, ready to bind and run.
  SQLite::Statement& get(const char* sql) {
    auto& s = cache_[sql];
    if (!s) {
      s = std::make_unique<SQLite::Statement>(db_, sql);
    } else {
      s->tryReset();  // the error of an earlier step, if any, was reported when it happened
      s->clearBindings();
    }
    return *s;
  }
  /// Resets every statement so none holds a read position open across COMMIT.
  void reset_all() {
    for (auto& [sql, s] : cache_) s->tryReset();
  }

 private:
  SQLite::Database& db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> cache_;
};

/// What the write connection remembers of the store between transactions, so that a call's write runs
/// fewer statements. Only used under the write mutex.
struct WriteMemory {
  /// Every Call-ID and every caller in `calls` (a ticket's caller is there from its first call; filled at
  /// open, then by each write;
  /// a rolled-back write leaves its keys, which only costs a lookup). Only this process opens tickets and
  /// links calls (assistctl changes existing tickets), so "not in the filter" means "not in the store".
  KeyFilter call_ids, callers;
  /// sequences.value by name as this connection last committed it; empty after a rollback or another
  /// connection's commit (then read again).
  std::unordered_map<std::string, std::int64_t> sequences;
  std::int64_t data_version = -1;
  WriteMemory(std::size_t calls, std::size_t callers) : call_ids(calls), callers(callers) {}
};

namespace {

class SqliteTx final : public WriteTx {
 public:
  SqliteTx(SQLite::Database& db, StatementCache& stmts, WriteMemory& memory)
      : db_(db), stmts_(stmts), memory_(memory) {}
  /// Writes the sequences this transaction moved; called just before COMMIT.
  void flush_sequences() {
    for (const auto& name : moved_) {
      auto& up = stmts_.get("INSERT INTO sequences (name, value) VALUES (?, ?) "
                           "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
      up.bind(1, name);
      up.bind(2, memory_.sequences.at(name));
      up.exec();
    }
    moved_.clear();
  }
  std::optional<Ticket> get(const std::string& id) override {
    auto& q = stmts_.get("SELECT doc FROM tickets WHERE id = ?");
    q.bind(1, id);
    return one_ticket(q);
  }
  std::optional<Ticket> ticket_of_call(const std::string& call_id, const std::string& caller) override {
    if (!memory_.call_ids.maybe(call_id)) return std::nullopt;
    auto& q = stmts_.get(
        "SELECT t.doc FROM calls c JOIN tickets t ON t.id = c.ticket_id WHERE c.call_id = ? AND c.caller = ?");
    q.bind(1, call_id);
    q.bind(2, caller);
    return one_ticket(q);
  }
  bool call_id_known(const std::string& call_id) override {
    if (!memory_.call_ids.maybe(call_id)) return false;
    auto& q = stmts_.get("SELECT 1 FROM calls WHERE call_id = ? LIMIT 1");
    q.bind(1, call_id);
    const bool known = q.executeStep();
    q.reset();
    return known;
  }
  std::optional<Ticket> open_for_caller(const std::string& caller, const std::string& category) override {
    if (!memory_.callers.maybe(caller)) return std::nullopt;
    // through the caller's calls (store version 5): every ticket has its first call's row
    auto& q = stmts_.get("SELECT doc FROM tickets WHERE id IN (SELECT ticket_id FROM calls WHERE caller = ?) "
                        "AND category = ? AND terminal = 0 ORDER BY opened_at DESC LIMIT 1");
    q.bind(1, caller);
    q.bind(2, category);
    return one_ticket(q);
  }
  int calls_since(const std::string& caller, Instant since) override {
    if (!memory_.callers.maybe(caller)) return 0;
    auto& q = stmts_.get("SELECT COUNT(*) FROM calls WHERE caller = ? AND at >= ?");
    q.bind(1, caller);
    q.bind(2, static_cast<int64_t>(ms(since)));
    q.executeStep();
    return q.getColumn(0).getInt();
  }
  void put(const Ticket& t) override {
    auto& q = stmts_.get("INSERT INTO tickets (id, call_id, caller, category, urgency, status, terminal, region_code, "
                        "opened_at, updated_at, doc, timer, provisional) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                        "ON CONFLICT(id) DO UPDATE SET "
                        "call_id=excluded.call_id, caller=excluded.caller, category=excluded.category, "
                        "urgency=excluded.urgency, status=excluded.status, terminal=excluded.terminal, "
                        "region_code=excluded.region_code, updated_at=excluded.updated_at, doc=excluded.doc, "
                        "timer=excluded.timer, provisional=excluded.provisional");
    q.bind(1, t.id);
    q.bind(2, t.call_id);
    q.bind(3, t.caller);
    q.bind(4, t.category);
    q.bind(5, t.urgency);
    q.bind(6, t.status);
    q.bind(7, t.terminal() ? 1 : 0);
    q.bind(8, t.region_code.empty() ? t.region_hint : t.region_code);
    q.bind(9, static_cast<int64_t>(ms(t.opened_at)));
    q.bind(10, static_cast<int64_t>(ms(t.updated_at)));
    q.bind(11, to_record(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    q.bind(12, timer_fields(t));
    q.bind(13, t.provisional ? 1 : 0);
    q.exec();
  }
  void event(const std::string& ticket_id, const std::string& type, const std::string& by, const std::string& note,
             const nlohmann::json& body, Instant when) override {
    auto& q = stmts_.get("INSERT INTO ticket_events (ticket_id, type, by, note, body, at) VALUES (?,?,?,?,?,?)");
    q.bind(1, ticket_id);
    q.bind(2, type);
    q.bind(3, by);
    q.bind(4, note);
    q.bind(5, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    q.bind(6, static_cast<int64_t>(ms(when)));
    q.exec();
  }
  void link_call(const std::string& call_id, const std::string& ticket_id, const std::string& caller,
                 Instant when) override {
    auto& q = stmts_.get("INSERT OR IGNORE INTO calls (call_id, ticket_id, caller, at) VALUES (?,?,?,?)");
    q.bind(1, call_id);
    q.bind(2, ticket_id);
    q.bind(3, caller);
    q.bind(4, static_cast<int64_t>(ms(when)));
    q.exec();
    memory_.call_ids.add(call_id);
    if (!caller.empty()) memory_.callers.add(caller);
  }
  bool enqueue(const OutboxMessage& m) override {
    auto& q = stmts_.get("INSERT OR IGNORE INTO outbox (id, ticket_id, kind, level, reason, notify, body, state, "
                        "attempts, created_at, next_attempt_at, last_error, token) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, m.id);
    q.bind(2, m.ticket_id);
    q.bind(3, m.kind);
    q.bind(4, m.level);
    q.bind(5, m.reason);
    q.bind(6, m.notify);
    q.bind(7, m.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    q.bind(8, m.state);
    q.bind(9, m.attempts);
    q.bind(10, static_cast<int64_t>(ms(m.created_at)));
    q.bind(11, static_cast<int64_t>(ms(m.next_attempt_at)));
    q.bind(12, m.last_error);
    q.bind(13, m.body.is_object() ? m.body.value("token", std::string()) : std::string());
    return q.exec() == 1;
  }
  std::optional<OutboxMessage> message(const std::string& id) override {
    auto& q = stmts_.get(kMessageById);
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_message(q);
  }
  void update_message(const OutboxMessage& m) override {
    auto& q = stmts_.get("UPDATE outbox SET state=?, attempts=?, next_attempt_at=?, delivered_at=?, last_error=?, "
                        "acknowledged_by=? WHERE id=?");
    q.bind(1, m.state);
    q.bind(2, m.attempts);
    q.bind(3, static_cast<int64_t>(ms(m.next_attempt_at)));
    if (m.delivered_at) q.bind(4, static_cast<int64_t>(ms(*m.delivered_at)));
    else q.bind(4);
    q.bind(5, m.last_error);
    q.bind(6, m.acknowledged_by);
    q.bind(7, m.id);
    q.exec();
  }
  // Counted in memory and written once per transaction (flush_sequences), not an UPSERT per call.
  std::int64_t next_sequence(const std::string& name) override {
    auto it = memory_.sequences.find(name);
    if (it == memory_.sequences.end()) {
      auto& q = stmts_.get("SELECT value FROM sequences WHERE name = ?");
      q.bind(1, name);
      const std::int64_t v = q.executeStep() ? q.getColumn(0).getInt64() : 0;
      it = memory_.sequences.emplace(name, v).first;
    }
    if (std::find(moved_.begin(), moved_.end(), name) == moved_.end()) moved_.push_back(name);
    return ++it->second;
  }

 private:
  SQLite::Database& db_;
  StatementCache& stmts_;
  WriteMemory& memory_;
  std::vector<std::string> moved_;  // sequences moved in this transaction
};

/// Version 4's second step: callers kept as they came (+86..., tel: forms, "anonymous") in the form the call
/// path keys them by now (normalize_number), in `calls` (re-keyed; the same call under two spellings keeps
/// its first row) and in `tickets` (the column and the record's member).
void normalize_stored_callers(SQLite::Database& db) {
  struct Row {
    std::string key, caller, ticket;
    std::int64_t at;
  };
  std::vector<Row> calls;
  {
    SQLite::Statement q(db, "SELECT call_id, caller, ticket_id, at FROM calls WHERE caller <> ''");
    while (q.executeStep()) {
      Row r{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64()};
      if (normalize_number(r.caller) != r.caller) calls.push_back(std::move(r));
    }
  }
  for (const auto& r : calls) {
    SQLite::Statement del(db, "DELETE FROM calls WHERE call_id = ? AND caller = ?");
    del.bind(1, r.key);
    del.bind(2, r.caller);
    del.exec();
    SQLite::Statement ins(db, "INSERT OR IGNORE INTO calls (call_id, caller, ticket_id, at) VALUES (?,?,?,?)");
    ins.bind(1, r.key);
    ins.bind(2, normalize_number(r.caller));
    ins.bind(3, r.ticket);
    ins.bind(4, r.at);
    ins.exec();
  }
  std::vector<std::pair<std::string, std::string>> tickets;
  {
    SQLite::Statement q(db, "SELECT id, caller FROM tickets WHERE caller <> ''");
    while (q.executeStep()) {
      std::string caller = q.getColumn(1).getString();
      if (normalize_number(caller) != caller) tickets.emplace_back(q.getColumn(0).getString(), std::move(caller));
    }
  }
  for (const auto& [id, caller] : tickets) {
    SQLite::Statement up(db, "UPDATE tickets SET caller = ?1, doc = json_set(doc, '$.caller', ?1) WHERE id = ?2");
    up.bind(1, normalize_number(caller));
    up.bind(2, id);
    up.exec();
  }
}

// What is already in the file, checked before anything is changed in it (configure() would switch it to WAL
// for good and migrate() add our tables): another program's SQLite database (tables, views or indexes, and
// either no user_version, which every store has set since its first table, or no tickets table), or a store
// a later release has upgraded.
void refuse_what_is_not_ours(SQLite::Database& db) {
  if (const auto why = SqliteTicketStore::foreign_reason(db); !why.empty())
    throw StoreError("an SQLite database of something else (" + why + "): not a store; name a new file or a store "
                     "in storage.path");
  const int version = db.execAndGet("PRAGMA user_version").getInt();
  if (version > SqliteTicketStore::schema_version())
    throw StoreError("the store's schema is version " + std::to_string(version) + ", newer than this release's " +
                     std::to_string(SqliteTicketStore::schema_version()) +
                     " (a later release upgraded it): run that release, or restore the backup taken before the upgrade");
}

void migrate(SQLite::Database& db) {
  SQLite::Statement v(db, "PRAGMA user_version");
  v.executeStep();
  int version = v.getColumn(0).getInt();
  v.reset();
  for (const auto& e : resources::under("schemas/sql/")) {
    const auto name = e.path.substr(std::string_view("schemas/sql/").size());
    const int n = std::atoi(std::string(name.substr(0, 3)).c_str());
    if (n <= version) continue;
    SQLite::Transaction tx(db);
    db.exec(std::string(e.data));
    if (n == 4) normalize_stored_callers(db);
    db.exec("PRAGMA user_version = " + std::to_string(n));
    tx.commit();
    version = n;
  }
}

}  // namespace

std::string SqliteTicketStore::foreign_reason(SQLite::Database& db) {
  const int version = db.execAndGet("PRAGMA user_version").getInt();
  SQLite::Statement q(db, "SELECT (SELECT COUNT(*) FROM sqlite_master), "
                          "(SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'tickets')");
  q.executeStep();
  if (q.getColumn(0).getInt() == 0) return "";
  if (q.getColumn(1).getInt() == 0) return "no tickets table";
  if (version == 0) return "no schema version";
  // a helpdesk's own tickets table with a version of its own: ours keeps the record in `doc` beside `terminal`,
  // and its history in ticket_events (schemas/sql/001_init.sql)
  int ours = 0;
  SQLite::Statement cols(db, "SELECT name FROM pragma_table_info('tickets')");
  while (cols.executeStep()) {
    const std::string name = cols.getColumn(0).getString();
    if (name == "doc" || name == "terminal") ++ours;
  }
  const int events = db.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'ticket_events'")
                         .getInt();
  if (ours < 2 || events == 0) return "a tickets table of another shape";
  return "";
}

int SqliteTicketStore::schema_version() {
  int latest = 0;
  for (const auto& e : resources::under("schemas/sql/"))
    latest = std::max(latest, std::atoi(std::string(e.path.substr(std::string_view("schemas/sql/").size(), 3)).c_str()));
  return latest;
}

int SqliteTicketStore::file_schema_version(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return 0;
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA user_version").getInt();
  } catch (const SQLite::Exception& e) {
    throw StoreError("cannot read " + path + ": " + e.what());
  }
}

SqliteTicketStore::SqliteTicketStore(const std::string& path) : path_(path) {
  try {
    if (path != ":memory:") {
      const auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    // looked at read-only first: a writing connection's close would checkpoint another program's WAL into
    // its file (and remove the WAL) even when the file is then refused
    std::error_code size_ec;
    if (path != ":memory:" && std::filesystem::exists(path, size_ec) && std::filesystem::file_size(path, size_ec) > 0) {
      SQLite::Database look(path, SQLite::OPEN_READONLY);
      refuse_what_is_not_ours(look);
    }
    // (a file that is not there yet, or empty, has nothing in it to refuse)
    write_db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
    configure(*write_db_);
    migrate(*write_db_);
    stmts_ = std::make_unique<StatementCache>(*write_db_);
    load_memory();
    if (path != ":memory:") {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0) {
        file_checked_ = true;
        file_dev_ = st.st_dev;
        file_ino_ = st.st_ino;
      }
      read_db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX);
      read_db_->setBusyTimeout(5000);
      checkpoint_db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_FULLMUTEX);
      checkpoint_db_->setBusyTimeout(5000);
      // A connection opens the WAL at its first read: until then a checkpoint on it finds "not in WAL
      // mode" (log and copied -1) and does nothing, and the WAL grew without bound under load.
      checkpoint_db_->exec("SELECT count(*) FROM sqlite_master");
      // replaces the automatic checkpoint (itself a WAL hook) on the write connection
      sqlite3_wal_hook(write_db_->getHandle(), &SqliteTicketStore::on_wal_commit, this);
      checkpointer_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "assist-ckpt");
        checkpoint_loop();
      });
    }
  } catch (const std::exception& e) {
    throw StoreError("store " + path + ": " + e.what());
  }
}

SqliteTicketStore::~SqliteTicketStore() {
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }
}

namespace {
constexpr int kCheckpointFrames = 4000;  // about 16 MB of WAL
}  // namespace

int SqliteTicketStore::on_wal_commit(void* self, sqlite3*, const char*, int frames) {
  if (frames < kCheckpointFrames) return SQLITE_OK;
  auto* store = static_cast<SqliteTicketStore*>(self);
  bool wake = false;
  {
    std::lock_guard lock(store->checkpoint_mu_);
    wake = !store->checkpoint_wanted_;
    store->checkpoint_wanted_ = true;
  }
  if (wake) store->checkpoint_cv_.notify_one();
  return SQLITE_OK;
}

void SqliteTicketStore::checkpoint_loop() {
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_wanted_ || checkpoint_stop_; });
    if (checkpoint_stop_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    int log = 0, copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log,
                                             &copied);
    if (rc == SQLITE_OK && copied > 0) checkpointed_frames_ += static_cast<std::uint64_t>(copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      spdlog::warn("store: WAL checkpoint failed ({}); the WAL grows until one succeeds",
                   sqlite3_errstr(rc));
    lock.lock();
  }
}

namespace {

/// True for SQLite result codes that say the store (disk, lock, file), not the write, is at fault: the
/// write is kept and tried again later rather than given up.
bool store_at_fault(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return true;
    default:
      return false;
  }
}

/// Runs, in order, the writes of a batch that have not failed yet. False when all went through; true
/// when one threw a fault of its own (recorded in `errors`; the batch is then rolled back and run again
/// without it). A store fault is thrown as StoreError: the whole batch waits for the store.
bool run_writes(WriteTx& w, std::size_t count, const std::function<void(std::size_t, WriteTx&)>& write,
                std::vector<std::exception_ptr>& errors) {
  for (std::size_t i = 0; i < count; ++i) {
    if (errors[i]) continue;
    try {
      write(i, w);
    } catch (const StoreError&) {
      throw;
    } catch (const SQLite::Exception& e) {
      if (store_at_fault(e.getErrorCode())) throw StoreError(std::string("cannot write: ") + e.what());
      errors[i] = std::current_exception();
      return true;
    } catch (...) {
      errors[i] = std::current_exception();
      return true;
    }
  }
  return false;
}

/// BEGIN IMMEDIATE (the write lock now, not at the first write); StoreError when it cannot be had.
void begin(SQLite::Database& db, std::optional<SQLite::Transaction>& tx) {
  try {
    tx.emplace(db, SQLite::TransactionBehavior::IMMEDIATE);
  } catch (const std::exception& e) {
    throw StoreError(std::string("cannot begin a transaction: ") + e.what());
  }
}

/// COMMIT, durable (synchronous=FULL) when it returns; StoreError when it fails.
void commit(SQLite::Transaction& tx) {
  try {
    tx.commit();
  } catch (const std::exception& e) {
    throw StoreError(std::string("cannot commit: ") + e.what());
  }
}

}  // namespace

void SqliteTicketStore::check_file() const {
  if (!file_checked_) return;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || st.st_dev != file_dev_ || st.st_ino != file_ino_)
    throw StoreError("the store file " + path_ +
                     " was removed or replaced while open: nothing is written into a file that is gone (restore it "
                     "and restart)");
  struct stat wal {};
  const bool wal_there = ::stat((path_ + "-wal").c_str(), &wal) == 0;
  if (wal_seen_ && (!wal_there || wal.st_dev != wal_dev_ || wal.st_ino != wal_ino_))
    throw StoreError("the store's WAL " + path_ + "-wal was removed or replaced while open: commits in it would be "
                     "lost (restart the daemon)");
  if (!wal_seen_ && wal_there) {
    wal_seen_ = true;
    wal_dev_ = wal.st_dev;
    wal_ino_ = wal.st_ino;
  }
}

void SqliteTicketStore::transact(const std::function<void(WriteTx&)>& fn) {
  // A write that cannot have the store within half a second fails (StoreError, an API 503) rather than
  // queue behind a commit stalled on the disk: the HTTP thread must go on answering.
  std::unique_lock lock(write_mu_, std::chrono::milliseconds(500));
  if (!lock.owns_lock()) throw StoreError("the store is busy: a commit has held it for 500 ms (a stalled disk?)");
  check_file();
  std::optional<SQLite::Transaction> tx;
  begin(*write_db_, tx);
  try {
    check_memory();
    SqliteTx w(*write_db_, *stmts_, *memory_);
    fn(w);  // an exception here rolls back in ~Transaction
    w.flush_sequences();
    stmts_->reset_all();
    commit(*tx);
  } catch (...) {
    stmts_->reset_all();
    forget_sequences();
    throw;
  }
}

std::vector<std::exception_ptr> SqliteTicketStore::transact_batch(
    std::size_t count, const std::function<void(std::size_t, WriteTx&)>& write) {
  std::lock_guard lock(write_mu_);
  check_file();
  std::vector<std::exception_ptr> errors(count);
  for (;;) {  // once, or again without a write that threw
    std::optional<SQLite::Transaction> tx;
    begin(*write_db_, tx);
    try {
      check_memory();
      SqliteTx w(*write_db_, *stmts_, *memory_);
      if (!run_writes(w, count, write, errors)) {
        w.flush_sequences();
        stmts_->reset_all();
        commit(*tx);
        return errors;
      }
    } catch (const SQLite::Exception& e) {  // a sequence's read or write, or the data_version probe
      stmts_->reset_all();
      forget_sequences();
      throw StoreError(std::string("cannot write: ") + e.what());
    } catch (...) {
      stmts_->reset_all();
      forget_sequences();
      throw;
    }
    // ~Transaction rolls back what the batch wrote; run it again without the failed one
    stmts_->reset_all();
    forget_sequences();
  }
}

void SqliteTicketStore::load_memory() {
  // Scanned on a connection of its own, closed after: the scan's pages must not stay in the write
  // connection's 64 MB cache (they did: 90 bytes more a ticket with a million open).
  std::unique_ptr<SQLite::Database> own;
  if (path_ != ":memory:") own = std::make_unique<SQLite::Database>(path_, SQLite::OPEN_READONLY);
  SQLite::Database& db = own ? *own : *write_db_;
  auto count = [&](const char* sql) {
    SQLite::Statement q(db, sql);
    q.executeStep();
    return static_cast<std::size_t>(q.getColumn(0).getInt64());
  };
  const std::size_t calls = count("SELECT COUNT(*) FROM calls"), tickets = count("SELECT COUNT(*) FROM tickets");
  // room for as many again, and a million at least, before the filters answer "maybe" more often
  memory_ = std::make_unique<WriteMemory>(2 * calls + (1u << 20), 2 * (calls + tickets) + (1u << 20));
  SQLite::Statement c(db, "SELECT call_id, caller FROM calls");
  while (c.executeStep()) {
    memory_->call_ids.add(c.getColumn(0).getText());
    if (const char* caller = c.getColumn(1).getText(); *caller) memory_->callers.add(caller);
  }
}

void SqliteTicketStore::check_memory() {
  auto& q = stmts_->get("PRAGMA data_version");
  q.executeStep();
  const std::int64_t v = q.getColumn(0).getInt64();
  q.reset();
  if (v != memory_->data_version) memory_->sequences.clear();
  memory_->data_version = v;
}

void SqliteTicketStore::forget_sequences() { memory_->sequences.clear(); }

std::optional<Ticket> SqliteTicketStore::get(const std::string& id) {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), "SELECT doc FROM tickets WHERE id = ?");
  q.bind(1, id);
  return one_ticket(q);
}

std::optional<Ticket> SqliteTicketStore::by_call(const std::string& call_id, const std::optional<std::string>& caller) {
  std::lock_guard lock(read_lock());
  if (caller) {
    SQLite::Statement q(reader(), "SELECT t.doc FROM calls c JOIN tickets t ON t.id = c.ticket_id "
                                  "WHERE c.call_id = ? AND c.caller = ?");
    q.bind(1, call_id);
    q.bind(2, *caller);
    return one_ticket(q);
  }
  SQLite::Statement q(reader(), "SELECT t.doc FROM calls c JOIN tickets t ON t.id = c.ticket_id WHERE c.call_id = ? "
                                "ORDER BY c.at, c.ticket_id LIMIT 1");
  q.bind(1, call_id);
  return one_ticket(q);
}

bool SqliteTicketStore::call_id_shared(const std::string& call_id) {
  std::lock_guard lock(read_lock());
  // (call_id, caller) is the key: a second row for the Call-ID is a second number
  SQLite::Statement q(reader(), "SELECT COUNT(*) FROM (SELECT 1 FROM calls WHERE call_id = ? LIMIT 2)");
  q.bind(1, call_id);
  q.executeStep();
  return q.getColumn(0).getInt() > 1;
}

std::vector<Ticket> SqliteTicketStore::by_caller(const std::string& caller, int limit) {
  std::vector<Ticket> out;
  if (caller.empty()) return out;
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), "SELECT doc FROM tickets WHERE id IN (SELECT ticket_id FROM calls WHERE caller = ?) "
                                "ORDER BY opened_at DESC LIMIT ?");
  q.bind(1, caller);
  q.bind(2, limit);
  while (q.executeStep()) out.push_back(from_record(nlohmann::json::parse(q.getColumn(0).getString())));
  return out;
}

namespace {

/// The conditions of a TicketFilter (statuses, urgency, region prefix, provisional) as " AND ..." SQL.
std::string filter_sql(const TicketFilter& f) {
  std::string sql;
  if (f.statuses.empty()) {
    sql += " AND terminal = 0";
  } else {
    sql += " AND status IN (";
    for (size_t i = 0; i < f.statuses.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
  }
  if (!f.urgency.empty()) sql += " AND urgency = ?";
  if (!f.region.empty()) sql += " AND substr(region_code, 1, ?) = ?";
  if (f.provisional_only) sql += " AND provisional = 1";
  return sql;
}

/// Binds filter_sql(f)'s parameters from index `i`; returns the next index.
int bind_filter(SQLite::Statement& q, const TicketFilter& f, int i) {
  for (const auto& s : f.statuses) q.bind(i++, s);
  if (!f.urgency.empty()) q.bind(i++, f.urgency);
  if (!f.region.empty()) {
    q.bind(i++, static_cast<int>(f.region.size()));
    q.bind(i++, f.region);
  }
  return i;
}

}  // namespace

std::vector<Ticket> SqliteTicketStore::list(const TicketFilter& f) {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), "SELECT doc FROM tickets WHERE id > ?" + filter_sql(f) + " ORDER BY id LIMIT ?");
  q.bind(1, f.after);
  q.bind(bind_filter(q, f, 2), f.limit);
  std::vector<Ticket> out;
  while (q.executeStep()) out.push_back(from_record(nlohmann::json::parse(q.getColumn(0).getString())));
  return out;
}

std::vector<Ticket> SqliteTicketStore::active() {
  TicketFilter f;
  f.limit = std::numeric_limits<int>::max();
  return list(f);
}

void SqliteTicketStore::for_each_active(const std::function<void(const Ticket&)>& fn) {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), "SELECT id, timer, doc IS NOT NULL AND timer = '' FROM tickets WHERE terminal = 0");
  Ticket t;
  while (q.executeStep()) {
    const char* timer = q.getColumn(1).getText();
    const bool legacy = q.getColumn(2).getInt() != 0;
    if (!legacy && read_timer_fields(timer, t)) {
      t.id = q.getColumn(0).getString();
      fn(t);
      continue;
    }
    // a record written before the timer column existed: read it whole
    SQLite::Statement d(reader(), "SELECT doc FROM tickets WHERE id = ?");
    d.bind(1, q.getColumn(0).getString());
    if (auto full = one_ticket(d)) fn(*full);
  }
}

std::int64_t SqliteTicketStore::count(const TicketFilter& f) {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), "SELECT COUNT(*) FROM tickets WHERE 1" + filter_sql(f));
  bind_filter(q, f, 1);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

std::vector<nlohmann::json> SqliteTicketStore::events(const std::string& ticket_id) {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), "SELECT seq, type, by, note, body, at FROM ticket_events WHERE ticket_id = ? ORDER BY seq");
  q.bind(1, ticket_id);
  std::vector<nlohmann::json> out;
  while (q.executeStep()) {
    out.push_back({{"seq", q.getColumn(0).getInt64()}, {"type", q.getColumn(1).getString()},
                   {"by", q.getColumn(2).getString()}, {"note", q.getColumn(3).getString()},
                   {"body", nlohmann::json::parse(q.getColumn(4).getString())}, {"at_ms", q.getColumn(5).getInt64()}});
  }
  return out;
}

std::vector<OutboxMessage> SqliteTicketStore::outbox_due(Instant now, int limit, const std::vector<std::string>& exclude,
                                                     const std::string& notify) {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), std::string("SELECT ") + kMessageColumns +
                                    " FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? AND (? = '' OR notify = ?) "
                                    "ORDER BY next_attempt_at, created_at, rowid LIMIT ?");
  q.bind(1, static_cast<int64_t>(ms(now)));
  q.bind(2, notify);
  q.bind(3, notify);
  q.bind(4, limit + static_cast<int>(exclude.size()));
  std::vector<OutboxMessage> out;
  while (q.executeStep() && static_cast<int>(out.size()) < limit) {
    auto m = read_message(q);
    if (std::find(exclude.begin(), exclude.end(), m.id) == exclude.end()) out.push_back(std::move(m));
  }
  return out;
}

std::optional<Instant> SqliteTicketStore::outbox_next() {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'");
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return at(q.getColumn(0).getInt64());
}

std::vector<OutboxMessage> SqliteTicketStore::outbox(const std::string& state, int limit) {
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), std::string("SELECT ") + kMessageColumns +
                                    " FROM outbox WHERE (? = '' OR state = ?) ORDER BY created_at, rowid LIMIT ?");
  q.bind(1, state);
  q.bind(2, state);
  q.bind(3, limit);
  std::vector<OutboxMessage> out;
  while (q.executeStep()) out.push_back(read_message(q));
  return out;
}

std::optional<OutboxMessage> SqliteTicketStore::message(const std::string& id) {
  std::lock_guard lock(read_lock());
  return one_message(reader(), id);
}

std::optional<OutboxMessage> SqliteTicketStore::message_by_token(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::lock_guard lock(read_lock());
  SQLite::Statement q(reader(), std::string("SELECT ") + kMessageColumns + " FROM outbox WHERE token = ?");
  q.bind(1, token);
  if (!q.executeStep()) return std::nullopt;
  return read_message(q);
}

bool SqliteTicketStore::writable() {
  try {
    // A write in progress holds the lock (perhaps waiting on a stalled disk): its outcome is the group
    // committer's to report, and a readiness probe must not wait behind it.
    std::unique_lock lock(write_mu_, std::try_to_lock);
    if (!lock) return true;
    check_file();
    // BEGIN IMMEDIATE takes the write lock (without waiting: a probe answers at once); the destructor
    // rolls back without writing anything.
    write_db_->setBusyTimeout(0);
    struct Restore {
      SQLite::Database& db;
      ~Restore() { db.setBusyTimeout(kWriteBusyMs); }
    } restore{*write_db_};
    SQLite::Transaction tx(*write_db_, SQLite::TransactionBehavior::IMMEDIATE);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace assist
