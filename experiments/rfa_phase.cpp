// rfa-phase: the phase diagram of Figure 2's contrast. The paper shows benign overfitting at (n, d) = (300, 5000)
// and harmful overfitting at (5000, 300); this program trains a grid of (n, d) with the paper's other Figure 2
// settings and draws where one turns into the other: heatmaps of clean-test accuracy and of what fitting the noise
// cost, over log n and log(d/n), the boundary per n and its law, and the theorem's dimension assumption on the same
// axes. Every run goes to a flow-time horizon at a rescaled step (step-size equivalence) and stops early once it
// fits every training label (nothing is left to overfit).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "atomic_file.hpp"
#include "bands.hpp"
#include "equivalence.hpp"
#include "multirun.hpp"
#include "paper_claims.hpp"
#include "phase_cells.hpp"
#include "program.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

constexpr const char* ABOUT =
    "rfa-phase: where overfitting turns from benign to harmful, over (n, d). Trains a grid of training set sizes n "
    "and ratios d/n with Figure 2's other settings (m = 400, sigma^2 = d^-1.2, exactly 15% of each cluster's labels "
    "flipped, omega_init^2 = 0.01/(m d), 6000 test points), several seeds per cell, each to a horizon in flow time "
    "alpha * t at the rescaled step --alpha (step-size equivalence), stopping early once every training label is "
    "fitted. Per cell: final train, test and clean-test accuracy, the share of flipped labels fitted, when training "
    "reached 100%, when the first flipped label was fitted, test accuracy when training first passed 95%, and the "
    "cost of the fit (clean-test accuracy at the end minus its best from the jump on), each as mean and min-max over "
    "seeds. Writes phase.csv (one row per cell), phase-runs.csv (one row per run), boundary.csv, phase.png / "
    "phase.svg (the heatmaps, the boundary and the theorem's assumption), summary.json, claims.tsv and section.md in "
    "--out, and each run in --out/<n>x<d>[-alpha<a>]/seed-<k>/. With --exact-runs DIR (runs of the same grid at the "
    "paper's step, from rfa-phase --alpha 0.1 --out DIR), every cell that has them is compared with its rescaled runs "
    "seed by seed, and the report says whether the rescaled step stands in (equivalence.csv). A multi-run program: --list-runs, --run-only, "
    "--gather, --gather-so-far (cells still running are drawn as such), --jobs (and tools/slurm-submit). Stop with "
    "Ctrl-C and run the same command again to resume.";

struct Options {
  CommonFlags common;
  std::vector<std::size_t> ns;
  std::vector<double> ratios;  // d / n
  std::size_t seeds = 0, m = 400, n_test = 6000;  // seeds 0: the profile's
  double alpha = 10, horizon_flow = 0;  // 0: the profile's
  std::string exact_runs;               // --exact-runs: a directory of this grid's runs at the paper's step
  bool so_far = false;
};

// The paper's two panels sit at d/n = 3/50 and 50/3; the grid's ratios are powers of (50/3)^(1/3) between them
// (the paper profile: 7 ratios) or of (50/3)^(1/2) (default: 5), so that both are on it.
std::vector<double> ratio_grid(int per_side) {
  std::vector<double> r;
  for (int k = -per_side; k <= per_side; ++k) r.push_back(std::pow(50.0 / 3.0, double(k) / per_side));
  return r;
}

void defaults(Options& o) {
  const std::string& p = o.common.profile;
  if (o.ns.empty())
    o.ns = p == "quick"   ? std::vector<std::size_t>{40, 80}
           : p == "paper" ? std::vector<std::size_t>{250, 300, 500, 1000, 2000, 5000}
                          : std::vector<std::size_t>{250, 500, 1000};
  if (o.ratios.empty()) o.ratios = p == "quick" ? std::vector<double>{0.25, 1, 4} : ratio_grid(p == "paper" ? 3 : 2);
  if (p == "quick") o.m = 40, o.n_test = 1000;
  if (!o.seeds) o.seeds = p == "quick" ? 2 : 3;
  if (o.horizon_flow == 0) o.horizon_flow = p == "quick" ? 1000 : p == "paper" ? 1e6 : 1e5;
}

