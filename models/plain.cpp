#include "plain.hpp"

#include <fmt/format.h>

#include "blas.hpp"
#include "checkpoint.hpp"
#include "parallel.hpp"
#include "tape_model.hpp"

namespace rfa {

template <typename T>
PlainDescent<T>::PlainDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a,
                              Tensor<T> W0, T alpha, bool train_second_layer)
    : Trainer<T>(X, y, std::move(a)), source_(source), W_(std::move(W0)), alpha_(alpha),
      train_a_(train_second_layer) {
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
    const std::size_t workers = static_cast<std::size_t>(threads());
    if (train_a_) {
      da_parts_.resize(workers);
      for (Tensor<T>& d : da_parts_) d.resize(this->a_.shape());
      da_used_.assign(workers, 0);
    }
    loss = sum_.run(blocks, parallel_, dW_, [&](std::size_t b, int w, Tensor<T>& g, bool first) {
      const std::size_t wi = static_cast<std::size_t>(w);
      Tape<T>& tape = tapes_[wi];
      tape.clear();
      if (train_a_) da_used_[wi] = 1;
      const TapeNetwork<T> net = record_block_loss(tape, X_blocks_[b], y_blocks_[b], W_, g, this->a_,
                                                   T(X_blocks_[b].rows()) / N,
                                                   first ? Tape<T>::Sink::overwrite : Tape<T>::Sink::add,
                                                   train_a_ ? &da_parts_[wi] : nullptr);
      tape.backward(net.loss);
      return double(net.loss.value().item());
    });
    if (train_a_) {  // the workers' shares of grad_a L, summed in a fixed order
      da_.resize(this->a_.shape());
      da_.fill(T(0));
      for (std::size_t w = 0; w < workers; ++w)
        if (da_used_[w])
          for (std::size_t j = 0; j < da_.size(); ++j) da_[j] += da_parts_[w][j];
    }
  } else {
    loss = closed_form_gradient(dW_, this->X_, this->y_, W_, this->a_, work_cf_, train_a_ ? &da_ : nullptr);
  }
  // W (M,D) -= alpha dW (M,D), and a (M) -= alpha da (M) when the second layer is trained: both at (W, a) before.
  blas::parallel_axpy(W_.size(), -alpha_, dW_.data(), W_.data());
  if (train_a_)
    for (std::size_t j = 0; j < da_.size(); ++j) this->a_[j] -= alpha_ * da_[j];
  return loss;
}

template <typename T>
void PlainDescent<T>::save(Checkpoint& c) {
  c.put("W", W_);
  if (train_a_) c.put("a", this->a_);
}

template <typename T>
void PlainDescent<T>::load(const Checkpoint& c) {
  c.get("W", W_);
  if (train_a_) c.get("a", this->a_);
}

template class PlainDescent<float>;
template class PlainDescent<double>;

}  // namespace rfa
