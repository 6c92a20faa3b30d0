#include "blas.hpp"

#include <cblas.h>

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

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

void select_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  std::string core = openblas_get_corename();
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool fallback = core == "prescott" || core == "core2" || core == "penryn" || core == "dunnington" ||
                        core == "nehalem" || core == "unknown";
  if (!fallback) return;
  const char* want = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl"))
    want = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    want = "Haswell";
  if (!want) return;
  ::setenv("OPENBLAS_CORETYPE", want, 1);
  ::execv("/proc/self/exe", argv);
  // Only reached when the re-exec failed: carry on with the slow kernels rather than not at all.
  std::fprintf(stderr, "rfa: could not re-execute with OPENBLAS_CORETYPE=%s (%s); OpenBLAS stays on its '%s' "
               "kernels\n", want, std::strerror(errno), core.c_str());
}

const char* core_name() { return openblas_get_corename(); }

void set_threads(int n) {
  if (n < 1) throw std::invalid_argument("blas::set_threads: thread count must be >= 1, got " + std::to_string(n));
  openblas_set_num_threads(n);
}
int threads() { return openblas_get_num_threads(); }
const char* config() { return openblas_get_config(); }

}  // namespace rfa::blas
