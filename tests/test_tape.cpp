// The tape's mechanics: accumulation for shared values, constants, clearing and re-recording, misuse errors,
// and a training-style loop that allocates nothing once warmed up.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>

#include "ops.hpp"
#include "test_util.hpp"

using namespace rfa;

#include "alloc_counter.hpp"

TEST_CASE("x * x gets both contributions: d/dx sum(x*x) = 2x") {
  Tape<double> tape;
  Tensor<double> X{1.5, -2.0, 0.25};
  auto x = tape.param(X);
  tape.backward(sum(x * x));
  for (std::size_t i = 0; i < X.size(); ++i) CHECK(test::close(tape.grad(x)[i], 2 * X[i], 1e-15));
}

TEST_CASE("a + a gets both contributions: d/da sum(a+a) = 2") {
  Tape<double> tape;
  Tensor<double> A = Tensor<double>::from_rows({{1, 2}, {3, 4}, {5, 6}});
  auto a = tape.param(A);
  tape.backward(sum(a + a));
  for (double g : tape.grad(a)) CHECK(g == 2.0);
}

TEST_CASE("a diamond: x feeds two branches that meet again") {
  // out = sum(2x .* exp(x)); d out/dx = 2 exp(x) + 2x exp(x)
  Tape<double> tape;
  Tensor<double> X{-0.7, 0.1, 1.3};
  auto x = tape.param(X);
  auto left = scale(x, 2.0);
  auto right = exp(x);
  tape.backward(sum(left * right));
  for (std::size_t i = 0; i < X.size(); ++i)
    CHECK(test::close(tape.grad(x)[i], 2 * std::exp(X[i]) * (1 + X[i]), 1e-14));
}

TEST_CASE("constants get no gradient and cost no backward work") {
  Tape<double> tape;
  Tensor<double> W = test::uniform(Shape::matrix(3, 4), 1);
  Tensor<double> X = test::uniform(Shape::matrix(5, 4), 2);
  auto w = tape.param(W);
  auto x = tape.constant(X);
  auto xx = relu(matmul(x, x, Trans::N, Trans::T));  // depends on constants only
  auto out = sum(matmul(x, w, Trans::N, Trans::T)) + sum(xx);
  const std::size_t before = tape.storage_bytes();
  tape.backward(out);
  CHECK_THROWS_AS(tape.grad(x), TapeError);
  CHECK_THROWS_AS(tape.grad(xx), TapeError);
  CHECK(tape.grad(w).shape() == W.shape());
  // Gradient storage appeared only on w's path: w, the (5, 3) product, its sum and the final add. The
  // constant-only branch (a 5x5 product and its relu and sum) got none.
  const std::size_t grad_bytes = tape.storage_bytes() - before;
  const std::size_t path_bytes = (W.size() + 5 * 3 + 1 + 1) * sizeof(double);
  CHECK(grad_bytes == path_bytes);
}

TEST_CASE("a gradient written over a value nothing else reads: no buffer, and reading the value is an error") {
  Tensor<double> W = test::away_from_zero(Shape::matrix(3, 4), 31), X = test::uniform(Shape::matrix(5, 4), 32);
  Tensor<double> A = test::uniform(Shape::vector(3), 33);
  // d/dZ sum(relu(Z) a) = 1[Z > 0] a^T, and d/dW = (that)^T X
  auto expected = [&](const Tensor<double>& Z, double extra) {
    Tensor<double> dZ(Z.shape()), dW(W.shape());
    dW.fill(0);
    for (std::size_t i = 0; i < 5; ++i)
      for (std::size_t j = 0; j < 3; ++j) {
        dZ(i, j) = (Z(i, j) > 0 ? A[j] : 0.0) + extra;
        for (std::size_t k = 0; k < 4; ++k) dW(j, k) += dZ(i, j) * X(i, k);
      }
    return std::pair{dZ, dW};
  };
  Tape<double> tape;
  for (bool second_reader : {false, true}) {
    tape.clear();
    auto w = tape.param(W);
    auto z = matmul(tape.constant(X), w, Trans::N, Trans::T);
    const Tensor<double> Z = z.value();
    auto out = sum(relu_matvec(z, tape.constant(A)));
    if (second_reader) out = out + sum(z);  // z now has two consumers and keeps its value
    const std::size_t before = tape.storage_bytes();
    tape.backward(out);
    const auto [dZ, dW] = expected(Z, second_reader ? 1.0 : 0.0);
    for (std::size_t i = 0; i < dZ.size(); ++i) CHECK(tape.grad(z)[i] == doctest::Approx(dZ[i]).epsilon(1e-14));
    for (std::size_t i = 0; i < dW.size(); ++i) CHECK(tape.grad(w)[i] == doctest::Approx(dW[i]).epsilon(1e-14));
    if (!second_reader) {
      // The first recording allocated gradients for w (3x4), the (5) output of relu_matvec and the sum, but none
      // for the (5, 3) product: its gradient took the product's place.
      CHECK(tape.storage_bytes() - before == (12 + 5 + 1) * sizeof(double));
      CHECK_THROWS_WITH_AS(z.value(), doctest::Contains("overwritten by its gradient"), TapeError);
      CHECK(z.shape() == Shape::matrix(5, 3));
    } else {
      for (std::size_t i = 0; i < Z.size(); ++i) CHECK(z.value()[i] == Z[i]);
    }
  }
  // exp reads its own output in its backward, so relu_matvec may not overwrite it.
  tape.clear();
  auto w = tape.param(W);
  auto e = exp(matmul(tape.constant(X), w, Trans::N, Trans::T));
  const Tensor<double> E = e.value();
  tape.backward(sum(relu_matvec(e, tape.constant(A))));
  for (std::size_t i = 0; i < E.size(); ++i) CHECK(e.value()[i] == E[i]);
}

