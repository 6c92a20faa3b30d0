#include "trainer.hpp"

#include <fmt/format.h>

#include "errors.hpp"
#include "network.hpp"

namespace rfa {

GradSource parse_grad_source(const std::string& s) {
  if (s == "tape") return GradSource::tape;
  if (s == "closed") return GradSource::closed;
  throw InputError(fmt::format("gradient source must be tape or closed, got '{}'", s));
}

const char* to_string(GradSource g) { return g == GradSource::tape ? "tape" : "closed"; }

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
