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

// Records the loss on `tape` (which the caller clears beforehand).
template <typename T>
TapeNetwork<T> record_network_loss(Tape<T>& tape, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                                   const Tensor<T>& a);

}  // namespace rfa
