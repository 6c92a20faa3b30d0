#include "xor_data.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "errors.hpp"
#include "names.hpp"

namespace rfa {

namespace {
constexpr Names<Noise, 3> NOISE_NAMES = {{{Noise::gaussian, "gaussian"}, {Noise::laplace, "laplace"},
                                          {Noise::uniform, "uniform"}}};
constexpr Names<FlipMode, 3> FLIP_NAMES = {{{FlipMode::prob, "prob"}, {FlipMode::exact, "exact"},
                                            {FlipMode::adversarial, "adversarial"}}};
}  // namespace

Noise parse_noise(const std::string& s) { return value_of(NOISE_NAMES, s, "noise law"); }
FlipMode parse_flip_mode(const std::string& s) { return value_of(FLIP_NAMES, s, "flip mode"); }
const char* to_string(Noise n) { return name_of(NOISE_NAMES, n); }
const char* to_string(FlipMode f) { return name_of(FLIP_NAMES, f); }

Means axis_means(std::size_t D) {
  if (D < 2) throw InputError(fmt::format("the XOR distribution needs dimension d >= 2, got {}", D));
  Means m{Tensor<double>(D), Tensor<double>(D)};
  m.mu1.fill(0);
  m.mu2.fill(0);
  m.mu1[0] = 1;
  m.mu2[1] = 1;
  return m;
}

namespace {
void normalize(Tensor<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  const double r = std::sqrt(s);
  for (double& x : v) x /= r;
}
}  // namespace

Means random_means(std::size_t D, std::uint64_t seed) {
  if (D < 2) throw InputError(fmt::format("the XOR distribution needs dimension d >= 2, got {}", D));
  Rng rng(seed, Stream::means);
  Means m{Tensor<double>(D), Tensor<double>(D)};
  for (double& x : m.mu1) x = rng.normal();
  for (double& x : m.mu2) x = rng.normal();
  normalize(m.mu1);
  double p = 0;
  for (std::size_t k = 0; k < D; ++k) p += m.mu1[k] * m.mu2[k];
  for (std::size_t k = 0; k < D; ++k) m.mu2[k] -= p * m.mu1[k];
  normalize(m.mu2);
  return m;
}

namespace {

// One coordinate of z with mean 0 and variance sigma^2 under the given law.
double noise_coordinate(Rng& rng, Noise law, double sigma) {
  switch (law) {
    case Noise::gaussian: return sigma * rng.normal();
    case Noise::laplace: {
      // Inverse CDF of Laplace(0, b), b = sigma / sqrt(2) so that the variance 2 b^2 is sigma^2.
      const double u = rng.uniform_open() - 0.5;  // in (-1/2, 1/2)
      const double b = sigma / std::sqrt(2.0);
      const double mag = -b * portable_log(1 - 2 * std::abs(u));
      return u < 0 ? -mag : mag;
    }
    case Noise::uniform: return sigma * std::sqrt(3.0) * (2 * rng.uniform() - 1);
  }
  return 0;
}

// In one cluster (its member indices), the k members to flip under the exact or adversarial mode.
std::vector<std::size_t> choose_flips(FlipMode mode, std::vector<std::size_t> members, std::size_t k, Rng& rng,
                                      const XorSample& s, const Means& means, int cluster) {
  if (mode == FlipMode::exact) {
    // The first k of a partial Fisher-Yates shuffle: a uniformly random k-subset.
    for (std::size_t i = 0; i < k; ++i) std::swap(members[i], members[i + rng.below(members.size() - i)]);
    members.resize(k);
    return members;
  }
  // Adversarial: score = max over the opposite label's means c' of <x, c'>, minus <x, c>.
  const std::size_t D = s.X.cols();
  const double own_sign = (cluster % 2 == 0) ? 1 : -1;
  const Tensor<double>& own = cluster < 2 ? means.mu1 : means.mu2;
  const Tensor<double>& other = cluster < 2 ? means.mu2 : means.mu1;
  std::vector<double> score(members.size());
  for (std::size_t t = 0; t < members.size(); ++t) {
    const double* x = s.X.data() + members[t] * D;
    double p_own = 0, p_other = 0;
    for (std::size_t j = 0; j < D; ++j) {
      p_own += x[j] * own[j];
      p_other += x[j] * other[j];
    }
    score[t] = std::abs(p_other) - own_sign * p_own;  // max(<x, +c'>, <x, -c'>) = |<x, c'>|
  }
  std::vector<std::size_t> order(members.size());
  std::iota(order.begin(), order.end(), 0);
  // Highest score first; ties broken by index so the choice is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  std::vector<std::size_t> out;
  for (std::size_t t = 0; t < k; ++t) out.push_back(members[order[t]]);
  return out;
}

}  // namespace

XorSample sample_xor(const DataSpec& spec, const Means& means, std::size_t N, std::uint64_t seed, Stream stream) {
  const std::size_t D = spec.D;
  if (D < 2) throw InputError(fmt::format("the XOR distribution needs dimension d >= 2, got {}", D));
  if (!(spec.eta >= 0 && spec.eta < 0.5))
    throw InputError(fmt::format("eta must be in [0, 0.5), got {}", spec.eta));
  if (!(spec.sigma2 >= 0) || !std::isfinite(spec.sigma2))
    throw InputError(fmt::format("sigma2 must be finite and >= 0, got {}", spec.sigma2));
  if (means.mu1.size() != D || means.mu2.size() != D)
    throw InputError(fmt::format("cluster means have length {}, data dimension is {}", means.mu1.size(), D));
  if (!(spec.mean_norm > 0) || !std::isfinite(spec.mean_norm))
    throw InputError(fmt::format("the means' norm must be finite and > 0, got {}", spec.mean_norm));

  Rng rng(seed, stream);
  const double sigma = std::sqrt(spec.sigma2);
  XorSample s{Tensor<double>(N, D), Tensor<double>(N), Tensor<double>(N), std::vector<std::uint8_t>(N),
              std::vector<std::uint8_t>(N, 0)};
  for (std::size_t i = 0; i < N; ++i) {
    const int c = int(rng.below(4));
    const Tensor<double>& mu = c < 2 ? means.mu1 : means.mu2;
    const double sign = (c % 2 == 0) ? spec.mean_norm : -spec.mean_norm;
    double* x = s.X.data() + i * D;
    for (std::size_t j = 0; j < D; ++j) x[j] = sign * mu[j] + noise_coordinate(rng, spec.noise, sigma);
    s.cluster[i] = std::uint8_t(c);
    s.y_clean[i] = c < 2 ? 1 : -1;
    if (spec.flip == FlipMode::prob) s.flipped[i] = rng.uniform() < spec.eta;
  }
  if (spec.flip != FlipMode::prob) {
    for (int c = 0; c < 4; ++c) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < N; ++i)
        if (s.cluster[i] == c) members.push_back(i);
      const auto k = static_cast<std::size_t>(std::llround(spec.eta * double(members.size())));
      for (std::size_t i : choose_flips(spec.flip, members, k, rng, s, means, c)) s.flipped[i] = 1;
    }
  }
  for (std::size_t i = 0; i < N; ++i) s.y[i] = s.flipped[i] ? -s.y_clean[i] : s.y_clean[i];
  return s;
}

template <typename T>
Tensor<T> cast(const Tensor<double>& t) {
  Tensor<T> out(t.shape());
  for (std::size_t i = 0; i < t.size(); ++i) out[i] = static_cast<T>(t[i]);
  return out;
}
template Tensor<float> cast(const Tensor<double>&);
template Tensor<double> cast(const Tensor<double>&);

}  // namespace rfa
