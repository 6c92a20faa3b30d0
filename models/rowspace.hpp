// Row-space training: the same gradient-descent trajectory, computed in the span of the training rows.
//
// Sizes: N training rows, D input dimension, M neurons, Q rows of another data set. The gradient is
// grad_W L = G^T X with G = dL/dZ (N,M), so every step adds a combination of training rows to W, and
//     W_t = W_0 + C_t X,   C_{t+1} = C_t - alpha G_t^T,   C (M,N) by neuron.
// With K = X X^T (N,N) and Z_0^T = W_0 X^T (M,N), computed once, the pre-activations are Z^T = Z_0^T + C K: a step
// costs 2 N^2 M flops instead of the plain step's 4 N D M. This is exact algebra, not an approximation: the
// trajectories differ only by rounding (tests compare them). It pays when N < 2 D; W itself is formed only when
// asked for, and its norm comes from C, K and Z_0 without it.
#pragma once

#include <cstdint>
#include <vector>

#include "tape.hpp"
#include "trainer.hpp"

namespace rfa {

// What row-space training keeps of the data and the init, shared by the row-space and shared-pattern trainers.
template <typename T>
class RowSpace {
 public:
  // Computes K and Z_0^T; throws, naming `trainer`, when they overflow T (the NaN pre-activations that would
  // follow look inactive to relu, and training would go on silently wrong).
  RowSpace(const char* trainer, const Tensor<T>& X, const Tensor<T>& W0);

  std::size_t N() const { return K_.rows(); }
  std::size_t M() const { return Z0t_.rows(); }
  const Tensor<T>& K() const { return K_; }      // (N,N) = X X^T
  const Tensor<T>& Z0t() const { return Z0t_; }  // (M,N) = W_0 X^T

  // Zt (M,N) = Z_0^T + C K, for the neurons j0 <= j < j1 (all of them: pre_activations(C, Zt)).
  void pre_activations(const Tensor<T>& C, Tensor<T>& Zt, std::size_t j0, std::size_t j1) const;
  void pre_activations(const Tensor<T>& C, Tensor<T>& Zt) const;
  // W (M,D) = W_0 + C X
  void weights(const Tensor<T>& C, Tensor<T>& W) const;
  // ||W||_F = sqrt(||W_0||_F^2 + 2 <C, Z_0^T> + <C, C K>): an M N^2 product instead of W's M N D, with `work` (M,N)
  // as scratch.
  double norm(const Tensor<T>& C, Tensor<T>& work) const;
  // f (Q) = relu(Xq W_0^T + (Xq X^T) C^T) a on another data set (say, the test set); the two products with Xq are
  // computed once per data set (its Dataset::id) and kept while it comes back.
  void outputs(const Dataset<T>& data, const Tensor<T>& C, const Tensor<T>& a, Tensor<T>& f);

 private:
  const Tensor<T>& X_;  // (N,D), the trainer's training inputs
  Tensor<T> W0_;        // (M,D)
  Tensor<T> K_, Z0t_;
  double w0_sq_ = 0;    // ||W_0||_F^2
  std::uint64_t query_id_ = 0;
  Tensor<T> Zq0_, Kq_, Zq_;  // (Q,M), (Q,N), (Q,M): the cached products of the last other data set, and scratch
};

// f (N) = relu(Zt)^T a for Zt (M,N): each neuron's share summed in double, in parts over the neurons.
template <typename T>
void outputs_by_neuron(const Tensor<T>& Zt, const Tensor<T>& a, std::vector<double>& f,
                       std::vector<double>& parts);

template <typename T>
class RowSpaceDescent final : public Trainer<T> {
 public:
  // With GradSource::tape the loss is recorded as a function of C (Z = Z_0 + K C^T, f = relu(Z) a, the logistic
  // loss) and the tape differentiates it with respect to C, the parameters row space trains; the step then uses
  // G = dL/dZ, which the backward pass passes through on its way to C (dL/dC = G^T K). The closed form computes G
  // directly, without the product dL/dC needs: it is the fast path.
  RowSpaceDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a, Tensor<T> W0, T alpha);
  double step() override;
  const Tensor<T>& weights() override;  // W = W_0 + C X (M,D), formed on demand and kept until the next step
  double weight_norm() override;
  void train_outputs(Tensor<T>& f) override;
  void outputs(const Dataset<T>& data, Tensor<T>& f) override;
  void save(Checkpoint& c) override;  // "C"
  void load(const Checkpoint& c) override;
  std::string name() const override { return std::string("rowspace-") + to_string(source_); }

  const RowSpace<T>& space() const { return space_; }
  const Tensor<T>& coefficients() const { return C_; }
  // The tape path's last dL/dC (M,N), for tests (empty after closed-form steps).
  const Tensor<T>& tape_gradient() const { return dC_; }

 private:
  double tape_step();
  double closed_step();

  GradSource source_;
  T alpha_;
  RowSpace<T> space_;
  Tensor<T> C_;      // (M,N), starts at 0
  Tensor<T> Zt_;     // (M,N) pre-activations of the step
  std::vector<double> f_, f_parts_;  // (N), (parts, N): outputs, and each part's share
  std::vector<T> step_parts_;        // (parts, N): each part's share of f in the closed-form step
  Tensor<T> fT_, u_;                 // (N) f in T, and u = dL/df
  Tensor<T> W_, work_;
  bool W_current_ = false;
  // The tape path: Z_0 (N,M) = (Z_0^T)^T for the recording, the recording, and its dL/dC.
  Tape<T> tape_;
  Tensor<T> Z0_, dC_;
};

}  // namespace rfa