std::vector<Cell> cells_of(const Options& o) {
  std::vector<Cell> v;
  for (std::size_t n : o.ns)
    for (double r : o.ratios) v.push_back(make_cell(n, r, o.alpha));
  return v;
}

RunSpec spec_for(const Options& o, const Cell& c, std::uint64_t seed, double alpha) {
  RunSpec r = figure2_sized(c.n, c.d, o.m, o.n_test);
  StepFlags step;
  step.horizon_flow = o.horizon_flow;
  step.set(r, alpha, 0, 0);
  r.seed = seed, r.grad = o.common.gradient();
  o.common.apply_init(r);
  return r;
}
RunSpec spec_for(const Options& o, const Cell& c, std::uint64_t seed) { return spec_for(o, c, seed, o.alpha); }

std::string seed_dir(const Options& o, const Cell& c, std::uint64_t seed) {
  return fmt::format("{}{}/seed-{}", c.key, o.common.init == "gaussian" ? "" : "-init-" + o.common.init, seed);
}

// Trains one run, ending it once every training label is fitted (the cells read it to that point either way).
template <typename T>
void run_seed(const Options& o, const Cell& c, std::uint64_t seed) {
  const RunSpec spec = spec_for(o, c, seed);
  RunControl control = o.common.control;
  control.label = fmt::format("{} seed {}", c.key, seed);
  PreparedRun<T> r = prepare_run<T>(spec);
  RunOptions hooks;
  hooks.finished = [](const std::vector<Metrics>& rows) { return rows.back().train_acc >= 1; };
  train_in<T>("rfa-phase", spec, r, o.common.out + "/" + seed_dir(o, c, seed), control, hooks);
}

// A cell over its seeds: the finished runs (gathering) or every started one as far as it has got (so far).
std::optional<CellResult> read_cell(const Options& o, const Cell& c) {
  std::vector<RunResult> runs;
  for (std::size_t k = 0; k < o.seeds; ++k) {
    const RunSpec spec = spec_for(o, c, o.common.seed + k);
    const std::string dir = o.common.out + "/" + seed_dir(o, c, spec.seed);
    const bool finished = std::filesystem::exists(dir + "/run.json");
    if (!o.so_far && !finished) throw RunIncomplete(dir + " has not finished (train it, or gather with --gather-so-far)");
    std::vector<Metrics> rows = metrics_reached(dir, spec);
    if (rows.empty()) continue;
    runs.push_back(summarize_run(rows, spec, spec.seed, finished));
  }
  if (runs.empty()) return std::nullopt;
  return combine(c, runs, o.seeds);
}

struct StepCheck {
  std::vector<EquivalenceRow> study;                    // the trajectories compared, per cell
  std::vector<std::pair<CellResult, CellResult>> cells;  // the cell's numbers at the paper's step and rescaled
};
// Whether the rescaled step stands in, cell by cell: the finished runs of `rfa-phase --alpha 0.1` (the same grid
// settings) in --exact-runs against this command's runs of the same seed (harness/equivalence.hpp), from a decade
// after the later jump of any of them on, as rfa-scale's study reads it. Cells without exact runs are left out.
StepCheck step_check(const Options& o, const std::vector<CellResult>& cells) {
  StepCheck check;
  std::vector<EquivalenceRow>& study = check.study;
  if (o.exact_runs.empty() || o.alpha == PAPER_ALPHA) return check;
  for (const CellResult& c : cells) {
    std::vector<Trajectory> exact, rescaled;
    std::vector<RunResult> exact_results;
    double start = 1;
    for (std::size_t k = 0; k < o.seeds; ++k) {
      const std::uint64_t seed = o.common.seed + k;
      for (double alpha : {PAPER_ALPHA, o.alpha}) {
        const Cell cell = make_cell(c.cell.n, c.cell.ratio, alpha);
        const RunSpec spec = spec_for(o, cell, seed, alpha);
        const std::string dir = (alpha == PAPER_ALPHA ? o.exact_runs : o.common.out) + "/" + seed_dir(o, cell, seed);
        if (!std::filesystem::exists(dir + "/run.json")) continue;
        std::vector<Metrics> rows = metrics_reached(dir, spec);
        const RunResult r = summarize_run(rows, spec, seed, true);
        if (r.jump != NEVER) start = std::max(start, 10 * PAPER_ALPHA * double(std::max<std::size_t>(r.jump, 1)));
        if (alpha == PAPER_ALPHA) exact_results.push_back(r);
        (alpha == PAPER_ALPHA ? exact : rescaled).push_back({alpha, seed, std::move(rows)});
      }
    }
    if (exact.empty() || rescaled.empty()) continue;
    study.push_back({c.cell.n, c.cell.d, o.alpha, compare_runs(exact, rescaled, start)});
    check.cells.emplace_back(combine(make_cell(c.cell.n, c.cell.ratio, PAPER_ALPHA), exact_results, o.seeds), c);
  }
  return check;
}

