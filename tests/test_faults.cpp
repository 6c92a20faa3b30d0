// Faults a long run meets, tested with real processes: Ctrl-C and SIGTERM in every program that trains, kill -9 at
// random moments, two runs into one directory, a full disk, a read-only directory, a damaged checkpoint. In each
// case: a clear message, the right exit code, nothing lost, and a resume that ends with exactly the numbers of an
// uninterrupted run (at the same thread count).
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "atomic_file.hpp"
#include "checkpoint.hpp"
#include "cli_util.hpp"

using namespace rfa;
using test::run_program;
namespace fs = std::filesystem;

namespace {
void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

// Waits (up to 60 s) until `path` exists: the program has started its run.
bool wait_for(const std::string& path) {
  for (int k = 0; k < 6000 && !fs::exists(path); ++k) sleep_seconds(0.01);
  return fs::exists(path);
}

// Waits (up to 60 s) until a checkpoint.rfa exists anywhere under `dir`: a run is past its first periodic checkpoint,
// so it is training (the signal tests below make that come early in the run).
bool wait_for_checkpoint(const std::string& dir) {
  for (int k = 0; k < 6000; ++k) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->path().filename() == "checkpoint.rfa") return true;
    sleep_seconds(0.01);
  }
  return false;
}

bool same_file(const std::string& a, const std::string& b) {
  return fs::exists(a) && fs::exists(b) && read_file(a) == read_file(b);
}

// A program, the arguments of a run long enough to be interrupted (about 1-2 s in a release build), and the files
// whose bytes must come out the same.
struct Case {
  std::string program, args;
  std::vector<std::string> results;
};

const std::vector<Case> TRAINING_PROGRAMS = {
    {"rfa-train", "--n 2000 --d 40 --m 60 --steps 1500", {"metrics.csv", "W.npy"}},
    {"rfa-fig1", "--profile quick --steps 4000", {"metrics.csv", "grid.csv", "W.npy"}},
    {"rfa-fig2", "--profile quick --steps 2500", {"high.csv", "low.csv", "high/seed-1/metrics.csv", "low/seed-1/metrics.csv"}},
    {"rfa-amplification", "--profile quick --steps 2000", {"fig2/amplification.csv", "theory/amplification.csv"}},
    {"rfa-linear", "--profile quick --steps 25000", {"linear.csv", "fig1-bias/metrics.csv"}},
    {"rfa-sweep", "--profile quick --steps 250", {"paper/metrics.csv", "dtype=f32/metrics.csv"}},
    {"rfa-jump", "--profile quick --omega2 1 --alpha 0.0003 --max-steps 100000", {"1,0.0003/metrics.csv"}},
    {"rfa-grouping", "--profile quick --steps 5000", {"grouping.csv", "run/metrics.csv"}},
    {"rfa-scale", "--profile quick --n 250 --seeds 1 --steps 30000", {"scale.csv", "250x15-f64/seed-1/metrics.csv"}},
    {"rfa-grokking", "--profile quick --runs 2", {"grokking.csv", "alpha=1e-16/f64-seed-2/metrics.csv"}},
    {"rfa-both", "--profile quick --steps 2500", {"both.csv", "fig1-both/metrics.csv", "fig2-both/metrics.csv"}},
    {"rfa-grokking-timing", "--profile quick --variants step-x1.8", {"timing.csv", "step-x1.8/seed-2/metrics.csv"}},
    {"rfa-phase", "--profile quick --n 1000 --ratios 0.06 --seeds 1 --horizon-flow 30000", {"phase.csv", "1000x60-alpha10/seed-1/metrics.csv"}},
};

std::string command(const Case& c, const std::string& out) { return c.args + " --threads 1 --quiet --out " + out; }

// Every result file of c in `out` has the bytes of the same file in `whole`.
void check_same_results(const Case& c, const std::string& out, const std::string& whole) {
  for (const std::string& f : c.results) CHECK_MESSAGE(same_file(out + "/" + f, whole + "/" + f), f);
}

// rfa-train run whole into dir/whole and stopped at step 100 into dir/run: the set-up of the fault tests below.
struct StoppedRun {
  const Case& c = TRAINING_PROGRAMS[0];
  std::string whole, out;
  explicit StoppedRun(const test::TempDir& dir) : whole(dir / "whole"), out(dir / "run") {
    REQUIRE(run_program(c.program, command(c, whole)).code == 0);
    REQUIRE(run_program(c.program, command(c, out) + " --stop-at 100").code == 130);
  }
  test::CommandResult again(const std::string& extra = "") const { return run_program(c.program, command(c, out) + extra); }
  // Runs to the end and checks that the results are the uninterrupted run's.
  void finish() const {
    REQUIRE(again().code == 0);
    check_same_results(c, out, whole);
  }
};
}  // namespace

