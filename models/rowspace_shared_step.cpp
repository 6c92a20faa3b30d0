#include "rowspace_shared_step.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "blas.hpp"
#include "checkpoint.hpp"
#include "isa.hpp"
#include "kernels.hpp"
#include "ops.hpp"
#include "logistic.hpp"

namespace rfa {

using blas::Trans;

namespace {
// What a differing entry costs (N multiply-adds from memory, where rows of K are fetched one at a time) in units of
// the shared product's N multiply-adds per reference and row (at the matrix-product rate): measured, roughly.
// Grouping, though, is best chosen with a lower weight: more references do not remove the differences that come
// from entries flipping back and forth around 0, which every grouping pays.
constexpr std::uint64_t DIFF_COST = 8, GROUPING_DIFF_COST = 2;

// The two inner loops of a step, compiled per instruction set (support/isa.hpp).

// A block of neurons stepped together, so that a row of K serves every neuron of the block that needs it.
template <typename T>
struct NeuronBlock {
  static constexpr std::size_t MAX = 16;
  std::size_t count = 0;
  T* h[MAX];                    // (N) out: K (u .* s_j)
  const T* yref[MAX];           // (N) K (u .* p_r(j))
  const std::uint8_t* s[MAX];   // (N) s_j
  const std::uint8_t* p[MAX];   // (N) p_r(j)
  T* e[MAX];                    // (N) the sums of differences
  std::uint16_t* differs;       // (N) scratch
};

// For each neuron b of the block: h_b = yref_b + sum over k with s_bk != p_bk of (s_bk - p_bk) u_k K_k (K_k: row k
// of K (N,N)), and e_bk += (s_bk - p_bk) u_k there. Returns how many entries differ. Each h_b sums in order of k,
// so the result does not depend on how neurons are grouped into blocks.
template <typename T>
RFA_INLINE std::size_t block_product_impl(auto /* width */, const NeuronBlock<T>& nb, const T* u, const T* K, std::size_t N) {
  // Which entries differ, as one bit per neuron of the block for each k (MAX <= 16 bits).
  std::uint16_t* differs = nb.differs;
  std::fill(differs, differs + N, std::uint16_t(0));
  for (std::size_t b = 0; b < nb.count; ++b) {
    std::copy(nb.yref[b], nb.yref[b] + N, nb.h[b]);
    const std::uint8_t* s = nb.s[b];
    const std::uint8_t* p = nb.p[b];
    for (std::size_t k = 0; k < N; ++k) differs[k] |= static_cast<std::uint16_t>((s[k] != p[k]) << b);
  }
  std::size_t diffs = 0;
  for (std::size_t k = 0; k < N; ++k) {
    if (differs[k] == 0) continue;
    const T* __restrict Kk = K + k * N;
    for (unsigned bits = differs[k]; bits != 0; bits &= bits - 1) {
      const int b = std::countr_zero(bits);
      const T c = nb.s[b][k] ? u[k] : -u[k];  // (s_bk - p_bk) u_k
      nb.e[b][k] += c;
      T* __restrict h = nb.h[b];
      for (std::size_t i = 0; i < N; ++i) h[i] += c * Kk[i];
      ++diffs;
    }
  }
  return diffs;
}
RFA_KERNEL(std::size_t, block_product, (const NeuronBlock<double>& nb, const double* u, const double* K, std::size_t N),
           (nb, u, K, N), block_product_impl)
RFA_KERNEL(std::size_t, block_product, (const NeuronBlock<float>& nb, const float* u, const float* K, std::size_t N),
           (nb, u, K, N), block_product_impl)

// z -= alpha a_j h;  s = 1[z > 0];  f += a_j relu(z)   (all of length N)
template <typename T>
RFA_INLINE void neuron_update_impl(auto /* width */, T* __restrict z, std::uint8_t* __restrict s, double* __restrict f,
                               const T* __restrict h, T alpha, T aj, std::size_t N) {
  const T g = -alpha * aj;
  for (std::size_t k = 0; k < N; ++k) {
    const T zk = z[k] + g * h[k];
    z[k] = zk;
    s[k] = static_cast<std::uint8_t>(zk > T(0));
    f[k] += double(aj) * double(zk > T(0) ? zk : T(0));
  }
}
RFA_KERNEL(void, neuron_update, (double* z, std::uint8_t* s, double* f, const double* h, double alpha, double aj,
                                 std::size_t N), (z, s, f, h, alpha, aj, N), neuron_update_impl)
RFA_KERNEL(void, neuron_update, (float* z, std::uint8_t* s, double* f, const float* h, float alpha, float aj,
                                 std::size_t N), (z, s, f, h, alpha, aj, N), neuron_update_impl)
}  // namespace

template <typename T>
RowSpaceSharedStepDescent<T>::RowSpaceSharedStepDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a,
                                  Tensor<T> W0, T alpha)
    : Trainer<T>(X, y, std::move(a)), source_(source), alpha_(alpha), N_(X.rows()), M_(this->a_.size()),
      space_("shared-pattern training", X, W0) {
  const std::size_t N = N_, M = M_;
  check_shape("RowSpaceSharedStepDescent", "y", y.shape(), Shape::vector(N));
  check_shape("RowSpaceSharedStepDescent", "a", this->a_.shape(), Shape::vector(W0.rows()));
  C_.resize(Shape::matrix(M, N));
  C_.fill(T(0));
  C_current_ = true;
  E_.resize(Shape::matrix(M, N));
  U_.resize(Shape::vector(N));
  Zt_.resize(Shape::matrix(M, N));
  S_.assign(M * N, 0);
  u_.resize(Shape::vector(N));
  fT_.resize(Shape::vector(N));
  f_.assign(N, 0.0);
  f_parts_.assign(MAX_PARTS * N, 0.0);
  h_parts_.assign(MAX_PARTS * NeuronBlock<T>::MAX * N, T(0));
  differs_.assign(MAX_PARTS * N, 0);
  refresh();
}


