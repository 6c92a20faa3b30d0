#include "pattern_groups.hpp"

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
                           PatternGroups& out, std::size_t neuron_stride, std::size_t point_stride) {
  if (neuron_stride == 0) neuron_stride = N;
  const std::size_t words = (N + 63) / 64;
  auto s = [&](std::size_t j, std::size_t k) { return S[j * neuron_stride + k * point_stride]; };
  // The patterns as bit sets, so that Hamming distances are a few popcounts.
  bits_.assign(M * words, 0);
  for (std::size_t k = 0; k < N; ++k)
    for (std::size_t j = 0; j < M; ++j)
      if (s(j, k)) bits_[j * words + k / 64] |= std::uint64_t(1) << (k % 64);
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
  // The neurons by reference, so that each group's counts are made in one pass over its members' bits.
  members_.assign(R + 1, 0);
  for (std::size_t j = 0; j < M; ++j) ++members_[out.ref_of[j] + 1];
  for (std::size_t r = 0; r < R; ++r) members_[r + 1] += members_[r];
  order_.resize(M);
  {
    std::vector<std::uint32_t> next(members_.begin(), members_.end() - 1);
    for (std::size_t j = 0; j < M; ++j) order_[next[out.ref_of[j]]++] = static_cast<std::uint32_t>(j);
  }
  out.P.assign(R * N, 0);
  out.differing = 0;
  ones_.resize(N);
  for (std::size_t r = 0; r < R; ++r) {
    std::fill(ones_.begin(), ones_.end(), std::uint32_t(0));
    const std::size_t count = members_[r + 1] - members_[r];
    for (std::size_t o = members_[r]; o < members_[r + 1]; ++o) {
      const std::uint64_t* b = &bits_[order_[o] * words];
      for (std::size_t k = 0; k < N; ++k) ones_[k] += static_cast<std::uint32_t>((b[k / 64] >> (k % 64)) & 1);
    }
    for (std::size_t k = 0; k < N; ++k) {
      const bool p = 2 * std::size_t(ones_[k]) > count;
      out.P[r * N + k] = p;
      // Differing from the majority: the minority of the group's members at this entry.
      out.differing += p ? count - ones_[k] : ones_[k];
    }
  }
}

}  // namespace rfa
