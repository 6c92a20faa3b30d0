// A training or test set as the trainers see it, in the run's precision, with the bookkeeping the metrics
// need (clean labels and which points were flipped, when known), and the checks applied to data read from files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor.hpp"
#include "xor_data.hpp"

namespace rfa {

template <typename T>
struct Dataset {
  Tensor<T> X;                       // (N, D)
  Tensor<T> y;                       // (N) observed labels in {-1, +1}
  Tensor<T> y_clean;                 // (N) clean labels; equal to y when not known
  std::vector<std::uint8_t> flipped; // (N) 1 where y != y_clean
  bool clean_known = false;          // false for data read from files (clean labels unknown)
  std::vector<std::uint8_t> cluster; // (N) 0 = +mu1, 1 = -mu1, 2 = +mu2, 3 = -mu2, when generated; else empty
  std::uint64_t id = 0;              // unique to each data set make_dataset made (0: unknown), for caches
  std::size_t size() const { return X.rows(); }
};

// From a generated sample (clean labels known). Passing the sample as an rvalue lets a double dataset take over
// its arrays instead of copying them (generating a large set then needs no second copy of it).
template <typename T>
Dataset<T> make_dataset(const XorSample& s);
template <typename T>
Dataset<T> make_dataset(XorSample&& s);

// From arrays (say, read from .npy files): checks that X is (N, D), y is (N), every value is finite and every
// label is -1 or +1. `source` names the data in error messages ("--x/--y").
template <typename T>
Dataset<T> make_dataset(Tensor<T> X, Tensor<T> y, const std::string& source);

// Throws InputError("<what>: entry (i, j) is nan; ...") at the first non-finite entry.
template <typename T>
void check_finite(const Tensor<T>& t, const std::string& what);

// Throws InputError("<what>: entry i is 0.5; labels must be -1 or +1") at the first bad label.
template <typename T>
void check_labels(const Tensor<T>& y, const std::string& what);

}  // namespace rfa
