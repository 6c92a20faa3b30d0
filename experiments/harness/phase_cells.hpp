// rfa-phase's cells: what one run of a cell (n, d) reports, how a cell combines its seeds, where the boundary
// between benign and harmful overfitting lies per n, and the tables, CSVs and claims made of them. Apart from the
// program so that the tests can hold each piece to its definition.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bands.hpp"
#include "program.hpp"

namespace rfa::cli {

// A cell is harmful when fitting costs more than this much clean-test accuracy (mean over its seeds).
constexpr double HARMFUL = 0.01;
// The theorem's assumption A1, d >= C max(log^2(n/delta), log(m/delta)), drawn with these (the paper's C is "a
// large constant"; rfa-amplification's near-theory settings take C = 16).
constexpr double A1_C = 16, A1_DELTA = 0.1;
// The d/n at which A1 holds with equality.
double a1_ratio(std::size_t n, std::size_t m);

struct Cell {
  std::size_t n = 0, d = 0;
  double ratio = 0;  // as asked (d = round(n ratio); the cell's own d/n is d / n)
  std::string key;   // "<n>x<d>", with "-alpha<a>" at another step than the paper's
};
Cell make_cell(std::size_t n, double ratio, double alpha);

// One run read to the first evaluation at which it fits every training label (or its last): all steps in the
// paper's count (flow time / 0.1), NEVER where the event did not happen.
struct RunResult {
  std::uint64_t seed = 0;
  bool finished = false;        // run.json written (else: gathered so far)
  std::size_t reached = 0;      // its last evaluation read
  double train = 0, test = 0, clean = 0;
  double flipped = 0;           // share of the flipped training labels fitted
  std::size_t fitted_at = NEVER;   // training accuracy 100%
  std::size_t first_flip = NEVER;  // first_flipped_fit (bands.hpp)
  std::size_t jump = NEVER;        // clean-test accuracy first >= LEARNED
  double test_at_95 = NAN;      // test accuracy at the first evaluation with training accuracy >= 95%
  double best_clean = NAN;      // the best clean-test accuracy from the jump on
  double cost = NAN;            // clean at the end minus best_clean (<= 0; NaN without a jump)
};
RunResult summarize_run(const std::vector<Metrics>& rows, const RunSpec& spec, std::uint64_t seed, bool finished);

// Mean and min-max of the finite values among some (count: how many).
struct Stat {
  double mean = NAN, lo = NAN, hi = NAN;
  std::size_t count = 0;
};
Stat stat(const std::vector<double>& values);

struct CellResult {
  Cell cell;
  std::size_t asked = 0;          // seeds asked for
  std::vector<RunResult> runs;    // those started (gathering: all, finished)
  bool running = false;           // some seed not finished (or not started)
  Stat train, test, clean, flipped, test_at_95, cost;
  std::size_t fitted = 0;         // seeds that fitted every training label
  std::size_t fitted_at = NEVER, first_flip = NEVER;  // medians over the seeds (NEVER sorts last; the upper middle)
  std::size_t reached = 0;        // the least step the runs reached
  bool harmful() const { return cost.count > 0 && cost.mean < -HARMFUL; }
  // Benign: every seed asked fitted every training label, at a cost within HARMFUL.
  bool benign() const { return !running && fitted == asked && cost.count > 0 && cost.mean >= -HARMFUL; }
};
// A cell from its runs (none empty; all of this cell's).
CellResult combine(const Cell& cell, const std::vector<RunResult>& runs, std::size_t asked);

// Per n, where the mean cost crosses -HARMFUL, read between the largest harmful ratio and the next (log-linear);
// `where` says "below the grid" (no harmful ratio), "above the grid" (the largest is harmful), "undecided" (a cell
// running or without a jump on the way) or "" (ratio set). The law ratio = c n^k over the n with a ratio.
struct Boundary {
  struct PerN {
    std::size_t n = 0;
    double ratio = NAN;
    double below = NAN, above = NAN;  // the grid's ratios either side: the last harmful and the next
    std::string where;
  };
  std::vector<PerN> per_n;
  PowerLaw law;
};
Boundary boundary(const std::vector<CellResult>& cells, const std::vector<std::size_t>& ns);

// phase.csv (one row per cell), phase-runs.csv (one per run), boundary.csv.
std::string cells_csv(const std::vector<CellResult>& cells);
std::string runs_csv(const std::vector<CellResult>& cells);
std::string boundary_csv(const Boundary& b);
// Grid value k's box on a log axis (v increasing): half way to each neighbour, the end boxes as wide on their outer
// side as on their inner one.
std::pair<double, double> box_bounds(const std::vector<double>& v, std::size_t k);
// The heatmaps' boxes: n, ratio (d/n as run), the box's n and ratio bounds (half way to the neighbours on log axes),
// mean clean-test accuracy, mean cost, 1 when running; x is n, y is d/n.
std::string boxes_csv(const std::vector<CellResult>& cells, const std::vector<std::size_t>& ns,
                      const std::vector<double>& ratios);

// The report's table and sentences, and its claims: phase.sides (the paper's two panels on their sides: from the
// cells at the paper's sizes when on the grid, else the largest n at the grid's largest and smallest d/n, saying
// so) and
// phase.boundary (between 3/50 and 50/3 at every n).
std::string cells_table(const std::vector<CellResult>& cells);
std::string boundary_text(const Boundary& b);
void phase_claims(Report& rep, const std::vector<CellResult>& cells, const Boundary& b, double horizon_flow);

}  // namespace rfa::cli
