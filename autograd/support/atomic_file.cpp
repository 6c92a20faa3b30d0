#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rfa {

namespace {

std::string temporary_name(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw FileError(path + ": " + what + ": " + std::strerror(err));
}

// Writes everything to a new temporary file and flushes it to the disk; returns its name. Removes it on failure.
std::string write_temporary(const std::string& path, std::string_view content) {
  const std::string tmp = temporary_name(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot create the file", errno);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "cannot write (the old file, if any, is untouched)", err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "cannot flush to the disk (the old file, if any, is untouched)", err);
  }
  return tmp;
}

void rename_into_place(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "cannot move the finished file into place", err);
  }
  // The rename itself is made durable by flushing the directory that holds it.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view content) {
  rename_into_place(write_temporary(path, content), path);
}

void write_file_atomic_keep(const std::string& path, const std::string& previous, std::string_view content) {
  const std::string tmp = write_temporary(path, content);
  if (std::rename(path.c_str(), previous.c_str()) != 0 && errno != ENOENT) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(previous, "cannot keep the previous file", err);
  }
  rename_into_place(tmp, path);
}

void remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp.") != std::string::npos && entry.is_regular_file(ec)) std::filesystem::remove(entry.path(), ec);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open for reading: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw InputError(path + ": read failed");
  return s.str();
}

}  // namespace rfa
