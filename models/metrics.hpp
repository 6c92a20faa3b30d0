// What a training run records at its evaluation steps, and when those steps are.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "trainer.hpp"

namespace rfa {

// Accuracies count sgn(f) == label, with sgn(0) taken as -1 (a network that outputs exactly 0 gets no credit
// for +1 labels); they are NaN where a set is empty or unknown (no test set, no clean labels).
struct Metrics {
  std::size_t step = 0;          // after this many gradient steps (0 = at initialisation)
  double loss = NAN;             // training loss L(W_t)
  double train_acc = NAN;        // agreement with the observed training labels
  double train_clean_acc = NAN;  // ... on the training points whose label was not flipped
  double train_flipped_acc = NAN;// ... on the flipped ones (their observed, i.e. wrong, label): the theorem says 0
  double test_acc = NAN;         // against the noisy test labels (best possible: 1 - eta)
  double test_clean_acc = NAN;   // against the clean test labels
  double w_norm = NAN;           // ||W_t||_F
};

// Scratch space for evaluate(), reused between calls.
template <typename T>
struct EvalWork {
  Tensor<T> f_train, f_test;
};

template <typename T>
Metrics evaluate(std::size_t step, Trainer<T>& trainer, const Dataset<T>& train, const Dataset<T>* test,
                 EvalWork<T>& work);

// Accuracy of sgn(f) against `labels` over the points where mask (if given) equals `want`.
template <typename T>
double accuracy(const Tensor<T>& f, const Tensor<T>& labels, const std::vector<std::uint8_t>* mask = nullptr,
                std::uint8_t want = 1);

// The steps at which to evaluate a run of `steps` steps: every step up to `dense`, then `per_decade` steps per
// factor of ten, log-spaced, always including the last step.
std::vector<std::size_t> eval_schedule(std::size_t steps, std::size_t dense = 100, std::size_t per_decade = 20);

// The same schedule in flow time (alpha * step), for runs at different step sizes that are to be compared at the
// same flow times: the steps of a run at `alpha` nearest to the flow times that eval_schedule's steps reach at step
// size `schedule_alpha` (rounded to the nearest step, so within alpha / 2 of it; repeats dropped), always including
// the last step. At alpha == schedule_alpha it is eval_schedule itself. Flow time F at step size alpha is step
// F / alpha: a run of 10^7 steps at 0.1 and one of 10^5 steps at 10 share the horizon F = 10^6 and, at every flow
// time both reach within 1% (F >= 50 alpha), their evaluations.
std::vector<std::size_t> flow_schedule(std::size_t steps, double alpha, double schedule_alpha, std::size_t dense = 100,
                                       std::size_t per_decade = 20);

// CSV of metrics: the header line, and one line per row (NaN written as "nan"; numbers round-trip exactly).
std::string metrics_csv_header();
std::string metrics_csv_row(const Metrics& m);

}  // namespace rfa
