// Reductions to a scalar (1): sum, mean (a composite), and the fused logistic loss.
#include "op_checks.hpp"
#include "ops.hpp"
#include "logistic.hpp"

namespace rfa {

using detail::check_rank;
using detail::tape_of;

template <typename T>
Var<T> sum(Var<T> a) {
  Tape<T>& tape = tape_of("sum", a);
  Var<T> s = tape.record("sum", Shape::vector(1), {a});
  // s (1) = sum_i a_i, accumulated in double even for float so that long sums do not drift.
  double acc = 0;
  for (T v : a.value()) acc += v;
  tape.output(s)[0] = T(acc);

  s.on_backward(+[](Backward<T>& g) {
    const T ds = g.grad()[0];
    for (T& v : g.input_grad(0)) v += ds;
  });
  return s;
}

template <typename T>
Var<T> mean(Var<T> a) {
  if (a.shape().size() == 0) throw ShapeError("mean: input is empty (shape " + to_string(a.shape()) + ")");
  return scale(sum(a), T(1) / T(a.shape().size()));
}

template <typename T>
Var<T> logistic_loss(Var<T> margins) {
  Tape<T>& tape = tape_of("logistic_loss", margins);
  check_rank("logistic_loss", "margins", margins, 1);
  const Tensor<T>& M = margins.value();
  const std::size_t N = M.size();
  if (N == 0) throw ShapeError("logistic_loss: no margins (shape (0))");
  Var<T> L = tape.record("logistic_loss", Shape::vector(1), {margins});
  // L (1) = (1/N) sum_i softplus(-m_i): the head of logistic.hpp with labels 1 (the margins carry the labels),
  // finite for every finite margin, summed in double so that the loss of a large batch does not drift.
  tape.output(L)[0] = T(logistic_head<T>(M.data(), nullptr, N));

  // dL/dm_i = -(1/N) sigmoid(-m_i), with the stable sigmoid: in [-1/N, 0] for any margin.
  L.on_backward(+[](Backward<T>& g) {
    const Tensor<T>& M = g.input(0);
    Tensor<T>& dM = g.input_grad(0);
    const T c = g.grad()[0] / T(M.size());
    for (std::size_t i = 0; i < M.size(); ++i) dM[i] += c * logistic_term(M[i], T(1)).dloss_df;
  });
  return L;
}

#define RFA_INSTANTIATE(T)             \
  template Var<T> sum(Var<T>);         \
  template Var<T> mean(Var<T>);        \
  template Var<T> logistic_loss(Var<T>);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa
