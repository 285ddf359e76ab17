#pragma once
// TicketStore on SQLite (SQLiteCpp): WAL, synchronous=FULL, one write connection and one read connection,
// migrations from schemas/sql/ (compiled in) applied at open, tracked in PRAGMA user_version.
#include <memory>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <atomic>
#include <string>

#include <SQLiteCpp/Database.h>

#include "routing/storage/ticket_store.h"

namespace assist {

class StatementCache;
struct WriteMemory;
}  // namespace assist
struct sqlite3;
namespace assist {

class SqliteTicketStore final : public TicketStore {
 public:
  /// The schema version this build writes (the highest schemas/sql/NNN_*.sql).
  static int schema_version();
  /// The schema version of the store at `path` (PRAGMA user_version, read without writing); 0 when the
  /// file does not exist or is empty. Throws StoreError when it cannot be read.
  static int file_schema_version(const std::string& path);
  /// Why the database open as `db` is another program's and not a store, or "" when it is a store or
  /// empty: schema entries (tables, views, indexes) with no tickets table, or with no schema version
  /// (every store has set PRAGMA user_version since its first table). Reads only.
  static std::string foreign_reason(SQLite::Database& db);
  /// Opens (creating the file and its folder when missing) and migrates. ":memory:" works for tests
  /// (then reads share the write connection). Throws StoreError naming the path.
  explicit SqliteTicketStore(const std::string& path);
  ~SqliteTicketStore() override;

  void transact(const std::function<void(WriteTx&)>& fn) override;
  std::vector<std::exception_ptr> transact_batch(std::size_t count, const std::function<void(std::size_t, WriteTx&)>& write) override;
  std::optional<Ticket> get(const std::string& id) override;
  std::optional<Ticket> by_call(const std::string& call_id,
                                const std::optional<std::string>& caller = std::nullopt) override;
  bool call_id_shared(const std::string& call_id) override;
  std::vector<Ticket> by_caller(const std::string& caller, int limit) override;
  std::vector<Ticket> list(const TicketFilter& f) override;
  std::vector<Ticket> active() override;
  void for_each_active(const std::function<void(const Ticket&)>& fn) override;
  std::int64_t count(const TicketFilter& f) override;
  std::vector<nlohmann::json> events(const std::string& ticket_id) override;
  std::vector<OutboxMessage> outbox_due(Instant now, int limit, const std::vector<std::string>& exclude,
                                        const std::string& notify = "") override;
  std::optional<Instant> outbox_next() override;
  std::vector<OutboxMessage> outbox(const std::string& state, int limit) override;
  std::optional<OutboxMessage> message(const std::string& id) override;
  std::optional<OutboxMessage> message_by_token(const std::string& token) override;
  bool writable() override;

  const std::string& path() const { return path_; }
  /// WAL pages copied into the file by the checkpoint thread since open (0 for ":memory:").
  std::uint64_t checkpointed_frames() const { return checkpointed_frames_; }

 private:
  std::string path_;
  std::timed_mutex write_mu_, read_mu_;
  std::unique_ptr<SQLite::Database> write_db_, read_db_;
  std::unique_ptr<StatementCache> stmts_;  // the write connection's prepared statements
  std::unique_ptr<WriteMemory> memory_;    // what the write path remembers of the store (key filters, sequences)
  /// Before a write transaction's first statement: forgets the remembered sequences when another
  /// connection has committed since this one last did (PRAGMA data_version).
  void check_memory();
  /// Fills memory_ from the file (at open).
  void load_memory();
  /// After a rollback (or a failed commit): the remembered sequences may be ahead of the file.
  void forget_sequences();

  // WAL checkpoints run on their own thread and connection (PASSIVE: they never block a commit), woken
  // by the write connection's WAL hook once the WAL holds kCheckpointFrames pages; a checkpoint on the
  // committing thread held calls for its whole copy and fsync.
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);
  void checkpoint_loop();
  std::unique_ptr<SQLite::Database> checkpoint_db_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false, checkpoint_stop_ = false;
  std::atomic<std::uint64_t> checkpointed_frames_{0};
  std::thread checkpointer_;
  SQLite::Database& reader() { return read_db_ ? *read_db_ : *write_db_; }
  std::timed_mutex& read_lock() { return read_db_ ? read_mu_ : write_mu_; }
  // The file opened (device and inode): a store file removed or replaced under the daemon must not take
  // commits that vanish with the process (SQLite would go on writing into the unlinked inode).
  bool file_checked_ = false;
  unsigned long long file_dev_ = 0, file_ino_ = 0;
  // the WAL's identity once it exists (it stays while the store is open: checkpoints are PASSIVE)
  mutable bool wal_seen_ = false;
  mutable unsigned long long wal_dev_ = 0, wal_ino_ = 0;
  /// Throws StoreError when `path_` no longer names the file opened.
  void check_file() const;
};

}  // namespace assist
