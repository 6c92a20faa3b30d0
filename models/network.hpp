// The paper's two-layer ReLU network f(x; W) = sum_j a_j relu(<w_j, x>), with its fixed second layer.
//
// Sizes: N samples, D input dimension, M hidden width (neurons). W is (M, D) with rows w_j; a is (M).
#pragma once

#include <cstdint>

#include "tensor.hpp"

namespace rfa {

// a (M): +1/sqrt(M) for the first floor(M/2) neurons, -1/sqrt(M) for the next floor(M/2); for odd M the last
// a_j is 0, as in the paper. Never trained.
template <typename T>
Tensor<T> second_layer(std::size_t M);

// a (M) with i.i.d. signs: each a_j is +1/sqrt(M) or -1/sqrt(M) with probability 1/2 (the top bit of one draw from
// Stream::signs of `seed`), as in the grokking follow-up. Never trained.
template <typename T>
Tensor<T> random_second_layer(std::size_t M, std::uint64_t seed);

// W_0 (M, D) with i.i.d. N(0, omega2) entries, row by row from Stream::init of `seed`.
template <typename T>
Tensor<T> init_weights(std::size_t M, std::size_t D, double omega2, std::uint64_t seed);

// W_0 (M, D) in mirrored pairs, for the paper's second layer (second_layer above): row j + floor(M/2) equals row j
// for j < floor(M/2), each pair's row drawn with i.i.d. N(0, omega2) entries from Stream::init of `seed` (rows 0 to
// floor(M/2) - 1 as init_weights draws them); for odd M the last row (a_j = 0) is drawn after them. Each pair's
// a_j are opposite, so each pair adds a_j relu(<w_j, x>) - a_j relu(<w_j, x>) = 0 and f(x; W_0) = 0 for every x: the
// symmetric start of mean-field and NTK studies. (network_outputs' fused sums, whose order follows the kernels'
// lanes, give 0 to rounding, about 1e-20 at Figure 2's scale: the predictions sgn f at step 0 are then the signs of
// rounding errors, which differ between machines; from step 1 the run agrees across machines to rounding as any.)
template <typename T>
Tensor<T> symmetric_init_weights(std::size_t M, std::size_t D, double omega2, std::uint64_t seed);

// f (N) = relu(X (N,D) W^T (D,M)) a (M), in blocks of rows so that the (block, M) pre-activations stay small.
// `work` is scratch space, resized as needed (pass the same tensor again to avoid allocating).
template <typename T>
void network_outputs(Tensor<T>& f, const Tensor<T>& X, const Tensor<T>& W, const Tensor<T>& a, Tensor<T>& work);

// The Frobenius norm ||W||_F, accumulated in double.
template <typename T>
double frobenius_norm(const Tensor<T>& W);

}  // namespace rfa
