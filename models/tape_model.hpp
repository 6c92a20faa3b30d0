// The paper's network and loss recorded on the tape:
//   L(W) = logistic_loss(y .* (relu(X W^T) a)),  W (M,D) the one parameter; X (N,D), y (N), a (M) constants.
#pragma once

#include "ops.hpp"

namespace rfa {

template <typename T>
struct TapeNetwork {
  Var<T> W;     // the parameter
  Var<T> f;     // (N) network outputs
  Var<T> loss;  // (1)
};

// Records the loss on `tape` (which the caller clears beforehand), op by op as the formula reads:
// matmul, relu, matvec, mul, logistic_loss.
template <typename T>
TapeNetwork<T> record_network_loss(Tape<T>& tape, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                                   const Tensor<T>& a);

// The training step's form of the same loss: one block of rows X_b (B,D), y_b (B) at a time, weighted by B/N so
// that the blocks' losses add up to the mean over all N rows, with W's gradient ADDED to dW (param(W, dW, mode);
// Sink::overwrite for the first block replaces what dW held), and
// relu + matvec fused into relu_matvec. Each block is recorded and differentiated on its own, while its
// (B, M) intermediates are in cache.
template <typename T>
TapeNetwork<T> record_block_loss(Tape<T>& tape, const Tensor<T>& Xb, const Tensor<T>& yb, const Tensor<T>& W,
                                 Tensor<T>& dW, const Tensor<T>& a, T weight,
                                 typename Tape<T>::Sink mode = Tape<T>::Sink::add);

}  // namespace rfa
