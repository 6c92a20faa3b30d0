// Step-size equivalence: does a run at a larger step alpha stand in for the paper's run at alpha = 0.1? Gradient
// descent far below the loss's curvature limit tracks gradient flow, so its trajectory should be (nearly) a
// function of the flow time alpha * t. This compares a rescaled run with the exact run of the same seed at the
// flow times both evaluated, and measures the deviation against the spread over seeds of the exact runs: the noise
// any comparison of two trajectories must beat. rfa-scale reports it when given several --alpha.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "metrics.hpp"

namespace rfa::cli {

// The largest value over the compared flow times of each of the three accuracies.
struct Accuracies {
  double train = 0, test = 0, clean = 0;
  double max() const { return std::max(train, std::max(test, clean)); }
};

// One run's evaluations, with its step size and seed.
struct Trajectory {
  double alpha = 0;
  std::uint64_t seed = 0;
  std::vector<Metrics> rows;
};

// Two evaluations are at the same flow time when they differ by at most this share of it. A rescaled run's steps
// are the nearest whole steps to the exact run's flow times (flow_schedule), within alpha / 2, so every flow time
// from 50 alpha on is matched.
constexpr double SAME_FLOW = 0.01;

// The rescaled runs at one alpha against the exact runs of one size. The verdict is taken over a window of flow
// times from `from` on (rfa-scale: a decade after the later jump of the two, where the plateau and what follows it
// live); the jump itself takes the paper's run a few steps, which a rescaled run cannot resolve, so the deviation
// before the window is reported beside it but does not decide.
struct Equivalence {
  double from = 0;              // the window's start
  std::size_t seeds = 0;        // seeds with both an exact and a rescaled run
  std::size_t compared = 0;     // flow times compared in the window (over all those seeds)
  double first_flow = NAN, last_flow = NAN;  // the window's compared range
  Accuracies deviation;         // largest |rescaled - exact| over seeds and the window's flow times
  Accuracies early;             // the same before the window (NaN: nothing compared there)
  Accuracies spread;            // largest max - min over the seeds of the noise runs, over the window's range
  std::size_t spread_seeds = 0; // how many seeds the spread is taken over (< 2: no spread, NaN)
  bool spread_from_exact = true;  // false: the exact runs have one seed; the spread is the rescaled runs'
  double exceeds_at = NAN;      // first flow time in the window where some deviation exceeds its spread (NaN: none)
  bool stands_in() const;       // compared something, a spread is known, and no deviation exceeds its spread
};

// Compares `rescaled` (one alpha) with `exact` (the reference alpha), seed by seed, at the flow times both reached
// (each rescaled row matched with the exact row nearest its flow time, within SAME_FLOW), from flow time `from` on.
Equivalence compare_runs(const std::vector<Trajectory>& exact, const std::vector<Trajectory>& rescaled, double from);

// The largest max - min over seeds of each accuracy at the evaluations all `runs` share (by index; they share
// their schedule), over the flow times [from, to]; the seed count used. NaN with fewer than two runs.
Accuracies seed_spread(const std::vector<Trajectory>& runs, double from, double to);

}  // namespace rfa::cli

namespace rfa::cli {

// One size's comparison at one alpha, as the report shows it.
struct EquivalenceRow {
  std::size_t n = 0, d = 0;
  double alpha = 0;
  Equivalence e;
};
// equivalence.csv: one line per row (accuracies as fractions; NaN empty).
std::string equivalence_csv(const std::vector<EquivalenceRow>& rows);
// The report's table (accuracies in points) and, per alpha, the verdict over every size it was compared at.
std::string equivalence_table(const std::vector<EquivalenceRow>& rows);
// Whether `alpha` stands in at every size it was compared at (and at one at least); `sizes` lists them.
bool validated(const std::vector<EquivalenceRow>& rows, double alpha, std::string* sizes = nullptr);

}  // namespace rfa::cli
