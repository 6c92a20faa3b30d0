#include "mechanism.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "blas.hpp"
#include "network.hpp"

namespace rfa::cli {

double normal_tail(double c) { return 0.5 * std::erfc(c / std::sqrt(2.0)); }  // P(Z >= c), Z ~ N(0, 1)

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

std::vector<NeuronStats> neuron_stats(const Tensor<double>& W, const Means& mu) {
  const std::size_t M = W.rows(), D = W.cols();
  std::vector<NeuronStats> s(M);
  for (std::size_t j = 0; j < M; ++j) {
    const double* w = W.data() + j * D;
    const double n = std::sqrt(blas::dot(D, w, w));
    const double d1 = blas::dot(D, w, mu.mu1.data()), d2 = blas::dot(D, w, mu.mu2.data());
    s[j] = {n, d1 / n, d2 / n, d1, d2};
  }
  return s;
}

AtInit at_init(const Tensor<double>& W0, const Tensor<double>& a, const Means& mu, double omega, double c) {
  const std::size_t M = W0.rows();
  const double sqrt_d = std::sqrt(double(W0.cols()));
  const std::vector<NeuronStats> s0 = neuron_stats(W0, mu);
  AtInit r;
  std::vector<double> dot_over_omega;
  for (const auto& s : s0) {
    r.in_band += s.norm >= 0.5 * omega * sqrt_d && s.norm <= 1.5 * omega * sqrt_d;
    dot_over_omega.push_back(std::abs(s.dot1) / omega);
  }
  r.dot_over_omega_median = median(dot_over_omega);
  const double threshold = c / sqrt_d;
  r.J = {{"J_{+mu1}", 0, {}}, {"J_{-mu1}", 1, {}}, {"J_{+mu2}", 2, {}}, {"J_{-mu2}", 3, {}}};
  r.hist0 = "scaled_alignment\n";
  for (std::size_t j = 0; j < M; ++j) {
    if (a[j] > 0) {
      ++r.positive;
      if (s0[j].cos1 >= threshold) r.J[0].members.push_back(j);
      if (-s0[j].cos1 >= threshold) r.J[1].members.push_back(j);
    } else if (a[j] < 0) {
      ++r.negative;
      if (s0[j].cos2 >= threshold) r.J[2].members.push_back(j);
      if (-s0[j].cos2 >= threshold) r.J[3].members.push_back(j);
    }
    if (a[j] != 0) r.hist0 += fmt::format("{}\n", sqrt_d * (a[j] > 0 ? s0[j].cos1 : s0[j].cos2));
  }
  return r;
}

std::vector<double> own_alignments(const AtInit& init, const std::vector<NeuronStats>& s) {
  std::vector<double> v;
  for (const JSet& js : init.J)
    for (std::size_t j : js.members) v.push_back((js.cluster % 2 ? -1 : 1) * (js.cluster < 2 ? s[j].cos1 : s[j].cos2));
  return v;
}

Tracker::Tracker(const RunSpec& spec, const Dataset<double>& train, const Tensor<double>& a, const Means& mu,
                 const Tensor<double>& W0, const AtInit& init)
    : spec_(spec), train_(train), a_(a), mu_(mu), init_(init), T_(theorem_T(spec.alpha)),
      Z_(train.size(), spec.m), feat0_(train.size(), spec.m) {
  features(W0, feat0_);
}

std::size_t Tracker::theorem_T(double alpha) { return static_cast<std::size_t>(std::ceil(1 + 1 / (4 * alpha))); }

void Tracker::features(const Tensor<double>& W, Tensor<double>& Z) const {
  const std::size_t N = train_.size(), M = W.rows(), D = W.cols();
  blas::parallel_gemm(blas::Trans::N, blas::Trans::T, N, M, D, 1.0, train_.X.data(), D, W.data(), D, 0.0, Z.data(), M);
}

void Tracker::observe(const Tensor<double>& W, const Metrics& m) {
  const std::size_t t = m.step, M = spec_.m, N = train_.size();
  const std::vector<NeuronStats> s = neuron_stats(W, mu_);
  features(W, Z_);
  StepRow row{t, NAN, NAN, NAN, 0, 0, NAN, m};
  const std::vector<double> own = own_alignments(init_, s);
  std::size_t cond9 = 0, members = 0;
  for (const JSet& js : init_.J) {
    const int opposite = js.cluster ^ 1;
    for (std::size_t j : js.members) {
      ++members;
      bool ok = true;
      for (std::size_t i = 0; i < N && ok; ++i) {
        const double z = Z_(i, j);
        if (train_.cluster[i] == js.cluster && !(z > 0)) ok = false;
        if (train_.cluster[i] == opposite && z > 0) ok = false;
      }
      cond9 += ok;
      const double other = js.cluster < 2 ? s[j].dot2 : s[j].dot1;
      row.cond10_max = std::max(row.cond10_max, std::abs(other) / (spec_.alpha * std::abs(a_[j])));
    }
  }
  row.align_median = median(own);
  row.align_min = own.empty() ? NAN : *std::min_element(own.begin(), own.end());
  row.cond9_share = members ? double(cond9) / double(members) : NAN;
  if (t >= 1) {
    for (std::size_t j = 0; j < M; ++j)
      if (a_[j] != 0) row.lemma14_max = std::max(row.lemma14_max, s[j].norm / (2 * std::abs(a_[j]) * spec_.alpha * double(t)));
    row.frob_ratio = frobenius_norm(W) / (2 * spec_.alpha * double(t));
  }
  if (t == 1) align1_ = own;
  if (t == T_) {
    alignT_ = own;
    // Proposition 2: ||relu(W_T x_i) - relu(W_0 x_i)|| / ||relu(W_0 x_i)|| for every training point.
    std::vector<double> rel;
    for (std::size_t i = 0; i < N; ++i) {
      double num = 0, den = 0;
      for (std::size_t j = 0; j < M; ++j) {
        const double r0 = std::max(feat0_(i, j), 0.0), r1 = std::max(Z_(i, j), 0.0);
        num += (r1 - r0) * (r1 - r0);
        den += r0 * r0;
      }
      rel.push_back(std::sqrt(num / den));
    }
    rel_change_min_ = *std::min_element(rel.begin(), rel.end());
    rel_change_median_ = median(rel);
  }
  rows_.push_back(row);
}

void Tracker::save(Checkpoint& c) const {
  Tensor<double> rows(rows_.size(), 15);
  for (std::size_t k = 0; k < rows_.size(); ++k) {
    const StepRow& r = rows_[k];
    const double v[15] = {double(r.t), r.align_median, r.align_min, r.cond9_share, r.cond10_max, r.lemma14_max,
                          r.frob_ratio, double(r.m.step), r.m.loss, r.m.train_acc, r.m.train_clean_acc,
                          r.m.train_flipped_acc, r.m.test_acc, r.m.test_clean_acc, r.m.w_norm};
    std::copy(v, v + 15, rows.data() + 15 * k);
  }
  c.put("amplification_rows", rows);
  auto vector_of = [](const std::vector<double>& v) {
    Tensor<double> t(v.size());
    std::copy(v.begin(), v.end(), t.begin());
    return t;
  };
  c.put("alignment_t1", vector_of(align1_));
  c.put("alignment_tT", vector_of(alignT_));
  c.put("feature_change", Tensor<double>{rel_change_min_, rel_change_median_});
}

void Tracker::load(const Checkpoint& c) {
  Tensor<double> rows, a1, aT, change;
  c.get("amplification_rows", rows);
  c.get("alignment_t1", a1);
  c.get("alignment_tT", aT);
  c.get("feature_change", change);
  if (rows.rank() != 2 || rows.cols() != 15 || change.size() != 2)
    throw CheckpointError("the checkpoint's amplification measurements have the wrong shape");
  rows_.clear();
  for (std::size_t k = 0; k < rows.rows(); ++k) {
    const double* v = rows.data() + 15 * k;
    Metrics m;
    m.step = std::size_t(v[7]), m.loss = v[8], m.train_acc = v[9], m.train_clean_acc = v[10];
    m.train_flipped_acc = v[11], m.test_acc = v[12], m.test_clean_acc = v[13], m.w_norm = v[14];
    rows_.push_back({std::size_t(v[0]), v[1], v[2], v[3], v[4], v[5], v[6], m});
  }
  align1_.assign(a1.begin(), a1.end());
  alignT_.assign(aT.begin(), aT.end());
  rel_change_min_ = change[0], rel_change_median_ = change[1];
}

}  // namespace rfa::cli
