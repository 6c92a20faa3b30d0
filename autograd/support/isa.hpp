// Which x86-64 instruction set rfa's own vectorized loops run with: AVX-512, AVX2 or the SSE2 every x86-64 CPU
// has. The build targets generic x86-64; each such loop is compiled once per instruction set (RFA_KERNEL below)
// and the variant is chosen at run time: the best the CPU supports, or the one named by the environment variable
//     RFA_KERNELS=avx512|avx2|sse2
// (for checking, on one machine, what another machine would run). Every variant returns the same bits: the loops
// sum in a fixed number of lanes and the build never contracts a*b+c into an FMA (see kernels.hpp).
#pragma once

#include <cstddef>
#include <string>

namespace rfa {

// A vector register width in bytes, passed to kernel implementations (see RFA_KERNEL).
template <std::size_t BYTES>
struct Width {
  static constexpr std::size_t bytes = BYTES;
};

enum class Isa { sse2 = 0, avx2 = 1, avx512 = 2 };

// The instruction set the kernels use now: chosen on first use from RFA_KERNELS or the CPU.
Isa isa();
// The best instruction set this CPU supports.
Isa best_isa();
bool cpu_supports(Isa i);
// Switches every kernel to `i` (which the CPU must support; throws std::invalid_argument otherwise). For tests
// that compare the variants.
void set_isa(Isa i);
const char* to_string(Isa i);
// "avx512" | "avx2" | "sse2"; throws std::invalid_argument naming the allowed values otherwise.
Isa parse_isa(const std::string& s);

}  // namespace rfa

#define RFA_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define RFA_TARGET_AVX2 __attribute__((target("avx2")))

// Defines the function `ret name params` so that it runs `impl(Width<B>{}, args...)` compiled for the instruction
// set isa() names, with B its vector register width in bytes (16 for SSE2, 32 for AVX2, 64 for AVX-512). `impl`
// must be an inline function (mark it RFA_INLINE) so that its body is compiled into each variant.
//   RFA_KERNEL(double, relu_dot, (const double* a, const double* x, std::size_t n), (a, x, n), relu_dot_impl)
#define RFA_INLINE [[gnu::always_inline]] inline
#define RFA_UNPAREN(...) __VA_ARGS__
#define RFA_KERNEL(ret, name, params, args, impl)                                                         \
  RFA_TARGET_AVX512 static ret name##_avx512 params { return impl(::rfa::Width<64>{}, RFA_UNPAREN args); } \
  RFA_TARGET_AVX2 static ret name##_avx2 params { return impl(::rfa::Width<32>{}, RFA_UNPAREN args); }     \
  static ret name##_sse2 params { return impl(::rfa::Width<16>{}, RFA_UNPAREN args); }                     \
  ret name params {                                                                                       \
    switch (::rfa::isa()) {                                                                               \
      case ::rfa::Isa::avx512: return name##_avx512 args;                                                 \
      case ::rfa::Isa::avx2: return name##_avx2 args;                                                     \
      default: return name##_sse2 args;                                                                   \
    }                                                                                                     \
  }