TEST_CASE("a parameter the output does not use has gradient zero") {
  Tape<double> tape;
  Tensor<double> A{1, 2}, B{3, 4};
  auto a = tape.param(A);
  auto b = tape.param(B);
  tape.backward(sum(a));
  CHECK(tape.grad(b)[0] == 0.0);
  CHECK(tape.grad(b)[1] == 0.0);
}

TEST_CASE("a param with the caller's gradient buffer accumulates across recordings") {
  // sum over two blocks of rows of sum(relu(X_b W^T)), recorded one block at a time, equals the whole.
  Tensor<double> W = test::uniform(Shape::matrix(3, 4), 31);
  Tensor<double> X = test::uniform(Shape::matrix(10, 4), 32);
  Tape<double> tape;
  auto w = tape.param(W);
  tape.backward(sum(relu(matmul(tape.constant(X), w, Trans::N, Trans::T))));
  const Tensor<double> whole = tape.grad(w);

  Tensor<double> dW(W.shape());
  dW.fill(0);
  for (std::size_t row0 : {0, 6}) {
    tape.clear();
    const Tensor<double> Xb = Tensor<double>::rows_view(X, row0, row0 == 0 ? 6 : 4);
    CHECK(Xb.is_view());
    auto wb = tape.param(W, dW);
    tape.backward(sum(relu(matmul(tape.constant(Xb), wb, Trans::N, Trans::T))));
    CHECK(&tape.grad(wb) == &dW);
  }
  for (std::size_t i = 0; i < W.size(); ++i) CHECK(test::close(dW[i], whole[i], 1e-14));
  CHECK_THROWS_AS(tape.param(W, X), ShapeError);  // a buffer of the wrong shape
}

TEST_CASE("clearing and re-recording gives the same numbers") {
  Tensor<double> W = test::uniform(Shape::matrix(4, 6), 3);
  Tensor<double> X = test::uniform(Shape::matrix(9, 6), 4);
  Tensor<double> y = test::uniform(Shape::vector(9), 5);
  Tensor<double> a = test::uniform(Shape::vector(4), 6);
  Tape<double> tape;
  Tensor<double> first_grad;
  double first_loss = 0;
  for (int rep = 0; rep < 3; ++rep) {
    tape.clear();
    auto w = tape.param(W);
    auto loss = logistic_loss(tape.constant(y) * matvec(relu(matmul(tape.constant(X), w, Trans::N, Trans::T)),
                                                         tape.constant(a)));
    tape.backward(loss);
    if (rep == 0) {
      first_grad = tape.grad(w);
      first_loss = loss.value().item();
    } else {
      CHECK(loss.value().item() == first_loss);
      for (std::size_t i = 0; i < W.size(); ++i) CHECK(tape.grad(w)[i] == first_grad[i]);
    }
  }
}

