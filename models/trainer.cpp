#include "trainer.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "blas.hpp"
#include "blocks.hpp"
#include "checkpoint.hpp"
#include "patterns.hpp"
#include "network.hpp"
#include "parallel.hpp"
#include "rowspace.hpp"
#include "tape_model.hpp"
#include "errors.hpp"

namespace rfa {

GradSource parse_grad_source(const std::string& s) {
  if (s == "tape") return GradSource::tape;
  if (s == "closed") return GradSource::closed;
  throw InputError(fmt::format("gradient source must be tape or closed, got '{}'", s));
}

const char* to_string(GradSource g) { return g == GradSource::tape ? "tape" : "closed"; }

Method parse_method(const std::string& s) {
  if (s == "auto") return Method::automatic;
  if (s == "plain") return Method::plain;
  if (s == "rowspace") return Method::rowspace;
  if (s == "patterns") return Method::patterns;
  throw InputError(fmt::format("method must be auto, plain, rowspace or patterns, got '{}'", s));
}

const char* to_string(Method m) {
  switch (m) {
    case Method::automatic: return "auto";
    case Method::plain: return "plain";
    case Method::rowspace: return "rowspace";
    case Method::patterns: return "patterns";
  }
  return "?";
}

Method resolve_method(Method m, std::size_t N, std::size_t D) {
  if (m != Method::automatic) return m;
  return N < 2 * D ? Method::patterns : Method::plain;
}

template <typename T>
std::unique_ptr<Trainer<T>> make_trainer(Method method, GradSource source, const Tensor<T>& X, const Tensor<T>& y,
                                         Tensor<T> a, Tensor<T> W0, T alpha) {
  const Method m = resolve_method(method, X.rows(), X.cols());
  if (m == Method::patterns)
    return std::make_unique<PatternDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
  if (m == Method::rowspace)
    return std::make_unique<RowSpaceDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
  return std::make_unique<GradientDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
}

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
  parallel_ = blocks_in_parallel(X.cols());
  const std::size_t B = block_rows(X.rows(), this->a_.size(), X.cols(), sizeof(T), threads());
  X_blocks_ = row_blocks(X, B);
  y_blocks_ = row_blocks(y, B);
  dW_.resize(W_.shape());
}

template <typename T>
double GradientDescent<T>::step() {
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
void GradientDescent<T>::save(Checkpoint& c) {
  c.put("W", W_);
}

template <typename T>
void GradientDescent<T>::load(const Checkpoint& c) {
  c.get("W", W_);
}

template <typename T>
std::string GradientDescent<T>::name() const {
  return fmt::format("gd-{}", to_string(source_));
}

template class Trainer<float>;
template class Trainer<double>;
template class GradientDescent<float>;
template class GradientDescent<double>;
template std::unique_ptr<Trainer<float>> make_trainer(Method, GradSource, const Tensor<float>&, const Tensor<float>&,
                                                      Tensor<float>, Tensor<float>, float);
template std::unique_ptr<Trainer<double>> make_trainer(Method, GradSource, const Tensor<double>&,
                                                       const Tensor<double>&, Tensor<double>, Tensor<double>, double);

}  // namespace rfa
