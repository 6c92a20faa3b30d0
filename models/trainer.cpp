#include "trainer.hpp"

#include <fmt/format.h>

#include "errors.hpp"
#include "names.hpp"
#include "network.hpp"

namespace rfa {

namespace {
constexpr Names<GradSource, 2> GRAD_NAMES = {{{GradSource::tape, "tape"}, {GradSource::closed, "closed"}}};
}  // namespace

GradSource parse_grad_source(const std::string& s) { return value_of(GRAD_NAMES, s, "gradient source"); }
const char* to_string(GradSource g) { return name_of(GRAD_NAMES, g); }

template <typename T>
double Trainer<T>::weight_norm() {
  return frobenius_norm(weights());
}

template <typename T>
void Trainer<T>::train_outputs(Tensor<T>& f) {
  network_outputs(f, X_, weights(), a_, work_);
}

template <typename T>
void Trainer<T>::outputs(const Dataset<T>& data, Tensor<T>& f) {
  network_outputs(f, data.X, weights(), a_, work_);
}

template class Trainer<float>;
template class Trainer<double>;

}  // namespace rfa
