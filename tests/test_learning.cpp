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

TEST_CASE("the linear baseline: gradient descent converges to the logistic loss's minimiser that Newton's method finds") {
  // An independent solver of the same convex problem: on data no line separates, one minimiser, where the gradient
  // vanishes; a long gradient descent from zero must end there, with and without a bias.
  Tensor<double> X(400, 3), y(400);
  std::uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return double(state >> 11) / 9007199254740992.0 - 0.5;
  };
  for (std::size_t i = 0; i < 400; ++i) {
    for (std::size_t k = 0; k < 3; ++k) X.data()[i * 3 + k] = uniform();
    y[i] = X.data()[i * 3] + 0.3 + 0.5 * uniform() > 0 ? 1.0 : -1.0;  // noisy labels: not separable
  }
  for (bool bias : {false, true}) {
    CAPTURE(bias);
    const LogisticOptimum opt = newton_logistic(X, y, bias);
    REQUIRE(opt.converged);
    CHECK(opt.grad_norm < 1e-10);
    LinearDescent<double> gd(X, y, bias, 2.0);
    for (int t = 0; t < 20000; ++t) gd.step();
    for (std::size_t k = 0; k < 3; ++k) CHECK(gd.weights()[k] == doctest::Approx(opt.w[k]).epsilon(1e-6));
    CHECK(gd.bias() == doctest::Approx(opt.b).epsilon(1e-6));
    if (bias) CHECK(opt.b > 0.1);  // the labels' offset is found
  }
  // Separable data: no finite minimiser, and Newton's method says so.
  Tensor<double> Xs(4, 1), ys(4);
  for (std::size_t i = 0; i < 4; ++i) Xs[i] = double(i) - 1.5, ys[i] = Xs[i] > 0 ? 1.0 : -1.0;
  CHECK_FALSE(newton_logistic(Xs, ys, true).converged);
}
