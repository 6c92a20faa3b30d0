#include "gradcheck.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace rfa {

Comparison compare(std::string label, const double* got, const double* want, std::size_t n, Tolerance tol,
                   const std::function<std::string(std::size_t)>& where, std::size_t keep) {
  Comparison c;
  c.label = std::move(label);
  c.count = n;
  for (std::size_t i = 0; i < n; ++i) {
    const double g = got[i], w = want[i];
    const double abs_err = std::abs(g - w);
    const double scale = std::max(std::abs(g), std::abs(w));
    const double rel_err = scale > 0 ? abs_err / scale : 0.0;
    // NaN compares false everywhere, so a non-finite entry must be caught explicitly or it would pass.
    const bool bad = !std::isfinite(g) || !std::isfinite(w) || abs_err > tol.atol + tol.rtol * std::abs(w);
    if (std::isfinite(abs_err)) {
      c.max_abs = std::max(c.max_abs, abs_err);
      c.max_rel = std::max(c.max_rel, rel_err);
    } else {
      c.max_abs = c.max_rel = INFINITY;
    }
    if (bad) {
      if (c.first.size() < keep) c.first.push_back({i, g, w, where ? where(i) : fmt::format("[{}]", i)});
      ++c.mismatches;
    }
  }
  return c;
}

template <typename A, typename B>
Comparison compare(std::string label, const Tensor<A>& got, const Tensor<B>& want, Tolerance tol) {
  check_shape("compare", "got", got.shape(), want.shape());
  std::vector<double> g(got.begin(), got.end()), w(want.begin(), want.end());
  return compare(std::move(label), g.data(), w.data(), g.size(), tol);
}
template Comparison compare(std::string, const Tensor<double>&, const Tensor<double>&, Tolerance);
template Comparison compare(std::string, const Tensor<float>&, const Tensor<double>&, Tolerance);
template Comparison compare(std::string, const Tensor<float>&, const Tensor<float>&, Tolerance);
template Comparison compare(std::string, const Tensor<double>&, const Tensor<float>&, Tolerance);

std::string Comparison::report() const {
  std::string out;
  if (mismatches > 0) {
    out += fmt::format("{}: {} of {} entries outside tolerance; first {} (got, want):\n", label, mismatches, count,
                       first.size());
    for (const Mismatch& m : first) out += fmt::format("  {}: {:.10g}, {:.10g}\n", m.where, m.got, m.want);
  }
  out += fmt::format("{}: {} entries, max abs err {:.3e}, max rel err {:.3e}: {}", label, count, max_abs, max_rel,
                     ok() ? "OK" : "NOT OK");
  return out;
}

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
                     GradcheckOptions opt) {
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
      probe[i][p] = inputs[i][p] + opt.eps;
      const Tensor<double> up = record(probe).value();
      probe[i][p] = inputs[i][p] - opt.eps;
      const Tensor<double> down = record(probe).value();
      probe[i][p] = inputs[i][p];
      for (std::size_t k = 0; k < K; ++k) numeric[k * P + offset[i] + p] = (up[k] - down[k]) / (2 * opt.eps);
    }
  }

  auto where = [&](std::size_t flat) {
    const std::size_t k = flat / P, col = flat % P;
    const std::size_t i = std::upper_bound(offset.begin(), offset.end(), col) - offset.begin() - 1;
    return fmt::format("d out[{}] / d {}", k, entry_name(i, inputs[i].shape(), col - offset[i]));
  };
  return compare(std::move(label), analytic.data(), numeric.data(), K * P, opt.tol, where, opt.keep);
}

}  // namespace rfa
