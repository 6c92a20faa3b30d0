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

// blas::gemm with the M rows of C split among rfa's workers (support/parallel.hpp), each part one single-threaded
// BLAS call. The BLAS may pick a different kernel for a part than for the whole, so the result agrees with one
// call to rounding, not always bit for bit.
template <typename T>
void parallel_gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                   std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);

// y (n) += alpha x (n), split over the workers in parts of at least 16384 entries: the weight update, a pass over
// (M, D) arrays that one core's memory bandwidth would make a sizeable part of a step. Each entry is y + alpha x
// rounded once or twice, depending on whether the BLAS kernel used for its part fuses the multiply-add, so the
// result agrees with one call to within one rounding of each entry.
template <typename T>
void parallel_axpy(std::size_t n, T alpha, const T* x, T* y);

}  // namespace rfa::blas
