#include "rowspace.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "blas.hpp"
#include "checkpoint.hpp"
#include "kernels.hpp"
#include "logistic.hpp"
#include "ops.hpp"
#include "parallel.hpp"

namespace rfa {

using blas::Trans;

template <typename T>
RowSpace<T>::RowSpace(const char* trainer, const Tensor<T>& X, const Tensor<T>& W0) : X_(X), W0_(W0) {
  const std::size_t N = X.rows(), D = X.cols(), M = W0.rows();
  check_shape(trainer, "W0", W0.shape(), Shape::matrix(M, D));
  // K (N,N) = X (N,D) X^T (D,N);  Z_0^T (M,N) = W_0 (M,D) X^T (D,N)
  K_.resize(Shape::matrix(N, N));
  blas::gram(N, D, T(1), X.data(), D, T(0), K_.data(), N);
  Z0t_.resize(Shape::matrix(M, N));
  blas::parallel_gemm(Trans::N, Trans::T, M, N, D, T(1), W0.data(), D, X.data(), D, T(0), Z0t_.data(), N);
  for (const Tensor<T>* t : {&K_, &Z0t_})
    for (T v : *t)
      if (!std::isfinite(v))
        throw std::runtime_error(fmt::format("{}: X X^T or W0 X^T overflows {} (an entry is {}); the data or init are "
                                             "too large for this precision", trainer, sizeof(T) == 4 ? "float" : "double", v));
  for (T w : W0_) w0_sq_ += double(w) * double(w);
}

template <typename T>
void RowSpace<T>::pre_activations(const Tensor<T>& C, Tensor<T>& Zt, std::size_t j0, std::size_t j1) const {
  const std::size_t N = this->N();
  // Zt[j0:j1] (rows,N) = Z_0^T[j0:j1] + C[j0:j1] (rows,N) K (N,N)
  std::copy(Z0t_.data() + j0 * N, Z0t_.data() + j1 * N, Zt.data() + j0 * N);
  blas::gemm(Trans::N, Trans::N, j1 - j0, N, N, T(1), C.data() + j0 * N, N, K_.data(), N, T(1), Zt.data() + j0 * N, N);
}

template <typename T>
void RowSpace<T>::pre_activations(const Tensor<T>& C, Tensor<T>& Zt) const {
  const std::size_t M = this->M(), N = this->N();
  Zt.resize(Shape::matrix(M, N));
  // Zt (M,N) = Z_0^T + C (M,N) K (N,N)
  std::copy(Z0t_.begin(), Z0t_.end(), Zt.begin());
  blas::parallel_gemm(Trans::N, Trans::N, M, N, N, T(1), C.data(), N, K_.data(), N, T(1), Zt.data(), N);
}

template <typename T>
void RowSpace<T>::weights(const Tensor<T>& C, Tensor<T>& W) const {
  const std::size_t M = this->M(), N = this->N(), D = X_.cols();
  // W (M,D) = W_0 + C (M,N) X (N,D)
  W = W0_;
  blas::parallel_gemm(Trans::N, Trans::N, M, D, N, T(1), C.data(), N, X_.data(), D, T(1), W.data(), D);
}

template <typename T>
double RowSpace<T>::norm(const Tensor<T>& C, Tensor<T>& work) const {
  const std::size_t M = this->M(), N = this->N();
  // ||W_0 + C X||^2 = ||W_0||^2 + 2 <W_0, C X> + <C X, C X>, and <W_0, C X> = <C, W_0 X^T>, <C X, C X> = <C, C K>
  work.resize(Shape::matrix(M, N));
  blas::parallel_gemm(Trans::N, Trans::N, M, N, N, T(1), C.data(), N, K_.data(), N, T(0), work.data(), N);
  double cross = 0, quad = 0;
  for (std::size_t k = 0; k < M * N; ++k) {
    cross += double(C[k]) * double(Z0t_[k]);
    quad += double(C[k]) * double(work[k]);
  }
  return std::sqrt(std::max(0.0, w0_sq_ + 2 * cross + quad));
}

template <typename T>
void RowSpace<T>::outputs(const Dataset<T>& data, const Tensor<T>& C, const Tensor<T>& a, Tensor<T>& f) {
  const std::size_t N = this->N(), M = this->M(), D = X_.cols(), Q = data.size();
  const Tensor<T>& Xq = data.X;
  check_shape("RowSpace::outputs", "X", Xq.shape(), Shape::matrix(Q, D));
  // A data set without an id (made by hand, not by make_dataset) is never taken for one seen before.
  if (data.id == 0 || data.id != query_id_) {
    // Zq0 (Q,M) = Xq (Q,D) W_0^T (D,M);  Kq (Q,N) = Xq (Q,D) X^T (D,N)
    Zq0_.resize(Shape::matrix(Q, M));
    blas::parallel_gemm(Trans::N, Trans::T, Q, M, D, T(1), Xq.data(), D, W0_.data(), D, T(0), Zq0_.data(), M);
    Kq_.resize(Shape::matrix(Q, N));
    blas::parallel_gemm(Trans::N, Trans::T, Q, N, D, T(1), Xq.data(), D, X_.data(), D, T(0), Kq_.data(), N);
    query_id_ = data.id;
  }
  // Zq (Q,M) = Zq0 + Kq (Q,N) C^T (N,M)
  Zq_ = Zq0_;
  blas::parallel_gemm(Trans::N, Trans::T, Q, M, N, T(1), Kq_.data(), N, C.data(), N, T(1), Zq_.data(), M);
  f.resize(Shape::vector(Q));
  for (std::size_t i = 0; i < Q; ++i) f[i] = kernels::relu_dot(Zq_.data() + i * M, a.data(), M);
}

template <typename T>
void outputs_by_neuron(const Tensor<T>& Zt, const Tensor<T>& a, std::vector<double>& f, std::vector<double>& parts) {
  const std::size_t M = Zt.rows(), N = Zt.cols();
  // f_i = sum_j a_j relu(z_ji): each part of the neurons sums its share, the shares are added in order.
  const std::size_t P = row_parts(M);
  parts.assign(P * N, 0.0);
  for_row_parts(M, [&](std::size_t p, std::size_t j0, std::size_t j1) {
    double* fp = parts.data() + p * N;
    for (std::size_t j = j0; j < j1; ++j) {
      const double aj = double(a[j]);
      const T* z = Zt.data() + j * N;
      for (std::size_t i = 0; i < N; ++i) fp[i] += aj * double(z[i] > T(0) ? z[i] : T(0));
    }
  });
  f.assign(parts.begin(), parts.begin() + N);
  for (std::size_t p = 1; p < P; ++p)
    for (std::size_t i = 0; i < N; ++i) f[i] += parts[p * N + i];
}

template <typename T>
RowSpaceDescent<T>::RowSpaceDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a,
                                    Tensor<T> W0, T alpha)
    : Trainer<T>(X, y, std::move(a)), source_(source), alpha_(alpha), space_("row-space training", X, W0) {
  const std::size_t N = X.rows(), M = this->a_.size();
  check_shape("RowSpaceDescent", "y", y.shape(), Shape::vector(N));
  check_shape("RowSpaceDescent", "a", this->a_.shape(), Shape::vector(W0.rows()));
  C_.resize(Shape::matrix(M, N));
  C_.fill(T(0));
  Zt_.resize(Shape::matrix(M, N));
  fT_.resize(Shape::vector(N));
  u_.resize(Shape::vector(N));
  if (source_ == GradSource::tape) {
    Z0_.resize(Shape::matrix(N, M));
    for (std::size_t j = 0; j < M; ++j)
      for (std::size_t i = 0; i < N; ++i) Z0_(i, j) = space_.Z0t()(j, i);
  }
}

