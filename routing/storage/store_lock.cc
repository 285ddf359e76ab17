#include "routing/storage/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "routing/storage/ticket_store.h"

namespace assist {

StoreOwnerLock::StoreOwnerLock(const std::string& store_path) {
  if (store_path == ":memory:") return;
  std::error_code ec;
  const auto parent = std::filesystem::path(store_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  // beside the real file: a symlink (or another spelling of the path) to the store meets the same lock
  const auto real = std::filesystem::weakly_canonical(store_path, ec);
  const std::string path = (ec ? store_path : real.string()) + ".lock";
  // a store with two names is refused before anything is created beside it (a lock file left behind by a
  // start that was refused); checked again on the open file below, which no rename can dodge
  refuse_linked_store(ec ? store_path : real.string(), -1);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  created_lock_ = fd_ >= 0;
  if (fd_ < 0 && errno == EEXIST) fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  lock_path_ = path;
  if (fd_ < 0) throw StoreError("cannot open the store's lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw StoreError("another process holds " + path + ": an assistlined is running on this store (one per store)");
    throw StoreError("cannot lock " + path + ": " + std::strerror(err));
  }
  // The database file itself too: a hard link to the store is another path to the same file, with a lock
  // file of its own. flock(2) does not meet SQLite's fcntl(2) locks on Linux; this descriptor stays open
  // until the store is closed (closing it would drop this process's fcntl locks on the file). Created
  // 0600 (narrow_permissions() narrows one found wider, once it has opened as a store).
  const std::string db = ec ? store_path : real.string();
  db_fd_ = ::open(db.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (db_fd_ < 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw StoreError("cannot open the store " + db + ": " + std::strerror(err));
  }
  try {
    refuse_linked_store(db, db_fd_);
  } catch (...) {
    ::close(db_fd_);
    db_fd_ = -1;
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  if (::flock(db_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(db_fd_);
    db_fd_ = -1;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw StoreError("another process holds " + db + " (by another name: a link to it): an assistlined is running "
                       "on this store (one per store)");
    throw StoreError("cannot lock " + db + ": " + std::strerror(err));
  }
  db_ = db;
}

void StoreOwnerLock::narrow_permissions() const {
  if (db_.empty()) return;
  for (const std::string& f : {db_, db_ + "-wal", db_ + "-shm"}) {
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0 && (st.st_mode & 077) != 0) ::chmod(f.c_str(), 0600);
  }
}

void refuse_linked_store(const std::string& path, int fd) {
  struct stat st {};
  const int rc = fd >= 0 ? ::fstat(fd, &st) : ::stat(path.c_str(), &st);
  if (rc != 0) return;  // not there yet: nothing links to it
  if (st.st_nlink > 1)
    throw StoreError("the store " + path + " has " + std::to_string(st.st_nlink) +
                     " names (hard links): SQLite keeps its WAL beside the name it was opened by, so another name "
                     "sees another store and can undo this one's writes; keep one name (a symlink is fine)");
}

void StoreOwnerLock::discard() {
  // unlinked while still held: another start that opened it meanwhile finds it locked and stops
  if (created_lock_ && fd_ >= 0) ::unlink(lock_path_.c_str());
  if (db_fd_ >= 0) ::close(db_fd_);
  if (fd_ >= 0) ::close(fd_);
  db_fd_ = fd_ = -1;
}

StoreOwnerLock::~StoreOwnerLock() {
  if (db_fd_ >= 0) ::close(db_fd_);
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

}  // namespace assist
