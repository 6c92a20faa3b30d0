// A set of runs of one setting over seeds, aggregated per evaluation step: the mean and the min-max band of the
// accuracies (rfa-fig2's panels, rfa-scale's sizes), and what is read off such curves.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "metrics.hpp"
#include "run_spec.hpp"

namespace rfa::cli {

// Per evaluation step: mean, min and max over seeds of train and test accuracy, and the mean clean test accuracy,
// loss, and training accuracy on the flipped labels (above 0 once some seed fits one).
struct Band {
  double train_mean = 0, train_min = 1, train_max = 0, test_mean = 0, test_min = 1, test_max = 0, clean_mean = 0,
         loss_mean = 0, flipped_mean = 0;
};

// One setting's runs, aggregated over the seeds (the runs share their evaluation steps).
struct Panel {
  std::string key;  // names the setting: "high", "low", "500x30", ...
  RunSpec spec;     // of the last seed
  std::size_t runs = 0;  // how many it aggregates
  std::vector<std::size_t> steps;
  std::vector<Band> bands;
};

constexpr std::size_t NEVER = static_cast<std::size_t>(-1);

// The jump's level: the network classifies this share of the test points by their clean label (it has learned
// the XOR rule; the noisy-label accuracies then sit near 1 - eta).
constexpr double LEARNED = 0.95;

Panel aggregate(const std::string& key, const RunSpec& spec, const std::vector<std::vector<Metrics>>& runs);
// Runs gathered as far as each has got (--gather-so-far; runs not empty, none empty): cut, in place, to the
// evaluations all of them reached (they share their evaluation steps, so a prefix is the same steps) and
// aggregated; the panel's spec.steps is the step they reached, its horizon.
Panel aggregate_reached(const std::string& key, RunSpec spec, std::vector<std::vector<Metrics>>& runs);
// The same panel with its steps (and its spec's steps, the horizon) counted in steps of the paper's alpha at the
// same flow time: round(alpha * t / paper_alpha). Identical at alpha == paper_alpha; lets a run at another alpha be
// read against the paper's step counts (its spec keeps its own alpha, so that the report can say so).
Panel in_paper_steps(Panel p, double paper_alpha);
// step,train_mean,train_min,train_max,test_mean,test_min,test_max,test_clean_mean,loss_mean,train_flipped_mean, one row
// per step, and flow_time (alpha * step) last
std::string bands_csv(const Panel& p);

// The first evaluation step where pick(band) reaches `level` (NEVER if it does not).
template <typename F>
std::size_t first_step(const Panel& p, double level, F pick) {
  for (std::size_t k = 0; k < p.steps.size(); ++k)
    if (pick(p.bands[k]) >= level) return p.steps[k];
  return NEVER;
}

// The jump: the first step at which the mean clean test accuracy reaches LEARNED.
std::size_t jump_step(const Panel& p);

// When a run starts fitting noise: once it has jumped (clean test accuracy >= LEARNED) and then fitted no flipped
// training label, its first evaluation that fits one (NEVER within its rows). More sensitive than a level of
// training accuracy: one label is enough. (Before and around the jump a few flipped labels can be fitted by chance.)
std::size_t first_flipped_fit(const std::vector<Metrics>& rows);

// The band at the last evaluation step at or before `step`.
const Band& at(const Panel& p, std::size_t step);

// y = c x^k fitted by least squares on log-log axes (rfa-jump's law, rfa-scale's onset against n): c, k and r^2,
// NaN with fewer than two points or one x only; `used` is the number of points.
struct PowerLaw {
  double c = NAN, k = NAN, r2 = NAN;
  std::size_t used = 0;
};
PowerLaw power_law(const std::vector<std::pair<double, double>>& xy);

}  // namespace rfa::cli