template <typename T>
void RowSpaceSharedStepDescent<T>::choose_references() {
  const std::size_t N = N_, M = M_;
  grouper_.group(S_.data(), M, N, GROUPING_DIFF_COST, groups_);
  const std::size_t R = groups_.references();
  const std::uint64_t cost = N * R + DIFF_COST * groups_.differing;
  // Sharing must start at least twice as cheap as forming Z, since the patterns drift from the references;
  // otherwise the next steps form Z whole (dense_).
  dense_ = 2 * cost > N * M;
  dense_steps_ = 0;
  order_.resize(M);
  for (std::size_t j = 0; j < M; ++j) order_[j] = static_cast<std::uint32_t>(j);
  std::sort(order_.begin(), order_.end(), [&](std::uint32_t x, std::uint32_t y) {
    const std::uint32_t rx = groups_.ref_of[x], ry = groups_.ref_of[y];
    return rx != ry ? rx < ry : x < y;  // by reference, then by index
  });
  Pu_.resize(Shape::matrix(R, N));
  Yt_.resize(Shape::matrix(R, N));
}

template <typename T>
void RowSpaceSharedStepDescent<T>::refresh() {
  const std::size_t N = N_, M = M_;
  C_refresh_ = coefficients();
  E_.fill(T(0));
  U_.fill(T(0));
  since_refresh_ = 0;
  refresh_due_ = false;
  ++stats_.refreshes;
  // Z^T (M,N) = Z_0^T + C (M,N) K (N,N), its patterns, and f
  space_.pre_activations(C_, Zt_);
  for (std::size_t k = 0; k < M * N; ++k) S_[k] = Zt_[k] > T(0);
  outputs_by_neuron(Zt_, this->a_, f_, out_parts_);
  choose_references();
}

template <typename T>
double RowSpaceSharedStepDescent<T>::head() {
  const std::size_t N = N_;
  // u = dL/df (N) and the loss, from the f carried with Z
  for (std::size_t i = 0; i < N; ++i) fT_[i] = T(f_[i]);
  if (source_ == GradSource::closed) return logistic_head(fT_.data(), this->y_.data(), N, u_.data());
  tape_.clear();
  auto f = tape_.param(fT_);
  auto l = logistic_loss(tape_.constant(this->y_) * f);
  tape_.backward(l);
  u_ = tape_.grad(f);
  return double(l.value().item());
}

