// NumPy .npy files of float32 or float64 arrays of rank 1 or 2 in C (row-major) order: the way data goes in
// from, and results go out to, numpy and PyTorch (np.load / np.save, torch.from_numpy). Tensors are read and
// written through autograd/tensor_npy.hpp; this file knows only bytes and shapes.
//
// Reading checks everything and throws NpyError("<name>: <problem>") for: a bad magic string or version, an
// absurd or malformed header, a dtype other than '<f4' / '<f8' (or big-endian), Fortran order, a rank other
// than 1 or 2, and data that is shorter or longer than the shape says.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "errors.hpp"

namespace rfa {

struct NpyError : InputError {
  using InputError::InputError;
};

namespace npy {

// Called once the header is checked, with the array's rank (1 or 2) and shape (cols = 1 for rank 1); returns
// where its rows * cols values go (converted to T: float64 -> float rounds to nearest).
template <typename T>
using Destination = std::function<T*(int rank, std::size_t rows, std::size_t cols)>;

// The content of a .npy file; `name` names it in error messages.
template <typename T>
void parse(std::string_view bytes, const std::string& name, const Destination<T>& dest);
template <typename T>
void read(const std::string& path, const Destination<T>& dest);

// Writes rows * cols values (rank 2) or rows values (rank 1) as '<f4' (float) or '<f8' (double), format version 1.0,
// atomically (see atomic_file.hpp).
template <typename T>
void write(const std::string& path, const T* data, int rank, std::size_t rows, std::size_t cols);

}  // namespace npy
}  // namespace rfa
