// Random numbers that are the same on every machine: the PCG64 generator (libpcg-cpp's pcg64, a 128-bit LCG
// with the XSL-RR output function) and transforms written here from IEEE-754 basic operations only.
//
// std::normal_distribution and friends are not specified bit for bit and differ between standard libraries,
// and libm's log is not guaranteed to round the same everywhere. So:
//   uniform()      = (r >> 11) * 2^-53 in [0, 1), r one 64-bit output
//   uniform_open() = ((r >> 11) + 0.5) * 2^-53 in (0, 1)
//   below(n)       = r mod n, rejecting r < 2^64 mod n (no modulo bias), as pcg's own bounded_rand
//   normal()       = Marsaglia's polar method with portable_log() below; its two outputs are used in order
// Each use of randomness draws from its own stream of the same seed (see Stream), so the test set does not
// depend on the size of the training set, nor the initialisation on the data.
#pragma once

#include <cstdint>

#include <pcg_random.hpp>

namespace rfa {

// Independent PCG streams of one seed.
enum class Stream : std::uint64_t {
  train_data = 1,  // training points and their labels
  test_data = 2,   // test points and their labels
  init = 3,        // the first-layer weights W_0
  means = 4,       // a random orthonormal pair of cluster means
  extra = 5,       // anything else an experiment needs
  signs = 6,       // random second-layer signs (random_second_layer)
};

// log(x) for finite x > 0 from +, -, *, / and frexp only: the same bits on every IEEE-754 machine.
// Within a few ulp of the true value (tested against std::log).
double portable_log(double x);

class Rng {
 public:
  Rng(std::uint64_t seed, Stream stream) : engine_(seed, static_cast<std::uint64_t>(stream)) {}

  std::uint64_t bits() { return engine_(); }
  double uniform() { return double(bits() >> 11) * 0x1.0p-53; }
  double uniform_open() { return (double(bits() >> 11) + 0.5) * 0x1.0p-53; }
  // Uniform integer in [0, n), n >= 1.
  std::uint64_t below(std::uint64_t n);
  // Standard normal.
  double normal();

 private:
  pcg64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace rfa
