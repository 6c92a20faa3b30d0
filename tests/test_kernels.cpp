// The vectorized kernels: every instruction-set variant the CPU can run returns the same bits as the SSE2 one
// (a promise of the design: fixed lanes, no FMA contraction), and each equals its plain formula. Also the
// choices the support library makes from the machine: the instruction set and the cache sizes.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "cache.hpp"
#include "isa.hpp"
#include "kernels.hpp"
#include "test_util.hpp"

using namespace rfa;

namespace {
// The instruction sets this CPU runs; the test restores the original choice.
std::vector<Isa> runnable() {
  std::vector<Isa> v;
  for (Isa i : {Isa::sse2, Isa::avx2, Isa::avx512})
    if (cpu_supports(i)) v.push_back(i);
  return v;
}

struct IsaScope {
  Isa saved = isa();
  ~IsaScope() { set_isa(saved); }
};

template <typename T>
std::vector<T> values(std::size_t n, std::uint64_t seed) {
  const Tensor<double> t = test::uniform(Shape::vector(n), seed, -1, 1);
  return std::vector<T>(t.begin(), t.end());
}

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}
}  // namespace

TEST_CASE_TEMPLATE("every kernel variant returns the SSE2 variant's bits, and the plain formula's value", T, float,
                   double) {
  IsaScope scope;
  REQUIRE(runnable().size() >= 1);
  // Lengths around the lane counts (8, 16) and the vector widths, with tails.
  for (std::size_t n : {1u, 7u, 8u, 15u, 16u, 17u, 33u, 100u, 257u, 500u}) {
    CAPTURE(n);
    std::vector<T> a = values<T>(n, 1 + n);
    const std::vector<T> x = values<T>(n, 2 + n), base = values<T>(n, 3 + n);
    // Entries exactly at the kink, of both signs: relu'(0) = 0 must hold in every lane and in the tail.
    for (std::size_t j = 0; j < n; j += 3) a[j] = j % 2 ? T(-0.0) : T(0);
    const T dy = T(0.37);
    struct Out {
      T dot;
      std::vector<T> fresh, added, from;
    };
    std::vector<Out> outs;
    for (Isa i : runnable()) {
      set_isa(i);
      Out o{kernels::relu_dot(a.data(), x.data(), n), std::vector<T>(n), base, std::vector<T>(n)};
      kernels::relu_outer_row(o.fresh.data(), a.data(), dy, x.data(), n, true);
      kernels::relu_outer_row(o.added.data(), a.data(), dy, x.data(), n, false);
      kernels::relu_outer_row(o.from.data(), base.data(), a.data(), dy, x.data(), n);
      outs.push_back(o);
    }
    for (std::size_t k = 1; k < outs.size(); ++k) {
      CAPTURE(to_string(runnable()[k]));
      CHECK(std::memcmp(&outs[k].dot, &outs[0].dot, sizeof(T)) == 0);
      CHECK(same_bits(outs[k].fresh, outs[0].fresh));
      CHECK(same_bits(outs[k].added, outs[0].added));
      CHECK(same_bits(outs[k].from, outs[0].from));
    }
    // The values: sum_j relu(a_j) x_j; d_j = dy x_j 1[a_j > 0] (relu'(0) = 0), written, added, or added to base.
    double want = 0;
    for (std::size_t j = 0; j < n; ++j) want += a[j] > 0 ? double(a[j]) * double(x[j]) : 0.0;
    CHECK(test::close(double(outs[0].dot), want, sizeof(T) == 4 ? 1e-5 : 1e-13, 1e-6));
    for (std::size_t j = 0; j < n; ++j) {
      const T g = a[j] > T(0) ? dy * x[j] : T(0);
      CHECK(outs[0].fresh[j] == g);
      CHECK(outs[0].added[j] == base[j] + g);
      CHECK(outs[0].from[j] == base[j] + g);
    }
  }
}

TEST_CASE_TEMPLATE("positive_bits: every variant gives 1[a_j > 0] bit by bit, 64 to a word, the unused bits 0", T, float,
                   double) {
  IsaScope scope;
  // Lengths around the vector widths and the word, with tails in the register and in the word.
  for (std::size_t n : {1u, 3u, 4u, 7u, 8u, 16u, 17u, 63u, 64u, 65u, 100u, 128u, 400u, 401u}) {
    CAPTURE(n);
    std::vector<T> a = values<T>(n, 5 + n);
    // The kink and what is not positive: 0, -0 and NaN are inactive (relu'(0) = 0), the smallest positive is active.
    for (std::size_t j = 0; j < n; j += 5) a[j] = j % 4 == 0 ? T(0) : T(-0.0);
    for (std::size_t j = 2; j < n; j += 11) a[j] = std::numeric_limits<T>::quiet_NaN();
    for (std::size_t j = 3; j < n; j += 13) a[j] = std::numeric_limits<T>::denorm_min();
    const std::size_t words = (n + 63) / 64;
    for (Isa i : runnable()) {
      CAPTURE(to_string(i));
      set_isa(i);
      std::vector<std::uint64_t> bits(words + 1, ~std::uint64_t(0));  // garbage in, and a guard word after
      kernels::positive_bits(a.data(), bits.data(), n);
      for (std::size_t j = 0; j < 64 * words; ++j) {
        CAPTURE(j);
        CHECK(((bits[j / 64] >> (j % 64)) & 1) == (j < n && a[j] > T(0) ? 1u : 0u));
      }
      CHECK(bits[words] == ~std::uint64_t(0));
    }
  }
}

TEST_CASE("the instruction set: chosen from RFA_KERNELS or the CPU, switchable only to what the CPU runs") {
  IsaScope scope;
  CHECK(parse_isa("avx2") == Isa::avx2);
  CHECK(parse_isa("avx512") == Isa::avx512);
  CHECK(parse_isa("sse2") == Isa::sse2);
  CHECK_THROWS_WITH_AS(parse_isa("neon"), doctest::Contains("RFA_KERNELS must be avx512, avx2 or sse2, got 'neon'"),
                       std::invalid_argument);
  CHECK(cpu_supports(Isa::sse2));
  CHECK(cpu_supports(best_isa()));
  // Whatever RFA_KERNELS says (tools/test sets it), the choice is one the CPU runs.
  CHECK(cpu_supports(scope.saved));
  if (const char* want = std::getenv("RFA_KERNELS")) CHECK(std::string(to_string(scope.saved)) == want);
  if (!cpu_supports(Isa::avx512)) CHECK_THROWS_AS(set_isa(Isa::avx512), std::invalid_argument);
}

TEST_CASE("cache sizes: read from the machine, overridable, parsed strictly") {
  const CacheSizes& c = cache_sizes();
  CHECK(c.l2 >= 64 * 1024);
  CHECK(c.l1d > 0);
  CHECK(!c.source.empty());
  if (const char* l2 = std::getenv("RFA_L2_CACHE")) CHECK(c.l2 == parse_bytes(l2, "RFA_L2_CACHE"));
  CHECK(parse_bytes("524288", "x") == 524288);
  CHECK(parse_bytes("512K", "x") == 524288);
  CHECK(parse_bytes("2M", "x") == 2 * 1024 * 1024);
  for (const char* bad : {"", "-1", "0", "12Q", "K", "1.5M", "99999999999999999999"})
    CHECK_THROWS_AS(parse_bytes(bad, "RFA_L2_CACHE"), std::invalid_argument);
}
