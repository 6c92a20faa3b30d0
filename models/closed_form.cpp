#include "closed_form.hpp"

#include "blas.hpp"
#include "stable_math.hpp"

namespace rfa {

template <typename T>
double closed_form_gradient(Tensor<T>& dW, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                            const Tensor<T>& a, ClosedFormWork<T>& work) {
  const std::size_t N = X.rows(), D = X.cols(), M = W.rows();
  check_shape("closed_form_gradient", "W", W.shape(), Shape::matrix(M, D));
  check_shape("closed_form_gradient", "y", y.shape(), Shape::vector(N));
  check_shape("closed_form_gradient", "a", a.shape(), Shape::vector(M));
  work.Z.resize(Shape::matrix(N, M));
  work.f.resize(Shape::vector(N));
  dW.resize(Shape::matrix(M, D));
  T* Z = work.Z.data();

  // Z (N,M) = X (N,D) W^T (D,M)
  blas::gemm(blas::Trans::N, blas::Trans::T, N, M, D, T(1), X.data(), D, W.data(), D, T(0), Z, M);

  double loss = 0;
  for (std::size_t i = 0; i < N; ++i) {
    T* z = Z + i * M;
    // f_i = sum_j a_j relu(z_ij)
    T f = 0;
    for (std::size_t j = 0; j < M; ++j)
      if (z[j] > 0) f += a[j] * z[j];
    work.f[i] = f;
    loss += double(stable_softplus(-y[i] * f));
    // G_ij = -(1/N) g_i y_i a_j 1[z_ij > 0], with g_i = sigmoid(-y_i f_i), written over Z.
    const T c = -stable_sigmoid(-y[i] * f) * y[i] / T(N);
    for (std::size_t j = 0; j < M; ++j) z[j] = z[j] > 0 ? c * a[j] : T(0);
  }

  // dW (M,D) = G^T (M,N) X (N,D)
  blas::gemm(blas::Trans::T, blas::Trans::N, M, D, N, T(1), Z, M, X.data(), D, T(0), dW.data(), D);
  return loss / double(N);
}

template double closed_form_gradient(Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                     const Tensor<float>&, const Tensor<float>&, ClosedFormWork<float>&);
template double closed_form_gradient(Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                                     const Tensor<double>&, const Tensor<double>&, ClosedFormWork<double>&);

}  // namespace rfa
