// Running rfa's programs from tests: exit code and combined output of a command line.
#pragma once

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
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

// Starts `sh -c cmd` as a child that dies with this test process (PR_SET_PDEATHSIG, kept across exec): a test
// that meson kills at its timeout leaves no program running on. cmd must exec the program itself, so that the
// signal reaches the program and not only the shell. With out_fd >= 0 the child's stdout and stderr go there.
inline pid_t start_child(const std::string& cmd, int out_fd) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the test died before the line above took effect
    if (out_fd >= 0) ::dup2(out_fd, 1), ::dup2(out_fd, 2);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Waits for a child; its exit code, or 128 + the signal that ended it.
inline int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `<RFA_BIN_DIR>/<program> <args>` through the shell, after `prefix` (environment settings, or shell commands
// ending in "; ").
inline CommandResult run_program(const std::string& program, const std::string& args, const std::string& prefix = "") {
  const std::string cmd = prefix + "exec " + std::string(RFA_BIN_DIR) + "/" + program + " " + args;
  CommandResult r;
  int fds[2];
  if (::pipe(fds) != 0) return r;
  const pid_t pid = start_child(cmd, fds[1]);
  ::close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;)
    if (n > 0) r.output.append(buf, static_cast<std::size_t>(n));
    else if (errno != EINTR) break;
  ::close(fds[0]);
  r.code = pid < 0 ? -1 : wait_child(pid);
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
  return Spawned{start_child(cmd, -1)};
}
// Waits for it; its exit code, or 128 + the signal that ended it.
inline int wait_program(const Spawned& s) { return wait_child(s.pid); }

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
