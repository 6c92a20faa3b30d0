#include "rowspace.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "blas.hpp"
#include "checkpoint.hpp"
#include "kernels.hpp"
#include "ops.hpp"
#include "parallel.hpp"
#include "logistic.hpp"

namespace rfa {

using blas::Trans;

template <typename T>
void require_finite_products(const char* trainer, const Tensor<T>& K, const Tensor<T>& Z0) {
  for (const Tensor<T>* t : {&K, &Z0})
    for (T v : *t)
      if (!std::isfinite(v))
        throw std::runtime_error(fmt::format("{}: X X^T or X W0^T overflows {} (an entry is {}); the data or init are "
                                             "too large for this precision", trainer, sizeof(T) == 4 ? "float" : "double", v));
}
template void require_finite_products(const char*, const Tensor<float>&, const Tensor<float>&);
template void require_finite_products(const char*, const Tensor<double>&, const Tensor<double>&);

template <typename T>
RowSpaceDescent<T>::RowSpaceDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a,
                                    Tensor<T> W0, T alpha)
    : Trainer<T>(X, y, std::move(a)), source_(source), alpha_(alpha), W0_(std::move(W0)) {
  const std::size_t N = X.rows(), D = X.cols(), M = this->a_.size();
  check_shape("RowSpaceDescent", "W0", W0_.shape(), Shape::matrix(M, D));
  check_shape("RowSpaceDescent", "y", y.shape(), Shape::vector(N));
  // K (N,N) = X (N,D) X^T (D,N);  Z_0 (N,M) = X (N,D) W_0^T (D,M)
  K_.resize(Shape::matrix(N, N));
  blas::gram(N, D, T(1), X.data(), D, T(0), K_.data(), N);
  Z0_.resize(Shape::matrix(N, M));
  blas::parallel_gemm(Trans::N, Trans::T, N, M, D, T(1), X.data(), D, W0_.data(), D, T(0), Z0_.data(), M);
  require_finite_products("row-space training", K_, Z0_);
  Ct_.resize(Shape::matrix(N, M));
  Ct_.fill(T(0));
  Z_.resize(Shape::matrix(N, M));
}

template <typename T>
std::size_t RowSpaceDescent<T>::parts() const {
  // Parts of at least 32 rows, one per worker.
  return std::min<std::size_t>(static_cast<std::size_t>(threads()), std::max<std::size_t>(1, Ct_.rows() / 32));
}

template <typename T>
void RowSpaceDescent<T>::form_Z_rows(std::size_t r0, std::size_t rows) {
  const std::size_t N = Ct_.rows(), M = Ct_.cols();
  // Z[r0:r0+rows] (rows,M) = Z_0[r0:r0+rows] + K[r0:r0+rows] (rows,N) Ct (N,M)
  std::copy(Z0_.data() + r0 * M, Z0_.data() + (r0 + rows) * M, Z_.data() + r0 * M);
  blas::gemm(Trans::N, Trans::N, rows, M, N, T(1), K_.data() + r0 * N, N, Ct_.data(), M, T(1), Z_.data() + r0 * M, M);
}

template <typename T>
void RowSpaceDescent<T>::form_Z() {
  const std::size_t N = Ct_.rows(), P = parts(), rows = (N + P - 1) / P;
  parallel_for(P, [&](std::size_t p, int) {
    if (p * rows < N) form_Z_rows(p * rows, std::min(rows, N - p * rows));
  });
}

template <typename T>
double RowSpaceDescent<T>::step() {
  const std::size_t N = Ct_.rows(), M = Ct_.cols();
  const T* a = this->a_.data();
  const Tensor<T>& y = this->y_;
  W_current_ = false;
  if (source_ == GradSource::tape) {
    form_Z();
    // G = dL/dZ from the tape, with Z as the parameter: L = logistic_loss(y .* relu_matvec(Z, a)).
    tape_.clear();
    auto z = tape_.param(Z_);
    auto loss = logistic_loss(tape_.constant(y) * relu_matvec(z, tape_.constant(this->a_)));
    tape_.backward(loss);
    // Ct (N,M) -= alpha G (N,M)
    blas::axpy(Ct_.size(), -alpha_, tape_.grad(z).data(), Ct_.data());
    return loss.value().item();
  }
  // One parallel pass: each part forms its rows of Z from the current Ct, and writes its rows of the next Ct
  // into a second buffer (every part still reads all of the current one).
  const std::size_t P = parts(), rows = (N + P - 1) / P;
  Ct_next_.resize(Ct_.shape());
  loss_parts_.assign(P, 0.0);
  parallel_for(P, [&](std::size_t p, int) {
    const std::size_t r0 = p * rows;
    if (r0 >= N) return;
    const std::size_t r1 = std::min(N, r0 + rows);
    form_Z_rows(r0, r1 - r0);
    double loss = 0;
    for (std::size_t i = r0; i < r1; ++i) {
      const T* z = Z_.data() + i * M;
      // f_i = sum_j a_j relu(z_ij);  G_ij = -(1/N) g_i y_i a_j 1[z_ij > 0];  Ct_next_ij = Ct_ij - alpha G_ij
      const T f = kernels::relu_dot(z, a, M);
      const LogisticTerm<T> term = logistic_term(f, y[i]);
      loss += term.loss;
      const T c = term.dloss_df / T(N);
      kernels::relu_outer_row(Ct_next_.data() + i * M, Ct_.data() + i * M, z, -alpha_ * c, a, M);
    }
    loss_parts_[p] = loss;
  });
  std::swap(Ct_, Ct_next_);
  double loss = 0;
  for (double l : loss_parts_) loss += l;
  return loss / double(N);
}

