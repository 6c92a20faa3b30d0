// The linear-classifier baseline: f(x) = <w, x> (homogeneous) or <w, x> + b (with a bias), trained by
// full-batch gradient descent on the same mean logistic loss, from w = 0, b = 0, with gradients from the tape.
//
// On the XOR distribution no homogeneous rule sgn(<w, x>) beats 50% (the +mu and -mu clusters of a label cancel);
// a bias allows at most 75% (one cluster of four given up).
#pragma once

#include "tape.hpp"
#include "trainer.hpp"

namespace rfa {

template <typename T>
class LinearDescent final : public Trainer<T> {
 public:
  LinearDescent(const Tensor<T>& X, const Tensor<T>& y, bool bias, T alpha);
  double step() override;
  const Tensor<T>& weights() override { return w_; }  // w (D)
  void train_outputs(Tensor<T>& f) override { outputs(this->X_, f); }
  void outputs(const Dataset<T>& data, Tensor<T>& f) override { outputs(data.X, f); }
  void save(Checkpoint& c) override;  // "w" (D) and "b" (1)
  void load(const Checkpoint& c) override;
  std::string name() const override { return bias_ ? "linear-bias" : "linear"; }
  T bias() const { return b_[0]; }
  // f (Q) = X (Q,D) w + b
  void outputs(const Tensor<T>& X, Tensor<T>& f);

 private:
  bool bias_;
  T alpha_;
  Tensor<T> w_;  // (D)
  Tensor<T> b_;  // (1)
  Tape<T> tape_;
};

}  // namespace rfa

namespace rfa {

// The minimiser of the same mean logistic loss by Newton's method with a backtracking line search: an independent
// check of what LinearDescent converges to. The loss is convex and, on data that no hyperplane separates, has one
// minimiser. Dense (D+1)^2 Hessian: D at most 1000 (throws std::invalid_argument beyond). converged: the gradient's
// norm fell below 1e-10 within max_iter iterations (false on separable data, where no finite minimiser exists).
struct LogisticOptimum {
  Tensor<double> w;  // (D)
  double b = 0;      // 0 without a bias
  double loss = 0, grad_norm = 0;
  int iterations = 0;
  bool converged = false;
};
LogisticOptimum newton_logistic(const Tensor<double>& X, const Tensor<double>& y, bool bias, int max_iter = 100);

}  // namespace rfa
