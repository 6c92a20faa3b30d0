#include "plain_shared_backward.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "blas.hpp"
#include "blocks.hpp"
#include "checkpoint.hpp"
#include "kernels.hpp"
#include "logistic.hpp"
#include "ops.hpp"
#include "parallel.hpp"

namespace rfa {

using blas::Trans;

namespace {
// Grouping weighs a differing entry at 2 rows of a shared product (as in patterns.cpp). A step shares its backward
// product when R + PLAIN_DIFF_COST * (differing entries) / N rows, the last ones fetched from memory one at a time,
// come to at most half of the M rows of the whole product. (Names distinct from patterns.cpp's: the sanitizer build
// compiles files together, tools/test.)
constexpr std::uint64_t PLAIN_GROUPING_DIFF_COST = 2, PLAIN_DIFF_COST = 4;
}  // namespace

template <typename T>
PlainSharedBackwardDescent<T>::PlainSharedBackwardDescent(GradSource source, const Tensor<T>& X, const Tensor<T>& y, Tensor<T> a,
                                            Tensor<T> W0, T alpha)
    : Trainer<T>(X, y, std::move(a)),
      source_(source),
      alpha_(alpha),
      N_(X.rows()),
      M_(this->a_.size()),
      D_(X.cols()),
      W_(std::move(W0)) {
  check_shape("PlainSharedBackwardDescent", "W0", W_.shape(), Shape::matrix(M_, D_));
  check_shape("PlainSharedBackwardDescent", "y", y.shape(), Shape::vector(N_));
  X_blocks_ = row_blocks(X, block_rows(N_, M_, D_, sizeof(T), threads()));
  Zb_.resize(Shape::matrix(X_blocks_.empty() ? 0 : X_blocks_[0].rows(), M_));
  S_.assign(M_ * N_, 0);
  u_.resize(Shape::vector(N_));
  fT_.resize(Shape::vector(N_));
  dW_.resize(Shape::matrix(M_, D_));
  loss_parts_.assign(MAX_PARTS, 0.0);
  if (N_ > UINT32_MAX || M_ > UINT32_MAX)
    throw ShapeError(fmt::format("PlainSharedBackwardDescent: {} points and {} neurons; at most 2^32 - 1 of each", N_, M_));
  diff_lists_.resize(MAX_PARTS);
  diff_seg_.assign((X_blocks_.size() + 1) * MAX_PARTS, 0);
  diff_start_.assign(M_ + 1, 0);
  diff_fill_.assign(M_, 0);
  words_ = (M_ + 63) / 64;
  Pref_bits_.assign(N_ * words_, 0);
  pattern_words_.assign(MAX_PARTS * words_, 0);
  grad_rows_.resize(Shape::matrix(MAX_PARTS, D_));
  W_grouped_ = W_;
}

template <typename T>
double PlainSharedBackwardDescent<T>::forward(bool whole) {
  const std::size_t N = N_, M = M_, D = D_;
  const T* y = this->y_.data();
  const bool closed = source_ == GradSource::closed;
  double loss = 0;
  std::size_t i0 = 0;
  for (std::size_t b = 0; b < X_blocks_.size(); ++b) {
    const Tensor<T>& Xb = X_blocks_[b];
    const std::size_t rows = Xb.rows();
    T* Z = Zb_.data();
    // Z_b (rows,M) = X_b (rows,D) W^T (D,M)
    blas::parallel_gemm(Trans::N, Trans::T, rows, M, D, T(1), Xb.data(), D, W_.data(), D, T(0), Z, M);
    // f_i = sum_j a_j relu(z_ij), u_i = dL/df_i and the loss (closed form); with `whole`, s_ji = 1[z_ij > 0] and
    // G_ij = u_i a_j s_ij written over z_ij; otherwise only the entries where s_ji differs from the reference.
    std::fill(loss_parts_.begin(), loss_parts_.end(), 0.0);
    for (std::size_t p = 0; p < MAX_PARTS; ++p) diff_seg_[b * MAX_PARTS + p] = diff_lists_[p].size();
    for_row_parts(rows, [&](std::size_t part, std::size_t r0, std::size_t r1) {
      double l = 0;
      for (std::size_t r = r0; r < r1; ++r) {
        const std::size_t i = i0 + r;
        T* z = Z + r * M;
        fT_[i] = kernels::relu_dot(z, this->a_.data(), M);
        if (whole) {
          std::uint8_t* si = S_.data() + i * M;
          for (std::size_t j = 0; j < M; ++j) si[j] = z[j] > T(0);
        } else {
          record_differences(i, z, pattern_words_.data() + part * words_, diff_lists_[part]);
        }
        if (!closed) continue;
        const LogisticTerm<T> term = logistic_term(fT_[i], y[i]);
        l += term.loss;
        u_[i] = term.dloss_df / T(N);
        if (whole) kernels::relu_outer_row(z, z, u_[i], this->a_.data(), M, true);
      }
      loss_parts_[part] = l;
    });
    for (double l : loss_parts_) loss += l;
    // dW (M,D) += G_b^T (M,rows) X_b (rows,D), or = for the first block
    if (whole && closed)
      blas::parallel_gemm(Trans::T, Trans::N, M, D, rows, T(1), Z, M, Xb.data(), D, b == 0 ? T(0) : T(1), dW_.data(),
                          D);
    i0 += rows;
  }
  for (std::size_t p = 0; p < MAX_PARTS; ++p) diff_seg_[X_blocks_.size() * MAX_PARTS + p] = diff_lists_[p].size();
  if (closed) return N ? loss / double(N) : 0.0;
  // The tape: u = dL/df with the loss recorded on f; a whole step then forms dW = G^T X from the patterns.
  tape_.clear();
  auto f = tape_.param(fT_);
  auto l = logistic_loss(tape_.constant(this->y_) * f);
  tape_.backward(l);
  u_ = tape_.grad(f);
  if (whole) {
    i0 = 0;
    for (std::size_t b = 0; b < X_blocks_.size(); ++b) {
      const Tensor<T>& Xb = X_blocks_[b];
      const std::size_t rows = Xb.rows();
      T* G = Zb_.data();
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < M; ++j) G[r * M + j] = S_[(i0 + r) * M + j] ? u_[i0 + r] * this->a_[j] : T(0);
      blas::parallel_gemm(Trans::T, Trans::N, M, D, rows, T(1), G, M, Xb.data(), D, b == 0 ? T(0) : T(1), dW_.data(),
                          D);
      i0 += rows;
    }
  }
  return double(l.value().item());
}

