// Stored numbers: small training runs in each regime of the paper (d = 2; n < d; n > d) and with each trainer,
// against values the code produced before the redesign of models/ (tests/fixtures/trajectories.txt). Every other
// trajectory test compares two of rfa's paths with each other, so a change that moved all of them together would
// pass them; this one would not. Losses, norms and weights agree to 1e-12 relative (the BLAS rounds differently on
// other CPUs, so not bit for bit), accuracies exactly.
//
// To write the file again (only when a change of the numbers is intended and explained):
//   RFA_WRITE_FIXTURE=1 build/tests/test_fixture
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "linear.hpp"
#include "network.hpp"
#include "run.hpp"
#include "methods.hpp"
#include "xor_data.hpp"

using namespace rfa;

namespace {

const std::string FIXTURE = std::string(RFA_SOURCE_DIR) + "/tests/fixtures/trajectories.txt";

struct Regime {
  std::string name;
  std::size_t n, d, m;
  double sigma2, eta, alpha, omega2;
  FlipMode flip;
  std::vector<std::string> trainers;  // "<method>-<grad>" or "linear-bias"
};

std::vector<Regime> regimes() {
  return {
      {"d2", 200, 2, 20, 0.02, 0.15, 0.05, 1.0 / (32 * 20), FlipMode::prob,
       {"plain-closed", "plain-tape", "linear-bias"}},
      {"n<d", 40, 120, 16, std::pow(120.0, -1.2), 0.15, 0.1, 0.01 / (16 * 120), FlipMode::exact,
       {"plain-closed", "plain-tape", "rowspace-closed", "rowspace-tape", "patterns-closed", "patterns-tape"}},
      {"n>d", 300, 20, 16, std::pow(20.0, -1.2), 0.15, 0.1, 0.01 / (16 * 20), FlipMode::exact,
       {"plain-closed", "plain-tape"}},
  };
}

const std::vector<std::size_t> STEPS = {0, 1, 2, 5, 10, 50, 100, 200};

// One line per evaluation step ("<regime> <trainer> metrics <step> <7 values>") and per stored weight
// ("<regime> <trainer> W <index> <value>"): the first and last four entries of W (w and b for the linear model).
std::vector<std::string> produce() {
  std::vector<std::string> lines;
  for (const Regime& g : regimes()) {
    const DataSpec spec{g.d, g.sigma2, g.eta, g.flip, Noise::gaussian};
    const Means means = g.d == 2 ? axis_means(2) : random_means(g.d, 1);
    const Dataset<double> train = make_dataset<double>(sample_xor(spec, means, g.n, 1, Stream::train_data));
    const Dataset<double> test = make_dataset<double>(sample_xor(spec, means, 100, 1, Stream::test_data));
    for (const std::string& name : g.trainers) {
      std::unique_ptr<Trainer<double>> t;
      if (name == "linear-bias") {
        t = std::make_unique<LinearDescent<double>>(train.X, train.y, true, g.alpha);
      } else {
        const std::string method = name.substr(0, name.find('-')), grad = name.substr(name.find('-') + 1);
        t = make_trainer<double>(parse_method(method), parse_grad_source(grad), train.X, train.y,
                                 second_layer<double>(g.m), init_weights<double>(g.m, g.d, g.omega2, 1), g.alpha);
      }
      RunOptions opt;
      opt.schedule = STEPS;
      for (const Metrics& m : run_training(*t, train, &test, opt))
        lines.push_back(fmt::format("{} {} metrics {} {} {} {} {} {} {} {}", g.name, name, m.step, m.loss, m.train_acc,
                                    m.train_clean_acc, m.train_flipped_acc, m.test_acc, m.test_clean_acc, m.w_norm));
      const Tensor<double>& W = t->weights();
      for (std::size_t k = 0; k < W.size(); ++k)
        if (k < 4 || k + 4 >= W.size()) lines.push_back(fmt::format("{} {} W {} {}", g.name, name, k, W[k]));
      if (name == "linear-bias")
        lines.push_back(fmt::format("{} {} b 0 {}", g.name, name, static_cast<LinearDescent<double>&>(*t).bias()));
    }
  }
  return lines;
}

std::vector<double> numbers(const std::string& line, std::string& key) {
  std::istringstream in(line);
  std::string regime, trainer, kind, index;
  in >> regime >> trainer >> kind >> index;
  key = regime + " " + trainer + " " + kind + " " + index;
  std::vector<double> v;
  for (std::string s; in >> s;) v.push_back(s == "nan" ? NAN : std::stod(s));
  return v;
}

}  // namespace

TEST_CASE("small runs in every regime and with every trainer reproduce the stored numbers") {
  const std::vector<std::string> got = produce();
  if (std::getenv("RFA_WRITE_FIXTURE")) {
    std::string text;
    for (const std::string& l : got) text += l + "\n";
    write_file_atomic(FIXTURE, text);
    MESSAGE("wrote " << FIXTURE);
    return;
  }
  std::map<std::string, std::vector<double>> want;
  std::istringstream in(read_file(FIXTURE));
  for (std::string line; std::getline(in, line);) {
    std::string key;
    const std::vector<double> v = numbers(line, key);
    want[key] = v;
  }
  REQUIRE(want.size() == got.size());
  // The largest |W| entry of each run, for a norm-wise comparison of weights near 0.
  std::map<std::string, double> scale;
  for (const auto& [key, v] : want)
    if (key.find(" W ") != std::string::npos) {
      const std::string run = key.substr(0, key.find(" W "));
      scale[run] = std::max(scale[run], std::abs(v[0]));
    }
  for (const std::string& line : got) {
    std::string key;
    const std::vector<double> v = numbers(line, key);
    CAPTURE(key);
    REQUIRE(want.count(key) == 1);
    const std::vector<double>& w = want.at(key);
    REQUIRE(v.size() == w.size());
    if (key.find(" metrics ") != std::string::npos) {
      CHECK(std::abs(v[0] - w[0]) <= 1e-12 * std::abs(w[0]));  // loss
      for (int k = 1; k <= 5; ++k) CHECK((v[k] == w[k] || (std::isnan(v[k]) && std::isnan(w[k]))));  // accuracies
      CHECK(std::abs(v[6] - w[6]) <= 1e-12 * std::abs(w[6]));  // ||W||_F
    } else {
      const std::string run = key.substr(0, key.rfind(key.find(" W ") != std::string::npos ? " W " : " b "));
      const double s = key.find(" W ") != std::string::npos ? scale.at(run) : std::abs(w[0]);
      CHECK(std::abs(v[0] - w[0]) <= 1e-12 * s);
    }
  }
}
