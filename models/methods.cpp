#include "methods.hpp"

#include <fmt/format.h>

#include "errors.hpp"
#include "names.hpp"
#include "patterns.hpp"
#include "plain.hpp"
#include "rowspace.hpp"

namespace rfa {

namespace {
constexpr Names<Method, 4> METHOD_NAMES = {{{Method::automatic, "auto"}, {Method::plain, "plain"},
                                            {Method::rowspace, "rowspace"}, {Method::patterns, "patterns"}}};
}  // namespace

Method parse_method(const std::string& s) { return value_of(METHOD_NAMES, s, "method"); }
const char* to_string(Method m) { return name_of(METHOD_NAMES, m); }

Method resolve_method(Method m, std::size_t N, std::size_t D) {
  if (m != Method::automatic) return m;
  return N < 2 * D ? Method::patterns : Method::plain;
}

template <typename T>
std::unique_ptr<Trainer<T>> make_trainer(Method method, GradSource source, const Tensor<T>& X, const Tensor<T>& y,
                                         Tensor<T> a, Tensor<T> W0, T alpha) {
  const Method m = resolve_method(method, X.rows(), X.cols());
  if (m == Method::patterns)
    return std::make_unique<PatternDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
  if (m == Method::rowspace)
    return std::make_unique<RowSpaceDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
  return std::make_unique<PlainDescent<T>>(source, X, y, std::move(a), std::move(W0), alpha);
}

template std::unique_ptr<Trainer<float>> make_trainer(Method, GradSource, const Tensor<float>&, const Tensor<float>&,
                                                      Tensor<float>, Tensor<float>, float);
template std::unique_ptr<Trainer<double>> make_trainer(Method, GradSource, const Tensor<double>&,
                                                       const Tensor<double>&, Tensor<double>, Tensor<double>, double);

}  // namespace rfa