// Point i's entries that differ from their neurons' references, appended in order of neuron: 1[z_ij > 0] against
// the reference's entry (i, j), 64 neurons to a word (`s`, words_ words, is the worker's scratch row).
template <typename T>
void PlainSharedBackwardDescent<T>::record_differences(std::size_t i, const T* z, std::uint64_t* s,
                                                std::vector<Difference>& out) const {
  const std::uint64_t* p = Pref_bits_.data() + i * words_;
  kernels::positive_bits(z, s, M_);
  for (std::size_t w = 0; w < words_; ++w)
    for (std::uint64_t x = s[w] ^ p[w]; x != 0; x &= x - 1)
      out.push_back({std::uint32_t(i), std::uint32_t(64 * w + std::size_t(std::countr_zero(x)))});
}

template <typename T>
void PlainSharedBackwardDescent<T>::regroup(const Tensor<T>& W_now) {
  const std::size_t N = N_, M = M_;
  // S is by point (N,M); a shared step wants each point's reference entries too, as bits (N, words_).
  grouper_.group(S_.data(), M, N, PLAIN_GROUPING_DIFF_COST, groups_, 1, M);
  std::fill(Pref_bits_.begin(), Pref_bits_.end(), 0);
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = 0; j < M; ++j)
      if (groups_.P[groups_.ref_of[j] * N + i]) Pref_bits_[i * words_ + j / 64] |= std::uint64_t(1) << (j % 64);
  W_grouped_ = W_now;
  ++stats_.regroupings;
}

// Sharing pays when R + PLAIN_DIFF_COST * differing / N rows are at most half of the whole product's M rows.
template <typename T>
bool PlainSharedBackwardDescent<T>::pays(std::uint64_t differing) const {
  return 2 * (groups_.references() * N_ + PLAIN_DIFF_COST * differing) <= M_ * N_;
}

