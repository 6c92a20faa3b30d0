// Gradient checking: the tape's derivatives against central differences, with PyTorch's gradcheck defaults
// (double precision, eps 1e-6, atol 1e-5, rtol 1e-3), reported as a Comparison (support/compare.hpp).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "compare.hpp"
#include "tape.hpp"

namespace rfa {

// The same for two tensors of equal shape (float tensors are widened to double first).
template <typename A, typename B>
Comparison compare(std::string label, const Tensor<A>& got, const Tensor<B>& want, Tolerance tol = {}) {
  check_shape("compare", "got", got.shape(), want.shape());
  const std::vector<double> g(got.begin(), got.end()), w(want.begin(), want.end());
  return compare(std::move(label), g.data(), w.data(), g.size(), tol);
}

// d f / d x by central differences: (f(x + eps e_k) - f(x - eps e_k)) / (2 eps) for every entry k of x.
Tensor<double> numeric_gradient(const std::function<double(const Tensor<double>&)>& f, const Tensor<double>& x,
                                double eps = 1e-6);

// Records a computation on `tape` from its inputs (already on the tape as params) and returns its output.
using Recorder = std::function<Var<double>(Tape<double>& tape, const std::vector<Var<double>>& inputs)>;

// The full Jacobian of f's output (any shape) with respect to every input, from the tape (one backward pass
// per output entry, seeded with a unit vector) against central differences with step eps.
Comparison gradcheck(std::string label, const Recorder& f, const std::vector<Tensor<double>>& inputs,
                     Tolerance tol = {}, double eps = 1e-6);

}  // namespace rfa
