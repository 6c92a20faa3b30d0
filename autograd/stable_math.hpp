// Scalar functions that stay finite where the naive formula overflows. Shared by the ops on the tape and by
// hand-written code (the closed-form gradient in models/), so both round the same way.
#pragma once

#include <algorithm>
#include <cmath>

namespace rfa {

// sigmoid(a) = 1 / (1 + e^-a). For a >= 0 that form has e^-a <= 1; for a < 0 the equal e^a / (1 + e^a) has
// e^a < 1. Nothing overflows for any finite a, and the result lies in [0, 1].
template <typename T>
inline T stable_sigmoid(T a) {
  if (a >= T(0)) return T(1) / (T(1) + std::exp(-a));
  const T e = std::exp(a);
  return e / (T(1) + e);
}

// softplus(a) = log(1 + e^a) = max(a, 0) + log1p(e^-|a|). The naive form overflows to inf for a > ~709
// (double) or ~88 (float) and loses everything below 1e-16 for very negative a; this one does neither.
template <typename T>
inline T stable_softplus(T a) {
  return std::max(a, T(0)) + std::log1p(std::exp(-std::abs(a)));
}

}  // namespace rfa
