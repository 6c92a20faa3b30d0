#include "blocks.hpp"

#include <algorithm>

#include "cache.hpp"

namespace rfa {

bool blocks_in_parallel(std::size_t D) { return D < 64; }

std::size_t block_rows(std::size_t N, std::size_t M, std::size_t D, std::size_t elem, int workers) {
  // A quarter of this core's L2 (support/cache.hpp), so that the block, its gradient written over it, and the rows
  // of X it came from stay there between the products and the elementwise passes: measured best at (5000, 2, 500)
  // among blocks of 16 to 2500 rows with a 1 MiB L2.
  const std::size_t cache_rows = cache_sizes().l2 / 4 / std::max<std::size_t>(1, M * elem);
  // Every block ends with dW += G_b^T X_b, a pass over the (M, D) gradient: with at least 1024 rows a block does
  // 4 * 1024 * M * D flops per 2 * M * D gradient entries moved, so that pass stays small next to the products.
  const std::size_t gemm_rows = D >= 64 ? 1024 : 16;
  const std::size_t rows = std::max<std::size_t>(N, 1);
  std::size_t B = std::clamp<std::size_t>(std::max(cache_rows, gemm_rows), 1, rows);
  if (blocks_in_parallel(D) && workers > 1) {
    const std::size_t per_worker = (rows + static_cast<std::size_t>(workers) - 1) / static_cast<std::size_t>(workers);
    B = std::max<std::size_t>(1, std::min(B, per_worker));
  }
  // Blocks of equal size (give or take a row) rather than full ones and a small remainder.
  const std::size_t blocks = (rows + B - 1) / B;
  return (rows + blocks - 1) / blocks;
}

template <typename T>
std::vector<Tensor<T>> row_blocks(const Tensor<T>& t, std::size_t rows_per_block) {
  std::vector<Tensor<T>> blocks;
  for (std::size_t r0 = 0; r0 < t.rows(); r0 += rows_per_block)
    blocks.push_back(Tensor<T>::rows_view(t, r0, std::min(rows_per_block, t.rows() - r0)));
  return blocks;
}

template std::vector<Tensor<float>> row_blocks(const Tensor<float>&, std::size_t);
template std::vector<Tensor<double>> row_blocks(const Tensor<double>&, std::size_t);

}  // namespace rfa
