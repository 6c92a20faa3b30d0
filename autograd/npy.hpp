// NumPy .npy files of float32 or float64 arrays of rank 1 or 2 in C (row-major) order: the way data goes in
// from, and results go out to, numpy and PyTorch (np.load / np.save, torch.from_numpy).
//
// Reading checks everything and throws NpyError("<path>: <problem>") for: a bad magic string or version, an
// absurd or malformed header, a dtype other than '<f4' / '<f8' (or big-endian), Fortran order, a rank other
// than 1 or 2, and data that is shorter or longer than the shape says.
#pragma once

#include <stdexcept>
#include <string>

#include "tensor.hpp"

namespace rfa {

struct NpyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads a float32 or float64 array; the values are converted to T (float64 -> float rounds to nearest).
template <typename T>
Tensor<T> read_npy(const std::string& path);

// Writes a tensor as '<f4' (float) or '<f8' (double), format version 1.0, atomically (see atomic_file.hpp).
template <typename T>
void write_npy(const std::string& path, const Tensor<T>& t);

}  // namespace rfa