// The numbers the phase diagram reads off a cell, at the paper's step and at the rescaled one.
std::string cell_numbers(const std::vector<std::pair<CellResult, CellResult>>& cells) {
  auto step = [](std::size_t s) { return s == NEVER ? std::string("never") : std::to_string(s); };
  std::string t =
      "| (n, d) | seeds (exact / rescaled) | cost (points) | train / test / clean test at the end | training at 100% "
      "(median step) | first flipped label fitted (median) |\n|---|---|---|---|---|---|\n";
  for (const auto& [e, r] : cells)
    t += fmt::format("| ({}, {}) | {} / {} | {:+.2f} / {:+.2f} | {:.1f} / {:.1f} / {:.1f}% against {:.1f} / {:.1f} / "
                     "{:.1f}% | {} / {} | {} / {} |\n",
                     r.cell.n, r.cell.d, e.runs.size(), r.runs.size(), 100 * e.cost.mean, 100 * r.cost.mean,
                     100 * e.train.mean, 100 * e.test.mean, 100 * e.clean.mean, 100 * r.train.mean, 100 * r.test.mean,
                     100 * r.clean.mean, step(e.fitted_at), step(r.fitted_at), step(e.first_flip), step(r.first_flip));
  return t;
}

std::string step_check_text(const Options& o, const StepCheck& check) {
  const std::vector<EquivalenceRow>& study = check.study;
  if (study.empty())
    return o.exact_runs.empty() ? std::string()
                                : "No cell of this grid has finished runs at the paper's step in " + o.exact_runs +
                                      " yet.\n\n";
  write_file_atomic(o.common.out + "/equivalence.csv", equivalence_csv(study));
  return fmt::format(
      "### Does alpha = {} stand in off the n >> d line?\n\nThe runs of `rfa-phase --alpha 0.1` in `{}` (the paper's "
      "step, the same cells and seeds) against this grid's, seed by seed at the flow times both evaluated, from a "
      "decade after the later jump on, each largest deviation set against the spread over the exact runs' seeds "
      "(as rfa-scale's step-size equivalence study; equivalence.csv):\n\n{}\nThe numbers this diagram reads off each "
      "of those cells, exact / rescaled (the steps the paper's):\n\n{}\n",
      o.alpha, o.exact_runs, equivalence_table(study), cell_numbers(check.cells));
}

// The figure: two heatmaps side by side (clean-test accuracy at the end; its cost), each cell a box spanning half
// the way to its neighbours on log axes, cells still running crossed, the paper's two panels marked, the boundary
// per n and the theorem's assumption A1 drawn over both.
bool figure(const Options& o, const std::vector<CellResult>& cells, const Boundary& b) {
  write_file_atomic(o.common.out + "/phase-boxes.csv", boxes_csv(cells, o.ns, o.ratios));
  constexpr const char* PHASE_GP =
#include "figures/phase.gp.in"
      ;
  // The axes span the boxes exactly.
  const std::vector<double> nv(o.ns.begin(), o.ns.end());
  const double nlo = box_bounds(nv, 0).first, nhi = box_bounds(nv, nv.size() - 1).second;
  // Tics at the grid's own sizes and ratios.
  std::string xt, yt;
  for (std::size_t n : o.ns) xt += fmt::format("{}{}", xt.empty() ? "" : ", ", n);
  for (double r : o.ratios) yt += fmt::format("{}'{:.3g}' {:.6g}", yt.empty() ? "" : ", ", r, r);
  const std::string tics = fmt::format("set xtics ({})\nset ytics ({})", xt, yt);
  const std::string body = fmt::format(
      PHASE_GP, fmt::arg("nlo", nlo), fmt::arg("nhi", nhi), fmt::arg("rlo", box_bounds(o.ratios, 0).first),
      fmt::arg("rhi", box_bounds(o.ratios, o.ratios.size() - 1).second), fmt::arg("m", o.m), fmt::arg("tics", tics), fmt::arg("C", A1_C), fmt::arg("delta", A1_DELTA),
      fmt::arg("harm", 100 * HARMFUL), fmt::arg("law", b.law.used >= 2 && std::isfinite(b.law.k)
                                                           ? fmt::format(", '+' using 1:({:.6g} * $1 ** {:.6g}) with "
                                                                         "lines lw 2 dt 3 lc 'black' title 'its fit'",
                                                                         b.law.c, b.law.k)
                                                           : std::string()));
  return plot(o.common.out, "phase", plot_both("phase", 1500, 650, body));
}