template <typename T>
double RowSpaceDescent<T>::step() {
  W_current_ = false;
  return source_ == GradSource::tape ? tape_step() : closed_step();
}

template <typename T>
double RowSpaceDescent<T>::tape_step() {
  const std::size_t N = C_.cols(), M = C_.rows();
  // L(C) = logistic_loss(y .* relu_matvec(Z_0 + K C^T, a)),  Z (N,M) = Z_0 + K (N,N) C^T (N,M)
  tape_.clear();
  auto c = tape_.param(C_);
  auto z = add(tape_.constant(Z0_), matmul(tape_.constant(space_.K()), c, Trans::N, Trans::T));
  auto loss = logistic_loss(tape_.constant(this->y_) * relu_matvec(z, tape_.constant(this->a_)));
  tape_.backward(loss);
  dC_ = tape_.grad(c);  // dL/dC (M,N) = G^T K
  // C (M,N) -= alpha G^T, with G = dL/dZ (N,M) from the same backward pass
  const Tensor<T>& G = tape_.grad(z);
  for (std::size_t j = 0; j < M; ++j)
    for (std::size_t i = 0; i < N; ++i) C_(j, i) -= alpha_ * G(i, j);
  return loss.value().item();
}

template <typename T>
double RowSpaceDescent<T>::closed_step() {
  const std::size_t N = C_.cols();
  const T* a = this->a_.data();
  // Z^T = Z_0^T + C K and each part's share of f = relu(Z) a, over the neurons in parts ...
  const std::size_t P = row_parts(C_.rows());
  // (summed in T by the vectorized kernel, a_j relu(z_ji) being a_j z_ji where z_ji > 0: the loop in double
  // over float entries ran at SSE2 width and cost half as much as the product itself)
  step_parts_.assign(P * N, T(0));
  for_row_parts(C_.rows(), [&](std::size_t p, std::size_t j0, std::size_t j1) {
    space_.pre_activations(C_, Zt_, j0, j1);
    T* fp = step_parts_.data() + p * N;
    for (std::size_t j = j0; j < j1; ++j) {
      const T* z = Zt_.data() + j * N;
      kernels::relu_outer_row(fp, z, a[j], z, N, false);
    }
  });
  for (std::size_t i = 0; i < N; ++i) {
    double f = 0;
    for (std::size_t p = 0; p < P; ++p) f += double(step_parts_[p * N + i]);
    fT_[i] = T(f);
  }
  // ... then u = dL/df and the loss, and C_j += -alpha a_j (u .* 1[z_j > 0]), that is C -= alpha G^T
  const double loss = logistic_head(fT_.data(), this->y_.data(), N, u_.data());
  for_row_parts(C_.rows(), [&](std::size_t, std::size_t j0, std::size_t j1) {
    for (std::size_t j = j0; j < j1; ++j)
      kernels::relu_outer_row(C_.data() + j * N, Zt_.data() + j * N, -alpha_ * a[j], u_.data(), N, false);
  });
  return loss;
}

