#include "dataset.hpp"
#include "errors.hpp"

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

namespace rfa {

namespace {
std::uint64_t next_id() {
  static std::atomic<std::uint64_t> count{0};
  return ++count;
}
}  // namespace

template <typename T>
Dataset<T> make_dataset(const XorSample& s) {
  return Dataset<T>{cast<T>(s.X), cast<T>(s.y), cast<T>(s.y_clean), s.flipped, true, s.cluster, next_id()};
}

template <typename T>
Dataset<T> make_dataset(XorSample&& s) {
  if constexpr (std::is_same_v<T, double>) {
    return Dataset<T>{std::move(s.X), std::move(s.y), std::move(s.y_clean), std::move(s.flipped), true,
                      std::move(s.cluster), next_id()};
  } else {
    Dataset<T> d{cast<T>(s.X), cast<T>(s.y), cast<T>(s.y_clean), std::move(s.flipped), true, std::move(s.cluster),
                 next_id()};
    s.X = Tensor<double>();  // let the double copy go before the caller makes the next set
    return d;
  }
}

template <typename T>
void check_finite(const Tensor<T>& t, const std::string& what) {
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (std::isfinite(t[k])) continue;
    const std::string where = t.rank() == 1 ? fmt::format("{}", k) : fmt::format("({}, {})", k / t.cols(), k % t.cols());
    throw InputError(fmt::format("{}: entry {} is {}; every value must be finite", what, where, t[k]));
  }
}

template <typename T>
void check_labels(const Tensor<T>& y, const std::string& what) {
  for (std::size_t k = 0; k < y.size(); ++k)
    if (y[k] != T(1) && y[k] != T(-1))
      throw InputError(fmt::format("{}: entry {} is {}; labels must be -1 or +1", what, k, y[k]));
}

template <typename T>
Dataset<T> make_dataset(Tensor<T> X, Tensor<T> y, const std::string& source) {
  if (X.rank() != 2) throw InputError(fmt::format("{}: X must be a matrix (N, D), got shape {}", source, to_string(X.shape())));
  if (y.rank() != 1 || y.size() != X.rows())
    throw InputError(fmt::format("{}: X has shape {} so y must have shape ({}), got {}", source,
                                            to_string(X.shape()), X.rows(), to_string(y.shape())));
  if (X.rows() == 0) throw InputError(fmt::format("{}: the data set is empty", source));
  check_finite(X, source + " X");
  check_labels(y, source + " y");
  Dataset<T> d;
  d.y_clean = y;
  d.flipped.assign(y.size(), 0);
  d.X = std::move(X);
  d.y = std::move(y);
  d.clean_known = false;
  d.id = next_id();
  return d;
}

#define RFA_INSTANTIATE(T)                                                           \
  template Dataset<T> make_dataset<T>(const XorSample&);                             \
  template Dataset<T> make_dataset<T>(XorSample&&);                                  \
  template Dataset<T> make_dataset<T>(Tensor<T>, Tensor<T>, const std::string&);     \
  template void check_finite(const Tensor<T>&, const std::string&);                  \
  template void check_labels(const Tensor<T>&, const std::string&);
RFA_INSTANTIATE(float)
RFA_INSTANTIATE(double)
#undef RFA_INSTANTIATE

}  // namespace rfa
