// Row-space training: the same gradient descent trajectory, computed in the span of the training rows.
//
// Sizes: N training rows, D input dimension, M neurons. The gradient is grad_W L = G^T X with G = dL/dZ (N,M),
// so every step adds a combination of training rows to W, and W_t = W_0 + C_t X with C_{t+1} = C_t - alpha G_t^T.
// Keeping Ct = C^T (N,M) and, computed once, Z_0 = X W_0^T (N,M) and K = X X^T (N,N), a step is
//     Z = Z_0 + K Ct    (2 N^2 M flops)      G from Z, as in the closed form      Ct -= alpha G
// instead of the plain step's 4 N D M flops. This is exact algebra, not an approximation: the two trajectories
// differ only by rounding (tests compare them). It pays when N < 2 D; W itself is only formed when asked for.
#pragma once

#include <vector>

#include "tape.hpp"
#include "trainer.hpp"

namespace rfa {

// Throws, naming the trainer, when K = X X^T or Z_0 = X W_0^T (computed once) overflowed: the NaN pre-activations
// that follow would look inactive to relu and training would go on silently wrong.
template <typename T>
void require_finite_products(const char* trainer, const Tensor<T>& K, const Tensor<T>& Z0);

// f = relu(Xq W_0^T + (Xq X^T) C^T) a for the rows of Xq (Q,D), with W = W_0 + C X: the network's outputs on
// another data set (the test set) from row-space coefficients. The products with Xq are computed once and
// cached while the same data set comes back.
template <typename T>
class RowSpaceQuery {
 public:
  // C is (M,N) when c_by_neuron, else stored transposed, (N,M).
  void outputs(const Tensor<T>& Xq, const Tensor<T>& X, const Tensor<T>& W0, const Tensor<T>& C, bool c_by_neuron,
               const Tensor<T>& a, Tensor<T>& f);

 private:
  std::uint64_t key_ = 0;  // a fingerprint of the cached data set
  Tensor<T> Zq0_, Kq_, Zq_;
};

template <typename T>
class RowSpaceDescent final : public Trainer<T> {
 public:
  // G comes from the tape (the head f = relu(Z) a and the loss recorded on Z) or from the closed form.
  RowSpaceDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a, Tensor<T> W0, T alpha);
  double step() override;
  // W = W_0 + Ct^T X (M,D), formed on demand and kept until the next step.
  const Tensor<T>& weights() override;
  // f = relu(Z_0 + K Ct) a
  void train_outputs(Tensor<T>& f) override;
  // f = relu(X W_0^T + (X X_train^T) Ct) a; the two products are computed once per data set and cached.
  void outputs(const Tensor<T>& X, Tensor<T>& f) override;
  void save(Checkpoint& c) override;  // "Ct"
  void load(const Checkpoint& c) override;
  std::string name() const override;

 private:
  void form_Z();  // Z_ (N,M) = Z0_ + K_ Ct_
  // Rows [r0, r0 + rows) of Z_ = Z0_ + K_ Ct_: one part of form_Z.
  void form_Z_rows(std::size_t r0, std::size_t rows);
  std::size_t parts() const;  // how many row parts a step is split into

  GradSource source_;
  T alpha_;
  Tensor<T> W0_;   // (M,D)
  Tensor<T> K_;    // (N,N) = X X^T
  Tensor<T> Z0_;   // (N,M) = X W0^T
  Tensor<T> Ct_;   // (N,M), starts at 0
  Tensor<T> Ct_next_;  // (N,M): the next step's Ct, written while Ct_ is still read (then swapped)
  Tensor<T> Z_;    // (N,M)
  std::vector<double> loss_parts_;  // per worker
  Tensor<T> W_;    // (M,D), formed by weights()
  bool W_current_ = false;
  Tape<T> tape_;   // the tape path: records the head on Z
  RowSpaceQuery<T> query_;
};

}  // namespace rfa
