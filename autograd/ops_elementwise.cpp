// Elementwise ops: the output has the shape of the input(s); binary ops need equal shapes (no implicit
// broadcasting: broadcast_add is the one op that broadcasts, and says so).
#include <cmath>
#include <stdexcept>

#include "logistic.hpp"
#include "op_checks.hpp"
#include "ops.hpp"

namespace rfa {

using detail::check_same_shape;
using detail::tape_of;

namespace {
// Records the node of y (a's shape) = f(a) entry by entry; the op installs its backward on the result.
template <typename T, typename F>
Var<T> map(const char* op, Var<T> a, F f, T scalar = 0) {
  Tape<T>& tape = tape_of(op, a);
  Var<T> y = tape.record(op, a.shape(), {a}, scalar);
  const Tensor<T>& A = a.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = f(A[i]);
  return y;
}
// The same for y = f(a, b), a and b of one shape.
template <typename T, typename F>
Var<T> map(const char* op, Var<T> a, Var<T> b, F f) {
  Tape<T>& tape = tape_of(op, a, b);
  check_same_shape(op, a, b);
  Var<T> y = tape.record(op, a.shape(), {a, b});
  const Tensor<T>&A = a.value(), &B = b.value();
  Tensor<T>& Y = tape.output(y);
  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = f(A[i], B[i]);
  return y;
}
}  // namespace

template <typename T>
Var<T> add(Var<T> a, Var<T> b) {
  Var<T> y = map("add", a, b, [](T u, T v) { return u + v; });
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
Var<T> mul(Var<T> a, Var<T> b) {
  Var<T> y = map("mul", a, b, [](T u, T v) { return u * v; });
  // dA += dY .* B and dB += dY .* A; for x * x both terms accumulate into dx, giving 2 x dY.
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    for (int k = 0; k < 2; ++k) {
      if (!g.wants(k)) continue;
      const Tensor<T>& other = g.input(1 - k);
      Tensor<T>& dX = g.input_grad(k);
      for (std::size_t i = 0; i < dY.size(); ++i) dX[i] += dY[i] * other[i];
    }
  });
  return y;
}

template <typename T>
Var<T> scale(Var<T> a, T c) {
  Var<T> y = map("scale", a, [c](T v) { return c * v; }, c);
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    Tensor<T>& dA = g.input_grad(0);
    const T c = g.scalar();
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += c * dY[i];
  });
  return y;
}

template <typename T>
Var<T> relu(Var<T> a) {
  Var<T> y = map("relu", a, [](T v) { return v > T(0) ? v : T(0); });
  // relu'(0) = 0, as in PyTorch and micrograd. The paper's theory allows any value in [0, 1] at the kink;
  // the closed-form gradient in models/ uses the same convention (1[z > 0]), so the two agree exactly.
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>&dY = g.grad(), &A = g.input(0);
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i)
      if (A[i] > T(0)) dA[i] += dY[i];
  });
  return y;
}

template <typename T>
Var<T> exp(Var<T> a) {
  Var<T> y = map("exp", a, [](T v) { return std::exp(v); });
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>&dY = g.grad(), &Y = g.value();  // d exp(a) / da = exp(a), already computed
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] * Y[i];
  });
  return y;
}

template <typename T>
Var<T> log(Var<T> a) {
  // A negative or NaN input would make a NaN that spreads silently through everything after it.
  const Tensor<T>& A = a.value();
  for (std::size_t i = 0; i < A.size(); ++i)
    if (!(A[i] >= T(0)))
      throw std::domain_error(fmt::format("log: input entry {} is {}; log needs inputs >= 0", i, A[i]));
  Var<T> y = map("log", a, [](T v) { return std::log(v); });
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>&dY = g.grad(), &A = g.input(0);
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] / A[i];
  });
  return y;
}

template <typename T>
Var<T> sigmoid(Var<T> a) {
  Var<T> y = map("sigmoid", a, [](T v) { return stable_sigmoid(v); });  // see logistic.hpp
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>&dY = g.grad(), &S = g.value();  // sigma' = sigma (1 - sigma), from the stored output
    Tensor<T>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] * S[i] * (T(1) - S[i]);
  });
  return y;
}

template <typename T>
Var<T> tanh(Var<T> a) {
  Var<T> y = map("tanh", a, [](T v) { return std::tanh(v); });  // records a node of a's shape
  // d tanh(a) / da = 1 - tanh(a)^2, from the stored output. Accumulate, never assign.
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>&dY = g.grad(), &Y = g.value();
    Tensor<T>& dA = g.input_grad(0);  // zero-filled on first touch
    for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i] * (T(1) - Y[i] * Y[i]);
  });
  return y;
}

#define RFA_INSTANTIATE(T)                                                                                  \
  template Var<T> add(Var<T>, Var<T>);                                                                      \
  template Var<T> mul(Var<T>, Var<T>);                                                                      \
  template Var<T> scale(Var<T>, T);                                                                         \
  template Var<T> relu(Var<T>);                                                                             \
  template Var<T> exp(Var<T>);                                                                              \
  template Var<T> log(Var<T>);                                                                              \
  template Var<T> sigmoid(Var<T>);                                                                          \
  template Var<T> tanh(Var<T>);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa
