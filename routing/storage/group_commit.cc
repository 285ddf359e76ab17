#include "routing/storage/group_commit.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <vector>

#include "routing/common/log_limit.h"

namespace assist {

namespace {

/// Appends `lines` to `path` (created 0600) and fdatasyncs it; a line an earlier writer left half-written
/// at its end stays its own line. False with errno's text in `err`.
bool append_synced(const std::string& path, std::string lines, std::string& err) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  struct stat st {};
  if (ok && ::fstat(fd, &st) == 0 && st.st_size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') lines.insert(lines.begin(), '\n');
  }
  for (std::size_t off = 0; ok && off < lines.size();) {
    const auto n = ::write(fd, lines.data() + off, lines.size() - off);
    if (n <= 0) ok = false;
    else off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fdatasync(fd) == 0;
  if (!ok) err = std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return ok;
}

}  // namespace

GroupCommitter::GroupCommitter(TicketStore& store, Options options) : store_(store), options_(options) {}

GroupCommitter::~GroupCommitter() { stop(); }

void GroupCommitter::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "assist-commit");
    writer_loop();
  });
  watchdog_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "assist-stall");
    watchdog_loop();
  });
  if (!options_.keep_path.empty()) {
    // A file an earlier run left that could not be adopted keeps its lines: only ours are dropped.
    struct stat st {};
    keep_base_ = ::stat(options_.keep_path.c_str(), &st) == 0 ? static_cast<std::uintmax_t>(st.st_size) : 0;
    keeper_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "assist-keep");
      keeper_loop();
    });
  }
}

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  writer_cv_.notify_all();
  watchdog_cv_.notify_all();
  keeper_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (watchdog_.joinable()) watchdog_.join();
  if (keeper_.joinable()) keeper_.join();
  std::lock_guard lock(mu_);
  // The keep file's lines are now committed, or in the queue that is spilled below: it goes once that
  // spill is safe (with nothing queued, at once).
  auto drop_keep_file = [&] {
    if (keep_file_) drop_kept_lines();
    keep_file_ = false;
  };
  if (queue_.empty()) {
    drop_keep_file();
    return;
  }
  std::string lines;
  std::size_t kept = 0, on_disk = 0;
  for (const auto& e : queue_) {
    if (e.job.on_disk) {  // replayed: its line is still in the spill file
      ++on_disk;
      continue;
    }
    if (!e.job.spill) continue;
    lines += e.job.spill();
    lines += '\n';
    ++kept;
  }
  const std::size_t lost = queue_.size() - kept - on_disk;
  const std::string replayed =
      on_disk ? "; " + std::to_string(on_disk) + " replayed ones stay in " + options_.spill_path : "";
  if (kept == 0 && lost == 0) {
    spdlog::warn("store: stopping with {} replayed call tickets not committed{}", on_disk, replayed);
    drop_keep_file();
    return;
  }
  if (kept > 0 && !options_.spill_path.empty()) {
    std::string err;  // appended and fsynced: the file is the only copy of these tickets
    if (append_synced(options_.spill_path, lines, err)) {
      spdlog::warn("store: stopping with {} call tickets not committed; kept in {}: they are written at the next "
                   "start{}{}",
                   kept, options_.spill_path, lost ? " (" + std::to_string(lost) + " other writes lost)" : "",
                   replayed);
      drop_keep_file();
      return;
    }
    spdlog::error("store: cannot keep {} call tickets in {}: {}", kept, options_.spill_path, err);
  }
  spdlog::error("store: stopping with {} call writes not committed (the store did not take them): lost{}",
                queue_.size() - on_disk, replayed);
}

bool GroupCommitter::submit(Job job) {
  bool wake_writer = false, wake_watchdog = false, wake_keeper = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !started_ || queue_.size() >= options_.max_pending) {
      ++stats_.refused;
      return false;
    }
    // Known stalled: the caller answers at once, so its line is kept at once, not after the stall time.
    const bool keep_now = !healthy_.load() && !options_.keep_path.empty() && job.spill && !job.on_disk;
    if (keep_now) {
      to_keep_.push_back(job.spill);
      keep_upto_ = next_seq_ + 1;
    }
    wake_keeper = keep_now;
    queue_.push_back(Entry{std::move(job), Steady::now(), next_seq_++, keep_now});
    ++stats_.submitted;
    wake_writer = writer_idle_ || (writer_gathering_ && queue_.size() >= options_.max_batch);
    wake_watchdog = watchdog_idle_;
    writer_idle_ = watchdog_idle_ = false;
  }
  // Under load the writer is busy committing and takes what gathered without being woken: no syscall.
  if (wake_writer) writer_cv_.notify_one();
  if (wake_watchdog) watchdog_cv_.notify_one();
  if (wake_keeper) keeper_cv_.notify_one();
  return true;
}

