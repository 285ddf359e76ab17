#include "routing/storage/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>
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
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw StoreError("cannot open the store's lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw StoreError("another process holds " + path + ": an assistlined is running on this store (one per store)");
    throw StoreError("cannot lock " + path + ": " + std::strerror(err));
  }
}

StoreOwnerLock::~StoreOwnerLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

}  // namespace assist
