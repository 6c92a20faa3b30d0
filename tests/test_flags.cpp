// Every program's flags as a user mistypes them, walked from each program's own --help: every numeric flag refuses
// bad values, every refusal reads '<program>: error: ...', thread counts the machine cannot start are refused, and a
// signal stops a program at the largest value of every step-like flag. Nothing here depends on the BLAS kernels, so
// tools/test runs it once per build (suite 'once'), not again on other kernels.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "cli_util.hpp"
#include "common.hpp"

using namespace rfa;
using test::run_program;
namespace fs = std::filesystem;
namespace {
const std::string SMALL = "--n 60 --d 8 --m 6 --n-test 50 --steps 20 --eta 0.1 --threads 1 --quiet";

// The options a program lists in its --help whose value is a number: "--steps UINT=3000 ..." -> ("--steps", "UINT").
std::vector<std::pair<std::string, std::string>> numeric_flags(const std::string& program) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(run_program(program, "--help").output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string flag, type;
    if (!(words >> flag >> type) || flag.rfind("--", 0) != 0) continue;
    type = type.substr(0, type.find('='));
    if (type == "UINT" || type == "INT" || type == "FLOAT" || type == "UINT-LIST" || type == "INT-LIST" ||
        type == "FLOAT-LIST")
      out.emplace_back(flag, type);
  }
  return out;
}

// Every rfa program that the build put beside the tests' programs.
std::vector<std::string> all_programs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(RFA_BIN_DIR)) {
    const std::string name = e.path().filename().string();
    const bool executable = (e.status().permissions() & fs::perms::owner_exec) != fs::perms::none;
    if (name.rfind("rfa-", 0) == 0 && e.is_regular_file() && executable)
      out.push_back(name);
  }
  return out;
}
}  // namespace

TEST_CASE("every program answers --help, and --grad says what the tape differentiates under each method") {
  std::size_t with_grad = 0;
  for (const std::string& p : all_programs()) {
    CAPTURE(p);
    const auto r = run_program(p, "--help");
    CHECK(r.code == 0);
    CHECK(r.output.find("Usage") != std::string::npos);
    if (r.output.find("--grad ") == std::string::npos) continue;
    ++with_grad;
    for (const char* said : {"dL/dW for plain", "dL/dC for rowspace", "dL/df for patterns"})
      CHECK_MESSAGE(r.output.find(said) != std::string::npos, said);
  }
  CHECK(with_grad >= 3);
}

TEST_CASE("every numeric flag of every program refuses negative, fractional, huge, non-finite and empty values") {
  // Generated from each program's own option list (its --help), so a new flag or a new program is covered without
  // editing this test. Each bad value: exit code 2, a message naming the flag (and the value), nothing written.
  // Under the sanitizers a program starts about ten times slower, and this walk of some 800 processes would take
  // most of tools/test's time there: each flag then meets every third of its bad values, rotating, so that every
  // flag and every kind of bad value still passes through the sanitized parsers; the release build tries them all.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
  constexpr std::size_t every = 3;
#else
  constexpr std::size_t every = 1;
#endif
  test::TempDir dir("cli_flags_table");
  const std::vector<std::string> programs = all_programs();
  CHECK(programs.size() >= 8);
  std::size_t tried = 0, pair = 0;
  for (const std::string& p : programs) {
    const auto flags = numeric_flags(p);
    CAPTURE(p);
    CHECK(!flags.empty());
    const std::string help = run_program(p, "--help").output;
    const std::string out = dir / (p + "-never");
    const std::string sink = help.find("--out ") != std::string::npos ? " --out " + out
                             : help.find("--json ") != std::string::npos ? " --json " + out : "";
    for (const auto& [flag, type] : flags) {
      std::vector<std::string> bad = {"-1", "nan", "inf", "", "1e999x"};
      if (type != "FLOAT" && type != "FLOAT-LIST") bad.insert(bad.end(), {"1.5", "99999999999999999999999", "1e3"});
      else bad.insert(bad.end(), {"-inf", "1e999"});
      for (const std::string& v : bad) {
        if (pair++ % every != 0) continue;
        CAPTURE(flag);
        CAPTURE(v);
        const auto r = run_program(p, "'" + flag + "=" + v + "'" + sink);
        ++tried;
        CHECK(r.code == 2);
        CHECK_MESSAGE(r.output.find(flag) != std::string::npos, r.output);
        if (!v.empty()) CHECK_MESSAGE(r.output.find(v) != std::string::npos, r.output);
        // One voice for every refusal, the flag parser's and the program's own checks alike.
        CHECK_MESSAGE(r.output.rfind(p + ": error: ", 0) == 0, r.output);
        CHECK_FALSE(fs::exists(out));
      }
    }
  }
  MESSAGE(tried << " bad values refused");
}

