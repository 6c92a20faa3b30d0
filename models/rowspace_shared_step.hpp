// Shared-pattern training: the row-space trajectory (rowspace.hpp) with the step's product shared among neurons
// whose activation patterns agree.
//
// Sizes: N training rows, M neurons, R reference patterns. W_t = W_0 + C_t X with C (M,N); Z^T (M,N) holds
// z_ji = <w_j, x_i>; S (M,N) = 1[Z^T > 0] (relu'(0) = 0); u_i = dL/df_i = -(1/N) y_i sigmoid(-y_i f_i). A step
// moves neuron j's pre-activations by
//     z_j  -=  alpha a_j K (u .* s_j)        (K = X X^T, s_j row j of S),
// which over all neurons is the product K (diag(u) S^T), 2 N^2 M flops: the row-space step's cost. But neurons
// learn the same few features (the paper's point: they align with the cluster means), so their patterns s_j
// fall into a few groups. With reference patterns p_1..p_R and each neuron assigned to one,
//     K (u .* s_j) = K (u .* p_r(j)) + sum over k where s_j and p_r(j) differ of (s_jk - p_r(j)k) u_k K_k,
// one product of R columns (2 N^2 R flops) plus N multiply-adds per differing entry. At Figure 2's high-dim
// settings R is about 10 and 3-4% of the entries differ, so a step does about a tenth of the row-space step's
// arithmetic; it runs about twice as fast, since the corrections fetch rows of K one at a time.
//
// This is exact algebra, like row space: the trajectory differs from the ordinary one only by rounding (tests
// compare them). Z^T is carried from step to step, so its rounding would accumulate; every REFRESH steps (or
// sooner, when the patterns have drifted from the references) it is recomputed as Z_0^T + C K and the
// references are chosen again. Where the patterns do not group (at a random init, say) each neuron becomes its
// own reference and the step is the row-space product again, with a little bookkeeping on top.
//
// A checkpoint holds C at the last refresh and the number of steps since; restoring replays those steps, which
// gives the same numbers as an uninterrupted run.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "pattern_groups.hpp"
#include "parallel.hpp"
#include "rowspace.hpp"
#include "tape.hpp"
#include "trainer.hpp"

namespace rfa {

// What a shared-pattern trainer did, for benchmarks and tests.
struct SharedStepStats {
  std::uint64_t steps = 0;
  std::uint64_t dense_steps = 0;  // of which formed Z whole, as row space does, because patterns did not group
  std::uint64_t refreshes = 0;
  std::uint64_t references = 0;   // summed over the shared-pattern steps (divide by those for the mean R)
  std::uint64_t differences = 0;  // entries differing from their reference, summed likewise
};

template <typename T>
class RowSpaceSharedStepDescent final : public Trainer<T> {
 public:
  static constexpr std::size_t REFRESH = 500;      // shared-pattern steps between refreshes, at most
  static constexpr std::size_t DENSE_WINDOW = 50;  // steps forming Z whole before the patterns are tried again

  // u comes from the tape (the loss recorded on f) or from the closed form.
  RowSpaceSharedStepDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a, Tensor<T> W0, T alpha);
  double step() override;
  // W = W_0 + C X (M,D), formed on demand and kept until the next step.
  const Tensor<T>& weights() override;
  double weight_norm() override;  // from C, K and Z_0 (rowspace.hpp)
  // f = relu(Z_0 + K C^T) a, formed exactly (not from the carried Z)
  void train_outputs(Tensor<T>& f) override;
  // f = relu(X W_0^T + (X X_train^T) C^T) a; the two products are cached per data set.
  void outputs(const Dataset<T>& data, Tensor<T>& f) override;
  // "C_refresh" (M,N), C at the last refresh, and "steps_since_refresh" (at most REFRESH + DENSE_WINDOW): load()
  // replays those steps, which gives the numbers of the uninterrupted run.
  void save(Checkpoint& c) override;
  void load(const Checkpoint& c) override;
  std::string name() const override { return std::string("patterns-") + to_string(source_); }
  const SharedStepStats& stats() const { return stats_; }
  // The pre-activations Z^T (M,N) carried from step to step, and C: for tests.
  const Tensor<T>& pre_activations() const { return Zt_; }
  const Tensor<T>& coefficients();

 private:
  void refresh();             // Z^T, S and f from C; references chosen again
  void choose_references();   // from S: groups_, and the order the neurons are stepped in
  double head();              // u = dL/df from the carried f, and the loss
  void reference_products();  // Yt_: K (u .* p_r) for every reference pattern p_r
  std::uint64_t shared_step();  // the shared-pattern step on Z, S and f; returns how many entries differed
  void dense_step();          // the row-space step on C itself, for when patterns do not group
  void sum_f_parts();         // f_ = the sum of the parts' shares

  GradSource source_;
  T alpha_;
  std::size_t N_, M_;
  RowSpace<T> space_;  // K = X X^T (N,N), Z_0^T = W_0 X^T (M,N), and what is computed from them
  // C is not stepped entry by entry: a step adds -alpha a_j u .* s_j to row j, which is the reference's
  // u .* p_r(j) except at the differing entries. So the steps since the last refresh are kept as the sum U of u
  // and, per entry, the sum E of the differences' (s_jk - p_r(j)k) u_k; coefficients() forms C from them.
  Tensor<T> C_;     // (M,N), current when C_current_
  bool C_current_ = false;
  Tensor<T> C_refresh_;  // (M,N): C at the last refresh
  Tensor<T> U_;     // (N)
  Tensor<T> E_;     // (M,N)
  std::size_t since_refresh_ = 0;
  bool refresh_due_ = false;       // the patterns drifted from the references: refresh before the next step
  bool dense_ = false;             // the patterns do not group: step C and form Z whole until the next refresh
  std::size_t dense_steps_ = 0;    // steps taken so since dense_ was set (a refresh comes after DENSE_WINDOW)
  std::uint64_t first_cost_ = 0;   // the larger estimated cost of the second and third steps after the last refresh
  Tensor<T> Zt_;    // (M,N)
  std::vector<std::uint8_t> S_;  // (M,N): 1[Z^T > 0]
  PatternGrouper grouper_;
  PatternGroups groups_;  // the reference patterns P (R,N) and each neuron's reference
  std::vector<std::uint32_t> order_;   // (M): the neurons in order of reference, the order they are stepped in
  Tensor<T> Pu_;    // (R,N) = P .* u
  Tensor<T> Yt_;    // (R,N) = P diag(u) K: row r is K (u .* p_r)
  Tensor<T> u_;     // (N)
  std::vector<double> f_;                 // (N) = relu(Z) a, in double
  std::vector<double> f_parts_;           // (MAX_PARTS, N): each part's neurons' share of f
  std::vector<T> h_parts_;                // (MAX_PARTS, 16, N): scratch, K (u .* s_j) for a block of neurons
  std::vector<std::uint16_t> differs_;    // (MAX_PARTS, N): scratch, which neurons of a block differ where
  std::array<std::uint64_t, MAX_PARTS> diff_parts_{};
  Tape<T> tape_;
  Tensor<T> fT_;    // (N) f in the run's precision, for the head
  Tensor<T> W_, work_;
  bool W_current_ = false;
  std::vector<double> out_f_, out_parts_;  // scratch for train_outputs
  SharedStepStats stats_;
};

}  // namespace rfa
