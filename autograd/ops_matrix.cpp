// Matrix ops: matmul, matvec, relu_matvec, broadcast_add. Every product is one BLAS call (its rows split over
// rfa's workers, parallel.hpp); backward products carry their shapes and accumulate into the gradients through
// beta = 1.
#include "kernels.hpp"
#include "op_checks.hpp"
#include "ops.hpp"
#include "parallel.hpp"

namespace rfa {

using detail::check_rank;
using detail::tape_of;
using kernels::relu_dot;
using kernels::relu_outer_row;

namespace {
constexpr int TRANS_A = 1, TRANS_B = 2;  // matmul's flags
Trans flag(int flags, int bit) { return (flags & bit) ? Trans::T : Trans::N; }

// Checks A (R,C) and x (C) and records the node of y (R), for the ops that multiply a matrix by a vector.
template <typename T>
Var<T> record_matrix_vector(const char* op, Var<T> a, Var<T> x) {
  Tape<T>& tape = tape_of(op, a, x);
  check_rank(op, "A", a, 2);
  check_rank(op, "x", x, 1);
  if (x.shape().rows != a.shape().cols)
    throw ShapeError(fmt::format("{}: A is {} but x is {}; x needs length {}", op, to_string(a.shape()),
                                 to_string(x.shape()), a.shape().cols));
  return tape.record(op, Shape::vector(a.shape().rows), {a, x});
}
}  // namespace

template <typename T>
Var<T> matmul(Var<T> a, Var<T> b, Trans ta, Trans tb) {
  Tape<T>& tape = tape_of("matmul", a, b);
  check_rank("matmul", "A", a, 2);
  check_rank("matmul", "B", b, 2);
  const Tensor<T>&A = a.value(), &B = b.value();
  const std::size_t M = ta == Trans::N ? A.rows() : A.cols();
  const std::size_t K = ta == Trans::N ? A.cols() : A.rows();
  const std::size_t Kb = tb == Trans::N ? B.rows() : B.cols();
  const std::size_t N = tb == Trans::N ? B.cols() : B.rows();
  if (K != Kb)
    throw ShapeError(fmt::format("matmul: inner dimensions differ: {}A{} is {} and {}B{} is {}",
                                 ta == Trans::T ? "(" : "", ta == Trans::T ? ")^T" : "", to_string(A.shape()),
                                 tb == Trans::T ? "(" : "", tb == Trans::T ? ")^T" : "", to_string(B.shape())));
  const int flags = (ta == Trans::T ? TRANS_A : 0) | (tb == Trans::T ? TRANS_B : 0);
  Var<T> c = tape.record("matmul", Shape::matrix(M, N), {a, b}, T(0), flags);
  // C (M,N) = op(A) (M,K) op(B) (K,N)
  blas::parallel_gemm(ta, tb, M, N, K, T(1), A.data(), A.cols(), B.data(), B.cols(), T(0), tape.output(c).data(), N);

  c.on_backward(+[](Backward<T>& g) {
    const Trans ta = flag(g.flags(), TRANS_A), tb = flag(g.flags(), TRANS_B);
    const Trans not_ta = ta == Trans::N ? Trans::T : Trans::N, not_tb = tb == Trans::N ? Trans::T : Trans::N;
    const Tensor<T>&A = g.input(0), &B = g.input(1), &dC = g.grad();
    const std::size_t M = dC.rows(), N = dC.cols(), K = ta == Trans::N ? A.cols() : A.rows();
    // Each product goes straight into the gradient: beta = 1 accumulates, and on a fresh (never touched)
    // gradient beta = 0 writes it, which is the same as accumulating into zeros without the pass that zeroes it.
    bool fresh = false;
    if (g.wants(0)) {
      T* dA = g.input_grad_unzeroed(0, fresh).data();
      const T beta = fresh ? T(0) : T(1);
      if (ta == Trans::N)  // dA (M,K) += dC (M,N) op(B)^T (N,K)
        blas::parallel_gemm(Trans::N, not_tb, M, K, N, T(1), dC.data(), N, B.data(), B.cols(), beta, dA, K);
      else  // dA (K,M) += op(B) (K,N) dC^T (N,M)
        blas::parallel_gemm(tb, Trans::T, K, M, N, T(1), B.data(), B.cols(), dC.data(), N, beta, dA, M);
    }
    if (g.wants(1)) {
      T* dB = g.input_grad_unzeroed(1, fresh).data();  // for A A^T this is dA again, no longer fresh
      const T beta = fresh ? T(0) : T(1);
      if (tb == Trans::N)  // dB (K,N) += op(A)^T (K,M) dC (M,N)
        blas::parallel_gemm(not_ta, Trans::N, K, N, M, T(1), A.data(), A.cols(), dC.data(), N, beta, dB, N);
      else  // dB (N,K) += dC^T (N,M) op(A) (M,K)
        blas::parallel_gemm(Trans::T, ta, N, K, M, T(1), dC.data(), N, A.data(), A.cols(), beta, dB, K);
    }
  }, Var<T>::OutputUse::not_read);  // C itself is not needed: a consumer may write dC over it
  return c;
}

template <typename T>
Var<T> matvec(Var<T> a, Var<T> x) {
  Var<T> y = record_matrix_vector("matvec", a, x);
  const Tensor<T>& A = a.value();
  // y (R) = A (R,C) x (C)
  blas::gemv(Trans::N, A.rows(), A.cols(), T(1), A.data(), A.cols(), x.value().data(), T(0), y.tape->output(y).data());

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>&A = g.input(0), &x = g.input(1), &dy = g.grad();
    const std::size_t R = A.rows(), C = A.cols();
    // dA (R,C) += dy (R) x^T (C)
    if (g.wants(0)) blas::ger(R, C, T(1), dy.data(), x.data(), g.input_grad(0).data(), C);
    // dx (C) += A^T (C,R) dy (R)
    if (g.wants(1)) blas::gemv(Trans::T, R, C, T(1), A.data(), C, dy.data(), T(1), g.input_grad(1).data());
  });
  return y;
}

