// How the trainers split the N training rows into blocks. Within a block the (rows, M) pre-activations are
// produced, used and turned into gradients while they are still in cache, and the weight gradient is
// accumulated block by block (the loss is a mean over samples, so this is the same gradient).
#pragma once

#include <cstddef>
#include <vector>

#include "blas.hpp"
#include "parallel.hpp"
#include "tensor.hpp"

namespace rfa {

// How a step's blocks use the workers. For small D the work per element of the (rows, M) blocks dominates: the
// blocks go to different workers, each running its own products on one thread (and keeping its own share of
// the gradient). For large D the products dominate: blocks run one after another and every product is split
// over the workers (parallel_gemm), which needs no per-worker copies of the (M, D) gradient.
bool blocks_in_parallel(std::size_t D);

// Rows per block for N rows of dimension D, M neurons and elements of `elem` bytes. The (rows, M) block aims at
// a quarter of the machine's L2 cache (support/cache.hpp; RFA_L2_CACHE overrides it), so that it and its gradient
// stay there; when D is large the products dominate, and blocks of at least 1024 rows keep them efficient. When blocks go to different workers, there are at least
// as many blocks as workers. Blocks come out of equal size, give or take a row.
std::size_t block_rows(std::size_t N, std::size_t M, std::size_t D, std::size_t elem, int workers);

// Views of consecutive row blocks of a matrix (rank 2) or of a vector (rank 1), with no copies.
template <typename T>
std::vector<Tensor<T>> row_blocks(const Tensor<T>& t, std::size_t rows_per_block);

// A gradient that is a sum over blocks of rows, accumulated block by block: run(blocks, parallel, dG, block) calls
// block(b, worker, dG_worker, first) for every block b, which adds block b's share to dG_worker (or writes it when
// `first`: the worker's first block, so that no pass zeroes the buffer) and returns its share of the loss. Blocks
// on different workers each use their own copy of the gradient, summed into dG at the end; blocks in turn all use
// dG (see blocks_in_parallel). Returns the summed loss. Reuses its copies: nothing is allocated after the first call.
template <typename T>
class BlockSum {
 public:
  template <typename F>
  double run(std::size_t blocks, bool parallel, Tensor<T>& dG, F&& block) {
    const auto workers = parallel ? static_cast<std::size_t>(workers_for(blocks)) : std::size_t(1);
    parts_.resize(workers);
    loss_.assign(workers, 0.0);
    auto one = [&](std::size_t b, int w) {
      Tensor<T>& g = w == 0 ? dG : parts_[static_cast<std::size_t>(w)];
      g.resize(dG.shape());
      loss_[static_cast<std::size_t>(w)] += block(b, w, g, b == static_cast<std::size_t>(w));
    };
    if (parallel)
      parallel_for(blocks, one);
    else
      for (std::size_t b = 0; b < blocks; ++b) one(b, 0);
    if (blocks == 0) dG.fill(T(0));
    double loss = loss_[0];
    for (std::size_t w = 1; w < workers; ++w) {
      blas::parallel_axpy(dG.size(), T(1), parts_[w].data(), dG.data());
      loss += loss_[w];
    }
    return loss;
  }

 private:
  std::vector<Tensor<T>> parts_;  // per worker after the first: its share of the gradient
  std::vector<double> loss_;      // per worker: its share of the loss
};

}  // namespace rfa
