#include "kernels.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "isa.hpp"

namespace rfa::kernels {

namespace {
// The loops are written on GCC's generic vectors of the variant's register width: 16 bytes for SSE2, 32 for AVX2,
// 64 for AVX-512. Their arithmetic is defined lane by lane, and a reduction always keeps 64 bytes of partial sums
// (16 floats or 8 doubles: four SSE2 registers, two AVX2 ones, one AVX-512 one), so every variant computes the same
// thing in the same order. Written out, the loops do not depend on the compiler's choice to vectorize, which it
// makes for AVX-512 only when a multiply sits inside a condition (without masked instructions it keeps a branch, an
// unpredictable one per entry). Products are computed for every entry and then masked, which gives the same bits.
typedef float F16 __attribute__((vector_size(16)));
typedef float F32 __attribute__((vector_size(32)));
typedef float F64 __attribute__((vector_size(64)));
typedef double D16 __attribute__((vector_size(16)));
typedef double D32 __attribute__((vector_size(32)));
typedef double D64 __attribute__((vector_size(64)));
typedef std::int32_t I16 __attribute__((vector_size(16)));
typedef std::int32_t I32 __attribute__((vector_size(32)));
typedef std::int32_t I64 __attribute__((vector_size(64)));
typedef std::int64_t L16 __attribute__((vector_size(16)));
typedef std::int64_t L32 __attribute__((vector_size(32)));
typedef std::int64_t L64 __attribute__((vector_size(64)));

// The vector of T of B bytes, and the integer vector its comparisons give.
template <typename T, std::size_t B>
struct VecOf;
template <> struct VecOf<float, 16> { using type = F16; using mask = I16; };
template <> struct VecOf<float, 32> { using type = F32; using mask = I32; };
template <> struct VecOf<float, 64> { using type = F64; using mask = I64; };
template <> struct VecOf<double, 16> { using type = D16; using mask = L16; };
template <> struct VecOf<double, 32> { using type = D32; using mask = L32; };
template <> struct VecOf<double, 64> { using type = D64; using mask = L64; };

// Keeps p where a > 0 and makes it +0 elsewhere (relu'(0) = 0): a bitwise AND with the comparison's all-ones or
// all-zeros lanes, the same bits as a select.
// (Vectors go in and out by reference: always inlined, this costs nothing, and no vector wider than the ABI's
// registers is passed by value.)
template <typename V, typename M>
RFA_INLINE void mask_positive(V& p, const V& a) {
  p = reinterpret_cast<V>(reinterpret_cast<M>(p) & (a > 0));
}

template <typename V, typename T>
RFA_INLINE void load(V& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}
template <typename V, typename T>
RFA_INLINE void store(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

// Partial sums in 64 bytes of lanes (lane k takes entries k, k + L, ...; L = 16 floats or 8 doubles), combined
// pairwise in a fixed order, then the tail in order.
template <std::size_t B, typename T>
RFA_INLINE T relu_dot_impl(Width<B>, const T* a, const T* x, std::size_t n) {
  using V = typename VecOf<T, B>::type;
  using M = typename VecOf<T, B>::mask;
  constexpr std::size_t W = B / sizeof(T), K = 64 / B, L = W * K;
  V s[K] = {};
  std::size_t j = 0;
  for (; j + L <= n; j += L)
    for (std::size_t k = 0; k < K; ++k) {
      V va, vx;
      load(va, a + j + k * W);
      load(vx, x + j + k * W);
      V p = va * vx;
      mask_positive<V, M>(p, va);
      s[k] += p;
    }
  T lane[L] = {};
  std::memcpy(lane, s, sizeof s);
  for (std::size_t width = L / 2; width > 0; width /= 2)
    for (std::size_t k = 0; k < width; ++k) lane[k] += lane[k + width];
  T t = lane[0];
  for (; j < n; ++j) {
    const T p = a[j] * x[j];
    t += a[j] > T(0) ? p : T(0);
  }
  return t;
}

// d_j = base_j + (a_j > 0 ? dy x_j : 0), or without base_j when base is null.
template <std::size_t B, typename T>
RFA_INLINE void relu_outer_impl(Width<B>, T* d, const T* base, const T* a, T dy, const T* x, std::size_t n) {
  using V = typename VecOf<T, B>::type;
  using M = typename VecOf<T, B>::mask;
  constexpr std::size_t W = B / sizeof(T);
  std::size_t j = 0;
  for (; j + W <= n; j += W) {
    V va, vx, vb = {};
    load(va, a + j);
    load(vx, x + j);
    if (base) load(vb, base + j);
    V p = dy * vx;
    mask_positive<V, M>(p, va);
    store(d + j, vb + p);
  }
  for (; j < n; ++j) {
    const T p = dy * x[j];
    const T g = a[j] > T(0) ? p : T(0);
    d[j] = base ? base[j] + g : T(0) + g;
  }
}
template <std::size_t B, typename T>
RFA_INLINE void relu_outer_row_impl(Width<B> w, T* d, const T* a, T dy, const T* x, std::size_t n, bool fresh) {
  relu_outer_impl(w, d, fresh ? nullptr : d, a, dy, x, n);
}

// The sign bits of a comparison's lanes (all ones or all zeros), lane k in bit k: one instruction per register,
// where the compiler otherwise keeps one scalar comparison per entry for baseline x86-64. Each is compiled for the
// instruction set its width needs (not forced inline: GCC compiles the impl templates on their own first, without
// the variant's instruction set, and refuses to force these into them; it inlines them into the variant).
RFA_INLINE std::uint64_t lane_bits(const L16& m) { return unsigned(_mm_movemask_pd(reinterpret_cast<__m128d>(m))); }
RFA_INLINE std::uint64_t lane_bits(const I16& m) { return unsigned(_mm_movemask_ps(reinterpret_cast<__m128>(m))); }
RFA_TARGET_AVX2 inline std::uint64_t lane_bits(const L32& m) {
  return unsigned(_mm256_movemask_pd(reinterpret_cast<__m256d>(m)));
}
RFA_TARGET_AVX2 inline std::uint64_t lane_bits(const I32& m) {
  return unsigned(_mm256_movemask_ps(reinterpret_cast<__m256>(m)));
}
RFA_TARGET_AVX512 inline std::uint64_t lane_bits(const L64& m) {
  return _mm512_movepi64_mask(reinterpret_cast<__m512i>(m));
}
RFA_TARGET_AVX512 inline std::uint64_t lane_bits(const I64& m) {
  return _mm512_movepi32_mask(reinterpret_cast<__m512i>(m));
}

// 64 entries to a word: a register's lanes (a power of two that divides 64) at a time, then the tail one by one.
template <std::size_t B, typename T>
RFA_INLINE void positive_bits_impl(Width<B>, const T* a, std::uint64_t* bits, std::size_t n) {
  using V = typename VecOf<T, B>::type;
  using M = typename VecOf<T, B>::mask;
  constexpr std::size_t W = B / sizeof(T);
  for (std::size_t j0 = 0; j0 < n; j0 += 64) {
    const std::size_t j1 = std::min(n, j0 + 64);
    std::uint64_t word = 0;
    std::size_t j = j0;
    for (; j + W <= j1; j += W) {
      V va;
      load(va, a + j);
      const M m = va > 0;
      word |= lane_bits(m) << (j - j0);
    }
    for (; j < j1; ++j) word |= std::uint64_t(a[j] > T(0)) << (j - j0);
    bits[j0 / 64] = word;
  }
}
}  // namespace

RFA_KERNEL(double, relu_dot, (const double* a, const double* x, std::size_t n), (a, x, n), relu_dot_impl)
RFA_KERNEL(float, relu_dot, (const float* a, const float* x, std::size_t n), (a, x, n), relu_dot_impl)

RFA_KERNEL(void, relu_outer_row, (double* d, const double* a, double dy, const double* x, std::size_t n, bool fresh),
           (d, a, dy, x, n, fresh), relu_outer_row_impl)
RFA_KERNEL(void, relu_outer_row, (float* d, const float* a, float dy, const float* x, std::size_t n, bool fresh),
           (d, a, dy, x, n, fresh), relu_outer_row_impl)

RFA_KERNEL(void, relu_outer_row,
           (double* d, const double* base, const double* a, double dy, const double* x, std::size_t n),
           (d, base, a, dy, x, n), relu_outer_impl)
RFA_KERNEL(void, relu_outer_row, (float* d, const float* base, const float* a, float dy, const float* x, std::size_t n),
           (d, base, a, dy, x, n), relu_outer_impl)

RFA_KERNEL(void, positive_bits, (const double* a, std::uint64_t* bits, std::size_t n), (a, bits, n), positive_bits_impl)
RFA_KERNEL(void, positive_bits, (const float* a, std::uint64_t* bits, std::size_t n), (a, bits, n), positive_bits_impl)

}  // namespace rfa::kernels
