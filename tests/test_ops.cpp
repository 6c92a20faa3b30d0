// Every op's tape Jacobian against central differences (double, odd non-square shapes, inputs away from
// kinks), the float instantiation against the double one, and the stability of sigmoid and the logistic loss.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "gradcheck.hpp"
#include "ops.hpp"
#include "logistic.hpp"
#include "test_util.hpp"

using namespace rfa;
using test::away_from_zero;
using test::uniform;
using V = Var<double>;
using Inputs = const std::vector<V>&;

static void check(const char* name, const Recorder& f, const std::vector<Tensor<double>>& inputs) {
  const Comparison c = gradcheck(name, f, inputs);
  INFO(c.report());
  CHECK(c.ok());
  CHECK(c.count > 0);
}

TEST_CASE("matmul: all transpose combinations, 5x7 times 7x3") {
  auto A = uniform(Shape::matrix(5, 7), 1), At = uniform(Shape::matrix(7, 5), 2);
  auto B = uniform(Shape::matrix(7, 3), 3), Bt = uniform(Shape::matrix(3, 7), 4);
  check("A B", [](Tape<double>&, Inputs v) { return matmul(v[0], v[1]); }, {A, B});
  check("A B^T", [](Tape<double>&, Inputs v) { return matmul(v[0], v[1], Trans::N, Trans::T); }, {A, Bt});
  check("A^T B", [](Tape<double>&, Inputs v) { return matmul(v[0], v[1], Trans::T, Trans::N); }, {At, B});
  check("A^T B^T", [](Tape<double>&, Inputs v) { return matmul(v[0], v[1], Trans::T, Trans::T); }, {At, Bt});
  // A shared operand: C = A A^T
  check("A A^T", [](Tape<double>&, Inputs v) { return matmul(v[0], v[0], Trans::N, Trans::T); }, {A});
}

TEST_CASE("matvec and broadcast_add") {
  check("matvec", [](Tape<double>&, Inputs v) { return matvec(v[0], v[1]); },
        {uniform(Shape::matrix(5, 7), 5), uniform(Shape::vector(7), 6)});
  check("broadcast_add row", [](Tape<double>&, Inputs v) { return broadcast_add(v[0], v[1]); },
        {uniform(Shape::matrix(5, 7), 7), uniform(Shape::vector(7), 8)});
  check("broadcast_add scalar", [](Tape<double>&, Inputs v) { return broadcast_add(v[0], v[1]); },
        {uniform(Shape::matrix(5, 3), 9), uniform(Shape::vector(1), 10)});
  check("broadcast_add scalar to vector", [](Tape<double>&, Inputs v) { return broadcast_add(v[0], v[1]); },
        {uniform(Shape::vector(6), 11), uniform(Shape::vector(1), 12)});
}

TEST_CASE("relu_matvec: its Jacobian, and equal to matvec(relu(A), x)") {
  auto A = away_from_zero(Shape::matrix(5, 7), 13);
  auto x = uniform(Shape::vector(7), 14);
  check("relu_matvec", [](Tape<double>&, Inputs v) { return relu_matvec(v[0], v[1]); }, {A, x});
  // Wide rows exercise the vectorized lanes and their remainder (37 = 4 * 8 + 5).
  check("relu_matvec wide", [](Tape<double>&, Inputs v) { return relu_matvec(v[0], v[1]); },
        {away_from_zero(Shape::matrix(3, 37), 15), uniform(Shape::vector(37), 16)});
  Tape<double> tape;
  auto a = tape.constant(A), xv = tape.constant(x);
  const Tensor<double> fused = relu_matvec(a, xv).value(), plain = matvec(relu(a), xv).value();
  for (std::size_t i = 0; i < fused.size(); ++i) CHECK(test::close(fused[i], plain[i], 1e-15));
}

TEST_CASE("relu_matvec of a matmul: the gradient written over the product, and not when another op reads it") {
  // Z = X W^T feeds only relu_matvec, which writes dZ over Z (tape.hpp, "Gradients over values"). In the second
  // recording an earlier op reads Z in its backward (which runs after relu_matvec's), so Z must be kept.
  auto X = uniform(Shape::matrix(6, 4), 21), W = uniform(Shape::matrix(5, 4), 22), a = uniform(Shape::vector(5), 23);
  check("relu_matvec(X W^T, a)",
        [](Tape<double>&, Inputs v) { return relu_matvec(matmul(v[0], v[1], Trans::N, Trans::T), v[2]); }, {X, W, a});
  check("sum(Z .* Z) + sum(relu_matvec(Z, a))", [](Tape<double>&, Inputs v) {
    auto Z = matmul(v[0], v[1], Trans::N, Trans::T);
    auto squares = sum(Z * Z);  // recorded first (the operands of + are evaluated in no fixed order)
    return squares + sum(relu_matvec(Z, v[2]));
  }, {X, W, a});
}

TEST_CASE("gradients from a fresh-writing op and an accumulating op meet in one input") {
  // A feeds matmul (whose backward writes its gradient with beta = 0 when fresh) and an elementwise op, in
  // both orders, so each kind of backward runs first once.
  auto A = uniform(Shape::matrix(4, 6), 17), B = uniform(Shape::matrix(6, 3), 18);
  check("matmul then mul", [](Tape<double>&, Inputs v) { return sum(matmul(v[0], v[1])) + sum(v[0] * v[0]); }, {A, B});
  check("mul then matmul", [](Tape<double>&, Inputs v) { return sum(v[0] * v[0]) + sum(matmul(v[0], v[1])); }, {A, B});
  check("relu_matvec twice", [](Tape<double>&, Inputs v) {
    return sum(relu_matvec(v[0], v[1])) + sum(relu_matvec(v[0], v[1] * v[1]));
  }, {away_from_zero(Shape::matrix(4, 6), 19), uniform(Shape::vector(6), 20)});
}

TEST_CASE("elementwise ops on a 5x7 matrix") {
  const Shape s = Shape::matrix(5, 7);
  auto A = uniform(s, 21), B = uniform(s, 22);
  check("add", [](Tape<double>&, Inputs v) { return add(v[0], v[1]); }, {A, B});
  check("sub", [](Tape<double>&, Inputs v) { return sub(v[0], v[1]); }, {A, B});
  check("mul", [](Tape<double>&, Inputs v) { return mul(v[0], v[1]); }, {A, B});
  check("scale", [](Tape<double>&, Inputs v) { return scale(v[0], -2.5); }, {A});
  check("neg", [](Tape<double>&, Inputs v) { return neg(v[0]); }, {A});
  check("relu", [](Tape<double>&, Inputs v) { return relu(v[0]); }, {away_from_zero(s, 23)});
  check("exp", [](Tape<double>&, Inputs v) { return exp(v[0]); }, {A});
  check("log", [](Tape<double>&, Inputs v) { return log(v[0]); }, {uniform(s, 24, 0.5, 3.0)});
  check("sigmoid", [](Tape<double>&, Inputs v) { return sigmoid(v[0]); }, {uniform(s, 25, -4, 4)});
  check("tanh", [](Tape<double>&, Inputs v) { return tanh(v[0]); }, {uniform(s, 26, -2, 2)});
}

TEST_CASE("every elementwise op and reduction computes its formula") {
  // The Jacobian checks above hold for any function whose backward matches its own forward (a sub that adds would
  // pass them), so each op's value is checked against its formula here, entry by entry.
  const Tensor<double> a{-1.5, -0.25, 0.0, 0.5, 2.0}, b{0.75, -2.0, 1.25, 0.5, -0.5}, pos{0.5, 1.0, 1.5, 2.0, 4.0};
  Tape<double> tape;
  const auto A = tape.constant(a), B = tape.constant(b), P = tape.constant(pos);
  struct Case {
    const char* name;
    Var<double> got;
    double (*want)(double, double);
  };
  const Case cases[] = {
      {"add", add(A, B), [](double x, double y) { return x + y; }},
      {"sub", sub(A, B), [](double x, double y) { return x - y; }},
      {"mul", mul(A, B), [](double x, double y) { return x * y; }},
      {"scale", scale(A, -2.5), [](double x, double) { return -2.5 * x; }},
      {"neg", neg(A), [](double x, double) { return -x; }},
      {"relu", relu(A), [](double x, double) { return x > 0 ? x : 0.0; }},
      {"exp", exp(A), [](double x, double) { return std::exp(x); }},
      {"sigmoid", sigmoid(A), [](double x, double) { return 1 / (1 + std::exp(-x)); }},
      {"tanh", tanh(A), [](double x, double) { return std::tanh(x); }},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    for (std::size_t i = 0; i < a.size(); ++i)
      CHECK(c.got.value()[i] == doctest::Approx(c.want(a[i], b[i])).epsilon(1e-15));
  }
  for (std::size_t i = 0; i < pos.size(); ++i)
    CHECK(log(P).value()[i] == doctest::Approx(std::log(pos[i])).epsilon(1e-15));
  CHECK(sum(A).value().item() == doctest::Approx(0.75).epsilon(1e-15));
  CHECK(mean(A).value().item() == doctest::Approx(0.15).epsilon(1e-15));
  CHECK(logistic_loss(A).value().item() ==
        doctest::Approx((std::log1p(std::exp(1.5)) + std::log1p(std::exp(0.25)) + std::log(2.0) +
                         std::log1p(std::exp(-0.5)) + std::log1p(std::exp(-2.0))) / 5).epsilon(1e-15));
}

TEST_CASE("reductions and the logistic loss") {
  check("sum", [](Tape<double>&, Inputs v) { return sum(v[0]); }, {uniform(Shape::matrix(5, 7), 31)});
  check("mean", [](Tape<double>&, Inputs v) { return mean(v[0]); }, {uniform(Shape::matrix(5, 7), 32)});
  check("logistic_loss", [](Tape<double>&, Inputs v) { return logistic_loss(v[0]); },
        {uniform(Shape::vector(11), 33, -5, 5)});
}

TEST_CASE("a composite: the paper's network and loss, through every layer") {
  // L = logistic_loss(y .* (relu(X W^T) a)), gradient wanted for W and a (X, y constants).
  Tensor<double> X = uniform(Shape::matrix(9, 5), 41);
  Tensor<double> y{1, -1, 1, 1, -1, -1, 1, -1, 1};
  auto net = [&](Tape<double>& t, Inputs v) {
    auto Z = matmul(t.constant(X), v[0], Trans::N, Trans::T);
    return logistic_loss(t.constant(y) * matvec(relu(Z), v[1]));
  };
  check("network", net, {uniform(Shape::matrix(4, 5), 42), uniform(Shape::vector(4), 43)});
}

TEST_CASE("log refuses a negative input instead of making a NaN") {
  Tape<double> tape;
  Tensor<double> A{1.0, -0.5};
  CHECK_THROWS_AS(log(tape.param(A)), std::domain_error);
}

TEST_CASE_TEMPLATE("float and double instantiations compute the network's loss and gradient", T, float, double) {
  // Both against the formula evaluated independently in long double, off the tape:
  //   L = (1/N) sum_i softplus(-y_i f_i), f_i = sum_j a_j relu(<w_j, x_i>),
  //   dL/dw_j = -(1/N) sum_i sigmoid(-y_i f_i) y_i a_j 1[<w_j, x_i> > 0] x_i.
  Tensor<double> Xd = uniform(Shape::matrix(9, 5), 51), Wd = uniform(Shape::matrix(4, 5), 52);
  Tensor<double> yd{1, -1, 1, 1, -1, -1, 1, -1, 1}, ad{0.5, 0.5, -0.5, -0.5};
  auto cast = [](const Tensor<double>& d) {
    Tensor<T> t(d.shape());
    for (std::size_t i = 0; i < d.size(); ++i) t[i] = T(d[i]);
    return t;
  };
  // The reference, from the values the T run sees (rounded to T), so that only the arithmetic differs.
  const Tensor<T> Xt = cast(Xd), Wt = cast(Wd), yt = cast(yd), at = cast(ad);
  long double L = 0;
  std::vector<long double> dW(Wd.size(), 0.0L);
  for (std::size_t i = 0; i < 9; ++i) {
    long double f = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      long double z = 0;
      for (std::size_t k = 0; k < 5; ++k) z += (long double)Xt(i, k) * Wt(j, k);
      if (z > 0) f += (long double)at[j] * z;
    }
    const long double m = (long double)yt[i] * f;
    L += std::log1p(std::exp(-m)) / 9;
    const long double g = 1 / (1 + std::exp(m));  // sigmoid(-m)
    for (std::size_t j = 0; j < 4; ++j) {
      long double z = 0;
      for (std::size_t k = 0; k < 5; ++k) z += (long double)Xt(i, k) * Wt(j, k);
      if (z > 0)
        for (std::size_t k = 0; k < 5; ++k) dW[j * 5 + k] -= g * yt[i] * at[j] * Xt(i, k) / 9;
    }
  }
  Tape<T> tape;
  auto w = tape.param(Wt);
  auto loss = logistic_loss(tape.constant(yt) * matvec(relu(matmul(tape.constant(Xt), w, Trans::N, Trans::T)),
                                                       tape.constant(at)));
  tape.backward(loss);
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  CHECK(test::close(double(loss.value().item()), double(L), tol));
  Tensor<double> want(Wd.shape());
  for (std::size_t k = 0; k < want.size(); ++k) want[k] = double(dW[k]);
  const Comparison c = compare("tape vs long double", tape.grad(w), want, Tolerance{tol * 0.1, tol});
  INFO(c.report());
  CHECK(c.ok());
}

// References in long double from the naive formulas, which are exact enough there at these margins.
static long double ref_softplus(long double a) { return a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a)); }
static long double ref_sigmoid(long double a) { return 1.0L / (1.0L + std::exp(-a)); }

TEST_CASE_TEMPLATE("sigmoid and the logistic loss at large margins: finite and equal to long double", T, float,
                   double) {
  // Relative agreement to a few ulps; values below the smallest normal number may round to a subnormal or 0.
  const double rel = 4 * double(std::numeric_limits<T>::epsilon()), tiny = double(std::numeric_limits<T>::min());
  for (double m : {30.0, -30.0, 100.0, -100.0, 800.0, -800.0, 1e3, -1e3, 1e6, -1e6}) {
    CAPTURE(m);
    const T s = stable_sigmoid(T(m));
    CHECK(std::isfinite(s));
    CHECK(test::close(double(s), double(ref_sigmoid(m)), rel, tiny));

    // The loss and its gradient on the tape for a single margin: L = softplus(-m), dL/dm = -sigmoid(-m).
    Tape<T> tape;
    Tensor<T> M{T(m)};
    auto v = tape.param(M);
    auto L = logistic_loss(v);
    tape.backward(L);
    const T loss = L.value().item(), grad = tape.grad(v)[0];
    CHECK(std::isfinite(loss));
    CHECK(std::isfinite(grad));
    CHECK(test::close(double(loss), double(ref_softplus(-(long double)m)), rel, tiny));
    CHECK(test::close(double(grad), double(-ref_sigmoid(-(long double)m)), rel, tiny));
  }
}
