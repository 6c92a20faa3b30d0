// The paper's network and loss recorded on the tape:
//   L(W) = logistic_loss(y .* (relu(X W^T) a)),  W (M,D) the parameter; X (N,D), y (N) constants; a (M) a constant
// as in the paper, or a second parameter when both layers are trained.
#pragma once

#include "ops.hpp"

namespace rfa {

template <typename T>
struct TapeNetwork {
  Var<T> W;     // the parameter
  Var<T> a;     // the second layer: a constant, or a parameter
  Var<T> f;     // (N) network outputs
  Var<T> loss;  // (1)
};

// Records the loss on `tape` (which the caller clears beforehand), op by op as the formula reads:
// matmul, relu, matvec, mul, logistic_loss.
template <typename T>
TapeNetwork<T> record_network_loss(Tape<T>& tape, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                                   const Tensor<T>& a, bool a_is_param = false);

// The training step's form of the same loss: one block of rows X_b (B,D), y_b (B) at a time, weighted by B/N so
// that the blocks' losses add up to the mean over all N rows, with W's gradient ADDED to dW (param(W, dW, mode);
// Sink::overwrite for the first block replaces what dW held), and
// relu + matvec fused into relu_matvec. Each block is recorded and differentiated on its own, while its
// (B, M) intermediates are in cache. With da, a is a parameter too and its gradient goes to *da the same way.
template <typename T>
TapeNetwork<T> record_block_loss(Tape<T>& tape, const Tensor<T>& Xb, const Tensor<T>& yb, const Tensor<T>& W,
                                 Tensor<T>& dW, const Tensor<T>& a, T weight,
                                 typename Tape<T>::Sink mode = Tape<T>::Sink::add, Tensor<T>* da = nullptr);

}  // namespace rfa
