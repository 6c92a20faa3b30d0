// Activation patterns grouped around a few reference patterns: what makes the shared-pattern step cheap.
//
// Sizes: M neurons, N points, R references. Neuron j's pattern s_j (N) holds s_jk = 1[z_jk > 0]. As a network
// learns, its neurons align with a few directions and their patterns fall into a few groups; a product that
// involves every s_j can then be formed once per reference p_r and corrected at the entries where s_j differs
// from its reference (rowspace_shared_step.hpp does this in row space, for d >> n).
//
// The grouping: leader clustering at a few Hamming radii (a neuron joins the first leader within the radius, or
// becomes one), each radius priced at N per reference plus `diff_cost` per differing entry, the cheapest kept;
// then each neuron goes to its nearest leader and each reference becomes its group's majority pattern, which can
// only lower the number of differing entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rfa {

struct PatternGroups {
  std::size_t N = 0;
  std::vector<std::uint8_t> P;        // (R,N): the reference patterns, 0/1
  std::vector<std::uint32_t> ref_of;  // (M): each neuron's reference
  std::uint64_t differing = 0;        // how many entries s_jk differ from p_{ref_of[j], k}
  std::size_t references() const { return N ? P.size() / N : 0; }
};

class PatternGrouper {
 public:
  // Groups the patterns of 0/1 bytes into `out`: entry k of neuron j's pattern at S[j * neuron_stride + k *
  // point_stride] (S (M,N) by neuron: strides N and 1; (N,M) by point: 1 and M).
  void group(const std::uint8_t* S, std::size_t M, std::size_t N, std::uint64_t diff_cost, PatternGroups& out,
             std::size_t neuron_stride = 0, std::size_t point_stride = 1);

 private:
  void choose_leaders(std::size_t M, std::size_t N, std::uint64_t diff_cost);
  std::vector<std::uint64_t> bits_;  // (M, words): the patterns as bit sets
  std::vector<std::uint32_t> leaders_, best_leaders_, members_, order_;
  std::vector<std::uint32_t> ones_;  // (N): one group's count of ones per entry
};

}  // namespace rfa
