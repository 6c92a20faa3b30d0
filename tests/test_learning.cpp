// Learning outcomes at a small size: the network finds the clean XOR rule and fits the noisy labels only
// as far as the clean rule does; the homogeneous linear classifier stays at chance.
#include <doctest/doctest.h>

#include <cmath>

#include "linear.hpp"
#include "metrics.hpp"
#include "network.hpp"
#include "plain.hpp"
#include "run.hpp"

using namespace rfa;

namespace {
struct Setup {
  Dataset<double> train, test;
};
// d = 200, n = 200, Figure 2's other settings (sigma^2 = d^-1.2, exact 15% flips per cluster).
Setup make_setup(std::uint64_t seed) {
  const std::size_t D = 200;
  const DataSpec spec{D, std::pow(double(D), -1.2), 0.15, FlipMode::exact, Noise::gaussian};
  const Means means = random_means(D, seed);
  return {make_dataset<double>(sample_xor(spec, means, 200, seed, Stream::train_data)),
          make_dataset<double>(sample_xor(spec, means, 4000, seed, Stream::test_data))};
}
}  // namespace

TEST_CASE("the ReLU network learns the clean rule: clean test accuracy >= 0.95, train accuracy near 1 - eta") {
  for (std::uint64_t seed : {1, 2}) {
    CAPTURE(seed);
    const Setup s = make_setup(seed);
    const std::size_t M = 100, D = 200;
    PlainDescent<double> gd(GradSource::tape, s.train.X, s.train.y, second_layer<double>(M),
                               init_weights<double>(M, D, 0.01 / double(M * D), seed), 0.1);
    RunOptions opt;
    opt.schedule = {0, 100};
    const std::vector<Metrics> rows = run_training(gd, s.train, &s.test, opt);
    const Metrics& end = rows.back();
    CHECK(end.test_clean_acc >= 0.95);
    CHECK(std::abs(end.train_acc - 0.85) <= 0.03);
    CHECK(end.train_clean_acc >= 0.97);
    CHECK(end.train_flipped_acc <= 0.1);  // flipped points are classified by their clean label
  }
}

TEST_CASE("the homogeneous linear classifier, trained, stays at 0.5 +- 0.05 on clean test data") {
  for (std::uint64_t seed : {1, 2}) {
    CAPTURE(seed);
    const Setup s = make_setup(seed);
    LinearDescent<double> lin(s.train.X, s.train.y, false, 0.1);
    RunOptions opt;
    opt.schedule = {0, 2000};
    const std::vector<Metrics> rows = run_training(lin, s.train, &s.test, opt);
    CHECK(std::abs(rows.back().test_clean_acc - 0.5) <= 0.05);
    // ... and it was trained: with d = n = 200 it fits much of the (noisy) training set, which does not generalize.
    CHECK(rows.front().loss == doctest::Approx(std::log(2.0)).epsilon(1e-12));  // w = 0: f = 0
    CHECK(rows.back().loss < 0.65);
    CHECK(rows.back().train_acc > 0.7);
  }
}
