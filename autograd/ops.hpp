// The ops of the tape. Each is one function in ops_*.cpp that checks its shapes, records its node, computes
// its value, and installs its backward right below. Shapes: (R, C) is a matrix of R rows and C columns, (N) a
// vector, (1) a scalar; matmul uses the BLAS's M, N, K (its own legend, below). These letters are the tape's only:
// models/ has its own (models/README.md).
//
// Every op throws ShapeError naming the op and the shapes when its inputs do not fit, and TapeError when its
// inputs come from different tapes or from a cleared recording.
#pragma once

#include "blas.hpp"
#include "tape.hpp"

namespace rfa {

using blas::Trans;

// C (M,N) = op(A) (M,K) op(B) (K,N), with op(X) = X or X^T by flag, passed to the BLAS (no copies).
// matmul(a, b) is A B; matmul(a, b, Trans::N, Trans::T) is A B^T; matmul(a, b, Trans::T) is A^T B.
template <typename T>
Var<T> matmul(Var<T> a, Var<T> b, Trans ta = Trans::N, Trans tb = Trans::N);

// y (R) = A (R,C) x (C)
template <typename T>
Var<T> matvec(Var<T> A, Var<T> x);

// y (R) = relu(A) (R,C) x (C): a ReLU layer followed by fixed output weights, fused into one op so that the
// (R, C) activations relu(A) are never stored and the backward makes one pass over A. Equal to
// matvec(relu(A), x), which the tests check; the paper's network uses it for f = relu(X W^T) a. When A is an op's
// output that nothing else reads (X W^T from matmul), dA is written over A: see tape.hpp, "Gradients over values".
template <typename T>
Var<T> relu_matvec(Var<T> A, Var<T> x);

// Y = A + b broadcast: b (C) is added to every row of A (R,C); a scalar b (1) is added to every entry of A
// (any shape). The backward sums dY back down to b's shape.
template <typename T>
Var<T> broadcast_add(Var<T> A, Var<T> b);

// Elementwise, same shapes in and out.
template <typename T>
Var<T> add(Var<T> a, Var<T> b);
template <typename T>
Var<T> mul(Var<T> a, Var<T> b);
template <typename T>
Var<T> scale(Var<T> a, T c);  // c * a for a constant c
// Composites: -a is (-1) a exactly, and a - b is a + (-1) b, so they need no backward of their own.
template <typename T>
Var<T> neg(Var<T> a) { return scale(a, T(-1)); }
template <typename T>
Var<T> sub(Var<T> a, Var<T> b) { return add(a, neg(b)); }
template <typename T>
Var<T> relu(Var<T> a);  // max(a, 0); derivative 0 at 0
template <typename T>
Var<T> exp(Var<T> a);
template <typename T>
Var<T> log(Var<T> a);  // throws std::domain_error on a negative or NaN entry
template <typename T>
Var<T> sigmoid(Var<T> a);  // 1 / (1 + e^-a), without overflow for any finite a
template <typename T>
Var<T> tanh(Var<T> a);

// Reductions to a scalar (1). mean(a) is scale(sum(a), 1/N), with N > 0 checked.
template <typename T>
Var<T> sum(Var<T> a);
template <typename T>
Var<T> mean(Var<T> a);

// The logistic loss of margins m (N), m_i = y_i f(x_i):  L (1) = (1/N) sum_i log(1 + exp(-m_i)).
// One fused primitive so that it is finite with a finite gradient for any finite margin (see logistic.hpp).
template <typename T>
Var<T> logistic_loss(Var<T> margins);

template <typename T>
Var<T> operator+(Var<T> a, Var<T> b) { return add(a, b); }
template <typename T>
Var<T> operator-(Var<T> a, Var<T> b) { return sub(a, b); }
template <typename T>
Var<T> operator*(Var<T> a, Var<T> b) { return mul(a, b); }
template <typename T>
Var<T> operator-(Var<T> a) { return neg(a); }
template <typename T>
Var<T> operator*(T c, Var<T> a) { return scale(a, c); }

}  // namespace rfa
