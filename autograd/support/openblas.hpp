// Setting up OpenBLAS, the BLAS every product of rfa goes through (autograd/blas.hpp makes the calls).
#pragma once

namespace rfa::openblas {

// Debian 12's OpenBLAS (0.3.21, built for every x86 core and choosing at load time) does not know CPUs newer
// than itself (Sapphire and Emerald Rapids, say) and falls back to its slowest kernels ("Prescott"), which run
// GEMM 3-5x slower than the AVX-512 ("SkylakeX") or AVX2 ("Haswell") kernels the CPU can run. The choice is made
// when the library loads, before main(), so the remedy is the OPENBLAS_CORETYPE variable and a re-exec:
// call this first thing in main(). It does nothing when OPENBLAS_CORETYPE is set already or the library chose a
// modern core itself; otherwise it sets the best core the CPU supports and re-executes the program.
void select_kernels(char** argv);
// The kernel set in use, e.g. "Cooperlake", "Haswell", "Zen".
const char* core_name();
// The OpenBLAS build in use ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"), for manifests.
const char* config();

// OpenBLAS's own thread count. rfa keeps it at 1 (see parallel.hpp); rfa-bench raises it to time OpenBLAS's
// threaded GEMM.
void set_threads(int n);

}  // namespace rfa::openblas
