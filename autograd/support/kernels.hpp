// The inner loops of the fused ops, compiled for AVX-512, AVX2 and baseline SSE2 and chosen at run time
// (support/isa.hpp: the best the CPU runs, or RFA_KERNELS=avx512|avx2|sse2), since the build targets generic x86-64.
//
// Reductions are summed in a fixed number of interleaved lanes, written out in the source: the compiler may
// vectorize them without reassociating anything, and it never fuses a multiply and an add (-ffp-contract=off), so
// every variant returns the same bits (tests compare them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace rfa::kernels {

// sum_j x_j max(a_j, 0) over j < n
double relu_dot(const double* a, const double* x, std::size_t n);
float relu_dot(const float* a, const float* x, std::size_t n);

// d_j (+)= dy * x_j * 1[a_j > 0] over j < n: written when `fresh` (d holds garbage), added otherwise
void relu_outer_row(double* d, const double* a, double dy, const double* x, std::size_t n, bool fresh);
void relu_outer_row(float* d, const float* a, float dy, const float* x, std::size_t n, bool fresh);
// d_j = base_j + dy * x_j * 1[a_j > 0] over j < n (d and base distinct): an update written to a new buffer
void relu_outer_row(double* d, const double* base, const double* a, double dy, const double* x, std::size_t n);
void relu_outer_row(float* d, const float* base, const float* a, float dy, const float* x, std::size_t n);

// Bit j % 64 of bits[j / 64] = 1[a_j > 0] over j < n, the last word's unused bits 0: a row of activation patterns
// (relu'(0) = 0: an entry at 0 is inactive, as are -0 and NaN)
void positive_bits(const double* a, std::uint64_t* bits, std::size_t n);
void positive_bits(const float* a, std::uint64_t* bits, std::size_t n);

}  // namespace rfa::kernels
