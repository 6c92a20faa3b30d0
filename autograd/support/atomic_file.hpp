// Result files that are either complete or absent: writes go to a temporary file beside the target, which
// is renamed over it only once everything was written and flushed. A crash, a kill or a full disk leaves the
// old file (or none), never half of a new one.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rfa {

struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AtomicFile {
 public:
  // Opens "<path>.tmp.<pid>" for writing (binary); throws FileError naming the path when it cannot.
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();

  std::ostream& stream() { return out_; }
  // Flushes, checks that every write succeeded, and renames the temporary file onto the target.
  void commit();

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Writes `content` to `path` atomically.
void write_file_atomic(const std::string& path, std::string_view content);

// The whole content of a file; throws FileError naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace rfa
