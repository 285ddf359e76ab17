#pragma once
// One daemon per store: `<store path>.lock` beside the real file (symlinks resolved) and the database
// file itself (a hard link is another path to it), held with flock(2) for the life of the process (the kernel drops it at exit, even on SIGKILL). The write path counts on
// it: its key filters and sequences assume that no other process opens tickets or links calls in the
// store (SqliteTicketStore, WriteMemory).
#include <string>

namespace assist {

/// Throws StoreError when the store file at `path` (or open as `fd`, when >= 0) has more than one name (a
/// hard link): SQLite names its WAL after the path it opened, so two names are two stores over one file.
/// A missing file passes.
void refuse_linked_store(const std::string& path, int fd = -1);

class StoreOwnerLock {
 public:
  /// Takes the lock without waiting. Throws StoreError naming the lock file when another process holds
  /// it (a daemon on this store) or it cannot be opened. ":memory:" takes nothing. Creates the database
  /// file 0600 when missing.
  explicit StoreOwnerLock(const std::string& store_path);
  ~StoreOwnerLock();
  /// Narrows the database and its WAL files to 0600 when wider (the store holds numbers in full). Called
  /// once the file has opened as a store: another program's file that is refused keeps its mode.
  void narrow_permissions() const;
  /// For a start that failed after the lock was taken (the file is not a store): removes the lock file when
  /// this process created it, so nothing of ours is left beside another program's file. Releases the lock.
  void discard();
  StoreOwnerLock(const StoreOwnerLock&) = delete;
  StoreOwnerLock& operator=(const StoreOwnerLock&) = delete;

 private:
  int fd_ = -1, db_fd_ = -1;
  std::string db_;         // the database file's real path ("" for ":memory:")
  std::string lock_path_;  // the lock file, and whether this process created it
  bool created_lock_ = false;
};

}  // namespace assist
