#include <doctest/doctest.h>

#include <cstdint>

#include "tensor.hpp"

using namespace rfa;

TEST_CASE_TEMPLATE("tensor shapes, element access and rank", T, float, double) {
  Tensor<T> v(5);
  CHECK(v.rank() == 1);
  CHECK(v.size() == 5);
  CHECK(v.shape() == Shape::vector(5));
  Tensor<T> m(3, 4);
  CHECK(m.rank() == 2);
  CHECK(m.rows() == 3);
  CHECK(m.cols() == 4);
  m.fill(T(0));
  m(2, 3) = T(7);
  CHECK(m[2 * 4 + 3] == T(7));  // row-major
  CHECK(to_string(m.shape()) == "(3, 4)");
  CHECK(to_string(v.shape()) == "(5)");
  CHECK(Shape::vector(4) != Shape::matrix(4, 1));  // a vector is not a one-column matrix
}

TEST_CASE("tensor storage is 64-byte aligned and reused within capacity") {
  Tensor<double> t(10, 10);
  CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
  const double* before = t.data();
  const std::size_t allocs = Tensor<double>::allocation_count();
  t.resize(Shape::matrix(5, 20));
  t.resize(Shape::vector(37));
  CHECK(t.data() == before);
  CHECK(Tensor<double>::allocation_count() == allocs);
  t.resize(Shape::vector(101));
  CHECK(Tensor<double>::allocation_count() == allocs + 1);
  CHECK(t.capacity() == 101);
}

TEST_CASE("tensor construction from values, copies and item()") {
  auto m = Tensor<double>::from_rows({{1, 2, 3}, {4, 5, 6}});
  CHECK(m.shape() == Shape::matrix(2, 3));
  CHECK(m(1, 0) == 4);
  Tensor<double> copy = m;
  copy(0, 0) = 9;
  CHECK(m(0, 0) == 1);  // a deep copy
  CHECK(Tensor<double>{2.5}.item() == 2.5);
  CHECK_THROWS_AS(m.item(), ShapeError);
  CHECK_THROWS_AS(Tensor<double>::from_rows({{1, 2}, {3}}), ShapeError);
}

TEST_CASE("check_shape names the op, the operand and both shapes") {
  try {
    check_shape("myop", "B", Shape::matrix(7, 3), Shape::matrix(3, 7));
    FAIL("no throw");
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()) == "myop: B has shape (7, 3), expected (3, 7)");
  }
}
