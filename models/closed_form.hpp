// The paper's closed-form gradient of the mean logistic loss, written directly from its formula. It never
// touches the tape: it is the independent code path the tape's gradient is checked against.
//
// Sizes: N samples, D input dimension, M neurons.
//   f_i = sum_j a_j relu(<w_j, x_i>),  g_i = 1 / (1 + exp(y_i f_i)) = sigmoid(-y_i f_i)
//   grad_{w_j} L = -(a_j / N) sum_i g_i y_i 1[<w_j, x_i> > 0] x_i
// In matrix form: Z = X W^T (N,M); G = dL/dZ with G_ij = -(1/N) g_i y_i a_j 1[Z_ij > 0]; grad_W L = G^T X (M,D).
// The indicator uses relu'(0) = 0, the same convention as the tape's relu. When the second layer is trained too:
//   grad_{a_j} L = -(1/N) sum_i g_i y_i relu(<w_j, x_i>),  that is grad_a L = relu(Z)^T u with u = dL/df.
#pragma once

#include <vector>

#include "blocks.hpp"
#include "tensor.hpp"

namespace rfa {

// Scratch space for closed_form_gradient; reused across calls so that a training loop allocates nothing.
template <typename T>
struct ClosedFormWork {
  std::vector<Tensor<T>> Z;  // per worker, (rows of a block, M): pre-activations, then G = dL/dZ over them
  BlockSum<T> sum;           // the blocks' gradients, summed
  std::vector<T> da_parts;   // (workers x MAX_PARTS, M): each part's share of grad_a L
};

// Writes grad_W L (M,D) into dW and returns L(W), for X (N,D), labels y (N), W (M,D), a (M); and grad_a L (M)
// into *da when da is given. Rows go in blocks (blocks.hpp), shared among the workers of parallel_for, each summing
// its blocks' gradients.
template <typename T>
double closed_form_gradient(Tensor<T>& dW, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                            const Tensor<T>& a, ClosedFormWork<T>& work, Tensor<T>* da = nullptr);

}  // namespace rfa
