// Extending the tape from outside the library: a new op, and a composite of existing ops, each checked with the
// gradient checker.
//
// softsign(a) = a / (1 + |a|) is not one of rfa's ops. It is written here the way rfa's own ops are (see
// ops_elementwise.cpp): record a node, compute the value, install a backward right below that ACCUMULATES into the
// input's gradient. The composite is a Gaussian negative log-likelihood, sum((x - mu)^2 exp(-2 s) / 2 + s), built
// from existing ops, which need no backward of their own. Both are checked against central differences; a
// softsign with a deliberately wrong derivative is checked too, to show the checker failing. Exits 1 unless the
// right ones pass and the wrong one fails.
#include <cmath>
#include <cstdio>

#include <rfa/gradcheck.hpp>
#include <rfa/ops.hpp>

using namespace rfa;

namespace {
// y = a / (1 + |a|), entry by entry; dy/da = 1 / (1 + |a|)^2 (or, with `wrong`, 1 / (1 + |a|)).
template <bool wrong = false>
Var<double> softsign(Var<double> a) {
  Tape<double>& tape = *a.tape;
  Var<double> y = tape.record("softsign", a.shape(), {a});  // a node of a's shape, with a as its input
  const Tensor<double>& A = a.value();
  Tensor<double>& Y = tape.output(y);
  for (std::size_t i = 0; i < A.size(); ++i) Y[i] = A[i] / (1 + std::abs(A[i]));
  y.on_backward(+[](Backward<double>& g) {
    const Tensor<double>&dY = g.grad(), &A = g.input(0);
    Tensor<double>& dA = g.input_grad(0);  // zero-filled on first touch: accumulate into it
    for (std::size_t i = 0; i < dY.size(); ++i) {
      const double q = 1 + std::abs(A[i]);
      dA[i] += dY[i] / (wrong ? q : q * q);
    }
  });
  return y;
}

// sum_i (x_i - mu_i)^2 exp(-2 s_i) / 2 + s_i: the negative log-likelihood of x under N(mu, exp(2 s)), less a constant.
Var<double> gaussian_nll(Var<double> x, Var<double> mu, Var<double> s) {
  auto r = x - mu;
  return sum(scale(r * r * exp(scale(s, -2.0)), 0.5) + s);
}

bool report(const Comparison& c, bool should_pass) {
  std::printf("%s (expected: %s)\n", c.report().c_str(), should_pass ? "OK" : "NOT OK");
  return c.ok() == should_pass;
}
}  // namespace

int main() {
  const Tensor<double> a{-2.0, -0.7, -0.1, 0.3, 1.2, 3.0};
  const Tensor<double> x{0.5, -1.0, 2.0}, mu{0.2, 0.1, 1.5}, s{0.0, -0.5, 0.3};
  bool ok = true;
  ok &= report(gradcheck("softsign", [](Tape<double>&, const std::vector<Var<double>>& v) { return softsign(v[0]); },
                         {a}), true);
  ok &= report(gradcheck("softsign with a wrong derivative",
                         [](Tape<double>&, const std::vector<Var<double>>& v) { return softsign<true>(v[0]); }, {a}),
               false);
  ok &= report(gradcheck("gaussian_nll", [](Tape<double>&, const std::vector<Var<double>>& v) {
                 return gaussian_nll(v[0], v[1], v[2]);
               }, {x, mu, s}), true);
  // The composite's value, for the record: at mu = x and s = 0 it is 0.
  Tape<double> tape;
  const Tensor<double> zeros{0.0, 0.0, 0.0};
  auto l = gaussian_nll(tape.constant(x), tape.constant(x), tape.constant(zeros));
  std::printf("gaussian_nll(x, x, 0) = %g\n", l.value().item());
  ok &= l.value().item() == 0;
  std::printf("%s\n", ok ? "all as expected" : "NOT AS EXPECTED");
  return ok ? 0 : 1;
}
