// One training run of the paper's network on generated data, as the experiment programs set it up: the
// settings, their fingerprint (for checkpoints) and JSON form (for manifests), and the data, init and trainer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common.hpp"
#include "dataset.hpp"
#include "trainer.hpp"
#include "xor_data.hpp"

namespace rfa::cli {

struct RunSpec {
  std::size_t n = 0, d = 0, m = 0, n_test = 0, steps = 0;
  double sigma2 = 0, eta = 0.15, alpha = 0, omega2 = 0;
  FlipMode flip = FlipMode::exact;
  Noise noise = Noise::gaussian;
  bool random_means = true;
  std::uint64_t seed = 1;
  std::string dtype = "f64";
  GradSource grad = GradSource::tape;
  Method method = Method::automatic;

  // Every setting that determines the numbers, on one line.
  std::string fingerprint() const;
  Json json() const;
};

template <typename T>
struct PreparedRun {
  Means means;
  Dataset<T> train, test;
  Tensor<T> a, W0;
  std::unique_ptr<Trainer<T>> trainer;
};

// Draws the training and test sets (streams train_data / test_data of the seed), the init (stream init) and
// makes the trainer.
template <typename T>
PreparedRun<T> prepare_run(const RunSpec& spec);

}  // namespace rfa::cli
