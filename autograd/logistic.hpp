// The logistic loss, once: the stable scalar functions, one sample's term and its derivative, and the head over N
// outputs. The tape's fused logistic_loss op, every trainer's hand-written step, the metrics and the gradient check
// all compute the loss and dL/df here, so they round the same way.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

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
// (double) or ~88 (float) and loses everything below 1e-16 for very negative a; this one does neither. Never
// log(sigmoid(.)): sigmoid rounds to 0 or 1 and the log then gives -inf or loses all digits.
template <typename T>
inline T stable_softplus(T a) {
  return std::max(a, T(0)) + std::log1p(std::exp(-std::abs(a)));
}

// One sample's loss and its derivative in the output f, for the label y (the margin is y f):
//   loss = softplus(-y f) = log(1 + exp(-y f)),   d loss / d f = -y sigmoid(-y f), in [-1, 1] for any finite f.
template <typename T>
struct LogisticTerm {
  double loss;
  T dloss_df;
};
template <typename T>
inline LogisticTerm<T> logistic_term(T f, T y) {
  const T m = y * f;
  return {double(stable_softplus(-m)), -y * stable_sigmoid(-m)};
}

// The paper's loss over N outputs f (N) with labels y (N): returns L = (1/N) sum_i softplus(-y_i f_i), summed in
// double; when u is given, writes u (N) = dL/df, u_i = -(1/N) y_i sigmoid(-y_i f_i). With y null the labels are 1
// (f are then margins y_i f_i).
template <typename T>
inline double logistic_head(const T* f, const T* y, std::size_t N, T* u = nullptr) {
  double loss = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const LogisticTerm<T> t = logistic_term(f[i], y ? y[i] : T(1));
    loss += t.loss;
    if (u) u[i] = t.dloss_df / T(N);
  }
  return N ? loss / double(N) : 0.0;
}

}  // namespace rfa