TEST_CASE("misuse of the tape is a clear error") {
  Tape<double> tape;
  Tensor<double> A{1, 2, 3};
  auto a = tape.param(A);
  auto s = sum(a * a);

  SUBCASE("backward on a non-scalar needs a seed") {
    auto v = a * a;
    try {
      tape.backward(v);
      FAIL("no throw");
    } catch (const TapeError& e) {
      CHECK(std::string(e.what()).find("not a scalar") != std::string::npos);
    }
    CHECK_THROWS_AS(tape.backward(v, Tensor<double>(2)), ShapeError);  // seed of the wrong shape
  }
  SUBCASE("backward twice on one recording") {
    tape.backward(s);
    try {
      tape.backward(s);
      FAIL("no throw");
    } catch (const TapeError& e) {
      CHECK(std::string(e.what()).find("already ran") != std::string::npos);
    }
  }
  SUBCASE("grad before backward, and a Var from a cleared recording") {
    CHECK_THROWS_AS(tape.grad(a), TapeError);
    tape.clear();
    CHECK_THROWS_AS(sum(a), TapeError);
    CHECK_THROWS_AS(tape.backward(s), TapeError);
  }
  SUBCASE("operands from two tapes") {
    Tape<double> other;
    auto b = other.param(A);
    CHECK_THROWS_AS(a + b, TapeError);
  }
}

TEST_CASE("wrong shapes: the message names the op and both shapes") {
  Tape<double> tape;
  Tensor<double> A(5, 7), B(6, 3), v(4), u(5);
  A.fill(1);
  B.fill(1);
  v.fill(1);
  u.fill(1);
  auto a = tape.constant(A);
  auto b = tape.constant(B);
  auto check_message = [](auto&& f, const std::string& want) {
    try {
      f();
      FAIL("no throw");
    } catch (const ShapeError& e) {
      CHECK(std::string(e.what()) == want);
    }
  };
  check_message([&] { matmul(a, b); }, "matmul: inner dimensions differ: A is (5, 7) and B is (6, 3)");
  check_message([&] { matmul(a, b, Trans::T, Trans::N); },
                "matmul: inner dimensions differ: (A)^T is (5, 7) and B is (6, 3)");
  check_message([&] { add(a, b); }, "add: shapes differ: (5, 7) and (6, 3)");
  check_message([&] { mul(tape.constant(v), tape.constant(u)); }, "mul: shapes differ: (4) and (5)");
  check_message([&] { matvec(a, tape.constant(v)); }, "matvec: A is (5, 7) but x is (4); x needs length 7");
  check_message([&] { logistic_loss(a); }, "logistic_loss: margins must have rank 1, got shape (5, 7)");
  check_message([&] { broadcast_add(a, tape.constant(u)); },
                "broadcast_add: cannot add b (5) to A (5, 7); b must be (1) or (7) for a matrix A");
}

// One gradient step of the paper's network, f = relu(X W^T) a, on the tape.
template <typename T>
void train_step(Tape<T>& tape, Tensor<T>& W, const Tensor<T>& X, const Tensor<T>& y, const Tensor<T>& a) {
  tape.clear();
  auto w = tape.param(W);
  auto f = matvec(relu(matmul(tape.constant(X), w, Trans::N, Trans::T)), tape.constant(a));
  tape.backward(logistic_loss(tape.constant(y) * f));
  const Tensor<T>& dW = tape.grad(w);
  for (std::size_t i = 0; i < W.size(); ++i) W[i] -= T(0.1) * dW[i];
}

TEST_CASE_TEMPLATE("a training loop allocates nothing after its first step", T, float, double) {
  auto cast = [](const Tensor<double>& d) {
    Tensor<T> t(d.shape());
    for (std::size_t i = 0; i < d.size(); ++i) t[i] = T(d[i]);
    return t;
  };
  Tensor<T> W = cast(test::uniform(Shape::matrix(8, 5), 7));
  Tensor<T> X = cast(test::uniform(Shape::matrix(30, 5), 8));
  Tensor<T> y = cast(test::uniform(Shape::vector(30), 9));
  Tensor<T> a = cast(test::uniform(Shape::vector(8), 10));
  Tape<T> tape;
  const long heap_start = heap_allocations.load();
  train_step(tape, W, X, y, a);  // the first step allocates the tape's storage
  const long heap_first = heap_allocations.load() - heap_start;

  const long heap_before = heap_allocations.load();
  const std::size_t tensors_before = Tensor<T>::allocation_count();
  const std::size_t bytes_before = tape.storage_bytes();
  for (int step = 0; step < 20; ++step) train_step(tape, W, X, y, a);
  const long heap_during = heap_allocations.load() - heap_before;
  const std::size_t tensors_during = Tensor<T>::allocation_count() - tensors_before;

  CHECK(heap_during == 0);
  CHECK(tensors_during == 0);
  CHECK(tape.storage_bytes() == bytes_before);
  CHECK(heap_first > 0);  // the counter does see the tape's allocations
}
