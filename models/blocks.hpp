// How the trainers split the N training rows into blocks. Within a block the (rows, M) pre-activations are
// produced, used and turned into gradients while they are still in cache, and the weight gradient is
// accumulated block by block (the loss is a mean over samples, so this is the same gradient).
#pragma once

#include <cstddef>
#include <vector>

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

}  // namespace rfa
