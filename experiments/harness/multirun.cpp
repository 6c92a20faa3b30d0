#include "multirun.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "run.hpp"
#include "run_lock.hpp"

namespace rfa::cli {

void MultiRunFlags::add_to(Args& app) {
  app.flag("--list-runs", list_runs, "print one line per run (index, directory under --out, settings) and exit");
  app.option("--run-only", run_only, "train only run I (see --list-runs) in its directory, resumably", false);
  app.flag("--gather", gather, "build the outputs from the finished runs without training; names any run missing");
  app.option("--jobs", jobs, "train this many runs at once, each in its own process with threads/jobs threads");
}

void MultiRunFlags::add_so_far(Args& app, const std::string& how) {
  app.flag("--gather-so-far", so_far, "like --gather, from every run as far as it has got: " + how);
  for (const char* other : {"--gather", "--list-runs", "--run-only"}) app.excludes("--gather-so-far", other);
}

void MultiRunFlags::apply(const Args& app) {
  run_only_given = app.given("--run-only");
  require_threads("--jobs", jobs);
  if (int(list_runs) + int(gather) + int(run_only_given) > 1)
    throw UsageError("--list-runs, --run-only and --gather are different ways to run: give one of them");
}

namespace {
// Trains the runs not yet finished in child processes of this program (`--run-only I`), `jobs` at a time, each with
// `threads` threads. Returns the indices of those that failed; throws TrainingInterrupted on Ctrl-C / SIGTERM once
// every child has checkpointed and stopped.
std::vector<std::size_t> train_in_children(const std::vector<std::size_t>& todo, int jobs, int threads,
                                           char** argv) {
  std::vector<std::string> base;
  for (char** a = argv; *a; ++a) base.emplace_back(*a);
  std::map<pid_t, std::size_t> running;
  std::vector<std::size_t> failed;
  std::size_t next = 0;
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < static_cast<std::size_t>(jobs) && !stop_requested()) {
      std::vector<std::string> args = base;
      for (const char* extra : {"--run-only", "--threads", "--quiet"}) args.emplace_back(extra);
      args.insert(args.end() - 2, std::to_string(todo[next]));
      args.insert(args.end() - 1, std::to_string(threads));
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error(fmt::format("could not start a process: {}", std::strerror(errno)));
      if (pid == 0) {
        std::vector<char*> c;
        for (std::string& s : args) c.push_back(s.data());
        c.push_back(nullptr);
        ::execv("/proc/self/exe", c.data());
        ::_exit(127);
      }
      running[pid] = todo[next++];
    }
    if (running.empty()) break;  // stopped before every run started
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("waiting for the runs: {}", std::strerror(errno)));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0 && code != EXIT_STOPPED) failed.push_back(it->second);
    running.erase(it);
  }
  if (stop_requested()) throw TrainingInterrupted("stopped; run the same command again to resume every run");
  return failed;
}
}  // namespace

int drive_runs(const MultiRunFlags& flags, CommonFlags& common, const std::vector<RunEntry>& runs,
               const std::function<void(std::size_t)>& train, const std::function<int()>& outputs, char** argv) {
  namespace fs = std::filesystem;
  if (flags.list_runs) {
    for (std::size_t i = 0; i < runs.size(); ++i) fmt::print("{}\t{}\t{}\n", i, runs[i].dir, runs[i].settings);
    return 0;
  }
  if (flags.run_only_given) {
    if (flags.run_only >= runs.size())
      throw UsageError(fmt::format("--run-only must be below {} (the runs of this command; see --list-runs), got {}",
                                   runs.size(), flags.run_only));
    train(flags.run_only);
    return 0;
  }
  DirLock lock(common.out);
  if (flags.so_far) {  // the program reads each run as far as it has got
    common.control.gather = true;
    return outputs();
  }
  if (!flags.gather) {
    if (flags.jobs > 1) {
      std::vector<std::size_t> todo;
      for (std::size_t i = 0; i < runs.size(); ++i)
        if (!fs::exists(common.out + "/" + runs[i].dir + "/run.json")) todo.push_back(i);
      const std::vector<std::size_t> failed =
          train_in_children(todo, flags.jobs, std::max(1, common.threads / flags.jobs), argv);
      if (!failed.empty()) {
        std::string names;
        for (std::size_t i : failed) names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", i, runs[i].dir);
        throw std::runtime_error(fmt::format("{} of {} runs failed: {}; run one alone with --run-only I to see why",
                                             failed.size(), runs.size(), names));
      }
    } else {
      // A finished run is skipped as the children's path skips it (its settings are checked when it is gathered):
      // setting its data and init up again only to find it finished costs seconds a run at the follow-up's sizes.
      for (std::size_t i = 0; i < runs.size(); ++i)
        if (!fs::exists(common.out + "/" + runs[i].dir + "/run.json")) train(i);
    }
  }
  std::string missing;
  std::size_t count = 0;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (!fs::exists(common.out + "/" + runs[i].dir + "/run.json"))
      missing += fmt::format("{}{} ({})", missing.empty() ? "" : ", ", i, runs[i].dir), ++count;
  if (count > 0)
    throw RunIncomplete(fmt::format("{} of {} runs are missing or unfinished: {}; train them first (without "
                                    "--gather, or --run-only I)", count, runs.size(), missing));
  common.control.gather = true;
  return outputs();
}

int MultiRunProgram::run(int argc, char** argv, const std::function<RunPlan()>& plan) {
  flags_.add_to(app_);  // after the program's own flags, so that --help lists those first
  if (!so_far_help_.empty()) flags_.add_so_far(app_, so_far_help_);
  return parse_and_guard(argc, argv, [&] {
    flags_.apply(app_);
    const RunPlan p = plan();  // the program's own checks: a refusal writes nothing
    if (!flags_.list_runs) prepare_out_dir(common_.out);
    const auto t0 = std::chrono::steady_clock::now();
    auto outputs = [&] {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return p.gather(seconds) ? 0 : EXIT_RUN_FAILED;
    };
    return drive_runs(flags_, common_, p.runs, p.train, outputs, argv);
  });
}

}  // namespace rfa::cli
