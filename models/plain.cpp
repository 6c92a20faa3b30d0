#include "plain.hpp"

#include <fmt/format.h>

#include "blas.hpp"
#include "checkpoint.hpp"
#include "parallel.hpp"
#include "tape_model.hpp"

namespace rfa {

template <typename T>
PlainDescent<T>::PlainDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a,
                              Tensor<T> W0, T alpha)
    : Trainer<T>(X, y, std::move(a)), source_(source), W_(std::move(W0)), alpha_(alpha) {
  check_shape("PlainDescent", "W0", W_.shape(), Shape::matrix(this->a_.size(), X.cols()));
  check_shape("PlainDescent", "y", y.shape(), Shape::vector(X.rows()));
  parallel_ = blocks_in_parallel(X.cols());
  const std::size_t B = block_rows(X.rows(), this->a_.size(), X.cols(), sizeof(T), threads());
  X_blocks_ = row_blocks(X, B);
  y_blocks_ = row_blocks(y, B);
  dW_.resize(W_.shape());
}

template <typename T>
double PlainDescent<T>::step() {
  double loss = 0;
  if (source_ == GradSource::tape) {
    // L = sum over blocks b of (B_b / N) L_b: each block is recorded, differentiated and accumulated on its
    // own, the worker's tape sending W's gradient into that worker's buffer.
    const std::size_t blocks = X_blocks_.size();
    while (tapes_.size() < static_cast<std::size_t>(threads())) tapes_.emplace_back();
    const T N = T(this->X_.rows());
    loss = sum_.run(blocks, parallel_, dW_, [&](std::size_t b, int w, Tensor<T>& g, bool first) {
      Tape<T>& tape = tapes_[static_cast<std::size_t>(w)];
      tape.clear();
      const TapeNetwork<T> net = record_block_loss(tape, X_blocks_[b], y_blocks_[b], W_, g, this->a_,
                                                   T(X_blocks_[b].rows()) / N,
                                                   first ? Tape<T>::Sink::overwrite : Tape<T>::Sink::add);
      tape.backward(net.loss);
      return double(net.loss.value().item());
    });
  } else {
    loss = closed_form_gradient(dW_, this->X_, this->y_, W_, this->a_, work_cf_);
  }
  // W (M,D) -= alpha dW (M,D)
  blas::parallel_axpy(W_.size(), -alpha_, dW_.data(), W_.data());
  return loss;
}

template <typename T>
void PlainDescent<T>::save(Checkpoint& c) {
  c.put("W", W_);
}

template <typename T>
void PlainDescent<T>::load(const Checkpoint& c) {
  c.get("W", W_);
}

template class PlainDescent<float>;
template class PlainDescent<double>;

}  // namespace rfa
