#include "grouping.hpp"

#include <bit>
#include <cstdint>

namespace rfa {

namespace {
// Hamming distance between two patterns stored as `words` 64-bit words.
std::size_t pattern_distance(const std::uint64_t* p, const std::uint64_t* q, std::size_t words) {
  std::size_t h = 0;
  for (std::size_t w = 0; w < words; ++w) h += static_cast<std::size_t>(std::popcount(p[w] ^ q[w]));
  return h;
}
}  // namespace

void PatternGrouper::choose_leaders(std::size_t M, std::size_t N, std::uint64_t diff_cost) {
  const std::size_t words = (N + 63) / 64;
  // Wide radii first: they are quick, and a narrower one is dropped as soon as it costs more.
  best_leaders_.clear();
  std::uint64_t best_cost = UINT64_MAX;
  for (std::size_t radius : {N / 4, N / 8, N / 16, N / 32, N / 64, std::size_t(0)}) {
    leaders_.clear();
    std::uint64_t cost = 0;
    for (std::size_t j = 0; j < M && cost < best_cost; ++j) {
      std::size_t d = SIZE_MAX;
      for (std::uint32_t l : leaders_) {
        d = pattern_distance(&bits_[j * words], &bits_[l * words], words);
        if (d <= radius) break;
      }
      if (d <= radius) {
        cost += diff_cost * d;
      } else {
        leaders_.push_back(static_cast<std::uint32_t>(j));
        cost += N;
      }
    }
    if (cost < best_cost) {
      best_cost = cost;
      best_leaders_ = leaders_;
    }
  }
}

void PatternGrouper::group(const std::uint8_t* S, std::size_t M, std::size_t N, std::uint64_t diff_cost,
                           PatternGroups& out) {
  const std::size_t words = (N + 63) / 64;
  // The patterns as bit sets, so that Hamming distances are a few popcounts.
  bits_.assign(M * words, 0);
  for (std::size_t j = 0; j < M; ++j)
    for (std::size_t k = 0; k < N; ++k)
      if (S[j * N + k]) bits_[j * words + k / 64] |= std::uint64_t(1) << (k % 64);
  choose_leaders(M, N, diff_cost);
  // Each neuron to its nearest leader, then each reference its group's majority pattern.
  const std::size_t R = best_leaders_.size();
  out.N = N;
  out.ref_of.assign(M, 0);
  for (std::size_t j = 0; j < M; ++j) {
    std::size_t best = SIZE_MAX;
    for (std::size_t r = 0; r < R; ++r) {
      const std::size_t d = pattern_distance(&bits_[j * words], &bits_[best_leaders_[r] * words], words);
      if (d < best) best = d, out.ref_of[j] = static_cast<std::uint32_t>(r);
    }
  }
  ones_.assign(R * N, 0);
  members_.assign(R, 0);
  for (std::size_t j = 0; j < M; ++j) {
    ++members_[out.ref_of[j]];
    for (std::size_t k = 0; k < N; ++k) ones_[out.ref_of[j] * N + k] += S[j * N + k];
  }
  out.P.assign(R * N, 0);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t k = 0; k < N; ++k) out.P[r * N + k] = 2 * ones_[r * N + k] > members_[r];
  out.differing = 0;
  for (std::size_t j = 0; j < M; ++j)
    for (std::size_t k = 0; k < N; ++k) out.differing += S[j * N + k] != out.P[out.ref_of[j] * N + k];
}

}  // namespace rfa
