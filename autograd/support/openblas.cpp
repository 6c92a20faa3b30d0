#include "openblas.hpp"

#include <cblas.h>

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace rfa::openblas {

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
const char* config() { return openblas_get_config(); }

void set_threads(int n) {
  if (n < 1) throw std::invalid_argument("openblas::set_threads: thread count must be >= 1, got " + std::to_string(n));
  openblas_set_num_threads(n);
}

}  // namespace rfa::openblas
