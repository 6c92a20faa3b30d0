#include "closed_form.hpp"

#include <algorithm>
#include <array>

#include "blas.hpp"
#include "blocks.hpp"
#include "kernels.hpp"
#include "parallel.hpp"
#include "logistic.hpp"

namespace rfa {

template <typename T>
double closed_form_gradient(Tensor<T>& dW, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& W,
                            const Tensor<T>& a, ClosedFormWork<T>& work, Tensor<T>* da) {
  const std::size_t N = X.rows(), D = X.cols(), M = W.rows();
  check_shape("closed_form_gradient", "W", W.shape(), Shape::matrix(M, D));
  check_shape("closed_form_gradient", "y", y.shape(), Shape::vector(N));
  check_shape("closed_form_gradient", "a", a.shape(), Shape::vector(M));
  dW.resize(Shape::matrix(M, D));
  // Rows are processed in blocks so that Z and G of a block stay in cache between the two products; the
  // gradient is a sum over rows, accumulated block by block (blocks.hpp).
  const bool parallel = blocks_in_parallel(D);
  const std::size_t B = block_rows(N, M, D, sizeof(T), threads());
  const std::size_t blocks = (N + B - 1) / B;
  work.Z.resize(static_cast<std::size_t>(threads()));
  if (da) work.da_parts.assign(static_cast<std::size_t>(threads()) * MAX_PARTS * M, T(0));
  const double loss = work.sum.run(blocks, parallel, dW, [&](std::size_t blk, int w, Tensor<T>& dWw, bool first) {
    const std::size_t i0 = blk * B, rows = std::min(B, N - i0);
    Tensor<T>& Zw = work.Z[static_cast<std::size_t>(w)];
    Zw.resize(Shape::matrix(std::min(B, N), M));
    T* Z = Zw.data();
    const T* Xb = X.data() + i0 * D;
    // Z (rows,M) = X_b (rows,D) W^T (D,M)
    blas::parallel_gemm(blas::Trans::N, blas::Trans::T, rows, M, D, T(1), Xb, D, W.data(), D, T(0), Z, M);
    // The rows of the block, split over the workers when the blocks run in turn (inline otherwise); each part's
    // loss goes to its own slot so that nothing is shared.
    std::array<double, MAX_PARTS> part_loss{};
    for_row_parts(rows, [&](std::size_t part, std::size_t r0, std::size_t r1) {
      double l = 0;
      for (std::size_t r = r0; r < r1; ++r) {
        T* z = Z + r * M;
        // f_i = sum_j a_j relu(z_ij)
        const LogisticTerm<T> term = logistic_term(kernels::relu_dot(z, a.data(), M), y[i0 + r]);
        l += term.loss;
        // grad_a L (M) += u_i relu(z_i), into this part's own slot
        if (da)
          kernels::relu_outer_row(work.da_parts.data() + (static_cast<std::size_t>(w) * MAX_PARTS + part) * M, z,
                                  term.dloss_df / T(N), z, M, false);
        // G_ij = u_i a_j 1[z_ij > 0], u_i = dL/df_i = -(1/N) y_i sigmoid(-y_i f_i), written over z
        kernels::relu_outer_row(z, z, term.dloss_df / T(N), a.data(), M, true);
      }
      part_loss[part] = l;
    });
    // dW_w (M,D) += G_b^T (M,rows) X_b (rows,D), or = for the worker's first block
    blas::parallel_gemm(blas::Trans::T, blas::Trans::N, M, D, rows, T(1), Z, M, Xb, D, first ? T(0) : T(1), dWw.data(),
                        D);
    double block_loss = 0;
    for (double l : part_loss) block_loss += l;
    return block_loss;
  });
  if (da) {  // the parts' shares, summed in a fixed order
    da->resize(Shape::vector(M));
    da->fill(T(0));
    for (std::size_t slot = 0; slot * M < work.da_parts.size(); ++slot)
      for (std::size_t j = 0; j < M; ++j) (*da)[j] += work.da_parts[slot * M + j];
  }
  return N ? loss / double(N) : 0.0;
}

template double closed_form_gradient(Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                     const Tensor<float>&, const Tensor<float>&, ClosedFormWork<float>&,
                                     Tensor<float>*);
template double closed_form_gradient(Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                                     const Tensor<double>&, const Tensor<double>&, ClosedFormWork<double>&,
                                     Tensor<double>*);

}  // namespace rfa
