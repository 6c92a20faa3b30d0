#include "gradcheck.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace rfa {

Tensor<double> numeric_gradient(const std::function<double(const Tensor<double>&)>& f, const Tensor<double>& x,
                                double eps) {
  Tensor<double> grad(x.shape());
  Tensor<double> probe = x;
  for (std::size_t k = 0; k < x.size(); ++k) {
    probe[k] = x[k] + eps;
    const double up = f(probe);
    probe[k] = x[k] - eps;
    const double down = f(probe);
    probe[k] = x[k];
    grad[k] = (up - down) / (2 * eps);
  }
  return grad;
}

namespace {
// "input 1 (2, 4)" or "input 0 (3)": the position of flat entry k of input `which`.
std::string entry_name(std::size_t which, const Shape& s, std::size_t k) {
  return s.rank == 1 ? fmt::format("input {} ({})", which, k)
                     : fmt::format("input {} ({}, {})", which, k / s.cols, k % s.cols);
}
}  // namespace

Comparison gradcheck(std::string label, const Recorder& f, const std::vector<Tensor<double>>& inputs,
                     Tolerance tol, double eps) {
  Tape<double> tape;
  std::vector<Var<double>> vars;
  auto record = [&](const std::vector<Tensor<double>>& xs) {
    tape.clear();
    vars.clear();
    for (const auto& x : xs) vars.push_back(tape.param(x));
    return f(tape, vars);
  };

  // Where each input's entries start in a Jacobian row.
  std::vector<std::size_t> offset{0};
  for (const auto& x : inputs) offset.push_back(offset.back() + x.size());
  const std::size_t P = offset.back();
  const Shape out_shape = record(inputs).shape();
  const std::size_t K = out_shape.size();

  // Analytic Jacobian (K, P): row k is the gradient of output entry k, from a backward pass seeded with e_k.
  std::vector<double> analytic(K * P), numeric(K * P);
  Tensor<double> seed(out_shape);
  for (std::size_t k = 0; k < K; ++k) {
    Var<double> out = record(inputs);
    seed.fill(0);
    seed[k] = 1;
    tape.backward(out, seed);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Tensor<double>& g = tape.grad(vars[i]);
      std::copy(g.begin(), g.end(), analytic.begin() + k * P + offset[i]);
    }
  }

  // Numeric Jacobian by central differences, one input entry (one column) at a time.
  std::vector<Tensor<double>> probe = inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (std::size_t p = 0; p < inputs[i].size(); ++p) {
      probe[i][p] = inputs[i][p] + eps;
      const Tensor<double> up = record(probe).value();
      probe[i][p] = inputs[i][p] - eps;
      const Tensor<double> down = record(probe).value();
      probe[i][p] = inputs[i][p];
      for (std::size_t k = 0; k < K; ++k) numeric[k * P + offset[i] + p] = (up[k] - down[k]) / (2 * eps);
    }
  }

  auto where = [&](std::size_t flat) {
    const std::size_t k = flat / P, col = flat % P;
    const std::size_t i = std::upper_bound(offset.begin(), offset.end(), col) - offset.begin() - 1;
    return fmt::format("d out[{}] / d {}", k, entry_name(i, inputs[i].shape(), col - offset[i]));
  };
  return compare(std::move(label), analytic.data(), numeric.data(), K * P, tol, where);
}

}  // namespace rfa
