// One run per output directory. A run holds an advisory lock (flock) on "<dir>/.rfa-lock" for its whole life; a
// second run into the same directory is refused at once, naming the holder's process id. The kernel releases the
// lock when its holder exits in any way (kill -9 included), so a dead holder never blocks anyone.
#pragma once

#include <string>

#include "errors.hpp"

namespace rfa {

// Another live process holds the directory: bad input in the sense that the user chose a busy directory.
struct LockError : InputError {
  using InputError::InputError;
};

class DirLock {
 public:
  // Locks `dir` (which must exist) and removes the temporary files a killed run left there. Throws LockError when
  // another process holds it, FileError when the lock file cannot be made.
  explicit DirLock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace rfa
