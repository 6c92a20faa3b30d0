// Running rfa's programs from tests: exit code and combined output of a command line.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace rfa::test {

// True in the AddressSanitizer build (tools/test's build-asan/), where programs run several times slower and
// shadow memory inflates the resident set.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool SANITIZED = true;
#else
constexpr bool SANITIZED = false;
#endif

struct CommandResult {
  int code = -1;       // exit code (128 + signal number when killed)
  std::string output;  // stdout and stderr together
};

// Runs `<RFA_BIN_DIR>/<program> <args>` through the shell, after `prefix` (say, environment settings).
inline CommandResult run_program(const std::string& program, const std::string& args, const std::string& prefix = "") {
  const std::string cmd = prefix + std::string(RFA_BIN_DIR) + "/" + program + " " + args + " 2>&1";
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// A program started in the background: `<RFA_BIN_DIR>/<program> <args>` through the shell's exec, so that the
// process signalled is the program itself; its output goes to `log`.
struct Spawned {
  pid_t pid = -1;
};
inline Spawned spawn_program(const std::string& program, const std::string& args, const std::string& log,
                             const std::string& prefix = "") {
  const std::string cmd = prefix + "exec " + std::string(RFA_BIN_DIR) + "/" + program + " " + args + " >" + log + " 2>&1";
  Spawned s;
  s.pid = ::fork();
  if (s.pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return s;
}
// Waits for it; its exit code, or 128 + the signal that ended it.
inline int wait_program(const Spawned& s) {
  int status = 0;
  ::waitpid(s.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag)
      : path(std::filesystem::temp_directory_path() / ("rfa_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace rfa::test
