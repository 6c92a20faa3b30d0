#include "blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "parallel.hpp"

namespace rfa::blas {

namespace {
CBLAS_TRANSPOSE cblas_trans(Trans t) { return t == Trans::N ? CblasNoTrans : CblasTrans; }
// cblas takes int sizes; anything past INT_MAX would silently wrap, so refuse it.
blasint I(std::size_t v) {
  if (v > 2147483647u) throw std::length_error("blas: dimension " + std::to_string(v) + " exceeds the BLAS int range");
  return static_cast<blasint>(v);
}
}  // namespace

template <>
void gemm<float>(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                 std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  cblas_sgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), I(M), I(N), I(K), alpha, A, I(lda), B, I(ldb), beta,
              C, I(ldc));
}
template <>
void gemm<double>(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, double alpha, const double* A,
                  std::size_t lda, const double* B, std::size_t ldb, double beta, double* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  cblas_dgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), I(M), I(N), I(K), alpha, A, I(lda), B, I(ldb), beta,
              C, I(ldc));
}

template <>
void gemv<float>(Trans ta, std::size_t M, std::size_t N, float alpha, const float* A, std::size_t lda,
                 const float* x, float beta, float* y) {
  if (M == 0 || N == 0) return;
  cblas_sgemv(CblasRowMajor, cblas_trans(ta), I(M), I(N), alpha, A, I(lda), x, 1, beta, y, 1);
}
template <>
void gemv<double>(Trans ta, std::size_t M, std::size_t N, double alpha, const double* A, std::size_t lda,
                  const double* x, double beta, double* y) {
  if (M == 0 || N == 0) return;
  cblas_dgemv(CblasRowMajor, cblas_trans(ta), I(M), I(N), alpha, A, I(lda), x, 1, beta, y, 1);
}

template <>
void ger<float>(std::size_t M, std::size_t N, float alpha, const float* x, const float* y, float* A, std::size_t lda) {
  if (M == 0 || N == 0) return;
  cblas_sger(CblasRowMajor, I(M), I(N), alpha, x, 1, y, 1, A, I(lda));
}
template <>
void ger<double>(std::size_t M, std::size_t N, double alpha, const double* x, const double* y, double* A,
                 std::size_t lda) {
  if (M == 0 || N == 0) return;
  cblas_dger(CblasRowMajor, I(M), I(N), alpha, x, 1, y, 1, A, I(lda));
}

namespace {
template <typename T>
void mirror_upper(std::size_t N, T* C, std::size_t ldc) {
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = 0; j < i; ++j) C[i * ldc + j] = C[j * ldc + i];
}
}  // namespace

template <>
void gram<float>(std::size_t N, std::size_t K, float alpha, const float* A, std::size_t lda, float beta, float* C,
                 std::size_t ldc) {
  if (N == 0) return;
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, I(N), I(K), alpha, A, I(lda), beta, C, I(ldc));
  mirror_upper(N, C, ldc);
}
template <>
void gram<double>(std::size_t N, std::size_t K, double alpha, const double* A, std::size_t lda, double beta,
                  double* C, std::size_t ldc) {
  if (N == 0) return;
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, I(N), I(K), alpha, A, I(lda), beta, C, I(ldc));
  mirror_upper(N, C, ldc);
}

template <>
void axpy<float>(std::size_t N, float alpha, const float* x, float* y) {
  cblas_saxpy(I(N), alpha, x, 1, y, 1);
}
template <>
void axpy<double>(std::size_t N, double alpha, const double* x, double* y) {
  cblas_daxpy(I(N), alpha, x, 1, y, 1);
}

template <>
float dot<float>(std::size_t N, const float* x, const float* y) {
  return cblas_sdot(I(N), x, 1, y, 1);
}
template <>
double dot<double>(std::size_t N, const double* x, const double* y) {
  return cblas_ddot(I(N), x, 1, y, 1);
}

template <typename T>
void parallel_gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                   std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
  // Parts of at least 32 rows, so each call still runs the BLAS kernel at full width.
  const std::size_t parts = std::min<std::size_t>(static_cast<std::size_t>(workers_for(M / 32)), std::max<std::size_t>(1, M / 32));
  const std::size_t rows = (M + parts - 1) / std::max<std::size_t>(parts, 1);
  parallel_for(parts, [&](std::size_t p, int) {
    const std::size_t r0 = p * rows;
    if (r0 >= M) return;
    const std::size_t r = std::min(rows, M - r0);
    // Rows r0.. of op(A): rows of A when not transposed, columns of A when transposed.
    const T* Ap = ta == Trans::N ? A + r0 * lda : A + r0;
    gemm(ta, tb, r, N, K, alpha, Ap, lda, B, ldb, beta, C + r0 * ldc, ldc);
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

template void parallel_axpy(std::size_t, float, const float*, float*);
template void parallel_axpy(std::size_t, double, const double*, double*);
template void parallel_gemm(Trans, Trans, std::size_t, std::size_t, std::size_t, float, const float*, std::size_t,
                            const float*, std::size_t, float, float*, std::size_t);
template void parallel_gemm(Trans, Trans, std::size_t, std::size_t, std::size_t, double, const double*, std::size_t,
                            const double*, std::size_t, double, double*, std::size_t);

}  // namespace rfa::blas
