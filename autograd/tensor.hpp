// Tensor<T>: a dense, row-major, contiguous vector (rank 1) or matrix (rank 2) of float or double.
//
// rfa needs only matrices and vectors, so this is deliberately not an N-d array. A vector of length N has
// rank 1 and shape (N); a matrix has rank 2 and shape (R, C). A scalar is a rank-1 tensor of length 1.
//
// Storage is 64-byte aligned (a cache line, and what AVX-512 loads like; views of rows may not be) and is reused:
// resize() to a size that fits the current capacity never allocates. The tape relies on this so that recording
// the same computation again allocates nothing.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace rfa {

// The shape of a rank-1 or rank-2 tensor. A vector of length N is {1, N, 1}: rows() = N, cols() = 1.
struct Shape {
  int rank = 1;
  std::size_t rows = 0;
  std::size_t cols = 1;

  static Shape vector(std::size_t n) { return {1, n, 1}; }
  static Shape matrix(std::size_t r, std::size_t c) { return {2, r, c}; }
  std::size_t size() const { return rows * cols; }
  bool operator==(const Shape&) const = default;
};

// "(5, 7)" for a matrix, "(5)" for a vector: the form every shape error message uses.
std::string to_string(const Shape& s);

// Thrown for every shape disagreement; the message names the op and the shapes involved.
struct ShapeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Thrown when a tensor of the asked-for shape cannot exist: its size in bytes overflows. Out of memory, in effect.
struct AllocationError : std::bad_alloc {
  explicit AllocationError(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

template <typename T>
class Tensor {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "Tensor holds float or double");

 public:
  Tensor() = default;
  explicit Tensor(Shape s) { resize(s); }
  explicit Tensor(std::size_t n) : Tensor(Shape::vector(n)) {}
  Tensor(std::size_t r, std::size_t c) : Tensor(Shape::matrix(r, c)) {}
  // A vector holding the given values: Tensor<double>{1.0, 2.0, 3.0}.
  Tensor(std::initializer_list<T> values);
  // A matrix filled from nested lists, one list per row (all rows the same length).
  static Tensor from_rows(std::initializer_list<std::initializer_list<T>> rows);

  // A tensor that borrows rows [row0, row0 + rows) of a matrix (entries, of a vector) without copying them: valid
  // while `t` lives and keeps its storage. For handing blocks of a large constant (the training data) to the tape or to
  // the BLAS. Writing through a view of a const tensor is not allowed.
  static Tensor rows_view(const Tensor& t, std::size_t row0, std::size_t rows);
  bool is_view() const { return !data_.get_deleter().owning; }

  Tensor(const Tensor& other);  // always a deep, owning copy (also of a view)
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  // Sets the shape. Contents are unspecified afterwards unless the size is unchanged. Allocates only when the
  // new size exceeds the capacity; a tensor never gives back storage.
  void resize(Shape s);

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank; }
  std::size_t rows() const { return shape_.rows; }
  std::size_t cols() const { return shape_.cols; }
  std::size_t size() const { return shape_.size(); }
  std::size_t capacity() const { return capacity_; }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }

  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& operator()(std::size_t i, std::size_t j) { return data_[i * shape_.cols + j]; }
  const T& operator()(std::size_t i, std::size_t j) const { return data_[i * shape_.cols + j]; }

  void fill(T value);
  // The single value of a length-1 tensor (a scalar); throws otherwise.
  T item() const;

  // How many times any Tensor<T> has allocated storage in this process: lets tests prove that a loop
  // allocates nothing once warmed up.
  static std::size_t allocation_count();

 private:
  struct AlignedDelete {
    bool owning = true;
    void operator()(T* p) const {
      if (owning) ::operator delete[](p, std::align_val_t{64});
    }
  };
  std::unique_ptr<T[], AlignedDelete> data_;
  std::size_t capacity_ = 0;
  Shape shape_{};
};

// Throws ShapeError("<op>: <what> has shape (a, b), expected (c, d)") when the shapes differ.
void check_shape(const char* op, const char* what, const Shape& got, const Shape& want);

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace rfa