template <typename T>
Var<T> relu_matvec(Var<T> a, Var<T> x) {
  Var<T> y = record_matrix_vector("relu_matvec", a, x);
  const Tensor<T>& A = a.value();
  const std::size_t R = A.rows(), C = A.cols();
  // y (R) = relu(A) (R,C) x (C), one pass over A and no (R, C) intermediate
  const T* X = x.value().data();
  T* Y = y.tape->output(y).data();
  for_row_parts(R, [&](std::size_t, std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i) Y[i] = relu_dot(A.data() + i * C, X, C);
  });

  // dA (R,C) += (dy x^T) .* 1[A > 0]  (relu'(0) = 0, as in relu);  dx (C) += relu(A)^T dy
  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& A = g.input(0);
    const T* X = g.input(1).data();
    const T* dY = g.grad().data();
    const std::size_t R = A.rows(), C = A.cols();
    // dx is formed first: when dA is written over A (the output of a matmul that nothing else reads), A is gone.
    if (g.wants(1)) {
      T* dX = g.input_grad(1).data();
      for (std::size_t i = 0; i < R; ++i)
        for (std::size_t j = 0; j < C; ++j)
          if (A(i, j) > T(0)) dX[j] += dY[i] * A(i, j);
    }
    if (g.wants(0)) {
      // Each entry of A is read just before the same entry of dA is written, so dA may be A's own storage.
      bool fresh = false;
      T* dA = g.input_grad_over_value(0, fresh).data();
      for_row_parts(R, [&](std::size_t, std::size_t i0, std::size_t i1) {
        for (std::size_t i = i0; i < i1; ++i) relu_outer_row(dA + i * C, A.data() + i * C, dY[i], X, C, fresh);
      });
    }
  });
  return y;
}

template <typename T>
Var<T> broadcast_add(Var<T> a, Var<T> b) {
  Tape<T>& tape = tape_of("broadcast_add", a, b);
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const bool scalar = sb.rank == 1 && sb.rows == 1;
  const bool row = sa.rank == 2 && sb.rank == 1 && sb.rows == sa.cols;
  if (!scalar && !row)
    throw ShapeError(fmt::format("broadcast_add: cannot add b {} to A {}; b must be (1) or ({}) for a matrix A",
                                 to_string(sb), to_string(sa), sa.rank == 2 ? sa.cols : 1));
  Var<T> y = tape.record("broadcast_add", sa, {a, b});
  // Y (R,C) = A (R,C) + 1 b^T, where b (C) (or b (1) added everywhere)
  const Tensor<T>& A = a.value();
  const Tensor<T>& B = b.value();
  Tensor<T>& Y = tape.output(y);
  const std::size_t C = scalar ? 1 : sa.cols;
  for (std::size_t i = 0; i < A.size(); ++i) Y[i] = A[i] + B[scalar ? 0 : i % C];

  y.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& dY = g.grad();
    if (g.wants(0)) {
      Tensor<T>& dA = g.input_grad(0);
      for (std::size_t i = 0; i < dY.size(); ++i) dA[i] += dY[i];
    }
    if (g.wants(1)) {
      // db is dY summed over the axes b was broadcast along.
      Tensor<T>& db = g.input_grad(1);
      const std::size_t C = db.size();
      for (std::size_t i = 0; i < dY.size(); ++i) db[C == 1 ? 0 : i % C] += dY[i];
    }
  });
  return y;
}

#define RFA_INSTANTIATE(T)                                          \
  template Var<T> matmul(Var<T>, Var<T>, Trans, Trans);             \
  template Var<T> matvec(Var<T>, Var<T>);                           \
  template Var<T> relu_matvec(Var<T>, Var<T>);                      \
  template Var<T> broadcast_add(Var<T>, Var<T>);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa
