// rfa-grokking's runs and what is made of them: the step sizes, one run's outcome (its metrics and the neurons'
// projections on the means at the snapshot steps), the curves over runs, and the tables and figures that redraw
// the follow-up paper's Figures 1-4 (Xu et al. 2024). The runs themselves are in rfa_grokking.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "metrics.hpp"
#include "run_spec.hpp"
#include "tensor.hpp"

namespace rfa::cli::grokking {

// The two step sizes of the paper, with their horizons and the steps its Figures 2-4 look at.
struct StepSize {
  double alpha;
  const char* key;
  std::size_t steps;
  std::vector<std::size_t> snapshots;
};
inline const std::vector<StepSize> STEP_SIZES = {{1e-12, "1e-12", 50, {0, 1, 2, 3, 10, 15}},
                                          {1e-16, "1e-16", 5000, {0, 25, 100, 1000, 2000, 5000}}};

// The follow-up's stated settings at dimension p, n training points and m neurons, step alpha and `steps` steps:
// means of norm 2.5 sqrt(p / n), unit noise, labels flipped with probability 0.05, i.i.d. second-layer signs,
// omega_init = 1e-15 (variance 1e-30), 200 test points, evaluations at every step to 100 and then 50 per decade.
// Seed, precision, gradient and init family are the caller's.
RunSpec followup_spec(std::size_t p, std::size_t n, std::size_t m, double alpha, std::size_t steps);

// One run: a step size, a seed offset and a precision (double for the runs behind the figures; one float run per
// step size, at the first seed, for the precision check).
struct Case {
  std::size_t step_size, run;
  std::string dtype;
  std::string dir() const { return fmt::format("alpha={}/{}-seed-{}", STEP_SIZES[step_size].key, dtype, run + 1); }
};

struct Outcome {
  Case c;
  RunSpec spec;
  std::vector<Metrics> rows;
  Tensor<double> a;     // (m) the second layer
  Tensor<double> proj;  // (snapshots, 2, m): <w_j, mu1>, <w_j, mu2> at each snapshot step (NaN until reached)
  std::vector<double> x_mu1, x_mu2, y;  // the training points in the plane of the means (first run only)
  double max_output = NAN;               // max_i |f(x_i)| over the training points at the end
};

// One step size's double runs per evaluation step: median and 20-80% band of train and clean test accuracy.
struct Curve {
  std::vector<std::size_t> steps;
  std::vector<std::array<double, 6>> q;  // train p20, p50, p80, test p20, p50, p80
};
Curve curve(const std::vector<Outcome>& outs, std::size_t step_size);
// The q-quantile of v (linear between order statistics).
double quantile(std::vector<double> v, double q);
// The first step of the curve whose column reaches level (NEVER when none does).
std::size_t first(const Curve& c, std::size_t column, double level);
// The neurons with a_j > 0 of one step size's double runs, pooled: <w_j, mu> at snapshot s (which: 0 mu1, 1 mu2).
std::vector<double> pooled(const std::vector<Outcome>& outs, std::size_t step_size, std::size_t s, std::size_t which);
// How far the a_j > 0 neurons have split along mu1 against mu2: median |<w_j, mu1>| over median |<w_j, mu2>|.
double split_ratio(const std::vector<Outcome>& outs, std::size_t step_size, std::size_t s);

// grokking.csv (Figure 1's curves), curve-<alpha>.csv, hist-<alpha>.csv (Figures 3-4: one gnuplot data block per
// panel, mu1's row first), and for the first double run at alpha = 1e-12: boundary.csv (the sign of f on a grid of
// the plane of the means at t = 0, 1, 15), points.csv (the training points in that plane) and neurons.csv (the
// neurons projected on it); all in `out`.
void write_tables(const std::string& out, const std::vector<Outcome>& outs);
// Figure 1 (grokking.png), Figure 2 (boundary.png) and Figures 3-4 (hist-<alpha>.png), drawn by gnuplot in `out`;
// false when one could not be drawn.
bool figures(const std::string& out);

}  // namespace rfa::cli::grokking
