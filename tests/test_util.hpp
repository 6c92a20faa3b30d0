// Helpers shared by the tests: deterministic random tensors.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "tensor.hpp"

namespace rfa::test {

// Entries uniform in [lo, hi), from mt19937_64 with a hand-written transform (std distributions differ
// between standard libraries; tests should see the same numbers everywhere).
inline Tensor<double> uniform(Shape s, std::uint64_t seed, double lo = -1, double hi = 1) {
  std::mt19937_64 rng(seed);
  Tensor<double> t(s);
  for (double& v : t) v = lo + (hi - lo) * double(rng() >> 11) * 0x1.0p-53;
  return t;
}

// Entries with |x| uniform in [0.2, 1] and a random sign: away from 0, the kink of relu and of |x|.
inline Tensor<double> away_from_zero(Shape s, std::uint64_t seed) {
  Tensor<double> t = uniform(s, seed, 0.2, 1.0);
  std::mt19937_64 sign(seed ^ 0x5bd1e995u);
  for (double& v : t)
    if (sign() & 1) v = -v;
  return t;
}

// |got - want| <= rel * max(|got|, |want|) + abs. (doctest's Approx adds 1 to the scale, which makes it an
// absolute test for small numbers; these checks need a truly relative one.)
inline bool close(double got, double want, double rel, double abs = 0) {
  return std::abs(got - want) <= rel * std::max(std::abs(got), std::abs(want)) + abs;
}

}  // namespace rfa::test
