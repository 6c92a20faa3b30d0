#include "blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "parallel.hpp"

namespace rfa::blas {

namespace {
CBLAS_TRANSPOSE cblas_trans(Trans t) { return t == Trans::N ? CblasNoTrans : CblasTrans; }
// cblas takes int sizes; anything past INT_MAX would silently wrap, so refuse it.
blasint I(std::size_t v) {
  if (v > 2147483647u) throw std::length_error("blas: dimension " + std::to_string(v) + " exceeds the BLAS int range");
  return static_cast<blasint>(v);
}
constexpr bool is_float(auto x) { return std::is_same_v<decltype(x), float>; }
}  // namespace

template <typename T>
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A, std::size_t lda,
          const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  const auto call = [&](auto f) {
    f(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), I(M), I(N), I(K), alpha, A, I(lda), B, I(ldb), beta, C, I(ldc));
  };
  if constexpr (is_float(T())) call(cblas_sgemm);
  else call(cblas_dgemm);
}

template <typename T>
void gemv(Trans ta, std::size_t M, std::size_t N, T alpha, const T* A, std::size_t lda, const T* x, T beta, T* y) {
  if (M == 0 || N == 0) return;
  const auto call = [&](auto f) { f(CblasRowMajor, cblas_trans(ta), I(M), I(N), alpha, A, I(lda), x, 1, beta, y, 1); };
  if constexpr (is_float(T())) call(cblas_sgemv);
  else call(cblas_dgemv);
}

template <typename T>
void ger(std::size_t M, std::size_t N, T alpha, const T* x, const T* y, T* A, std::size_t lda) {
  if (M == 0 || N == 0) return;
  if constexpr (is_float(T())) cblas_sger(CblasRowMajor, I(M), I(N), alpha, x, 1, y, 1, A, I(lda));
  else cblas_dger(CblasRowMajor, I(M), I(N), alpha, x, 1, y, 1, A, I(lda));
}

template <typename T>
void gram(std::size_t N, std::size_t K, T alpha, const T* A, std::size_t lda, T beta, T* C, std::size_t ldc) {
  if (N == 0) return;
  const auto call = [&](auto f) {
    f(CblasRowMajor, CblasUpper, CblasNoTrans, I(N), I(K), alpha, A, I(lda), beta, C, I(ldc));
  };
  if constexpr (is_float(T())) call(cblas_ssyrk);
  else call(cblas_dsyrk);
  for (std::size_t i = 0; i < N; ++i)  // syrk wrote the upper triangle; mirror it
    for (std::size_t j = 0; j < i; ++j) C[i * ldc + j] = C[j * ldc + i];
}

template <typename T>
void axpy(std::size_t N, T alpha, const T* x, T* y) {
  if constexpr (is_float(T())) cblas_saxpy(I(N), alpha, x, 1, y, 1);
  else cblas_daxpy(I(N), alpha, x, 1, y, 1);
}

template <typename T>
T dot(std::size_t N, const T* x, const T* y) {
  if constexpr (is_float(T())) return cblas_sdot(I(N), x, 1, y, 1);
  else return cblas_ddot(I(N), x, 1, y, 1);
}

template <typename T>
void parallel_gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                   std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
  // Parts of at least 32 rows, so each call still runs the BLAS kernel at full width.
  const std::size_t parts =
      std::min<std::size_t>(static_cast<std::size_t>(workers_for(M / 32)), std::max<std::size_t>(1, M / 32));
  const std::size_t rows = (M + parts - 1) / std::max<std::size_t>(parts, 1);
  parallel_for(parts, [&](std::size_t p, int) {
    const std::size_t r0 = p * rows;
    if (r0 >= M) return;
    // Rows r0.. of op(A): rows of A when not transposed, columns of A when transposed.
    const T* Ap = ta == Trans::N ? A + r0 * lda : A + r0;
    gemm(ta, tb, std::min(rows, M - r0), N, K, alpha, Ap, lda, B, ldb, beta, C + r0 * ldc, ldc);
  });
}

template <typename T>
void parallel_axpy(std::size_t n, T alpha, const T* x, T* y) {
  const std::size_t parts = static_cast<std::size_t>(workers_for(n / 16384));
  const std::size_t per = (n + parts - 1) / parts;
  parallel_for(parts, [&](std::size_t p, int) {
    const std::size_t i0 = p * per;
    if (i0 < n) axpy(std::min(per, n - i0), alpha, x + i0, y + i0);
  });
}

#define RFA_INSTANTIATE(T)                                                                                            \
  template void gemm(Trans, Trans, std::size_t, std::size_t, std::size_t, T, const T*, std::size_t, const T*,         \
                     std::size_t, T, T*, std::size_t);                                                                \
  template void gemv(Trans, std::size_t, std::size_t, T, const T*, std::size_t, const T*, T, T*);                     \
  template void ger(std::size_t, std::size_t, T, const T*, const T*, T*, std::size_t);                                \
  template void gram(std::size_t, std::size_t, T, const T*, std::size_t, T, T*, std::size_t);                         \
  template void axpy(std::size_t, T, const T*, T*);                                                                   \
  template T dot(std::size_t, const T*, const T*);                                                                    \
  template void parallel_gemm(Trans, Trans, std::size_t, std::size_t, std::size_t, T, const T*, std::size_t, const T*, \
                              std::size_t, T, T*, std::size_t);                                                       \
  template void parallel_axpy(std::size_t, T, const T*, T*);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa::blas
