#include "linear.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "blas.hpp"
#include "checkpoint.hpp"
#include "ops.hpp"

namespace rfa {

template <typename T>
LinearDescent<T>::LinearDescent(const Tensor<T>& X, const Tensor<T>& y, bool bias, T alpha)
    : Trainer<T>(X, y, Tensor<T>()), bias_(bias), alpha_(alpha), w_(X.cols()), b_{T(0)} {
  check_shape("LinearDescent", "y", y.shape(), Shape::vector(X.rows()));
  w_.fill(T(0));
}

template <typename T>
double LinearDescent<T>::step() {
  tape_.clear();
  // L = logistic_loss(y .* (X w + b)), f (N) = X (N,D) w (D) + b
  auto w = tape_.param(w_);
  auto b = tape_.param(b_);
  auto f = matvec(tape_.constant(this->X_), w);
  if (bias_) f = broadcast_add(f, b);
  auto L = logistic_loss(tape_.constant(this->y_) * f);
  tape_.backward(L);
  blas::axpy(w_.size(), -alpha_, tape_.grad(w).data(), w_.data());
  if (bias_) b_[0] -= alpha_ * tape_.grad(b)[0];
  return L.value().item();
}

template <typename T>
void LinearDescent<T>::outputs(const Tensor<T>& X, Tensor<T>& f) {
  // f (K) = X (K,D) w (D) + b
  f.resize(Shape::vector(X.rows()));
  blas::gemv(blas::Trans::N, X.rows(), X.cols(), T(1), X.data(), X.cols(), w_.data(), T(0), f.data());
  for (T& v : f) v += b_[0];
}

template <typename T>
void LinearDescent<T>::save(Checkpoint& c) {
  c.put("w", w_);
  c.put("b", b_);
}

template <typename T>
void LinearDescent<T>::load(const Checkpoint& c) {
  c.get("w", w_);
  c.get("b", b_);
}

template class LinearDescent<float>;
template class LinearDescent<double>;

}  // namespace rfa

namespace rfa {

namespace {
// log(1 + e^-z) without overflow, and sigma(z) = 1 / (1 + e^-z).
double softplus_neg(double z) { return z > 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z)); }
double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

// Solves H step = g for the P x P symmetric positive definite H (P = g.size(); its lower triangle is read, and
// overwritten by its Cholesky factor). False, with step unset, when H is not positive definite.
bool cholesky_solve(std::vector<double>& H, const std::vector<double>& g, std::vector<double>& step) {
  const std::size_t P = g.size();
  for (std::size_t k = 0; k < P; ++k) {
    for (std::size_t l = 0; l < k; ++l) H[k * P + k] -= H[k * P + l] * H[k * P + l];
    if (!(H[k * P + k] > 0)) return false;
    H[k * P + k] = std::sqrt(H[k * P + k]);
    for (std::size_t r = k + 1; r < P; ++r) {
      for (std::size_t l = 0; l < k; ++l) H[r * P + k] -= H[r * P + l] * H[k * P + l];
      H[r * P + k] /= H[k * P + k];
    }
  }
  for (std::size_t k = 0; k < P; ++k) {
    double v = g[k];
    for (std::size_t l = 0; l < k; ++l) v -= H[k * P + l] * step[l];
    step[k] = v / H[k * P + k];
  }
  for (std::size_t k = P; k-- > 0;) {
    double v = step[k];
    for (std::size_t r = k + 1; r < P; ++r) v -= H[r * P + k] * step[r];
    step[k] = v / H[k * P + k];
  }
  return true;
}

}  // namespace

LogisticOptimum newton_logistic(const Tensor<double>& X, const Tensor<double>& y, bool bias, int max_iter) {
  // theta (P) = (w, b): P = D + 1 with a bias, D without; x~_i = (x_i, 1).
  const std::size_t n = X.rows(), D = X.cols(), P = D + (bias ? 1 : 0);
  check_shape("newton_logistic", "y", y.shape(), Shape::vector(n));
  if (D > 1000) throw std::invalid_argument("newton_logistic: D = " + std::to_string(D) + " is more than 1000");
  std::vector<double> theta(P, 0.0), g(P), H(P * P), step(P);
  auto feature = [&](std::size_t i, std::size_t k) { return k < D ? X.data()[i * D + k] : 1.0; };
  auto margin = [&](const std::vector<double>& th, std::size_t i) {
    double f = 0;
    for (std::size_t k = 0; k < P; ++k) f += th[k] * feature(i, k);
    return y[i] * f;
  };
  auto loss = [&](const std::vector<double>& th) {
    double L = 0;
    for (std::size_t i = 0; i < n; ++i) L += softplus_neg(margin(th, i));
    return L / double(n);
  };
  LogisticOptimum out;
  double L = loss(theta);
  for (out.iterations = 0; out.iterations < max_iter; ++out.iterations) {
    std::fill(g.begin(), g.end(), 0.0), std::fill(H.begin(), H.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double z = margin(theta, i), s = sigmoid(-z), c = sigmoid(z) * s / double(n);
      for (std::size_t k = 0; k < P; ++k) {
        g[k] -= y[i] * s * feature(i, k) / double(n);
        for (std::size_t l = 0; l <= k; ++l) H[k * P + l] += c * feature(i, k) * feature(i, l);
      }
    }
    double norm = 0;
    for (double v : g) norm += v * v;
    out.grad_norm = std::sqrt(norm);
    if (out.grad_norm < 1e-10) {
      // Separable data have no minimiser, only a direction along which the gradient fades: every margin positive.
      bool separated = true;
      for (std::size_t i = 0; i < n && separated; ++i) separated = margin(theta, i) > 0;
      out.converged = !separated;
      break;
    }
    // A singular H (separable data drive it to 0) ends the search.
    if (!cholesky_solve(H, g, step)) break;
    // Backtracking: halve the Newton step until the loss does not rise. Near the minimiser (Newton decrement g . step
    // below 1e-10) the loss's change is within the rounding of its sum over the points, and the full step is taken.
    double decrement = 0;
    for (std::size_t k = 0; k < P; ++k) decrement += g[k] * step[k];
    double t = 1;
    std::vector<double> next(P);
    for (int halvings = 0; halvings < 60; ++halvings, t /= 2) {
      if (decrement < 1e-10) {
        for (std::size_t k = 0; k < P; ++k) next[k] = theta[k] - step[k];
        break;
      }
      for (std::size_t k = 0; k < P; ++k) next[k] = theta[k] - t * step[k];
      if (loss(next) <= L) break;
    }
    theta = next;
    L = loss(theta);
  }
  out.loss = L;
  out.w = Tensor<double>(D);
  for (std::size_t k = 0; k < D; ++k) out.w[k] = theta[k];
  out.b = bias ? theta[D] : 0.0;
  return out;
}

}  // namespace rfa
