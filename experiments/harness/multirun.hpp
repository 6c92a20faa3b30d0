// The shape every program made of independent runs shares (rfa-fig2 and rfa-both over seeds, rfa-scale over sizes,
// step sizes and seeds, rfa-sweep over variants, rfa-jump over a grid, rfa-grokking over step sizes and seeds), so that its runs can be spread over processes or over a cluster's job array:
//   --list-runs     one line per run: its index, its directory under --out and its settings; nothing else
//   --run-only I    trains run I alone in its directory (resumable; a finished run is a no-op)
//   --gather        builds the program's outputs from the finished runs without training, and names every run
//                   that is missing or unfinished
//   --gather-so-far the same from every run as far as it has got, for programs whose outputs read stopped runs
//                   (rfa-fig2, rfa-scale: add_so_far)
//   (neither)       trains every run, then gathers (the program's outputs are the same as after --gather);
//                   --jobs N trains N runs at once, each in a child process with threads / N threads
// A run's directory holds its checkpoint, metrics.csv and run.json; run.json appears when the run has finished.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "args.hpp"
#include "program.hpp"
#include "run.hpp"

namespace rfa::cli {

struct RunEntry {
  std::string dir;       // under --out
  std::string settings;  // one line
};

struct MultiRunFlags {
  bool list_runs = false, gather = false, so_far = false;
  std::size_t run_only = 0;
  bool run_only_given = false;
  int jobs = 1;
  void add_to(Args& app);
  // Offers --gather-so-far (into so_far); `how` ends its help, saying how the program counts a stopped run.
  void add_so_far(Args& app, const std::string& how);
  // Checks the values once parsed (run_only_given from app.given("--run-only")). Throws UsageError.
  void apply(const Args& app);
};

// What a multi-run program declares once its own flags are checked: its runs, how to train run i in its directory
// (resumably), and how to build its outputs (tables, figures, its report part) from every run, where `seconds` is
// this session's wall time so far. `gather` returns false when a figure could not be drawn (exit code 1).
struct RunPlan {
  std::vector<RunEntry> runs;
  std::function<void(std::size_t)> train;
  std::function<bool(double seconds)> gather;
};

// The whole life of a multi-run program, so that its main() declares its flags, its runs, its gather and its report
// and nothing else:
//   MultiRunProgram prog(argv, "rfa-x", ABOUT, o.common, "results/x", "quick (...) or default (...)");
//   prog.app().option("--seeds", o.seeds, "...");       // the program's own flags
//   return prog.run(argc, argv, [&] { check(o); return RunPlan{entries, train, gather}; });
// The constructor is Program's. run() adds the multi-run flags, parses, checks the common and multi-run flags, calls
// `plan` (which checks the program's own flags and may throw UsageError: nothing is written yet), creates --out, and
// then lists, trains and gathers as the flags say (drive_runs; it locks --out, or with --run-only the run's
// directory only). Exceptions become exit codes as in guarded_main.
class MultiRunProgram : public Program {
 public:
  using Program::Program;
  // Offers --gather-so-far; `how` says how the program counts a stopped run (MultiRunFlags::add_so_far).
  void offer_so_far(const std::string& how) { so_far_help_ = how; }
  // Whether --gather-so-far was given (once parsed: inside `plan`).
  bool so_far() const { return flags_.so_far; }
  int run(int argc, char** argv, const std::function<RunPlan()>& plan);

 private:
  MultiRunFlags flags_;
  std::string so_far_help_;
};

// The groups of runs (panels, sizes) that have at least one started run, read by `read(key)` (nothing when none of
// the group's runs has started), and the names of those that have none, for a --gather-so-far that names what it
// left out. Throws RunIncomplete when no group has started.
template <class Group>
struct Started {
  std::vector<Group> groups;
  std::string not_started;  // "high, low": the names of the groups without a started run
};
template <class Key, class Read, class Name>
auto read_started(const std::vector<Key>& keys, Read read, Name name, const std::string& out) {
  Started<typename std::invoke_result_t<Read, const Key&>::value_type> s;
  for (const Key& k : keys)
    if (auto g = read(k)) s.groups.push_back(std::move(*g));
    else s.not_started += (s.not_started.empty() ? "" : ", ") + std::string(name(k));
  if (s.groups.empty()) throw RunIncomplete("no run of this command has started in " + out + "; nothing to gather");
  return s;
}

// Runs the program's runs as the flags say. `train(i)` trains run i in its directory (resumably); `outputs()`
// writes the program's outputs, reading every run (common.control.gather is then set, so no run trains) and returns
// the exit code. The top directory (--out) is locked while outputs are built, and while all runs train in this
// process; --run-only locks only its run's directory, so that the tasks of a job array run side by side.
int drive_runs(const MultiRunFlags& flags, CommonFlags& common, const std::vector<RunEntry>& runs,
               const std::function<void(std::size_t)>& train, const std::function<int()>& outputs, char** argv);

}  // namespace rfa::cli