template <typename T>
void PlainSharedBackwardDescent<T>::shared_backward_step() {
  const std::size_t N = N_, M = M_, D = D_, R = groups_.references();
  const T* u = u_.data();
  const T* X = this->X_.data();
  // Y (R,D) = (P .* u) (R,N) X (N,D): X^T (u .* p_r) for every reference
  Pu_.resize(Shape::matrix(R, N));
  Y_.resize(Shape::matrix(R, D));
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t k = 0; k < N; ++k) Pu_[r * N + k] = groups_.P[r * N + k] ? u[k] : T(0);
  // split by columns over the workers: R is a handful of rows, too few to split (each part still reads all of P u)
  for_row_parts(D, [&](std::size_t, std::size_t c0, std::size_t c1) {
    blas::gemm(Trans::N, Trans::N, R, c1 - c0, N, T(1), Pu_.data(), N, X + c0, D, T(0), Y_.data() + c0, D);
  });
  // The differing entries by neuron, each neuron's in order of point k: the forward pass recorded them block by
  // block, each block's rows split into parts, so reading the parts block by block visits the points in order.
  std::fill(diff_start_.begin(), diff_start_.end(), 0);
  const std::size_t blocks = X_blocks_.size();
  std::uint64_t diffs = 0;
  for (std::size_t p = 0; p < MAX_PARTS; ++p) {
    for (const Difference& e : diff_lists_[p]) ++diff_start_[e.j + 1];
    diffs += diff_lists_[p].size();
  }
  for (std::size_t j = 0; j < M; ++j) diff_start_[j + 1] += diff_start_[j];
  diff_points_.resize(diffs);
  std::copy(diff_start_.begin(), diff_start_.end() - 1, diff_fill_.begin());
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t p = 0; p < MAX_PARTS; ++p)
      for (std::size_t e = diff_seg_[b * MAX_PARTS + p]; e < diff_seg_[(b + 1) * MAX_PARTS + p]; ++e) {
        const Difference& d = diff_lists_[p][e];
        diff_points_[diff_fill_[d.j]++] = d.k;
      }
  for (auto& list : diff_lists_) list.clear();
  // w_j -= alpha a_j (y_r(j) + sum over differing k of (s_jk - p_r(j)k) u_k x_k), the sum formed in a buffer per
  // worker in order of k; neurons split over the workers
  for_row_parts(M, [&](std::size_t part, std::size_t j0, std::size_t j1) {
    T* g = grad_rows_.data() + part * D;
    for (std::size_t j = j0; j < j1; ++j) {
      const std::size_t r = groups_.ref_of[j];
      std::copy(Y_.data() + r * D, Y_.data() + (r + 1) * D, g);
      for (std::size_t e = diff_start_[j]; e < diff_start_[j + 1]; ++e) {
        const std::size_t k = diff_points_[e];
        const bool p = (Pref_bits_[k * words_ + j / 64] >> (j % 64)) & 1;
        const T c = p ? -u[k] : u[k];  // s_jk - p_r(j)k is -1 where the reference has a 1
        const T* x = X + k * D;
        for (std::size_t q = 0; q < D; ++q) g[q] += c * x[q];
      }
      const T step = -alpha_ * this->a_[j];
      T* w = W_.data() + j * D;
      for (std::size_t q = 0; q < D; ++q) w[q] += step * g[q];
    }
  });
  stats_.references += R;
  stats_.differences += diffs;
  next_ =
      pays(diffs) ? share_next : regroup_next;  // otherwise the next step is whole, and chooses the references again
}

template <typename T>
double PlainSharedBackwardDescent<T>::step() {
  const bool refresh = steps_ % REFRESH == 0;
  const bool shared = next_ == share_next && !refresh;
  const double loss = forward(!shared);
  if (shared) {
    shared_backward_step();
  } else {
    // A whole step: W -= alpha dW with dW = G^T X from the blocks; the references chosen again from its patterns
    // when it is a REFRESH step, the last shared step asked for it, or sharing did not pay and RETRY steps passed.
    if (refresh || next_ == regroup_next || (next_ == whole_next && steps_ % RETRY == 0)) {
      regroup(W_);
      next_ = pays(groups_.differing) ? share_next : whole_next;
    }
    blas::parallel_axpy(W_.size(), -alpha_, dW_.data(), W_.data());
    ++stats_.whole_steps;
  }
  ++stats_.steps;
  ++steps_;
  return loss;
}

template <typename T>
void PlainSharedBackwardDescent<T>::patterns_of(const Tensor<T>& W) {
  const std::size_t M = M_, D = D_;
  std::size_t i0 = 0;
  for (const Tensor<T>& Xb : X_blocks_) {
    const std::size_t rows = Xb.rows();
    blas::parallel_gemm(Trans::N, Trans::T, rows, M, D, T(1), Xb.data(), D, W.data(), D, T(0), Zb_.data(), M);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < M; ++j) S_[(i0 + r) * M + j] = Zb_[r * M + j] > T(0);
    i0 += rows;
  }
}

template <typename T>
void PlainSharedBackwardDescent<T>::save(Checkpoint& c) {
  c.put("W", W_);
  c.put("W_grouped", W_grouped_);
  c.put_count("steps", steps_);
  c.put_count("next", next_);
}

template <typename T>
void PlainSharedBackwardDescent<T>::load(const Checkpoint& c) {
  c.get("W", W_);
  c.get("W_grouped", W_grouped_);
  steps_ = c.get_count("steps");
  const std::uint64_t next = c.get_count("next");
  if (next > regroup_next)
    throw CheckpointError(fmt::format("plain shared-pattern state: next is {}, not 0, 1 or 2", next));
  next_ = static_cast<Next>(next);
  // The references, chosen again from the patterns of the weights that chose them: the same ones.
  if (steps_ > 0) {
    patterns_of(W_grouped_);
    regroup(W_grouped_);
    --stats_.regroupings;  // not a choice this run made
  }
}

template class PlainSharedBackwardDescent<float>;
template class PlainSharedBackwardDescent<double>;

}  // namespace rfa
