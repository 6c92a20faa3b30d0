#include "linear.hpp"

#include <algorithm>

#include "blas.hpp"
#include "checkpoint.hpp"
#include "ops.hpp"

namespace rfa {

template <typename T>
LinearDescent<T>::LinearDescent(const Tensor<T>& X, const Tensor<T>& y, bool bias, T alpha)
    : Trainer<T>(X, y, Tensor<T>()), bias_(bias), alpha_(alpha), w_(X.cols()), b_{T(0)} {
  check_shape("LinearDescent", "y", y.shape(), Shape::vector(X.rows()));
  w_.fill(T(0));
}

template <typename T>
double LinearDescent<T>::step() {
  tape_.clear();
  // L = logistic_loss(y .* (X w + b)), f (N) = X (N,D) w (D) + b
  auto w = tape_.param(w_);
  auto b = tape_.param(b_);
  auto f = matvec(tape_.constant(this->X_), w);
  if (bias_) f = broadcast_add(f, b);
  auto L = logistic_loss(tape_.constant(this->y_) * f);
  tape_.backward(L);
  blas::axpy(w_.size(), -alpha_, tape_.grad(w).data(), w_.data());
  if (bias_) b_[0] -= alpha_ * tape_.grad(b)[0];
  return L.value().item();
}

template <typename T>
void LinearDescent<T>::outputs(const Tensor<T>& X, Tensor<T>& f) {
  // f (K) = X (K,D) w (D) + b
  f.resize(Shape::vector(X.rows()));
  blas::gemv(blas::Trans::N, X.rows(), X.cols(), T(1), X.data(), X.cols(), w_.data(), T(0), f.data());
  for (T& v : f) v += b_[0];
}

template <typename T>
void LinearDescent<T>::save(Checkpoint& c) {
  c.put("w", w_);
  c.put("b", b_);
}

template <typename T>
void LinearDescent<T>::load(const Checkpoint& c) {
  c.get("w", w_);
  c.get("b", b_);
}

template class LinearDescent<float>;
template class LinearDescent<double>;

}  // namespace rfa
