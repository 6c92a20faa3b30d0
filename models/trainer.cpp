#include "trainer.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "blas.hpp"
#include "network.hpp"
#include "tape_model.hpp"

namespace rfa {

GradSource parse_grad_source(const std::string& s) {
  if (s == "tape") return GradSource::tape;
  if (s == "closed") return GradSource::closed;
  throw std::invalid_argument(fmt::format("gradient source must be tape or closed, got '{}'", s));
}

const char* to_string(GradSource g) { return g == GradSource::tape ? "tape" : "closed"; }

template <typename T>
void Trainer<T>::train_outputs(Tensor<T>& f) {
  network_outputs(f, X_, weights(), a_, work_);
}

template <typename T>
void Trainer<T>::outputs(const Tensor<T>& X, Tensor<T>& f) {
  network_outputs(f, X, weights(), a_, work_);
}

template <typename T>
GradientDescent<T>::GradientDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a,
                                    Tensor<T> W0, T alpha)
    : Trainer<T>(X, y, std::move(a)), source_(source), W_(std::move(W0)), alpha_(alpha) {
  check_shape("GradientDescent", "W0", W_.shape(), Shape::matrix(this->a_.size(), X.cols()));
  check_shape("GradientDescent", "y", y.shape(), Shape::vector(X.rows()));
}

template <typename T>
double GradientDescent<T>::step() {
  double loss;
  const T* dW;
  if (source_ == GradSource::tape) {
    tape_.clear();
    const TapeNetwork<T> net = record_network_loss(tape_, this->X_, this->y_, W_, this->a_);
    tape_.backward(net.loss);
    loss = net.loss.value().item();
    dW = tape_.grad(net.W).data();
  } else {
    loss = closed_form_gradient(dW_, this->X_, this->y_, W_, this->a_, work_cf_);
    dW = dW_.data();
  }
  // W (M,D) -= alpha dW (M,D)
  blas::axpy(W_.size(), -alpha_, dW, W_.data());
  return loss;
}

template <typename T>
void GradientDescent<T>::restore(const Tensor<T>& W) {
  check_shape("GradientDescent::restore", "W", W.shape(), W_.shape());
  W_ = W;
}

template <typename T>
std::string GradientDescent<T>::name() const {
  return fmt::format("gd-{}", to_string(source_));
}

template class Trainer<float>;
template class Trainer<double>;
template class GradientDescent<float>;
template class GradientDescent<double>;

}  // namespace rfa
