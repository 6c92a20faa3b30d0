#include "closed_form.hpp"

#include <algorithm>
#include <array>

#include "blas.hpp"
#include "blocks.hpp"
#include "kernels.hpp"
#include "parallel.hpp"
#include "stable_math.hpp"

namespace rfa {

template <typename T>
double closed_form_gradient(Tensor<T>& dW, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                            const Tensor<T>& a, ClosedFormWork<T>& work) {
  const std::size_t N = X.rows(), D = X.cols(), M = W.rows();
  check_shape("closed_form_gradient", "W", W.shape(), Shape::matrix(M, D));
  check_shape("closed_form_gradient", "y", y.shape(), Shape::vector(N));
  check_shape("closed_form_gradient", "a", a.shape(), Shape::vector(M));
  dW.resize(Shape::matrix(M, D));
  work.f.resize(Shape::vector(N));
  // Rows are processed in blocks so that Z and G of a block stay in cache between the two products; the
  // gradient is a sum over rows, accumulated block by block (each worker into its own buffer).
  const bool parallel = blocks_in_parallel(D);
  const std::size_t B = block_rows(N, M, D, sizeof(T), threads());
  const std::size_t blocks = (N + B - 1) / B;
  const int workers = parallel ? workers_for(blocks) : 1;
  work.Z.resize(static_cast<std::size_t>(workers));
  work.dW.resize(static_cast<std::size_t>(workers));
  work.loss.assign(static_cast<std::size_t>(workers), 0.0);

  auto block = [&](std::size_t blk, int w) {
    const std::size_t i0 = blk * B, rows = std::min(B, N - i0);
    Tensor<T>& Zw = work.Z[w];
    Zw.resize(Shape::matrix(std::min(B, N), M));
    Tensor<T>& dWw = w == 0 ? dW : work.dW[w];
    dWw.resize(Shape::matrix(M, D));
    T* Z = Zw.data();
    const T* Xb = X.data() + i0 * D;
    // Z (rows,M) = X_b (rows,D) W^T (D,M)
    blas::parallel_gemm(blas::Trans::N, blas::Trans::T, rows, M, D, T(1), Xb, D, W.data(), D, T(0), Z, M);
    // The rows of the block, split over the workers when the blocks run in turn (inline otherwise); each part's
    // loss goes to its own slot so that nothing is shared.
    std::array<double, MAX_PARTS> part_loss{};
    for_row_parts(rows, [&](std::size_t part, std::size_t r0, std::size_t r1) {
      double loss = 0;
      for (std::size_t r = r0; r < r1; ++r) {
        const std::size_t i = i0 + r;
        T* z = Z + r * M;
        // f_i = sum_j a_j relu(z_ij)
        const T f = kernels::relu_dot(z, a.data(), M);
        work.f[i] = f;
        loss += double(stable_softplus(-y[i] * f));
        // G_ij = -(1/N) g_i y_i a_j 1[z_ij > 0], g_i = sigmoid(-y_i f_i), written over z
        const T c = -stable_sigmoid(-y[i] * f) * y[i] / T(N);
        kernels::relu_outer_row(z, z, c, a.data(), M, true);
      }
      part_loss[part] = loss;
    });
    for (double l : part_loss) work.loss[w] += l;
    // dW_w (M,D) += G_b^T (M,rows) X_b (rows,D); a worker's first block (blk == w) writes instead of adding
    const T beta = blk == static_cast<std::size_t>(w) ? T(0) : T(1);
    blas::parallel_gemm(blas::Trans::T, blas::Trans::N, M, D, rows, T(1), Z, M, Xb, D, beta, dWw.data(), D);
  };
  // Blocks on different workers (their products then run on one thread each, parallel_gemm seeing that it is
  // inside a task), or one after another with the products split over the workers: see blocks.hpp.
  if (parallel)
    parallel_for(blocks, block);
  else
    for (std::size_t blk = 0; blk < blocks; ++blk) block(blk, 0);

  double loss = work.loss[0];
  for (int w = 1; w < workers; ++w) {
    blas::parallel_axpy(dW.size(), T(1), work.dW[w].data(), dW.data());
    loss += work.loss[w];
  }
  if (N == 0) dW.fill(T(0));
  return N ? loss / double(N) : 0.0;
}

template double closed_form_gradient(Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                     const Tensor<float>&, const Tensor<float>&, ClosedFormWork<float>&);
template double closed_form_gradient(Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                                     const Tensor<double>&, const Tensor<double>&, ClosedFormWork<double>&);

}  // namespace rfa