template <typename T>
const Tensor<T>& RowSpaceDescent<T>::weights() {
  if (!W_current_) {
    const std::size_t N = Ct_.rows(), M = Ct_.cols(), D = W0_.cols();
    // W (M,D) = W_0 (M,D) + Ct^T (M,N) X (N,D)
    W_ = W0_;
    blas::parallel_gemm(Trans::T, Trans::N, M, D, N, T(1), Ct_.data(), M, this->X_.data(), D, T(1), W_.data(), D);
    W_current_ = true;
  }
  return W_;
}

template <typename T>
void RowSpaceDescent<T>::train_outputs(Tensor<T>& f) {
  const std::size_t N = Ct_.rows(), M = Ct_.cols();
  form_Z();
  f.resize(Shape::vector(N));
  for (std::size_t i = 0; i < N; ++i) f[i] = kernels::relu_dot(Z_.data() + i * M, this->a_.data(), M);
}

namespace {
// Identifies a data set cheaply: its address, shape and a sample of its bytes.
template <typename T>
std::uint64_t data_key(const Tensor<T>& X) {
  std::uint64_t h = 1469598103934665603ull ^ reinterpret_cast<std::uintptr_t>(X.data());
  auto mix = [&](std::uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  mix(X.rows());
  mix(X.cols());
  for (std::size_t k = 0; k < X.size(); k += 1 + X.size() / 1024) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, X.data() + k, sizeof(T));
    mix(bits);
  }
  return h;
}
}  // namespace

template <typename T>
void RowSpaceQuery<T>::outputs(const Tensor<T>& Xq, const Tensor<T>& X, const Tensor<T>& W0, const Tensor<T>& C,
                               bool c_by_neuron, const Tensor<T>& a, Tensor<T>& f) {
  const std::size_t N = X.rows(), M = a.size(), D = W0.cols(), Q = Xq.rows();
  check_shape("RowSpaceQuery::outputs", "X", Xq.shape(), Shape::matrix(Q, D));
  const std::uint64_t key = data_key(Xq);
  if (key != key_ || Zq0_.rows() != Q) {
    // Zq0 (Q,M) = Xq (Q,D) W_0^T (D,M);  Kq (Q,N) = Xq (Q,D) X^T (D,N)
    Zq0_.resize(Shape::matrix(Q, M));
    blas::parallel_gemm(Trans::N, Trans::T, Q, M, D, T(1), Xq.data(), D, W0.data(), D, T(0), Zq0_.data(), M);
    Kq_.resize(Shape::matrix(Q, N));
    blas::parallel_gemm(Trans::N, Trans::T, Q, N, D, T(1), Xq.data(), D, X.data(), D, T(0), Kq_.data(), N);
    key_ = key;
  }
  // Zq (Q,M) = Zq0 + Kq (Q,N) C^T (N,M)
  Zq_ = Zq0_;
  if (c_by_neuron)
    blas::parallel_gemm(Trans::N, Trans::T, Q, M, N, T(1), Kq_.data(), N, C.data(), N, T(1), Zq_.data(), M);
  else
    blas::parallel_gemm(Trans::N, Trans::N, Q, M, N, T(1), Kq_.data(), N, C.data(), M, T(1), Zq_.data(), M);
  f.resize(Shape::vector(Q));
  for (std::size_t i = 0; i < Q; ++i) f[i] = kernels::relu_dot(Zq_.data() + i * M, a.data(), M);
}

template <typename T>
void RowSpaceDescent<T>::outputs(const Tensor<T>& Xq, Tensor<T>& f) {
  query_.outputs(Xq, this->X_, W0_, Ct_, false, this->a_, f);
}

template <typename T>
void RowSpaceDescent<T>::save(Checkpoint& c) {
  c.put("Ct", Ct_);
}

template <typename T>
void RowSpaceDescent<T>::load(const Checkpoint& c) {
  c.get("Ct", Ct_);
  W_current_ = false;
}

template <typename T>
std::string RowSpaceDescent<T>::name() const {
  return fmt::format("rowspace-{}", to_string(source_));
}

template class RowSpaceQuery<float>;
template class RowSpaceQuery<double>;
template class RowSpaceDescent<float>;
template class RowSpaceDescent<double>;

}  // namespace rfa
