// The BLAS calls rfa makes, for float and double. blas.cpp is the only file that includes cblas.h.
//
// All matrices are row-major. Transposes are passed as flags to the BLAS, never made by copying: a product
// with B^T reads B where it lies. Leading dimensions (lda, ...) are row strides in elements, which lets a
// caller hand over a block of rows of a larger matrix without copying it.
#pragma once

#include <cstddef>

namespace rfa::blas {

enum class Trans { N, T };

// C (M,N) = alpha * op(A) (M,K) * op(B) (K,N) + beta * C; op(A) is A (M,K) for N, A^T with A (K,M) for T.
template <typename T>
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A, std::size_t lda,
          const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);

// y (len M or N) = alpha * op(A) x + beta * y; A is (M,N). N: y (M) = A x (N). T: y (N) = A^T x (M).
template <typename T>
void gemv(Trans ta, std::size_t M, std::size_t N, T alpha, const T* A, std::size_t lda, const T* x, T beta, T* y);

// A (M,N) += alpha * x (M) y^T (N): the rank-1 update.
template <typename T>
void ger(std::size_t M, std::size_t N, T alpha, const T* x, const T* y, T* A, std::size_t lda);

// C (N,N) = alpha * A (N,K) A^T + beta * C, both triangles filled (syrk writes one; we mirror it).
template <typename T>
void gram(std::size_t N, std::size_t K, T alpha, const T* A, std::size_t lda, T beta, T* C, std::size_t ldc);

// y (N) += alpha * x (N)
template <typename T>
void axpy(std::size_t N, T alpha, const T* x, T* y);

// <x, y> over N elements
template <typename T>
T dot(std::size_t N, const T* x, const T* y);

// Debian 12's OpenBLAS (0.3.21, built for every x86 core and choosing at load time) does not know CPUs newer
// than itself (Sapphire and Emerald Rapids, say) and falls back to its slowest kernels ("Prescott"), which run
// GEMM 3-5x slower than the AVX-512 ("SkylakeX") or AVX2 ("Haswell") kernels the CPU can run. The choice is made
// when the library loads, before main(), so the remedy is the OPENBLAS_CORETYPE variable and a re-exec:
// call this first thing in main(). It does nothing when OPENBLAS_CORETYPE is set already or the library chose a
// modern core itself; otherwise it sets the best core the CPU supports and re-executes the program.
void select_kernels(char** argv);
// The kernel set in use, e.g. "skylakex".
const char* core_name();

// The number of threads OpenBLAS uses for every call from now on (>= 1).
void set_threads(int n);
int threads();
// The OpenBLAS build in use ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"), for manifests.
const char* config();

}  // namespace rfa::blas
