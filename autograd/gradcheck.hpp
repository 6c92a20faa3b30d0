// Gradient checking: the tape's derivatives against central differences, with PyTorch's gradcheck defaults
// (double precision, eps 1e-6, atol 1e-5, rtol 1e-3). An entry passes when |got - want| <= atol + rtol |want|.
//
// The report reads like llm.c's check_tensor: the first few mismatches as (got, want) pairs, the largest
// absolute and relative errors, then OK or NOT OK. Callers turn NOT OK into a failing test or a non-zero exit.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "tape.hpp"

namespace rfa {

struct Tolerance {
  double atol = 1e-5;
  double rtol = 1e-3;
};

struct Mismatch {
  std::size_t index;  // flat position in the compared arrays
  double got, want;
  std::string where;  // a readable position, when the caller can name one
};

struct Comparison {
  std::string label;
  std::size_t count = 0;       // entries compared
  std::size_t mismatches = 0;  // entries outside the tolerance (or non-finite)
  double max_abs = 0;          // max |got - want|
  double max_rel = 0;          // max |got - want| / max(|got|, |want|); 0 where both are 0
  std::vector<Mismatch> first; // the first few mismatches
  bool ok() const { return mismatches == 0; }
  // "label: 105 entries, max abs err 1.2e-10, max rel err 3.4e-09: OK", preceded by the first mismatches.
  std::string report() const;
};

// Compares got against want entry by entry. `where(i)`, when given, names entry i in the report.
Comparison compare(std::string label, const double* got, const double* want, std::size_t n, Tolerance tol = {},
                   const std::function<std::string(std::size_t)>& where = {}, std::size_t keep = 5);
// The same for two tensors of equal shape (float tensors are widened to double first).
template <typename A, typename B>
Comparison compare(std::string label, const Tensor<A>& got, const Tensor<B>& want, Tolerance tol = {});

// d f / d x by central differences: (f(x + eps e_k) - f(x - eps e_k)) / (2 eps) for every entry k of x.
Tensor<double> numeric_gradient(const std::function<double(const Tensor<double>&)>& f, const Tensor<double>& x,
                                double eps = 1e-6);

// Records a computation on `tape` from its inputs (already on the tape as params) and returns its output.
using Recorder = std::function<Var<double>(Tape<double>& tape, const std::vector<Var<double>>& inputs)>;

struct GradcheckOptions {
  double eps = 1e-6;
  Tolerance tol{};
  std::size_t keep = 5;  // mismatches to show
};

// The full Jacobian of f's output (any shape) with respect to every input, from the tape (one backward pass
// per output entry, seeded with a unit vector) against central differences.
Comparison gradcheck(std::string label, const Recorder& f, const std::vector<Tensor<double>>& inputs,
                     GradcheckOptions opt = {});

}  // namespace rfa