Report report(const Options& o, const std::vector<CellResult>& cells, const Boundary& b, const std::string& not_started,
              const StepCheck& check, double wall) {
  Report rep("rfa-phase");
  const std::vector<EquivalenceRow>& study = check.study;
  std::string checked;
  const bool stands = validated(study, o.alpha, &checked);
  const std::string step =
      o.alpha == PAPER_ALPHA
          ? std::string("every run at the paper's step alpha = 0.1")
          : fmt::format("**Not the paper's step**: every run is trained at alpha = {} by step-size equivalence, which "
                        "rfa-scale's study validates on the n >> d line (d/n = 3/50){}",
                        o.alpha,
                        study.empty() ? std::string(" (and `--exact-runs` checks it off that line; at n = 250 over "
                                                    "every ratio of the default grid each cell's numbers agree: "
                                                    "experiments/reference/phase-default)")
                                      : fmt::format(" and the check below {} at {}", stands ? "confirms" : "does not confirm at every cell",
                                                    checked));
  const std::string runs =
      o.so_far ? fmt::format("every run as far as it has got (`--gather-so-far`; cells with a run still going are "
                             "marked running, and crossed in the figure){}",
                             not_started.empty() ? "" : "; not started: " + not_started)
               : fmt::format("{} seed(s) per cell", o.seeds);
  rep.section = fmt::format(
      "## Phase diagram: benign and harmful overfitting over (n, d)\n\nFigure 2's settings at every cell (m = {}, "
      "sigma^2 = d^-1.2, exactly 15% of each cluster's labels flipped, omega_init^2 = 0.01/(m d){}, {} test points), "
      "{}, profile '{}'. {}; each to flow time {:.3g} (the paper's {:.3g} steps at alpha = 0.1), and steps below are the "
      "paper's at the same flow time. A run stops once it fits "
      "every training label. 'Cost' is the clean-test accuracy at the end minus its best from the jump on (95% of "
      "the test points by their clean label); a cell is harmful when its mean cost is below -{:.1f} points. The "
      "theorem's assumption A1, d >= C max(log^2(n/delta), log(m/delta)), is drawn with C = {} and delta = {} (the "
      "paper leaves C unspecified).\n\n![phase diagram](phase.png)\n\n{}\n{}\n{}",
      o.m,
      o.common.init == "gaussian"
          ? std::string()
          : fmt::format(" but **not the paper's init**: --init {}, {}", o.common.init, init_formula(o.common.init)),
      o.n_test, runs, o.common.profile, step, o.horizon_flow, o.horizon_flow / PAPER_ALPHA, 100 * HARMFUL, A1_C,
      A1_DELTA, cells_table(cells), boundary_text(b), step_check_text(o, check));
  phase_claims(rep, cells, b, o.horizon_flow);
  rep.summary.add("profile", o.common.profile)
      .add("seeds", o.seeds)
      .add("alpha", o.alpha)
      .add("horizon_flow", o.horizon_flow)
      .add("cells", cells.size())
      .add("gathered_so_far", o.so_far)
      .add("boundary_law_c", b.law.c)
      .add("boundary_law_k", b.law.k)
      .add("boundary_law_r2", b.law.r2)
      .add("boundary_law_sizes", b.law.used)
      .add("step_checked_cells", study.size())
      .add("step_stands_in", stands)
      .add("wall_seconds_this_session", wall);
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  MultiRunProgram prog(argv, "rfa-phase", ABOUT, o.common, "results/phase",
                       "quick (n 40 and 80, d/n 1/4, 1 and 4, m = 40, 2 seeds, flow time 10^3, for tests), default "
                       "(n 250, 500, 1000, 5 ratios from 3/50 to 50/3, 3 seeds, flow time 10^5) or paper (n 250, "
                       "300, 500, 1000, 2000, 5000, 7 ratios, 3 seeds, flow time 10^6: both of the paper's panels "
                       "on the grid; weeks of one core, most in the n = 5000 row: spread it with --jobs or tools/slurm-submit)",
                       CommonFlags::GRAD | CommonFlags::INIT);
  Args& app = prog.app();
  app.option("--n", o.ns, "training set sizes [default: by profile]", false);
  app.option("--ratios", o.ratios, "ratios d/n (d = round(n * ratio), at least 2) [default: by profile]", false);
  app.option("--seeds", o.seeds, "runs per cell (seeds --seed, --seed + 1, ...) [default: 3; quick 2]", false);
  app.option("--alpha", o.alpha,
             "step size; every run is rescaled to it by step-size equivalence (validated at 10 on the n >> d line)");
  app.option("--horizon-flow", o.horizon_flow, "the horizon in flow time alpha * t [default: by profile]", false);
  app.option("--exact-runs", o.exact_runs,
             "a directory of this grid's runs at the paper's step (rfa-phase --alpha 0.1 --out DIR, any subset of the "
             "cells): each cell with finished runs there is compared with its rescaled runs, and the report says "
             "whether --alpha stands in",
             false);
  prog.offer_so_far("a stopped run counts to its step, cells with a run not finished are marked running, and cells "
                    "with no run started are left out and named");
  return prog.run(argc, argv, [&] {
    for (std::size_t n : o.ns) require_size("--n", n, 4);
    for (double r : o.ratios) require_positive("--ratios", r);
    if (app.given("--seeds")) require_at_least("--seeds", static_cast<long long>(o.seeds), 1);
    require_positive("--alpha", o.alpha);
    if (o.horizon_flow != 0) require_positive("--horizon-flow", o.horizon_flow);
    if (!o.exact_runs.empty() && !std::filesystem::is_directory(o.exact_runs))
      throw UsageError("--exact-runs: " + o.exact_runs + " is not a directory");
    o.so_far = prog.so_far();
    defaults(o);
    std::sort(o.ns.begin(), o.ns.end());
    std::sort(o.ratios.begin(), o.ratios.end());
    if (std::adjacent_find(o.ns.begin(), o.ns.end()) != o.ns.end()) throw UsageError("--n lists a size twice");
    const std::vector<Cell> cells = cells_of(o);
    for (std::size_t i = 1; i < cells.size(); ++i)
      if (cells[i].key == cells[i - 1].key)
        throw UsageError(fmt::format("--ratios: two ratios give the same cell {} (d is rounded)", cells[i].key));
    std::vector<std::pair<Cell, std::uint64_t>> runs;
    std::vector<RunEntry> entries;
    for (const Cell& c : cells) {
      if (c.d < 2) throw UsageError(fmt::format("--ratios: d = n * ratio = {} at n = {}; it must be at least 2", c.d, c.n));
      for (std::size_t k = 0; k < o.seeds; ++k) {
        const std::uint64_t seed = o.common.seed + k;
        runs.emplace_back(c, seed);
        entries.push_back({seed_dir(o, c, seed), spec_for(o, c, seed).fingerprint()});
      }
    }
    auto train = [&o, runs](std::size_t i) { run_seed<double>(o, runs[i].first, runs[i].second); };
    auto gather = [&o, cells](double seconds) {
      auto [done, not_started] = read_started(
          cells, [&](const Cell& c) { return read_cell(o, c); }, [](const Cell& c) { return c.key; }, o.common.out);
      const Boundary b = boundary(done, o.ns);
      write_file_atomic(o.common.out + "/phase.csv", cells_csv(done));
      write_file_atomic(o.common.out + "/phase-runs.csv", runs_csv(done));
      write_file_atomic(o.common.out + "/boundary.csv", boundary_csv(b));
      const bool drawn = figure(o, done, b);
      report(o, done, b, not_started, step_check(o, done), seconds).write(o.common.out, "rfa-phase");
      return drawn;
    };
    return RunPlan{entries, train, gather};
  });
}