// Ctrl-C and SIGTERM in the programs of TRAINING_PROGRAMS[first, last): a checkpoint, exit 130, and a resume to the
// same numbers.
static void check_signals(std::size_t first, std::size_t last) {
  test::TempDir dir("signals");
  for (std::size_t k = first; k < last; ++k) {
    const Case& c = TRAINING_PROGRAMS[k];
    // Under the sanitizers the programs run several times slower; there the stop path is checked for one program
    // of each kind (a single run, and runs of a multi-run program), and the release build checks them all.
    if (test::SANITIZED && c.program != "rfa-train" && c.program != "rfa-fig2") continue;
    CAPTURE(c.program);
    const std::string whole = dir / (c.program + "-whole");
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(run_program(c.program, command(c, whole)).code == 0);
    // The first periodic checkpoint comes after a tenth of the uninterrupted run's time on this machine, so the
    // signal lands mid-run on a faster or slower machine alike.
    const double length = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string every = " --checkpoint-seconds " + std::to_string(0.1 * length);
    for (int sig : {SIGINT, SIGTERM}) {
      CAPTURE(sig);
      const std::string out = dir / (c.program + "-" + std::to_string(sig));
      const auto p = test::spawn_program(c.program, command(c, out) + every, dir / "log");
      REQUIRE(wait_for_checkpoint(out));
      ::kill(p.pid, sig);
      const int code = test::wait_program(p);
      INFO(read_file(dir / "log"));
      CHECK(code == 130);
      bool checkpointed = false;
      for (const auto& e : fs::recursive_directory_iterator(out)) checkpointed |= e.path().filename() == "checkpoint.rfa";
      CHECK(checkpointed);
      REQUIRE(run_program(c.program, command(c, out)).code == 0);
      check_same_results(c, out, whole);
    }
  }
}

// In two test cases of about equal length, so that they run side by side (tests/meson.build's shards).
TEST_CASE("Ctrl-C and SIGTERM in every program that trains (the first six): a checkpoint, exit 130, a resume to the same numbers") {
  check_signals(0, 6);
}
TEST_CASE("Ctrl-C and SIGTERM in every program that trains (the rest): a checkpoint, exit 130, a resume to the same numbers") {
  check_signals(6, TRAINING_PROGRAMS.size());
}

TEST_CASE("kill -9 at random moments, ten times, then a resume: the uninterrupted run's bytes") {
  test::TempDir dir("kill_soak");
  std::mt19937 rng(20261129);  // fixed, so that a failure can be replayed
  // Runs of about 3.5 s here. Each kill comes after 1.5-8% of the time the uninterrupted run took on this
  // machine, so the ten together stay short of its length on a faster or slower machine alike: all land mid-run.
  const std::vector<Case> cases = {{"rfa-train", "--n 2000 --d 40 --m 60 --steps 5000", {"metrics.csv", "W.npy"}},
                                   {"rfa-fig2", "--profile quick --steps 9000", TRAINING_PROGRAMS[2].results}};
  for (const Case& c : cases) {
    CAPTURE(c.program);
    const std::string whole = dir / (c.program + "-whole"), out = dir / (c.program + "-killed");
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(run_program(c.program, command(c, whole)).code == 0);
    const double length = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string args = command(c, out) + " --checkpoint-seconds 0.1";
    int killed_mid_run = 0;
    for (int k = 0; k < 10; ++k) {
      const auto p = test::spawn_program(c.program, args, dir / "log");
      sleep_seconds(std::uniform_real_distribution<double>(0.015, 0.08)(rng) * length);
      ::kill(p.pid, SIGKILL);
      killed_mid_run += test::wait_program(p) == 128 + SIGKILL;
    }
    CHECK(killed_mid_run == 10);
    REQUIRE(run_program(c.program, args).code == 0);
    check_same_results(c, out, whole);
  }
}

TEST_CASE("one run per output directory: a second run is refused at once, a dead holder does not block") {
  test::TempDir dir("lock");
  const std::string out = dir / "run", args = command(TRAINING_PROGRAMS[0], out);
  const auto first = test::spawn_program("rfa-train", args, dir / "log");
  REQUIRE(wait_for(out + "/.rfa-lock"));
  sleep_seconds(0.2);
  const auto second = run_program("rfa-train", args);
  CHECK(second.code == 2);
  CHECK(second.output.find(out + " is in use by another rfa run (pid " + std::to_string(first.pid) + ")") !=
        std::string::npos);
  ::kill(first.pid, SIGKILL);
  test::wait_program(first);
  const auto third = run_program("rfa-train", args);
  CHECK(third.code == 0);
  // A multi-run program holds its top directory too.
  const auto fig2 = test::spawn_program("rfa-fig2", command(TRAINING_PROGRAMS[2], dir / "fig2"), dir / "log2");
  REQUIRE(wait_for(dir / "fig2/.rfa-lock"));
  sleep_seconds(0.2);
  const auto busy = run_program("rfa-fig2", command(TRAINING_PROGRAMS[2], dir / "fig2"));
  CHECK(busy.code == 2);
  CHECK(busy.output.find("is in use by another rfa run") != std::string::npos);
  test::wait_program(fig2);
}

