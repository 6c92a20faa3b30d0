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
#include <vector>

#include "args.hpp"
#include "program.hpp"

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

// Runs the program's runs as the flags say. `train(i)` trains run i in its directory (resumably); `outputs()`
// writes the program's outputs, reading every run (common.control.gather is then set, so no run trains) and returns
// the exit code. The top directory (--out) is locked while outputs are built, and while all runs train in this
// process; --run-only locks only its run's directory, so that the tasks of a job array run side by side.
int drive_runs(const std::string& program, const MultiRunFlags& flags, CommonFlags& common,
               const std::vector<RunEntry>& runs, const std::function<void(std::size_t)>& train,
               const std::function<int()>& outputs, char** argv);

}  // namespace rfa::cli
