#include "methods.hpp"

#include <fmt/format.h>

#include "errors.hpp"
#include "names.hpp"
#include "rowspace_shared_step.hpp"
#include "plain.hpp"
#include "plain_shared_backward.hpp"
#include "rowspace.hpp"

namespace rfa {

namespace {
constexpr Names<Method, 5> METHOD_NAMES = {{{Method::automatic, "auto"}, {Method::plain, "plain"},
                                            {Method::rowspace, "rowspace"}, {Method::patterns, "patterns"},
                                            {Method::plain_patterns, "plain-patterns"}}};
}  // namespace

Method parse_method(const std::string& s) { return value_of(METHOD_NAMES, s, "method"); }
const char* to_string(Method m) { return name_of(METHOD_NAMES, m); }

Method resolve_method(Method m, std::size_t N, std::size_t D) {
  if (m != Method::automatic) return m;
  if (N < 2 * D) return Method::patterns;
  return D >= SHARED_BACKWARD_MIN_D ? Method::plain_patterns : Method::plain;
}

template <typename T>
std::unique_ptr<Trainer<T>> make_trainer(Method method, GradSource source, const Tensor<T>& X, const Tensor<T>& y,
                                         Tensor<T> a, Tensor<T> W0, T alpha, bool train_second_layer) {
  const Method m = train_second_layer && method == Method::automatic ? Method::plain
                                                                      : resolve_method(method, X.rows(), X.cols());
  if (train_second_layer && m != Method::plain)
    throw InputError(fmt::format("training the second layer works with the plain step only; method {} keeps a fixed "
                                 "(use --method plain or auto)", to_string(m)));
  if (m == Method::plain)
    return std::make_unique<PlainDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha, train_second_layer);
  if (m == Method::patterns)
    return std::make_unique<RowSpaceSharedStepDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
  if (m == Method::plain_patterns)
    return std::make_unique<PlainSharedBackwardDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
  if (m == Method::rowspace)
    return std::make_unique<RowSpaceDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
  return std::make_unique<PlainDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
}

template std::unique_ptr<Trainer<float>> make_trainer(Method, GradSource, const Tensor<float>&, const Tensor<float>&,
                                                      Tensor<float>, Tensor<float>, float, bool);
template std::unique_ptr<Trainer<double>> make_trainer(Method, GradSource, const Tensor<double>&,
                                                       const Tensor<double>&, Tensor<double>, Tensor<double>, double,
                                                       bool);

}  // namespace rfa