TEST_CASE("rfa-scale --gather-so-far reads a run still under way, beside it") {
  test::TempDir dir("so-far-live");
  const std::string base = "--profile quick --n 250 --seeds 1 --steps 100000000 --threads 1 --out " + dir / "s";
  const auto run = test::spawn_program("rfa-scale", base + " --run-only 0 --checkpoint-seconds 0.1", dir / "log");
  REQUIRE(wait_for_checkpoint(dir / "s/250x15-f64/seed-1"));
  const auto gathered = run_program("rfa-scale", base + " --gather-so-far");
  CHECK_MESSAGE(gathered.code == 0, gathered.output);
  CHECK(read_file(dir / "s/section.md").find("| (250, 15) | f64 | 0.1 | 1 |") != std::string::npos);
  ::kill(run.pid, SIGTERM);
  CHECK(test::wait_program(run) == 130);
}

TEST_CASE("a full disk: a clear error naming the file, the last checkpoint intact, and a resume with space") {
  test::TempDir dir("full");
  const StoppedRun run(dir);
  const std::string& out = run.out;
  const std::string before = read_file(out + "/checkpoint.rfa");
  // RLIMIT_FSIZE of 16 KiB: the next checkpoint (about 31 KiB) cannot be written, as on a full disk.
  const auto p = test::spawn_program(run.c.program, command(run.c, out) + " --checkpoint-seconds 0.1", dir / "log",
                                     "ulimit -f 16; ");
  const int code = test::wait_program(p);
  const std::string log = read_file(dir / "log");
  INFO(log);
  CHECK(code == 1);
  CHECK(log.find(out + "/checkpoint.rfa: cannot write") != std::string::npos);
  CHECK(log.find("File too large") != std::string::npos);
  CHECK(read_file(out + "/checkpoint.rfa") == before);
  CHECK(parse_checkpoint(before, "checkpoint").step == 100);
  CHECK_FALSE(fs::exists(out + "/metrics.csv"));
  run.finish();
}

TEST_CASE("a read-only output directory: a clear error naming the file, earlier results intact, a resume later") {
  test::TempDir dir("readonly");
  const StoppedRun run(dir);
  const std::string& out = run.out;
  const std::string before = read_file(out + "/checkpoint.rfa");
  // A read-only bind mount of the directory onto itself (root only); as another user, its mode bits do the same.
  const bool mounted = std::system(("mount --bind " + out + " " + out + " 2>/dev/null && mount -o remount,ro,bind " +
                                    out + " " + out + " 2>/dev/null").c_str()) == 0;
  if (!mounted) {
    std::system(("umount " + out + " 2>/dev/null").c_str());
    if (::geteuid() == 0) {
      MESSAGE("skipped: cannot mount a read-only directory here, and root ignores mode bits");
      return;
    }
    fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec);
  }
  const auto r = run.again();
  if (mounted) std::system(("umount " + out).c_str());
  else fs::permissions(out, fs::perms::owner_all);
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find(out + "/") != std::string::npos);
  CHECK((r.output.find("Read-only file system") != std::string::npos ||
         r.output.find("Permission denied") != std::string::npos));
  CHECK(read_file(out + "/checkpoint.rfa") == before);
  run.finish();
}

TEST_CASE("a damaged checkpoint: the previous one is used; with none to fall back to, the run is refused") {
  test::TempDir dir("damaged");
  const StoppedRun run(dir);
  const Case& c = run.c;
  const std::string& out = run.out;
  REQUIRE(run.again(" --stop-at 200").code == 130);
  std::string bytes = read_file(out + "/checkpoint.rfa");
  bytes[bytes.size() / 2] ^= 0x10;  // one bit, inside W
  write_file_atomic(out + "/checkpoint.rfa", bytes);
  const auto r = run.again();
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output.find("resuming from the previous checkpoint") != std::string::npos);
  CHECK(r.output.find("checksum does not match") != std::string::npos);
  check_same_results(c, out, run.whole);

  const std::string lone = dir / "lone";
  REQUIRE(run_program(c.program, command(c, lone) + " --stop-at 100").code == 130);
  bytes = read_file(lone + "/checkpoint.rfa");
  bytes[40] ^= 0x01;  // in the header
  write_file_atomic(lone + "/checkpoint.rfa", bytes);
  const auto refused = run_program(c.program, command(c, lone));
  CHECK(refused.code == 2);
  CHECK(refused.output.find(lone + "/checkpoint.rfa: unusable checkpoint") != std::string::npos);
  CHECK_FALSE(fs::exists(lone + "/metrics.csv"));
}
