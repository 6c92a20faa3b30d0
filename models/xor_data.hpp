// The noisy XOR cluster distribution of the paper (see experiments/PAPER.md, "The data").
//
// Sizes: N samples, D input dimension. A clean sample picks a cluster c uniformly from {+mu1, -mu1, +mu2, -mu2},
// draws x = r c + z (r the means' norm, 1 in the paper; the grokking follow-up's is 2.5 sqrt(D / N)) with z from a log-concave law of mean 0 and covariance sigma^2 I_D, and gets the clean label
// +1 for +-mu1 and -1 for +-mu2 (opposite clusters share a label: XOR). Then some labels are flipped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "errors.hpp"
#include "rng.hpp"
#include "tensor.hpp"

namespace rfa {

// The within-cluster law of z, each with mean 0 and covariance sigma^2 I (all log-concave, as the theorem needs).
enum class Noise {
  gaussian,  // N(0, sigma^2 I): the paper's experiments
  laplace,   // independent Laplace coordinates with scale sigma / sqrt(2)
  uniform,   // independent uniform coordinates on [-sqrt(3) sigma, sqrt(3) sigma]
};

// How observed labels are made from clean ones; eta is the noise rate.
enum class FlipMode {
  prob,         // each label flipped independently with probability eta (Figure 1)
  exact,        // exactly round(eta * size) labels flipped in each cluster, chosen uniformly (Figure 2)
  adversarial,  // in each cluster, the round(eta * size) points nearest the opposite class are flipped:
                // those with the largest max_{c' of the other label} <x, c'> - <x, c>, i.e. the ones whose squared
                // distance to an opposite mean is smallest relative to their own mean. eta(x) then depends on x.
};

Noise parse_noise(const std::string& s);        // "gaussian" | "laplace" | "uniform"
FlipMode parse_flip_mode(const std::string& s); // "prob" | "exact" | "adversarial"
const char* to_string(Noise n);
const char* to_string(FlipMode f);

// The two orthonormal cluster means, each (D).
struct Means {
  Tensor<double> mu1, mu2;
};
// mu1 = e1, mu2 = e2 (needs D >= 2).
Means axis_means(std::size_t D);
// A uniformly random orthonormal pair (Gram-Schmidt on two Gaussian vectors from Stream::means of `seed`).
Means random_means(std::size_t D, std::uint64_t seed);

struct DataSpec {
  std::size_t D = 2;
  double sigma2 = 0.02;  // per-coordinate noise variance
  double eta = 0.15;     // noise rate
  FlipMode flip = FlipMode::prob;
  Noise noise = Noise::gaussian;
  double mean_norm = 1;  // r: the clusters sit at +-r mu1, +-r mu2 (Means are unit vectors)
};

// Cluster indices: 0 = +mu1, 1 = -mu1 (clean label +1), 2 = +mu2, 3 = -mu2 (clean label -1).
struct XorSample {
  Tensor<double> X;                    // (N, D)
  Tensor<double> y;                    // (N) observed labels in {-1, +1}
  Tensor<double> y_clean;              // (N) clean labels
  std::vector<std::uint8_t> cluster;   // (N) in 0..3
  std::vector<std::uint8_t> flipped;   // (N) 1 where y != y_clean
};

// Draws N samples from the stream `stream` of `seed`. The same arguments give the same bytes on every machine.
// Throws InputError for eta outside [0, 0.5), sigma2 < 0 or non-finite, mean_norm <= 0 or non-finite, or D < 2.
XorSample sample_xor(const DataSpec& spec, const Means& means, std::size_t N, std::uint64_t seed, Stream stream);

// Casts a double tensor to T (data are generated in double and rounded once).
template <typename T>
Tensor<T> cast(const Tensor<double>& t);

}  // namespace rfa