template <typename T>
double RowSpaceSharedStepDescent<T>::step() {
  if (refresh_due_ || (dense_ ? dense_steps_ == DENSE_WINDOW : since_refresh_ >= REFRESH)) refresh();
  W_current_ = false;
  const double loss = head();
  if (dense_) {
    dense_step();
    return loss;
  }
  const std::size_t N = N_, R = groups_.P.size() / N;
  C_current_ = false;
  for (std::size_t i = 0; i < N; ++i) U_[i] += u_[i];
  reference_products();
  const std::uint64_t diffs = shared_step();
  ++since_refresh_;
  ++stats_.steps;
  stats_.references += R;
  stats_.differences += diffs;
  // Patterns drift away from the references as training goes on. Once a step costs more than forming Z would,
  // form Z for a while (dense_); once it costs clearly more than the second and third steps after the last choice
  // did, choose again.
  const std::uint64_t cost = N * R + DIFF_COST * diffs;
  if (cost > N * M_)
    dense_ = true;
  else if (since_refresh_ <= 3)  // the first step still sees the patterns chosen from; entries near 0 flip after
    first_cost_ = since_refresh_ == 1 ? 0 : std::max(first_cost_, cost);
  else if (cost > 2 * first_cost_ + N * M_ / 32)
    refresh_due_ = true;
  return loss;
}

template <typename T>
void RowSpaceSharedStepDescent<T>::reference_products() {
  const std::size_t N = N_, R = groups_.P.size() / N;
  const T* u = u_.data();
  // Y^T (R,N) = (P .* u) (R,N) K (N,N): the references' products, columns split over the workers
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t k = 0; k < N; ++k) Pu_[r * N + k] = groups_.P[r * N + k] ? u[k] : T(0);
  const std::size_t col_parts = std::min<std::size_t>(static_cast<std::size_t>(workers_for(N / 64)), MAX_PARTS);
  const std::size_t cols = (N + col_parts - 1) / col_parts;
  parallel_for(col_parts, [&](std::size_t p, int) {
    const std::size_t c0 = p * cols;
    if (c0 >= N) return;
    blas::gemm(Trans::N, Trans::N, R, std::min(cols, N - c0), N, T(1), Pu_.data(), N, space_.K().data() + c0, N, T(0),
               Yt_.data() + c0, N);
  });
}

template <typename T>
std::uint64_t RowSpaceSharedStepDescent<T>::shared_step() {
  const std::size_t N = N_;
  const T* a = this->a_.data();
  // Neurons in blocks, in order of reference: h = K (u .* s_j) from the reference; then Z and S move, and the
  // part's share of f.
  diff_parts_.fill(0);
  for_row_parts(M_, [&](std::size_t p, std::size_t o0, std::size_t o1) {
    double* fp = f_parts_.data() + p * N;
    T* hp = h_parts_.data() + p * NeuronBlock<T>::MAX * N;
    std::fill(fp, fp + N, 0.0);
    std::uint64_t diffs = 0;
    NeuronBlock<T> nb;
    for (std::size_t o = o0; o < o1; o += NeuronBlock<T>::MAX) {
      nb.count = std::min(NeuronBlock<T>::MAX, o1 - o);
      for (std::size_t b = 0; b < nb.count; ++b) {
        const std::size_t j = order_[o + b], r = groups_.ref_of[j];
        nb.h[b] = hp + b * N;
        nb.yref[b] = Yt_.data() + r * N;
        nb.s[b] = S_.data() + j * N;
        nb.p[b] = groups_.P.data() + r * N;
        nb.e[b] = E_.data() + j * N;
      }
      nb.differs = differs_.data() + p * N;
      diffs += block_product(nb, u_.data(), space_.K().data(), N);
      for (std::size_t b = 0; b < nb.count; ++b) {
        const std::size_t j = order_[o + b];
        neuron_update(Zt_.data() + j * N, S_.data() + j * N, fp, nb.h[b], alpha_, a[j], N);
      }
    }
    diff_parts_[p] = diffs;
  });
  sum_f_parts();
  std::uint64_t diffs = 0;
  for (auto d : diff_parts_) diffs += d;
  return diffs;
}

template <typename T>
void RowSpaceSharedStepDescent<T>::sum_f_parts() {
  const std::size_t N = N_, parts = std::min<std::size_t>(MAX_PARTS, static_cast<std::size_t>(workers_for(M_ / 64)));
  std::copy(f_parts_.begin(), f_parts_.begin() + N, f_.begin());
  for (std::size_t p = 1; p < parts; ++p)
    for (std::size_t i = 0; i < N; ++i) f_[i] += f_parts_[p * N + i];
}

