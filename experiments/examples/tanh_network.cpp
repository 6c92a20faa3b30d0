// A two-layer tanh network on a 2-D toy problem, both layers and their biases trained on the tape.
//
// Data: two noisy concentric rings in the plane, the inner one labelled +1 and the outer one -1 (no linear rule
// separates them). Model: f(x) = w2 . tanh(W1 x + b1) + b2 with 16 hidden units, trained by full-batch gradient
// descent on the mean logistic loss. The gradient with respect to all four parameters is checked against central
// differences first; the program then prints the loss and accuracy as it trains, and exits 1 if the check failed or
// the rings were not told apart.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

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

struct Params {
  Tensor<double> W1, b1, w2, b2;  // (h, 2), (h), (h), (1)
};

// f (n) = tanh(X W1^T + 1 b1^T) w2 + b2, and the loss on labels y, recorded on `tape`; p = {W1, b1, w2, b2}.
Var<double> loss_of(Tape<double>& tape, const Tensor<double>& X, const Tensor<double>& y,
                    const std::vector<Var<double>>& p) {
  auto H = tanh(broadcast_add(matmul(tape.constant(X), p[0], Trans::N, Trans::T), p[1]));  // (n, h)
  auto f = broadcast_add(matvec(H, p[2]), p[3]);                                           // (n)
  return logistic_loss(tape.constant(y) * f);
}

double accuracy(const Tensor<double>& X, const Tensor<double>& y, const Params& p) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < X.rows(); ++i) {
    double f = p.b2[0];
    for (std::size_t k = 0; k < p.w2.size(); ++k)
      f += p.w2[k] * std::tanh(p.W1(k, 0) * X(i, 0) + p.W1(k, 1) * X(i, 1) + p.b1[k]);
    right += (f > 0 ? 1.0 : -1.0) == y[i];
  }
  return double(right) / double(X.rows());
}
}  // namespace

int main() {
  const std::size_t n = 400, h = 16;
  Random rng{11};
  Tensor<double> X(n, 2), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool inner = i % 2 == 0;
    const double r = (inner ? 1.0 : 2.0) + 0.2 * rng.normal(), angle = 6.283185307179586 * rng.uniform();
    X(i, 0) = r * std::cos(angle);
    X(i, 1) = r * std::sin(angle);
    y[i] = inner ? 1.0 : -1.0;
  }
  Params p{Tensor<double>(h, 2), Tensor<double>(h), Tensor<double>(h), Tensor<double>(1)};
  for (double& v : p.W1) v = rng.normal();
  for (double& v : p.b1) v = 0.5 * rng.normal();
  for (double& v : p.w2) v = rng.normal() / std::sqrt(double(h));
  p.b2[0] = 0;

  // The tape's gradient of the loss with respect to (W1, b1, w2, b2) against central differences, on 25 samples.
  const Tensor<double> Xs = Tensor<double>::rows_view(X, 0, 25), ys = Tensor<double>::rows_view(y, 0, 25);
  const Comparison check = gradcheck("d loss / d (W1, b1, w2, b2)",
      [&](Tape<double>& t, const std::vector<Var<double>>& v) { return loss_of(t, Xs, ys, v); },
      {p.W1, p.b1, p.w2, p.b2});
  std::printf("%s\n", check.report().c_str());

  Tape<double> tape;
  std::vector<Tensor<double>*> params{&p.W1, &p.b1, &p.w2, &p.b2};
  for (int step = 0; step <= 3000; ++step) {
    tape.clear();
    std::vector<Var<double>> v;
    for (Tensor<double>* t : params) v.push_back(tape.param(*t));
    auto L = loss_of(tape, X, y, v);
    tape.backward(L);
    if (step % 500 == 0)
      std::printf("step %4d: loss %.4f, accuracy %.1f%%\n", step, L.value().item(), 100 * accuracy(X, y, p));
    for (std::size_t k = 0; k < params.size(); ++k)
      for (std::size_t i = 0; i < params[k]->size(); ++i) (*params[k])[i] -= 0.5 * tape.grad(v[k])[i];
  }
  const double acc = accuracy(X, y, p);
  const bool learned = acc > 0.95;
  std::printf("the rings are told apart: %s (training accuracy %.1f%%, need > 95%%)\n", learned ? "yes" : "NO",
              100 * acc);
  return check.ok() && learned ? 0 : 1;
}
