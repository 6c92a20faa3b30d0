// Running rfa's programs from tests: exit code and combined output of a command line.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace rfa::test {

struct CommandResult {
  int code = -1;       // exit code (128 + signal number when killed)
  std::string output;  // stdout and stderr together
};

// Runs `<RFA_BIN_DIR>/<program> <args>` through the shell.
inline CommandResult run_program(const std::string& program, const std::string& args) {
  const std::string cmd = std::string(RFA_BIN_DIR) + "/" + program + " " + args + " 2>&1";
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
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
