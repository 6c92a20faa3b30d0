// The paper's numbers that verdicts are drawn against, each once: the value (as stated or read off its figure; see
// experiments/PAPER.md), the tolerance within which a measurement agrees, and the step at which the paper shows it.
// rfa-fig2's claims and figure and rfa-scale's claims read them from here.
#pragma once

#include <cmath>
#include <cstddef>

namespace rfa::cli {

struct PaperValue {
  double value, tolerance;
  std::size_t at_step;
};

// Figure 2's n >> d panel (5000, 300) at 10^7 steps: training accuracy about 95%, test accuracy about 79%.
constexpr PaperValue FIG2_LOW_TRAIN{0.95, 0.02, 10000000}, FIG2_LOW_TEST{0.79, 0.02, 10000000};
// Figure 2's d >> n panel (300, 5000) at 10^7 steps: training accuracy 100%, test accuracy about 85%.
constexpr PaperValue FIG2_HIGH_TRAIN{1.0, 0.0, 10000000}, FIG2_HIGH_TEST{0.85, 0.03, 10000000};

// "untested" when the run stopped before the paper's step, else "agree" within the tolerance, "disagree" outside.
inline const char* verdict(const PaperValue& v, double measured, std::size_t reached) {
  if (reached < v.at_step) return "untested";
  return std::abs(measured - v.value) <= v.tolerance ? "agree" : "disagree";
}

}  // namespace rfa::cli
