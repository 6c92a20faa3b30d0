// Logistic regression on the tape: the smallest model that learns something.
//
// Data: x ~ N(0, I) in d = 5 dimensions, labels y = sgn(<w*, x> + 0.5 + noise) for a fixed w*. Model: f(x) = <w, x> + b,
// trained by full-batch gradient descent on the mean logistic loss (1/n) sum_i log(1 + exp(-y_i f(x_i))). The
// gradient is checked against central differences before training; at the end the program prints the accuracy and
// how well w points along w*, and exits 1 if the check or the learning failed.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include <rfa/gradcheck.hpp>
#include <rfa/ops.hpp>

using namespace rfa;

namespace {
// splitmix64 and the standard transforms: the same numbers on every machine, no library needed.
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {                                              // Box-Muller
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

// The loss of the model on (X, y), recorded on `tape`: w (d), b (1) are params; X (n, d), y (n) constants.
Var<double> loss_of(Tape<double>& tape, const Tensor<double>& X, const Tensor<double>& y, Var<double> w,
                    Var<double> b) {
  auto f = broadcast_add(matvec(tape.constant(X), w), b);  // f (n) = X w + b
  return logistic_loss(tape.constant(y) * f);               // margins y_i f_i, one fused stable op
}
}  // namespace

int main() {
  const std::size_t n = 400, d = 5;
  Random rng{7};
  const Tensor<double> w_star{1.0, -2.0, 0.5, 0.0, 1.5};
  Tensor<double> X(n, d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0.5 + 0.3 * rng.normal();
    for (std::size_t j = 0; j < d; ++j) s += w_star[j] * (X(i, j) = rng.normal());
    y[i] = s > 0 ? 1.0 : -1.0;
  }

  // The tape's gradient against central differences, at a random point, on the first 20 samples.
  Tensor<double> w(d), b(1);
  for (double& v : w) v = 0.1 * rng.normal();
  b[0] = 0.1;
  const Tensor<double> X20 = Tensor<double>::rows_view(X, 0, 20), y20 = Tensor<double>::rows_view(y, 0, 20);
  const Comparison check = gradcheck("d loss / d (w, b)", [&](Tape<double>& t, const std::vector<Var<double>>& p) {
    return loss_of(t, X20, y20, p[0], p[1]);
  }, {w, b});
  std::printf("%s\n", check.report().c_str());

  // Gradient descent: record, backward, step; clear() keeps the tape's storage for the next step.
  Tape<double> tape;
  double loss = 0;
  for (int step = 0; step < 300; ++step) {
    tape.clear();
    auto wv = tape.param(w), bv = tape.param(b);
    auto L = loss_of(tape, X, y, wv, bv);
    tape.backward(L);
    loss = L.value().item();
    for (std::size_t j = 0; j < d; ++j) w[j] -= 0.5 * tape.grad(wv)[j];
    b[0] -= 0.5 * tape.grad(bv)[0];
  }

  std::size_t right = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double f = b[0];
    for (std::size_t j = 0; j < d; ++j) f += X(i, j) * w[j];
    right += (f > 0 ? 1.0 : -1.0) == y[i];
  }
  double dot = 0, ww = 0, ss = 0;
  for (std::size_t j = 0; j < d; ++j) dot += w[j] * w_star[j], ww += w[j] * w[j], ss += w_star[j] * w_star[j];
  const double accuracy = double(right) / double(n), cosine = dot / std::sqrt(ww * ss);
  std::printf("after 300 steps: loss %.4f, training accuracy %.1f%%, cos(w, w*) = %.3f, b = %.3f\n", loss,
              100 * accuracy, cosine, b[0]);
  const bool learned = accuracy > 0.9 && cosine > 0.95;
  if (!learned) std::printf("NOT LEARNED: expected accuracy > 90%% and cos(w, w*) > 0.95\n");
  return check.ok() && learned ? 0 : 1;
}
