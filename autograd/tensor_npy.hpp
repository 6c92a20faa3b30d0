// Tensors to and from NumPy .npy files (the format itself: support/npy.hpp).
#pragma once

#include <string>

#include "npy.hpp"
#include "tensor.hpp"

namespace rfa {

// A float32 or float64 array of rank 1 or 2, converted to T; throws NpyError naming the file and the problem.
template <typename T>
Tensor<T> read_npy(const std::string& path) {
  Tensor<T> t;
  npy::read<T>(path, [&](int rank, std::size_t rows, std::size_t cols) {
    t.resize(rank == 1 ? Shape::vector(rows) : Shape::matrix(rows, cols));
    return t.data();
  });
  return t;
}

// Writes t as '<f4' or '<f8', atomically.
template <typename T>
void write_npy(const std::string& path, const Tensor<T>& t) {
  npy::write(path, t.data(), t.rank(), t.rows(), t.cols());
}

}  // namespace rfa