template <typename T>
void RowSpaceSharedStepDescent<T>::dense_step() {
  const std::size_t N = N_;
  const T* a = this->a_.data();
  const T* u = u_.data();
  coefficients();
  // Each part, on its neurons j0..j1: C_j += -alpha u .* a_j s_j; Z^T_j = Z_0^T_j + C_j K; s_j, and f's share.
  for_row_parts(M_, [&](std::size_t p, std::size_t j0, std::size_t j1) {
    for (std::size_t j = j0; j < j1; ++j) {
      T* c = C_.data() + j * N;
      const std::uint8_t* s = S_.data() + j * N;
      for (std::size_t k = 0; k < N; ++k) c[k] += (-alpha_ * u[k]) * a[j] * T(s[k]);
    }
    space_.pre_activations(C_, Zt_, j0, j1);
    double* fp = f_parts_.data() + p * N;
    std::fill(fp, fp + N, 0.0);
    for (std::size_t j = j0; j < j1; ++j) {
      const T* z = Zt_.data() + j * N;
      std::uint8_t* s = S_.data() + j * N;
      const double aj = double(a[j]);
      for (std::size_t k = 0; k < N; ++k) {
        s[k] = z[k] > T(0);
        fp[k] += aj * double(z[k] > T(0) ? z[k] : T(0));
      }
    }
  });
  sum_f_parts();
  ++since_refresh_;
  ++dense_steps_;
  ++stats_.steps;
  ++stats_.dense_steps;
}

template <typename T>
const Tensor<T>& RowSpaceSharedStepDescent<T>::coefficients() {
  if (!C_current_) {
    // C_j = C_j at the last refresh - alpha a_j (U .* p_r(j) + e_j): a step adds -alpha a_j u .* s_j, and s_j is
    // p_r(j) except where e_j took the difference.
    const std::size_t N = N_;
    for (std::size_t j = 0; j < M_; ++j) {
      const T g = -alpha_ * this->a_[j];
      const std::uint8_t* p = groups_.P.data() + groups_.ref_of[j] * N;
      for (std::size_t k = 0; k < N; ++k)
        C_[j * N + k] = C_refresh_[j * N + k] + g * ((p[k] ? U_[k] : T(0)) + E_[j * N + k]);
    }
    C_current_ = true;
  }
  return C_;
}

template <typename T>
const Tensor<T>& RowSpaceSharedStepDescent<T>::weights() {
  if (!W_current_) {
    space_.weights(coefficients(), W_);
    W_current_ = true;
  }
  return W_;
}

template <typename T>
double RowSpaceSharedStepDescent<T>::weight_norm() {
  return space_.norm(coefficients(), work_);
}

template <typename T>
void RowSpaceSharedStepDescent<T>::train_outputs(Tensor<T>& f) {
  space_.pre_activations(coefficients(), work_);
  outputs_by_neuron(work_, this->a_, out_f_, out_parts_);
  f.resize(Shape::vector(N_));
  for (std::size_t i = 0; i < N_; ++i) f[i] = T(out_f_[i]);
}

template <typename T>
void RowSpaceSharedStepDescent<T>::outputs(const Dataset<T>& data, Tensor<T>& f) {
  space_.outputs(data, coefficients(), this->a_, f);
}

template <typename T>
void RowSpaceSharedStepDescent<T>::save(Checkpoint& c) {
  c.put("C_refresh", C_refresh_);
  c.put_count("steps_since_refresh", since_refresh_);
}

template <typename T>
void RowSpaceSharedStepDescent<T>::load(const Checkpoint& c) {
  const std::uint64_t steps = c.get_count("steps_since_refresh");
  if (steps > REFRESH + DENSE_WINDOW)
    throw CheckpointError(fmt::format("shared-pattern state: {} steps since a refresh is more than the {} possible",
                                      steps, REFRESH + DENSE_WINDOW));
  c.get("C_refresh", C_);
  C_current_ = true;
  refresh();
  for (std::uint64_t s = 0; s < steps; ++s) step();
  W_current_ = false;
}

template class RowSpaceSharedStepDescent<float>;
template class RowSpaceSharedStepDescent<double>;

}  // namespace rfa
