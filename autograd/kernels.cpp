#include "kernels.hpp"

namespace rfa::kernels {

namespace {
// LANES interleaved partial sums, combined pairwise in a fixed order.
template <typename T, int LANES>
inline T relu_dot_lanes(const T* a, const T* x, std::size_t n) {
  T s[LANES] = {};
  std::size_t j = 0;
  for (; j + LANES <= n; j += LANES)
    for (int k = 0; k < LANES; ++k) s[k] += a[j + k] > T(0) ? a[j + k] * x[j + k] : T(0);
  for (int width = LANES / 2; width > 0; width /= 2)
    for (int k = 0; k < width; ++k) s[k] += s[k + width];
  T t = s[0];
  for (; j < n; ++j) t += a[j] > T(0) ? a[j] * x[j] : T(0);
  return t;
}

template <typename T>
inline void relu_outer_row_impl(T* d, const T* a, T dy, const T* x, std::size_t n, bool fresh) {
  if (fresh)
    for (std::size_t j = 0; j < n; ++j) d[j] = a[j] > T(0) ? dy * x[j] : T(0);
  else
    for (std::size_t j = 0; j < n; ++j) d[j] += a[j] > T(0) ? dy * x[j] : T(0);
}
template <typename T>
inline void relu_outer_row_from(T* d, const T* base, const T* a, T dy, const T* x, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) d[j] = base[j] + (a[j] > T(0) ? dy * x[j] : T(0));
}
}  // namespace

RFA_CLONES double relu_dot(const double* a, const double* x, std::size_t n) { return relu_dot_lanes<double, 8>(a, x, n); }
RFA_CLONES float relu_dot(const float* a, const float* x, std::size_t n) { return relu_dot_lanes<float, 16>(a, x, n); }

RFA_CLONES void relu_outer_row(double* d, const double* a, double dy, const double* x, std::size_t n, bool fresh) {
  relu_outer_row_impl(d, a, dy, x, n, fresh);
}
RFA_CLONES void relu_outer_row(float* d, const float* a, float dy, const float* x, std::size_t n, bool fresh) {
  relu_outer_row_impl(d, a, dy, x, n, fresh);
}

RFA_CLONES void relu_outer_row(double* d, const double* base, const double* a, double dy, const double* x,
                               std::size_t n) {
  relu_outer_row_from(d, base, a, dy, x, n);
}
RFA_CLONES void relu_outer_row(float* d, const float* base, const float* a, float dy, const float* x, std::size_t n) {
  relu_outer_row_from(d, base, a, dy, x, n);
}

}  // namespace rfa::kernels
