#include "network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "blas.hpp"
#include "kernels.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "errors.hpp"

namespace rfa {

template <typename T>
Tensor<T> second_layer(std::size_t M) {
  if (M == 0) throw InputError("second_layer: the width m must be >= 1");
  Tensor<T> a(M);
  const T v = T(1 / std::sqrt(double(M)));
  const std::size_t half = M / 2;
  for (std::size_t j = 0; j < M; ++j) a[j] = j < half ? v : (j < 2 * half ? -v : T(0));
  return a;
}

template <typename T>
Tensor<T> random_second_layer(std::size_t M, std::uint64_t seed) {
  if (M == 0) throw InputError("random_second_layer: the width m must be >= 1");
  Rng rng(seed, Stream::signs);
  Tensor<T> a(M);
  const T v = T(1 / std::sqrt(double(M)));
  for (T& x : a) x = rng.bits() >> 63 ? v : -v;
  return a;
}

template <typename T>
Tensor<T> init_weights(std::size_t M, std::size_t D, double omega2, std::uint64_t seed) {
  if (!(omega2 > 0) || !std::isfinite(omega2))
    throw InputError(fmt::format("omega2 (the init variance) must be finite and > 0, got {}", omega2));
  Rng rng(seed, Stream::init);
  const double omega = std::sqrt(omega2);
  Tensor<T> W(M, D);
  for (T& w : W) w = T(omega * rng.normal());
  return W;
}

template <typename T>
Tensor<T> symmetric_init_weights(std::size_t M, std::size_t D, double omega2, std::uint64_t seed) {
  // W (M, D): rows [0, M/2) drawn, rows [M/2, 2 (M/2)) their copies, for odd M the last row drawn last.
  const std::size_t half = M / 2;
  Tensor<T> drawn = init_weights<T>(half + M % 2, D, omega2, seed);
  Tensor<T> W(M, D);
  for (std::size_t j = 0; j < half; ++j)
    for (std::size_t k = 0; k < D; ++k) W(j, k) = W(j + half, k) = drawn(j, k);
  if (M % 2) std::copy_n(drawn.data() + half * D, D, W.data() + (M - 1) * D);
  return W;
}

template <typename T>
void network_outputs(Tensor<T>& f, const Tensor<T>& X, const Tensor<T>& W, const Tensor<T>& a, Tensor<T>& work) {
  // f (N) = relu(X (N,D) W^T (D,M)) a (M)
  const std::size_t N = X.rows(), D = X.cols(), M = W.rows();
  check_shape("network_outputs", "W", W.shape(), Shape::matrix(M, D));
  check_shape("network_outputs", "a", a.shape(), Shape::vector(M));
  f.resize(Shape::vector(N));
  const std::size_t B = std::min<std::size_t>(N, 512);
  work.resize(Shape::matrix(B, M));
  for (std::size_t i0 = 0; i0 < N; i0 += B) {
    const std::size_t rows = std::min(B, N - i0);
    // Z (rows,M) = X[i0:i0+rows] (rows,D) W^T (D,M)
    blas::parallel_gemm(blas::Trans::N, blas::Trans::T, rows, M, D, T(1), X.data() + i0 * D, D, W.data(), D, T(0),
                  work.data(), M);
    for (std::size_t i = 0; i < rows; ++i) f[i0 + i] = kernels::relu_dot(work.data() + i * M, a.data(), M);
  }
}

template <typename T>
double frobenius_norm(const Tensor<T>& W) {
  // Scaled by the largest entry, as BLAS's nrm2 does, so that squaring does not overflow for entries past 1e154.
  double big = 0;
  for (T w : W) {
    if (std::isnan(w)) return NAN;
    big = std::max(big, std::abs(double(w)));
  }
  if (big == 0 || !std::isfinite(big)) return big;
  double s = 0;
  for (T w : W) s += (double(w) / big) * (double(w) / big);
  return big * std::sqrt(s);
}

#define RFA_INSTANTIATE(T)                                                                             \
  template Tensor<T> second_layer<T>(std::size_t);                                                     \
  template Tensor<T> random_second_layer<T>(std::size_t, std::uint64_t);                               \
  template Tensor<T> init_weights<T>(std::size_t, std::size_t, double, std::uint64_t);                 \
  template Tensor<T> symmetric_init_weights<T>(std::size_t, std::size_t, double, std::uint64_t);       \
  template void network_outputs(Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>&); \
  template double frobenius_norm(const Tensor<T>&);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa
