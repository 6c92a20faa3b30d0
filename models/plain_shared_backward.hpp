// The plain step with its backward product shared among neurons whose activation patterns agree: for n > d, where
// row space does not pay (rowspace_shared_step.hpp is the same idea in row space, for d >> n).
//
// Sizes: N training rows, D input dimension, M neurons, R reference patterns. The plain step forms Z = X W^T
// (N,M) and then the gradient dW (M,D) = G^T X with G_ij = u_i a_j s_ij (u = dL/df, s_ij = 1[z_ij > 0]): two
// products of 2 N M D flops each. Row j of the second is a_j X^T (u .* s_j). Once training has grouped the
// neurons' patterns around references p_1..p_R (pattern_groups.hpp),
//     X^T (u .* s_j) = X^T (u .* p_r(j)) + sum over k where s_j and p_r(j) differ of (s_jk - p_r(j)k) u_k x_k,
// one product of R rows (2 N R D flops) plus D multiply-adds per differing entry. The forward product stays whole,
// so a step costs a little more than half the plain one when the patterns group well.
//
// A shared step's forward pass writes no patterns: it compares each point's pattern bits (64 neurons to a word)
// with its references' and lists the differing entries, which the backward pass then takes neuron by neuron.
//
// Exact algebra: the trajectory differs from the plain one only by rounding (tests compare them). The rows are
// processed in blocks that stay in cache, as in the plain step (blocks.hpp): a block's pre-activations give f, u and
// the block's columns of the patterns S, and, in a whole step, the block's share of G^T X. Whether a step shares is
// decided before it, from the previous step: a shared step whose differing entries made sharing no longer pay is
// followed by a whole step that chooses the references again from its patterns; references are also chosen again
// every REFRESH steps, and every RETRY steps while they do not pay (at a random init, say), since choosing costs
// about as much as a step. Every choice depends only on the weights, the weights at the last choice, the step count and
// the decision for the next step, which the checkpoint holds, so a resumed run takes exactly the uninterrupted run's
// steps.
#pragma once

#include <cstdint>
#include <vector>

#include "pattern_groups.hpp"
#include "tape.hpp"
#include "trainer.hpp"

namespace rfa {

// What a plain shared-pattern trainer did, for benchmarks and tests.
struct SharedBackwardStats {
  std::uint64_t steps = 0;
  std::uint64_t whole_steps = 0;  // of which formed the backward product whole (patterns did not group)
  std::uint64_t regroupings = 0;
  std::uint64_t references = 0;   // summed over the shared steps (divide by those for the mean R)
  std::uint64_t differences = 0;  // entries differing from their reference, summed likewise
};

template <typename T>
class PlainSharedBackwardDescent final : public Trainer<T> {
 public:
  static constexpr std::size_t REFRESH = 100;  // steps between choices of the references, at most
  static constexpr std::size_t RETRY = 10;     // while sharing does not pay, steps between tries

  // u = dL/df comes from the tape (the loss recorded on f) or from the closed form.
  PlainSharedBackwardDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a, Tensor<T> W0, T alpha);
  double step() override;
  const Tensor<T>& weights() override { return W_; }
  // "W" (M,D); "W_grouped" (M,D), the weights whose patterns chose the references (which are chosen again from them
  // on load); "steps" (which times the choices) and "next" (0: a whole step, 1: a shared one, 2: a whole one that
  // chooses the references again)
  void save(Checkpoint& c) override;
  void load(const Checkpoint& c) override;
  std::string name() const override { return std::string("plain-patterns-") + to_string(source_); }
  const SharedBackwardStats& stats() const { return stats_; }

 private:
  double forward(bool whole);  // f, u, the loss and the patterns S, block by block; with `whole`, also dW = G^T X
  void regroup(const Tensor<T>& W_now);  // references from the current patterns S, which W_now gave
  bool pays(std::uint64_t differing) const;
  struct Difference {
    std::uint32_t k, j;  // point, neuron
  };
  void record_differences(std::size_t i, const T* z, std::uint64_t* s, std::vector<Difference>& out) const;
  void shared_backward_step();           // W -= alpha dW, dW formed from the references and the differing entries
  void patterns_of(const Tensor<T>& W);  // S from W alone (after a load)

  GradSource source_;
  T alpha_;
  std::size_t N_, M_, D_;
  Tensor<T> W_, W_grouped_;  // (M,D): the weights, and those whose patterns chose the references
  std::vector<Tensor<T>> X_blocks_;
  Tensor<T> Zb_;                    // (B,M): a block's pre-activations, then its share of G
  std::vector<std::uint8_t> S_;     // (N,M): 1[z_ij > 0], by point
  std::size_t words_;                   // ceil(M / 64): a row of M pattern bits
  std::vector<std::uint64_t> Pref_bits_;  // (N,words_): bit j of row i is entry (i, j) of neuron j's reference
  PatternGrouper grouper_;
  PatternGroups groups_;  // the reference patterns P (R,N) and each neuron's reference
  std::uint64_t steps_ = 0;
  enum Next : std::uint64_t { whole_next = 0, share_next = 1, regroup_next = 2 };
  Next next_ = whole_next;  // what the next step does (unless it is a REFRESH step, which regroups)
  Tensor<T> u_, fT_;        // (N): dL/df, and f in T
  Tensor<T> Pu_, Y_, dW_;   // (R,N) P .* u; (R,D) Pu X; (M,D) for whole steps
  Tensor<T> grad_rows_;     // (MAX_PARTS,D): a shared step's row of dW, one per worker
  std::vector<double> loss_parts_;
  // A shared step's differing entries: recorded by the forward pass, one list per part of the rows, with where each
  // block's entries start (diff_seg_, (blocks + 1) x MAX_PARTS); then by neuron: the points of neuron j's are
  // diff_points_[diff_start_[j] .. diff_start_[j + 1]).
  std::vector<std::vector<Difference>> diff_lists_;
  std::vector<std::size_t> diff_seg_, diff_start_, diff_fill_;
  std::vector<std::uint32_t> diff_points_;
  std::vector<std::uint64_t> pattern_words_;  // (MAX_PARTS,words_): a point's pattern bits, one row per worker
  Tape<T> tape_;
  SharedBackwardStats stats_;
};

}  // namespace rfa
