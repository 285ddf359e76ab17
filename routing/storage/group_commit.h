#pragma once
// Group commit for the call path (DESIGN "Storage", "Overload and a stalled disk"): writes submitted from
// the SIP thread are gathered on one writer thread and committed together in one durable transaction, so
// a thousand calls cost one fsync, not a thousand. While one batch commits, the next one gathers. When
// calls are arriving (the last commit ended less than `window` ago) the writer also waits up to `window`
// after the oldest queued write for more to gather; a lone call after a quiet spell is committed at once.
//
// A stalled store (a commit that has not finished `stall` after a write was submitted: a hung disk, a
// lock held by another process) does not hold calls: the write's `late` is called so the caller can
// answer without waiting, the write stays queued in memory, and it is committed when the store
// recovers, with its `done` called then. Writes are never dropped for a store fault, only retried; the
// queue is bounded (`max_pending`) and submit() refuses past it. Late writes are also kept on disk
// (`keep_path`) until they are committed, so that a kill during a stall loses none of them.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "routing/storage/ticket_store.h"

namespace assist {

class GroupCommitter {
 public:
  struct Options {
    std::chrono::milliseconds stall{250};   ///< a write not committed this long after submit is late
    std::chrono::microseconds window{2000}; ///< batching window while calls arrive (0 = none)
    std::size_t max_batch = 1024;           ///< writes in one transaction at most
    std::size_t max_pending = 200000;       ///< queued writes at most (about 1 KB each): submit refuses past it
    std::chrono::milliseconds retry{200};   ///< wait before a batch the store refused is tried again
    /// Where stop() keeps the writes the store did not take (JSON lines from each Job's `spill`, appended
    /// and fsynced), for the next start to write; "" = nowhere (they are lost and counted in the log).
    std::string spill_path;
    /// Where late writes are kept while the store is stalled: their `spill` lines, appended and
    /// fdatasynced by a keeper thread soon after each is told late (at once for a write submitted while
    /// the store is known stalled, which its caller answers at once), the file removed once every late
    /// write is committed. A kill (SIGKILL, a crash) during a stall leaves it for the next start, which
    /// adopts it into `spill_path` (adopt_kept) and redoes its lines; a line whose write was committed
    /// after all is redone as the same call, so nothing is written twice. "" = kept in memory only.
    std::string keep_path;
  };

  /// One write. `write` runs on the writer thread inside the batch's transaction (see
  /// TicketStore::transact_batch: it may run more than once and must reset what it captures). `done` is
  /// called once on the writer thread: with nullptr when the write is durable, or with the exception
  /// the write itself threw (then nothing of it is written; store faults are retried, never reported
  /// here). `late` (optional) is called at most once, on the watchdog thread, when `stall` passes first;
  /// it may run at the same time as `done`, so the caller decides which one answers.
  struct Job {
    std::function<void(WriteTx&)> write;
    std::function<void(std::exception_ptr)> done;
    std::function<void()> late;
    /// Optional: the write as one line of JSON (no newline) that can be redone after a restart.
    std::function<std::string()> spill;
    /// Its line is on disk already (a line replayed from the spill file, which stays until every one of
    /// them is written): neither the keeper nor stop() writes it again, so restarts during one stall do
    /// not multiply it.
    bool on_disk = false;
  };

  struct Stats {
    std::uint64_t submitted = 0, committed = 0, failed = 0, late = 0, refused = 0;
    std::uint64_t batches = 0, store_faults = 0;
    std::size_t largest_batch = 0, pending = 0;
  };

  GroupCommitter(TicketStore& store, Options options);
  ~GroupCommitter();  ///< stop()
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  /// Starts the writer and watchdog threads.
  void start();
  /// Commits what is queued if the store takes it (one attempt), then stops the threads. Writes still
  /// queued after that are appended to `spill_path` (those with a `spill`), else lost with the process;
  /// either way the log says how many.
  void stop();

  /// At a start, before the spill file is replayed: moves the lines a killed run left in `keep_path`
  /// to the end of `spill_path` (fsynced), then removes `keep_path`. Returns the lines moved; a last
  /// line cut short by the kill is dropped and logged. Throws nothing (errors are logged; the file is
  /// then left where it is, for the next start).
  static std::size_t adopt_kept(const std::string& keep_path, const std::string& spill_path);

  /// Queues a write. False (and nothing queued, no callback called) when `max_pending` writes are queued
  /// or the committer is stopped: the caller answers without a ticket (503 for a call).
  bool submit(Job job);

  /// False while a queued write is late or the last commit failed: the store is stalled. Readiness
  /// (/readyz, OPTIONS) follows it; true again after the next commit with nothing late.
  bool healthy() const;

  Stats stats() const;

 private:
  using Steady = std::chrono::steady_clock;
  struct Entry {
    Job job;
    Steady::time_point submitted;
    std::uint64_t seq = 0;
    bool kept = false;  // its spill line went to the keeper at submit (the store was known stalled)
  };
  void writer_loop();
  void watchdog_loop();
  void keeper_loop();
  /// Removes this run's lines from keep_path: the file, or back to keep_base_ when an earlier run's
  /// lines (not adopted) are in it.
  void drop_kept_lines();

  TicketStore& store_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable writer_cv_, watchdog_cv_;
  std::deque<Entry> queue_;               // in submit order; the front ones may be in the commit running now
  std::uint64_t next_seq_ = 0;            // seq of the next submitted entry
  std::uint64_t done_upto_ = 0;           // entries with seq below this are committed (or failed)
  std::uint64_t late_upto_ = 0;           // entries with seq below this were told late (or are done)
  bool writer_idle_ = false, watchdog_idle_ = false, stopping_ = false, started_ = false;
  bool writer_gathering_ = false;         // the writer waits out the window: wake it when a batch is full
  std::atomic<bool> healthy_{true};
  Stats stats_;
  std::condition_variable keeper_cv_;
  std::vector<std::function<std::string()>> to_keep_;  // spill lines of writes told late, for the keeper
  bool keep_file_ = false;                             // keep_path holds lines (the keeper wrote some)
  std::uint64_t keep_upto_ = 0;                        // entries with seq below this may have a kept line
  std::uintmax_t keep_base_ = 0;  // the keep file's size at start: lines an earlier run left (not adopted)
  std::thread writer_, watchdog_, keeper_;
};

}  // namespace assist
