#include "isa.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "names.hpp"

namespace rfa {

namespace {
constexpr int UNSET = -1;
std::atomic<int> current{UNSET};

Isa from_environment() {
  const char* want = std::getenv("RFA_KERNELS");
  if (!want || !*want) return best_isa();
  try {
    const Isa i = parse_isa(want);
    if (cpu_supports(i)) return i;
    std::fprintf(stderr, "rfa: RFA_KERNELS=%s: this CPU cannot run it; using %s\n", want, to_string(best_isa()));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "rfa: %s; using %s\n", e.what(), to_string(best_isa()));
  }
  return best_isa();
}
}  // namespace

bool cpu_supports(Isa i) {
  switch (i) {
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    case Isa::avx2: return __builtin_cpu_supports("avx2");
    case Isa::sse2: return true;  // part of x86-64
  }
  return false;
}

Isa best_isa() {
  if (cpu_supports(Isa::avx512)) return Isa::avx512;
  if (cpu_supports(Isa::avx2)) return Isa::avx2;
  return Isa::sse2;
}

Isa isa() {
  int v = current.load(std::memory_order_relaxed);
  if (v == UNSET) {
    v = static_cast<int>(from_environment());
    current.store(v, std::memory_order_relaxed);
  }
  return static_cast<Isa>(v);
}

void set_isa(Isa i) {
  if (!cpu_supports(i)) throw std::invalid_argument(std::string("set_isa: this CPU cannot run ") + to_string(i));
  current.store(static_cast<int>(i), std::memory_order_relaxed);
}

namespace {
constexpr Names<Isa, 3> ISA_NAMES = {{{Isa::avx512, "avx512"}, {Isa::avx2, "avx2"}, {Isa::sse2, "sse2"}}};
}  // namespace

const char* to_string(Isa i) { return name_of(ISA_NAMES, i); }
Isa parse_isa(const std::string& s) { return value_of<std::invalid_argument>(ISA_NAMES, s, "RFA_KERNELS"); }

}  // namespace rfa
