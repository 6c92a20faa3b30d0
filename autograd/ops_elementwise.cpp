// Elementwise ops: the output has the shape of the input(s); binary ops need equal shapes (no implicit
// broadcasting: broadcast_add is the one op that broadcasts, and says so).
#include <cmath>
#include <stdexcept>

#include "op_checks.hpp"
#include "ops.hpp"
#include "logistic.hpp"

namespace rfa {

using detail::check_same_shape;
using detail::tape_of;

template <typename T>
Var<T> add(Var<T> a, Var<T> b) {
  Tape<T>& tape = tape_of("add", a, b);
  check_same_shape("add", a, b);
  Var<T> y = tape.record("add", a.shape(), {a, b});
  const Tensor<T>&A = a.value(), &B = b.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = A[i] + B[i];

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    for (int k = 0; k < 2; ++k) {
      if (!g.wants(k)) continue;
      Tensor<T>& dX = g.input_grad(k);  // for a + a, both passes land in the same buffer
      for (std::size_t i = 0; i < dY.size(); ++i) dX[i] += dY[i];
    }
  });
  return y;
}

template <typename T>
Var<T> sub(Var<T> a, Var<T> b) {
  Tape<T>& tape = tape_of("sub", a, b);
  check_same_shape("sub", a, b);
  Var<T> y = tape.record("sub", a.shape(), {a, b});
  const Tensor<T>&A = a.value(), &B = b.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = A[i] - B[i];

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    if (g.wants(0)) {
      Tensor<T>& dA = g.input_grad(0);
      for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i];
    }
    if (g.wants(1)) {
      Tensor<T>& dB = g.input_grad(1);
      for (std::size_t i = 0; i < dY.size(); ++i) dB[i] -= dY[i];
    }
  });
  return y;
}

template <typename T>
Var<T> mul(Var<T> a, Var<T> b) {
  Tape<T>& tape = tape_of("mul", a, b);
  check_same_shape("mul", a, b);
  Var<T> y = tape.record("mul", a.shape(), {a, b});
  const Tensor<T>&A = a.value(), &B = b.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = A[i] * B[i];

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    const Tensor<T>&A = g.input(0), &B = g.input(1);
    // dA += dY .* B and dB += dY .* A; for x * x both terms accumulate into dx, giving 2 x dY.
    if (g.wants(0)) {
      Tensor<T>& dA = g.input_grad(0);
      for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] * B[i];
    }
    if (g.wants(1)) {
      Tensor<T>& dB = g.input_grad(1);
      for (std::size_t i = 0; i < dY.size(); ++i) dB[i] += dY[i] * A[i];
    }
  });
  return y;
}

template <typename T>
Var<T> scale(Var<T> a, T c) {
  Tape<T>& tape = tape_of("scale", a);
  Var<T> y = tape.record("scale", a.shape(), {a}, c);
  const Tensor<T>& A = a.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = c * A[i];

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    Tensor<T>& dA = g.input_grad(0);
    const T c = g.scalar();
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += c * dY[i];
  });
  return y;
}

template <typename T>
Var<T> neg(Var<T> a) {
  Tape<T>& tape = tape_of("neg", a);
  Var<T> y = tape.record("neg", a.shape(), {a});
  const Tensor<T>& A = a.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = -A[i];

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] -= dY[i];
  });
  return y;
}

template <typename T>
Var<T> relu(Var<T> a) {
  Tape<T>& tape = tape_of("relu", a);
  Var<T> y = tape.record("relu", a.shape(), {a});
  const Tensor<T>& A = a.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = A[i] > T(0) ? A[i] : T(0);

  // relu'(0) = 0, as in PyTorch and micrograd. The paper's theory allows any value in [0, 1] at the kink;
  // the closed-form gradient in models/ uses the same convention (1[z > 0]), so the two agree exactly.
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    const Tensor<T>& A = g.input(0);
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i)
      if (A[i] > T(0)) dA[i] += dY[i];
  });
  return y;
}

template <typename T>
Var<T> exp(Var<T> a) {
  Tape<T>& tape = tape_of("exp", a);
  Var<T> y = tape.record("exp", a.shape(), {a});
  const Tensor<T>& A = a.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = std::exp(A[i]);

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    const Tensor<T>& Y = g.value();  // d exp(a) / da = exp(a), already computed
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] * Y[i];
  });
  return y;
}

template <typename T>
Var<T> log(Var<T> a) {
  Tape<T>& tape = tape_of("log", a);
  const Tensor<T>& A = a.value();
  // A negative or NaN input would make a NaN that spreads silently through everything after it.
  for (std::size_t i = 0; i < A.size(); ++i)
    if (!(A[i] >= T(0)))
      throw std::domain_error(fmt::format("log: input entry {} is {}; log needs inputs >= 0", i, A[i]));
  Var<T> y = tape.record("log", a.shape(), {a});
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = std::log(A[i]);

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    const Tensor<T>& A = g.input(0);
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] / A[i];
  });
  return y;
}

template <typename T>
Var<T> sigmoid(Var<T> a) {
  Tape<T>& tape = tape_of("sigmoid", a);
  Var<T> y = tape.record("sigmoid", a.shape(), {a});
  const Tensor<T>& A = a.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = stable_sigmoid(A[i]);  // see logistic.hpp

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    const Tensor<T>& S = g.value();  // sigma' = sigma (1 - sigma), from the stored output
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] * S[i] * (T(1) - S[i]);
  });
  return y;
}

template <typename T>
Var<T> tanh(Var<T> a) {
  Tape<T>& tape = tape_of("tanh", a);
  Var<T> y = tape.record("tanh", a.shape(), {a});        // a node with an output of a's shape
  const Tensor<T>& A = a.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = std::tanh(A[i]);

  // d tanh(a) / da = 1 - tanh(a)^2, from the stored output. Accumulate, never assign.
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    const Tensor<T>& Y = g.value();
    Tensor<T>& dA = g.input_grad(0);                     // zero-filled on first touch
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] * (T(1) - Y[i] * Y[i]);
  });
  return y;
}

#define RFA_INSTANTIATE(T)                  \
  template Var<T> add(Var<T>, Var<T>);      \
  template Var<T> sub(Var<T>, Var<T>);      \
  template Var<T> mul(Var<T>, Var<T>);      \
  template Var<T> scale(Var<T>, T);         \
  template Var<T> neg(Var<T>);              \
  template Var<T> relu(Var<T>);             \
  template Var<T> exp(Var<T>);              \
  template Var<T> log(Var<T>);              \
  template Var<T> sigmoid(Var<T>);          \
  template Var<T> tanh(Var<T>);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa
