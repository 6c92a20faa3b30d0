// The gradient checker must be able to fail: a wrong backward, a too-coarse eps and a NaN are rejected.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "gradcheck.hpp"
#include "ops.hpp"
#include "test_util.hpp"

using namespace rfa;

// y = a^2 with a deliberately wrong backward (it forgets the factor 2), written the way every op is.
static Var<double> wrong_square(Var<double> a) {
  Var<double> y = a.tape->record("wrong_square", a.shape(), {a});
  const Tensor<double>& A = a.value();
  Tensor<double>& Y = a.tape->output(y);
  for (std::size_t i = 0; i < A.size(); ++i) Y[i] = A[i] * A[i];
  y.on_backward(+[](Backward<double>& g) {
    Tensor<double>& dA = g.input_grad(0);
    for (std::size_t i = 0; i < dA.size(); ++i) dA[i] += g.grad()[i] * g.input(0)[i];  // should be 2 * A
  });
  return y;
}

TEST_CASE("a deliberately wrong backward is rejected, with a report that shows it") {
  auto X = test::uniform(Shape::matrix(3, 5), 1);
  const Comparison c =
      gradcheck("wrong_square", [](Tape<double>&, const std::vector<Var<double>>& v) { return wrong_square(v[0]); },
                {X});
  CHECK_FALSE(c.ok());
  CHECK(c.mismatches == X.size());  // every diagonal entry of the Jacobian is off by a factor 2
  CHECK(c.first.size() == 5);
  const std::string r = c.report();
  CHECK(r.find("NOT OK") != std::string::npos);
  CHECK(r.find("d out[0] / d input 0 (0, 0)") != std::string::npos);
  // The same op with the right backward passes (mul of a with itself accumulates 2 a).
  const Comparison right =
      gradcheck("a*a", [](Tape<double>&, const std::vector<Var<double>>& v) { return v[0] * v[0]; }, {X});
  CHECK(right.ok());
  CHECK(right.report().find(": OK") != std::string::npos);
}

TEST_CASE("eps = 0.1 is too coarse for exp at 2 and the checker says so") {
  Tensor<double> X{2.0, 2.5};
  auto f = [](Tape<double>&, const std::vector<Var<double>>& v) { return exp(v[0]); };
  // eps = 0.1: the central-difference error e^x eps^2 / 6 ~ 1.2e-2 exceeds atol + rtol e^x ~ 7.4e-3
  CHECK_FALSE(gradcheck("exp eps=0.1", f, {X}, Tolerance{}, 0.1).ok());
  CHECK(gradcheck("exp eps=1e-6", f, {X}).ok());
}

TEST_CASE("compare: tolerance rule, error maxima and non-finite values") {
  const double want[] = {1.0, 100.0, 0.0};
  const double close_enough[] = {1.0 + 0.9e-5, 100.0 * (1 + 0.9e-3), 0.9e-5};  // within atol + rtol |want|
  const double too_far[] = {1.0 + 2e-3, 100.0, 0.0};
  const double with_nan[] = {NAN, 100.0, 0.0};
  CHECK(compare("ok", close_enough, want, 3).ok());
  const Comparison far = compare("far", too_far, want, 3);
  CHECK(far.mismatches == 1);
  CHECK(far.first.at(0).index == 0);
  CHECK(test::close(far.max_abs, 2e-3, 1e-9));
  CHECK_FALSE(compare("nan", with_nan, want, 3).ok());
}

TEST_CASE("numeric_gradient of a known function") {
  // f(x) = sum x_i^3, grad 3 x_i^2
  Tensor<double> x{0.5, -1.5, 2.0};
  auto g = numeric_gradient([](const Tensor<double>& t) {
    double s = 0;
    for (double v : t) s += v * v * v;
    return s;
  }, x);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(test::close(g[i], 3 * x[i] * x[i], 1e-8));
}
