#include "tensor.hpp"

#include <algorithm>
#include <atomic>

#include <fmt/format.h>

namespace rfa {

std::string to_string(const Shape& s) {
  return s.rank == 1 ? fmt::format("({})", s.rows) : fmt::format("({}, {})", s.rows, s.cols);
}

void check_shape(const char* op, const char* what, const Shape& got, const Shape& want) {
  if (got != want)
    throw ShapeError(fmt::format("{}: {} has shape {}, expected {}", op, what, to_string(got), to_string(want)));
}

namespace {
std::atomic<std::size_t> float_allocations{0};
std::atomic<std::size_t> double_allocations{0};
template <typename T>
std::atomic<std::size_t>& allocations() {
  if constexpr (std::is_same_v<T, float>) return float_allocations;
  else return double_allocations;
}
}  // namespace

template <typename T>
std::size_t Tensor<T>::allocation_count() {
  return allocations<T>().load();
}

template <typename T>
void Tensor<T>::resize(Shape s) {
  if (s.rank != 1 && s.rank != 2) throw ShapeError(fmt::format("Tensor: rank must be 1 or 2, got {}", s.rank));
  if (s.rank == 1 && s.cols != 1) throw ShapeError("Tensor: a rank-1 shape has cols == 1");
  if (s.cols != 0 && s.rows > SIZE_MAX / sizeof(T) / s.cols)
    throw AllocationError(fmt::format("a tensor of shape {} is too large to allocate", to_string(s)));
  const std::size_t n = s.size();
  if (n > capacity_) {
    // Uninitialised on purpose: every op writes its whole output before reading it.
    data_ = std::unique_ptr<T[], AlignedDelete>(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t{64})),
                                                AlignedDelete{true});
    capacity_ = n;
    ++allocations<T>();
  }
  shape_ = s;
}

template <typename T>
Tensor<T> Tensor<T>::rows_view(const Tensor& t, std::size_t row0, std::size_t rows) {
  if (row0 + rows > t.rows())
    throw ShapeError(fmt::format("Tensor::rows_view: rows [{}, {}) of a tensor of shape {}", row0, row0 + rows,
                                 to_string(t.shape())));
  Tensor v;
  v.data_ = std::unique_ptr<T[], AlignedDelete>(const_cast<T*>(t.data()) + row0 * t.cols(), AlignedDelete{false});
  v.capacity_ = rows * t.cols();
  v.shape_ = t.rank() == 2 ? Shape::matrix(rows, t.cols()) : Shape::vector(rows);
  return v;
}

template <typename T>
Tensor<T>::Tensor(std::initializer_list<T> values) {
  resize(Shape::vector(values.size()));
  std::copy(values.begin(), values.end(), data());
}

template <typename T>
Tensor<T> Tensor<T>::from_rows(std::initializer_list<std::initializer_list<T>> rows) {
  const std::size_t c = rows.size() ? rows.begin()->size() : 0;
  Tensor t(rows.size(), c);
  std::size_t i = 0;
  for (const auto& row : rows) {
    if (row.size() != c) throw ShapeError("Tensor::from_rows: rows have different lengths");
    std::copy(row.begin(), row.end(), t.data() + i * c);
    ++i;
  }
  return t;
}

template <typename T>
Tensor<T>::Tensor(const Tensor& other) {
  resize(other.shape_);
  std::copy(other.begin(), other.end(), data());
}

template <typename T>
Tensor<T>& Tensor<T>::operator=(const Tensor& other) {
  if (this != &other) {
    resize(other.shape_);
    std::copy(other.begin(), other.end(), data());
  }
  return *this;
}

template <typename T>
void Tensor<T>::fill(T value) {
  std::fill(begin(), end(), value);
}

template <typename T>
T Tensor<T>::item() const {
  if (size() != 1)
    throw ShapeError(fmt::format("Tensor::item: needs a length-1 tensor, got shape {}", to_string(shape_)));
  return data_[0];
}

template class Tensor<float>;
template class Tensor<double>;

}  // namespace rfa