bool GroupCommitter::healthy() const { return healthy_.load(std::memory_order_relaxed); }

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.pending = queue_.size();
  return s;
}

void GroupCommitter::writer_loop() {
  std::vector<Entry*> batch;
  std::vector<Entry> finished;
  LogLimit fault_log;  // a commit that failed, said once a 10 s
  auto last_commit = Steady::time_point{};
  std::uint64_t late_told_at_recovery = 0;  // stats_.late when the store last recovered
  std::unique_lock lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) return;
      writer_idle_ = true;
      writer_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      writer_idle_ = false;
      continue;
    }
    // Calls are arriving: let more gather, up to `window` after the oldest queued one.
    if (options_.window.count() > 0 && !stopping_ && healthy_.load() && queue_.size() < options_.max_batch &&
        Steady::now() - last_commit < options_.window) {
      const auto until = queue_.front().submitted + options_.window;
      writer_gathering_ = true;
      writer_cv_.wait_until(lock, until, [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      writer_gathering_ = false;
    }
    const bool last_try = stopping_;
    // The front entries stay in the deque (push_back does not move them) while the batch commits.
    batch.clear();
    const std::size_t n = std::min(queue_.size(), options_.max_batch);
    for (std::size_t i = 0; i < n; ++i) batch.push_back(&queue_[i]);
    lock.unlock();

    std::vector<std::exception_ptr> errors;
    std::string fault;
    try {
      errors = store_.transact_batch(n, [&](std::size_t i, WriteTx& tx) { batch[i]->job.write(tx); });
    } catch (const std::exception& e) {
      fault = e.what();
    }

    lock.lock();
    if (!fault.empty()) {
      ++stats_.store_faults;
      healthy_.store(false);
      if (const auto failures = fault_log.note(Steady::now()))
        spdlog::error("store: cannot commit {} queued call writes ({}); keeping them and trying again{}", queue_.size(),
                      fault, failures > 1 ? " (" + std::to_string(failures - 1) + " more failures not logged)" : "");
      if (last_try) return;
      writer_cv_.wait_for(lock, options_.retry, [&] { return stopping_; });
      continue;
    }
    last_commit = Steady::now();
    ++stats_.batches;
    stats_.largest_batch = std::max(stats_.largest_batch, n);
    done_upto_ += n;
    late_upto_ = std::max(late_upto_, done_upto_);
    finished.clear();
    for (std::size_t i = 0; i < n; ++i) {
      finished.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    const std::size_t failed = std::count_if(errors.begin(), errors.end(), [](const auto& e) { return bool(e); });
    stats_.committed += n - failed;
    stats_.failed += failed;
    const bool recovered = !healthy_.load();
    const bool wake_keeper = keep_file_ && keep_upto_ <= done_upto_;
    // healthy again when nothing still queued has been told late
    const bool none_late = late_upto_ <= done_upto_;
    if (none_late) healthy_.store(true);
    const std::uint64_t late_written = stats_.late - late_told_at_recovery;
    if (recovered && none_late) late_told_at_recovery = stats_.late;
    lock.unlock();
    if (wake_keeper) keeper_cv_.notify_one();
    if (recovered && none_late)
      spdlog::warn("store: commits again; the tickets of the {} calls redirected without a ticket id while it was "
                   "stalled are written; readiness restored",
                   late_written);
    for (std::size_t i = 0; i < n; ++i) {
      if (errors[i]) {
        try {
          std::rethrow_exception(errors[i]);
        } catch (const std::exception& e) {
          spdlog::error("store: a call write failed and was not written: {}", e.what());
        } catch (...) {
        }
      }
      if (finished[i].job.done) finished[i].job.done(errors[i]);
    }
    lock.lock();
  }
}


void GroupCommitter::drop_kept_lines() {
  if (keep_base_ == 0) {
    if (::unlink(options_.keep_path.c_str()) != 0 && errno != ENOENT)
      spdlog::error("store: cannot remove {}: {}", options_.keep_path, std::strerror(errno));
  } else if (::truncate(options_.keep_path.c_str(), static_cast<off_t>(keep_base_)) != 0) {
    spdlog::error("store: cannot cut {} back to the lines an earlier run left: {}", options_.keep_path,
                  std::strerror(errno));
  }
}

void GroupCommitter::keeper_loop() {
  std::unique_lock lock(mu_);
  std::vector<std::function<std::string()>> batch;
  LogLimit unkept_log;  // late calls not kept on disk, said once a 10 s with how many
  for (;;) {
    keeper_cv_.wait(lock, [&] {
      return stopping_ || !to_keep_.empty() || (keep_file_ && keep_upto_ <= done_upto_);
    });
    if (stopping_) return;  // stop() settles the file with the queue it spills
    if (to_keep_.empty()) {
      // every write with a kept line is committed and nothing waits to be kept: the file has done its work
      // (dropped without the lock: submit never waits on the file system; only this thread writes it)
      keep_file_ = false;
      lock.unlock();
      drop_kept_lines();
      lock.lock();
      continue;
    }
    batch.clear();
    batch.swap(to_keep_);
    lock.unlock();
    std::string lines;
    for (const auto& spill : batch) {
      lines += spill();
      lines += '\n';
    }
    std::string err;
    // On a disk that is itself stalled this waits here, not on the calls: they are answered already.
    const bool ok = append_synced(options_.keep_path, lines, err);
    if (!ok) {
      // a full disk fails every append: one line a 10 s, with how many were not kept since the last
      if (const auto unkept = unkept_log.note(Steady::now(), batch.size()))
        spdlog::error("store: cannot keep {} late call tickets in {}: {}; they stay in memory only", unkept,
                      options_.keep_path, err);
    }
    lock.lock();
    if (ok) keep_file_ = true;
  }
}

std::size_t GroupCommitter::adopt_kept(const std::string& keep_path, const std::string& spill_path) {
  std::ifstream in(keep_path, std::ios::binary);
  if (!in) return 0;  // none: the usual case
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const bool cut = !text.empty() && text.back() != '\n';  // the kill came in the middle of a line
  if (cut) {
    const auto last = text.find_last_of('\n');
    text.erase(last == std::string::npos ? 0 : last + 1);
  }
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  if (!text.empty()) {
    std::string err;
    if (!append_synced(spill_path, text, err)) {
      spdlog::error("store: cannot move the late call tickets of {} into {}: {}; left for the next start", keep_path,
                    spill_path, err);
      return 0;
    }
  }
  if (::unlink(keep_path.c_str()) != 0)
    spdlog::error("store: cannot remove {}: {} (its lines are in {} too: written once)", keep_path,
                  std::strerror(errno), spill_path);
  spdlog::warn("store: the previous run was stopped during a stall; {} call tickets it kept in {} are moved to {} "
               "and written as soon as the store commits{}",
               lines, keep_path, spill_path, cut ? " (a last line cut short by the stop is dropped)" : "");
  return lines;
}

void GroupCommitter::watchdog_loop() {
  std::vector<std::function<void()>> lates;
  LogLimit stall_log;  // a flapping store must not flood the log
  std::unique_lock lock(mu_);
  while (!stopping_) {
    late_upto_ = std::max(late_upto_, done_upto_);
    if (late_upto_ >= next_seq_) {  // every queued write is committed or already told late
      watchdog_idle_ = true;
      watchdog_cv_.wait(lock);
      watchdog_idle_ = false;
      continue;
    }
    const auto now = Steady::now();
    const auto due = queue_[late_upto_ - done_upto_].submitted + options_.stall;
    if (now < due) {
      watchdog_cv_.wait_until(lock, due);
      continue;
    }
    lates.clear();
    while (late_upto_ < next_seq_) {
      const Entry& e = queue_[late_upto_ - done_upto_];
      if (e.submitted + options_.stall > now) break;
      if (e.job.late) lates.push_back(e.job.late);
      if (e.job.spill && !e.job.on_disk && !e.kept && !options_.keep_path.empty()) {
        to_keep_.push_back(e.job.spill);
        keep_upto_ = std::max(keep_upto_, e.seq + 1);
      }
      ++late_upto_;
      ++stats_.late;
    }
    const bool first = healthy_.exchange(false) && stall_log.note(now) > 0;
    const auto pending = queue_.size();
    const bool keep = !to_keep_.empty();
    lock.unlock();
    if (keep) keeper_cv_.notify_one();
    if (first)  // at most one line a 10 s: a store that flaps must not flood the log
      spdlog::error("store: stalled, no commit within {} ms; calls are redirected without a ticket id and their "
                    "tickets kept in memory ({} queued); not ready until it commits",
                    options_.stall.count(), pending);
    for (auto& f : lates) f();
    lock.lock();
  }
}

}  // namespace assist
