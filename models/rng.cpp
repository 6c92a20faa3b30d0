#include "rng.hpp"

#include <cmath>
#include <limits>

namespace rfa {

double portable_log(double x) {
  // x = m 2^e with m in [sqrt(1/2), sqrt(2)); log x = e log 2 + log m, and with s = (m - 1) / (m + 1),
  // |s| <= 0.1716, log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...). Eleven terms reach 2^-60.
  int e = 0;
  double m = std::frexp(x, &e);  // exact; m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;  // exact
    e -= 1;
  }
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  double series = 1.0 / 23;
  for (int k = 21; k >= 1; k -= 2) series = 1.0 / k + s2 * series;
  // log 2 split into a head with trailing zero bits (so e * head is exact for |e| < 2^11) and a tail.
  constexpr double ln2_head = 0x1.62e42fefa3800p-1, ln2_tail = 0x1.ef35793c76730p-45;
  const double de = double(e);
  return de * ln2_head + (2 * s * series + de * ln2_tail);
}

std::uint64_t Rng::below(std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n: the low outputs that would bias r mod n
  for (;;) {
    const std::uint64_t r = bits();
    if (r >= threshold) return r % n;
  }
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  for (;;) {
    const double u = 2 * uniform() - 1, v = 2 * uniform() - 1;
    const double s = u * u + v * v;
    if (s >= 1 || s == 0) continue;
    const double f = std::sqrt(-2 * portable_log(s) / s);  // sqrt is correctly rounded by IEEE-754
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
}

}  // namespace rfa