template <typename T>
const Tensor<T>& RowSpaceDescent<T>::weights() {
  if (!W_current_) {
    space_.weights(C_, W_);
    W_current_ = true;
  }
  return W_;
}

template <typename T>
double RowSpaceDescent<T>::weight_norm() {
  return space_.norm(C_, work_);
}

template <typename T>
void RowSpaceDescent<T>::train_outputs(Tensor<T>& f) {
  space_.pre_activations(C_, Zt_);
  outputs_by_neuron(Zt_, this->a_, f_, f_parts_);
  f.resize(Shape::vector(f_.size()));
  for (std::size_t i = 0; i < f_.size(); ++i) f[i] = T(f_[i]);
}

template <typename T>
void RowSpaceDescent<T>::outputs(const Dataset<T>& data, Tensor<T>& f) {
  space_.outputs(data, C_, this->a_, f);
}

template <typename T>
void RowSpaceDescent<T>::save(Checkpoint& c) {
  c.put("C", C_);
}

template <typename T>
void RowSpaceDescent<T>::load(const Checkpoint& c) {
  c.get("C", C_);
  W_current_ = false;
}

template class RowSpace<float>;
template class RowSpace<double>;
template void outputs_by_neuron(const Tensor<float>&, const Tensor<float>&, std::vector<double>&, std::vector<double>&);
template void outputs_by_neuron(const Tensor<double>&, const Tensor<double>&, std::vector<double>&, std::vector<double>&);
template class RowSpaceDescent<float>;
template class RowSpaceDescent<double>;

}  // namespace rfa