TEST_CASE("every refusal of every program speaks in one voice: '<program>: error: <what>', exit code 2") {
  // The flag parser's refusals (an unknown flag, a missing value, a flag given with one it excludes) and the
  // program's own checks (a bad --profile) read alike.
  std::size_t tried = 0;
  for (const std::string& p : all_programs()) {
    CAPTURE(p);
    const std::string help = run_program(p, "--help").output;
    std::vector<std::string> bad = {"--no-such-flag", "--threads"};  // unknown; a value missing
    if (help.find("--profile ") != std::string::npos) bad.push_back("--profile huge");
    if (help.find("--horizon-flow ") != std::string::npos) bad.push_back("--steps 10 --horizon-flow 5");
    for (const std::string& args : bad) {
      CAPTURE(args);
      const auto r = run_program(p, args);
      ++tried;
      CHECK(r.code == 2);
      CHECK_MESSAGE(r.output.rfind(p + ": error: ", 0) == 0, r.output);
    }
  }
  CHECK(tried >= 30);
}

TEST_CASE("a thread or process count the machine cannot start is refused up front, naming the flag, value and limit") {
  test::TempDir dir("cli_threads");
  std::size_t tried = 0;
  for (const std::string& p : all_programs())
    for (const auto& [flag, type] : numeric_flags(p)) {
      if (flag != "--threads" && flag != "--jobs") continue;
      CAPTURE(p);
      CAPTURE(flag);
      const std::string out = dir / (p + "-never");
      const bool has_out = run_program(p, "--help").output.find("--out ") != std::string::npos;
      const auto r = run_program(p, flag + " 100000" + (has_out ? " --out " + out : ""));
      ++tried;
      CHECK(r.code == 2);
      CHECK_MESSAGE(r.output.rfind(p + ": error: " + flag, 0) == 0, r.output);
      CHECK_MESSAGE(r.output.find("100000") != std::string::npos, r.output);
      CHECK_MESSAGE(r.output.find(std::to_string(cli::MAX_THREADS)) != std::string::npos, r.output);
      CHECK_FALSE(fs::exists(out));
    }
  CHECK(tried >= 10);
}

TEST_CASE("at the largest value of every step-like flag a SIGTERM still stops the program (no overflow, no hang)") {
  // --steps, --stop-at and --dense at 2^64 - 1 once overflowed the evaluation schedule's arithmetic, which then never
  // ended and never looked at the stop flag. Each program is started at the largest value of each such flag (and a
  // horizon in flow time far past any step count), signalled, and must end at once: stopped (130), refused up front
  // (2) or, where the flag only caps a short run, finished (0).
  test::TempDir dir("cli_largest");
  struct Case {
    std::string program, args;
    test::Spawned child;
  };
  std::vector<Case> cases;
  for (const std::string& p : all_programs()) {
    if (p == "rfa-bench" || p == "rfa-gradcheck") continue;  // no training loop
    const std::string help = run_program(p, "--help").output;
    // Each case in a directory of its own.
    auto base = [&] {
      return (help.find("--profile ") != std::string::npos ? "--profile quick " : SMALL + " ") +
             "--threads 1 --quiet --out " + dir / ("run" + std::to_string(cases.size()));
    };
    for (const auto& [flag, type] : numeric_flags(p)) {
      if (flag == "--steps" || flag == "--stop-at" || flag == "--dense")
        cases.push_back({p, base() + " " + flag + " 18446744073709551615", {}});
      if (flag == "--horizon-flow") cases.push_back({p, base() + " " + flag + " 1e300", {}});
    }
  }
  CHECK(cases.size() >= 10);
  for (std::size_t k = 0; k < cases.size(); ++k) {
    cases[k].child = test::spawn_program(cases[k].program, cases[k].args, dir / ("log" + std::to_string(k)));
  }
  // Each is signalled once its --out directory exists: it is then in its main, past installing its stop handlers
  // (a signal before that ends a process the default way, which is not what is tested), and a second later it is
  // in its set-up or its training loop. A program that refuses the value up front ends on its own.
  const auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (const Case& c : cases) {
    const std::string out = c.args.substr(c.args.find("--out ") + 6, c.args.find(' ', c.args.find("--out ") + 6) -
                                                                          c.args.find("--out ") - 6);
    auto running = [&] {  // not yet exited (left waitable: WNOWAIT)
      siginfo_t info{};
      return ::waitid(P_PID, static_cast<id_t>(c.child.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
    };
    while (!fs::exists(out) && running() && std::chrono::steady_clock::now() < ready_by) ::usleep(20000);
  }
  ::sleep(1);
  for (const Case& c : cases) ::kill(c.child.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    CAPTURE(c.program);
    CAPTURE(c.args);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(c.child.pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
      ::usleep(20000);
    if (done == 0) {
      ::kill(c.child.pid, SIGKILL);
      ::waitpid(c.child.pid, &status, 0);
      FAIL_CHECK("still running a minute after SIGTERM");
      continue;
    }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const std::string log = read_file(dir / ("log" + std::to_string(k)));
    CAPTURE(code);
    CHECK_MESSAGE((code == 130 || code == 2 || code == 0), log);
    // Refused means refused for its size, not for a malformed value: the largest value is accepted as a value.
    if (code == 2) CHECK_MESSAGE(log.find("must be a whole number") == std::string::npos, log);
  }
}

