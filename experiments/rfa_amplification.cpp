// rfa-amplification: the paper's mechanism, "random feature amplification", measured step by step.
//
// Sizes: n training points, d dimensions, m neurons; W_t (m, d) after t steps; mu1, mu2 the cluster means.
// At init most neurons are weak random features of their own class's means (Lemmas 3, 4): the normalized
// correlation <w_j/||w_j||, mu> is of order 1/sqrt(d). One gradient step amplifies it to order 1 for every neuron
// of the sets J_mu (Lemma 12), which then fire on all of their own cluster and none of the opposite one
// (Condition 9), while staying nearly orthogonal to the other class's means (Condition 10), with ||w_j|| growing
// at most linearly (Lemma 14). After T = 1 + 1/(4 alpha) steps every clean training point is right and every
// flipped one wrong (Theorem 1), and the features have moved far from init (Proposition 2).
#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "args.hpp"
#include "atomic_file.hpp"
#include "blas.hpp"
#include "openblas.hpp"
#include "metrics.hpp"
#include "network.hpp"
#include "parallel.hpp"
#include "run_lock.hpp"
#include "run.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

struct Options {
  std::string profile = "default", out = "results/amplification", settings = "both";
  std::size_t steps = 0;
  std::uint64_t seed = 1;
  double c = 0.1, checkpoint_seconds = 60;
  int threads = cli::all_cores();
  std::size_t stop_at = 0;
  bool quiet = false;
};

struct Setting {
  std::string key, title;
  RunSpec spec;
};

// "fig2": Figure 2's (300, 5000) panel. "theory": closer to the theorem's assumptions A1-A7 with C = 16:
// sigma^2 = 1/(C^2 d), eta <= 1/C, omega^2 = 1/(C^4 m d), alpha in [1/(2 sqrt C), 1/sqrt C] (here 1/4), and d large
// against log^2 n.
std::vector<Setting> settings_for(const Options& o) {
  const bool quick = o.profile == "quick";
  std::vector<Setting> out;
  if (o.settings != "theory") {
    RunSpec s;
    s.n = quick ? 100 : 300, s.d = quick ? 2000 : 5000, s.m = quick ? 100 : 400, s.n_test = quick ? 1000 : 6000;
    s.sigma2 = std::pow(double(s.d), -1.2), s.eta = 0.15, s.flip = FlipMode::exact;
    s.alpha = 0.1, s.omega2 = 0.01 / (double(s.m) * double(s.d));
    s.steps = quick ? 40 : 2000;
    out.push_back({"fig2", "Figure 2 settings", s});
  }
  if (o.settings != "fig2") {
    const double C = 16;
    RunSpec s;
    s.n = quick ? 100 : 200, s.d = quick ? 4000 : 20000, s.m = quick ? 100 : 200, s.n_test = quick ? 1000 : 2000;
    s.sigma2 = 1 / (C * C * double(s.d)), s.eta = 0.05, s.flip = FlipMode::exact;
    s.alpha = 0.25, s.omega2 = 1 / (C * C * C * C * double(s.m) * double(s.d));
    s.steps = quick ? 40 : 2000;
    out.push_back({"theory", "near the assumptions of the theorem (C = 16)", s});
  }
  for (auto& st : out) {
    st.spec.seed = o.seed;
    st.spec.grad = GradSource::closed;
    st.spec.method = Method::automatic;
    if (o.steps) st.spec.steps = o.steps;
    st.spec.dense = 20, st.spec.per_decade = 10;  // every step through T and well past it, then 10 per decade
  }
  return out;
}

double normal_tail(double c) { return 0.5 * std::erfc(c / std::sqrt(2.0)); }  // P(Z >= c), Z ~ N(0, 1)

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// One neuron's view at one step.
struct NeuronStats {
  double norm, cos1, cos2, dot1, dot2;
};

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

struct JSet {
  std::string name;
  int cluster;        // the cluster index of its own mean (0 = +mu1, 1 = -mu1, 2 = +mu2, 3 = -mu2)
  std::vector<std::size_t> members;
};

// What the paper says of the network at init: the norms (Lemma 3) and the sets J (Lemma 4).
struct AtInit {
  std::size_t in_band = 0;             // neurons with ||w_j|| in [1/2, 3/2] omega sqrt(d)
  double dot_over_omega_median = NAN;  // median |<w_j, mu1>| / omega
  std::vector<JSet> J;
  std::size_t positive = 0, negative = 0;
  std::string hist0;                   // sqrt(d) <w_j/||w_j||, own class mean>, one neuron per line
};

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

// Rows of the step table.
struct StepRow {
  std::size_t t;
  double align_median, align_min;   // own-mean alignment <w_j/||w_j||, +-mu> over the J sets
  double cond9_share;               // J neurons active on all of their cluster, none of the opposite one
  double cond10_max;                // max |<w_j, other mean>| / (alpha |a_j|) over the J sets
  double lemma14_max;               // max ||w_j|| / (2 |a_j| alpha t)
  double frob_ratio;                // ||W||_F / (2 alpha t)
  Metrics m;
};

// The mechanism measured at each evaluation step of the run. What it has measured goes into the run's checkpoints
// (save/load), so that a resumed run reports the steps measured before the stop too.
class Tracker {
 public:
  Tracker(const RunSpec& spec, const Dataset<double>& train, const Tensor<double>& a, const Means& mu,
          const Tensor<double>& W0, const AtInit& init)
      : spec_(spec), train_(train), a_(a), mu_(mu), init_(init), T_(theorem_T(spec.alpha)),
        Z_(train.size(), spec.m), feat0_(train.size(), spec.m) {
    features(W0, feat0_);
  }

  static std::size_t theorem_T(double alpha) { return static_cast<std::size_t>(std::ceil(1 + 1 / (4 * alpha))); }
  std::size_t T() const { return T_; }

  void observe(const Tensor<double>& W, const Metrics& m) {
    const std::size_t t = m.step, M = spec_.m, N = train_.size();
    const std::vector<NeuronStats> s = neuron_stats(W, mu_);
    features(W, Z_);
    StepRow row{t, NAN, NAN, NAN, 0, 0, NAN, m};
    std::vector<double> own;
    std::size_t cond9 = 0, members = 0;
    for (const JSet& js : init_.J) {
      const double sign = js.cluster % 2 ? -1 : 1;
      const int opposite = js.cluster ^ 1;
      for (std::size_t j : js.members) {
        ++members;
        own.push_back(sign * (js.cluster < 2 ? s[j].cos1 : s[j].cos2));
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

  void save(Checkpoint& c) const {
    Tensor<double> rows(rows_.size(), 15);
    for (std::size_t k = 0; k < rows_.size(); ++k) {
      const StepRow& r = rows_[k];
      const double v[15] = {double(r.t), r.align_median, r.align_min, r.cond9_share, r.cond10_max, r.lemma14_max,
                            r.frob_ratio, double(r.m.step), r.m.loss, r.m.train_acc, r.m.train_clean_acc,
                            r.m.train_flipped_acc, r.m.test_acc, r.m.test_clean_acc, r.m.w_norm};
      std::copy(v, v + 15, rows.data() + 15 * k);
    }
    c.put("amplification_rows", rows);
    c.put("alignment_t1", vector_of(align1_));
    c.put("alignment_tT", vector_of(alignT_));
    c.put("feature_change", Tensor<double>{rel_change_min_, rel_change_median_});
  }

  void load(const Checkpoint& c) {
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

  const std::vector<StepRow>& rows() const { return rows_; }
  const std::vector<double>& align1() const { return align1_; }
  const std::vector<double>& alignT() const { return alignT_; }
  double rel_change_min() const { return rel_change_min_; }
  double rel_change_median() const { return rel_change_median_; }

 private:
  // Z (N,M) = X W^T: which neurons fire on which training points
  void features(const Tensor<double>& W, Tensor<double>& Z) const {
    const std::size_t N = train_.size(), M = W.rows(), D = W.cols();
    blas::parallel_gemm(blas::Trans::N, blas::Trans::T, N, M, D, 1.0, train_.X.data(), D, W.data(), D, 0.0, Z.data(), M);
  }
  static Tensor<double> vector_of(const std::vector<double>& v) {
    Tensor<double> t(v.size());
    std::copy(v.begin(), v.end(), t.begin());
    return t;
  }

  const RunSpec& spec_;
  const Dataset<double>& train_;
  const Tensor<double>& a_;
  const Means& mu_;
  const AtInit& init_;
  std::size_t T_;
  Tensor<double> Z_, feat0_;
  std::vector<StepRow> rows_;
  std::vector<double> align1_, alignT_;
  double rel_change_min_ = INFINITY, rel_change_median_ = NAN;
};

int run_setting(const Options& o, const Setting& st, std::vector<Claim>& claims, Json& summary, std::string& section) {
  const RunSpec& spec = st.spec;
  const std::string dir = o.out + "/" + st.key;
  const auto t0 = std::chrono::steady_clock::now();
  PreparedRun<double> r = prepare_run<double>(spec);
  const std::size_t M = spec.m, D = spec.d, N = spec.n;
  const double omega = std::sqrt(spec.omega2), sqrt_d = std::sqrt(double(D));
  const Tensor<double>& a = r.a;
  const AtInit init = at_init(r.W0, a, r.means, omega, o.c);
  const std::vector<JSet>& J = init.J;
  const std::size_t positive = init.positive, negative = init.negative, in_band = init.in_band;
  const double p_set = normal_tail(o.c);

  // ---- over training: the mechanism at every evaluation step
  Tracker tracker(spec, r.train, a, r.means, r.W0, init);
  const std::size_t T = tracker.T();
  RunOptions hooks;
  hooks.on_eval = [&](const Metrics& m) { tracker.observe(r.trainer->weights(), m); };
  hooks.save_extra = [&](Checkpoint& c) { tracker.save(c); };
  hooks.load_extra = [&](const Checkpoint& c) { tracker.load(c); };
  Json settings = spec.json();
  settings.add("c", o.c);
  const RunControl control{o.checkpoint_seconds, o.stop_at, o.quiet, st.key};
  train_in<double>("rfa-amplification", settings, *r.trainer, r.train, &r.test, spec.schedule(), dir, control, hooks);
  const std::vector<StepRow>& table = tracker.rows();
  const std::vector<double>&align1 = tracker.align1(), &alignT = tracker.alignT();
  const double rel_change_min = tracker.rel_change_min(), rel_change_median = tracker.rel_change_median();
  double cond10_until_T = 0, lemma14_max_all = 0, frob_max_all = 0;
  for (const StepRow& row : table) {
    if (row.t <= T) cond10_until_T = std::max(cond10_until_T, row.cond10_max);
    if (row.t >= 1) {
      lemma14_max_all = std::max(lemma14_max_all, row.lemma14_max);
      frob_max_all = std::max(frob_max_all, row.frob_ratio);
    }
  }
  std::string hist1 = "alignment_t1,alignment_tT\n";
  for (std::size_t k = 0; k < std::max(align1.size(), alignT.size()); ++k)
    hist1 += fmt::format("{},{}\n", k < align1.size() ? align1[k] : NAN, k < alignT.size() ? alignT[k] : NAN);

  // ---- Theorem 1 at T
  const StepRow* atT = nullptr;
  for (const auto& row : table)
    if (row.t == T) atT = &row;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string csv = "step,align_median,align_min,cond9_share,cond10_max,lemma14_max,frob_ratio,train_acc,"
                    "train_clean_acc,train_flipped_acc,test_acc,test_clean_acc\n";
  for (const auto& row : table)
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", row.t, row.align_median, row.align_min, row.cond9_share,
                       row.cond10_max, row.lemma14_max, row.frob_ratio, row.m.train_acc, row.m.train_clean_acc,
                       row.m.train_flipped_acc, row.m.test_acc, row.m.test_clean_acc);
  write_file_atomic(dir + "/amplification.csv", csv);
  write_file_atomic(dir + "/alignment_t0.csv", init.hist0);
  write_file_atomic(dir + "/alignment_t1_tT.csv", hist1);

  // ---- claims
  const std::string tag = st.key == "fig2" ? "Fig. 2 settings" : "theory settings";
  auto pct = [](double v) { return fmt::format("{:.1f}%", 100 * v); };
  std::string sets;
  bool sets_agree = true;
  for (const JSet& js : J) {
    const std::size_t base = js.cluster < 2 ? positive : negative;
    const double share = double(js.members.size()) / double(base);
    const double sd = std::sqrt(p_set * (1 - p_set) / double(base));
    sets_agree = sets_agree && std::abs(share - p_set) <= 3 * sd;
    sets += fmt::format("{} {}; ", js.name, pct(share));
  }
  const double union_pos = double(J[0].members.size() + J[1].members.size()) / double(positive);
  const std::string k = st.key;
  const double a0 = table.front().align_median, a1 = table.size() > 1 ? table[1].align_median : NAN;
  claims.push_back({"amp." + k + ".lemma3", "Lemma 3 (" + tag + "): at init ||w_j|| lies in [1/2, 3/2] omega sqrt(d)",
                    "all neurons, w.h.p.", pct(double(in_band) / double(M)) + " of neurons",
                    in_band == M ? "agree" : "disagree",
                    fmt::format("median |<w_j, mu1>| / omega = {:.3f} (Gaussian: 0.674): of order omega", init.dot_over_omega_median)});
  claims.push_back({"amp." + k + ".lemma4", "Lemma 4 (" + tag + "): the sets J_{+-mu1}, J_{+-mu2} at init",
                    fmt::format("each P(Z >= c) = {} of its half under a Gaussian init (c = {})", pct(p_set), o.c),
                    sets + fmt::format("positive neurons in J_{{+mu1}} or J_{{-mu1}}: {} (predicted {})", pct(union_pos), pct(2 * p_set)),
                    sets_agree ? "agree" : "disagree", "each share within 3 binomial standard deviations of the prediction"});
  claims.push_back({"amp." + k + ".lemma12", "Lemma 12 (" + tag + "): one step amplifies <w_j/||w_j||, mu> from order 1/sqrt(d) to order 1",
                    "order 1 after one step",
                    fmt::format("median over J: {:.4f} at t = 0 ({:.2f}/sqrt(d)), {:.3f} at t = 1 (min {:.3f})", a0, a0 * sqrt_d, a1,
                                table.size() > 1 ? table[1].align_min : NAN),
                    a1 >= 0.1 && a1 >= 10 * a0 ? "agree" : "disagree", "agree when the median reaches 0.1 and grows 10-fold"});
  claims.push_back({"amp." + k + ".cond9", "Condition 9 (" + tag + "): after one step each J neuron fires on all of its cluster and none of the opposite",
                    "all J neurons", table.size() > 1 ? pct(table[1].cond9_share) + " at t = 1" : "-",
                    table.size() > 1 && table[1].cond9_share >= 0.95 ? "agree" : "disagree", "on the training points; agree at >= 95%"});
  claims.push_back({"amp." + k + ".cond10", "Condition 10 (" + tag + "): J_{+-mu1} neurons stay almost orthogonal to mu2 (and vice versa)",
                    "|<w_j, other mean>| <= 3 alpha |a_j|", fmt::format("max ratio {:.3f} for t <= T = {}", cond10_until_T, T),
                    cond10_until_T <= 3 ? "agree" : "disagree", "ratio |<w_j, other mean>| / (alpha |a_j|)"});
  claims.push_back({"amp." + k + ".lemma14", "Lemma 14 (" + tag + "): ||w_j^(t)|| <= 2 |a_j| alpha t and ||W^(t)||_F <= 2 alpha t",
                    "ratios <= 1", fmt::format("max ratios {:.3f} (neurons) and {:.3f} (Frobenius) over t = 1..{}", lemma14_max_all, frob_max_all, spec.steps),
                    lemma14_max_all <= 1 && frob_max_all <= 1 ? "agree" : "disagree", "checked at every snapshot"});
  const double prop_scale = 1 / (omega * std::sqrt(double(M) * double(D)));
  claims.push_back({"amp." + k + ".prop2", "Proposition 2 (" + tag + "): features move far from init at T",
                    fmt::format(">= 1/(C omega sqrt(md)) = {:.3g}/C", prop_scale),
                    fmt::format("min over training points {:.3g}, median {:.3g} (implied C >= {:.3g})", rel_change_min, rel_change_median,
                                prop_scale / rel_change_min),
                    rel_change_min >= 1 ? "agree" : "partly", "||relu(W_T x) - relu(W_0 x)|| / ||relu(W_0 x)||; agree when the change exceeds the features' own size"});
  if (atT)
    claims.push_back({"amp." + k + ".thm1", fmt::format("Theorem 1 ({}): after T = 1 + 1/(4 alpha) -> {} steps, clean points right, flipped ones wrong", tag, T),
                      "100% and 100%",
                      fmt::format("clean {}, flipped misclassified {}; test {} (1 - eta = {})", pct(atT->m.train_clean_acc),
                                  pct(1 - atT->m.train_flipped_acc), pct(atT->m.test_acc), pct(1 - spec.eta)),
                      atT->m.train_clean_acc == 1 && atT->m.train_flipped_acc == 0 ? "agree" : "disagree", "on the training set"});

  Json j;
  j.add("settings", spec.json()).add("T", T).add("c", o.c).add("positive_neurons", positive).add("negative_neurons", negative)
      .add("norm_band_share", double(in_band) / double(M)).add("J_prediction", p_set)
      .add("J_plus_mu1", J[0].members.size()).add("J_minus_mu1", J[1].members.size())
      .add("J_plus_mu2", J[2].members.size()).add("J_minus_mu2", J[3].members.size())
      .add("alignment_median_t0", a0).add("alignment_median_t1", a1).add("cond10_max_until_T", cond10_until_T)
      .add("lemma14_max", lemma14_max_all).add("frob_ratio_max", frob_max_all).add("feature_change_min", rel_change_min)
      .add("feature_change_median", rel_change_median).add("wall_seconds_this_session", wall)
      .add("trainer", r.trainer->name());
  summary.add(st.key, j);

  // ---- figure: four panels
  const std::string body = fmt::format(R"(set datafile separator ','
set multiplot layout 2,2 title 'Random feature amplification, {title} (n = {n}, d = {d}, m = {m}, alpha = {alpha})'
set title 'at init: sqrt(d) <w_j/||w_j||, mu> (own class mean)'
set xlabel 'sqrt(d) x normalized correlation'
set ylabel 'density'
set style fill solid 0.5
binw = 0.25
bin(x) = binw * floor(x / binw) + binw / 2
set key top right
plot 'alignment_t0.csv' using (bin($1)):(1.0 / ({count} * binw)) smooth freq with boxes lc rgb '#1f4e9c' title 'neurons', \
     exp(-x*x/2) / sqrt(2*pi) with lines lw 2 lc rgb 'black' title 'N(0, 1)'
set title 'after 1 and T = {T} steps: <w_j/||w_j||, mu> over the J sets'
set xlabel 'normalized correlation with own mean'
set ylabel 'neurons'
binw = 0.02
plot 'alignment_t1_tT.csv' using (bin($1)):(1.0) smooth freq with boxes lc rgb '#c0392b' title 't = 1', \
     'alignment_t1_tT.csv' using (bin($2)):(1.0) smooth freq with boxes lc rgb '#27ae60' fs transparent solid 0.4 title 't = T'
set title 'alignment over training (median and min over J)'
set logscale x
set xlabel 'step (step 0 drawn at 0.5)'
set ylabel '<w_j/||w_j||, mu>'
set key bottom right
plot 'amplification.csv' using ($1 == 0 ? 0.5 : $1):2 with linespoints lw 2 pt 7 ps 0.5 title 'median', \
     '' using ($1 == 0 ? 0.5 : $1):3 with lines lw 1 dt 2 title 'min'
set title 'Condition 9 and accuracy'
set ylabel 'share'
set yrange [0:1.05]
plot 'amplification.csv' using ($1 == 0 ? 0.5 : $1):4 with linespoints lw 2 pt 7 ps 0.5 title 'J neurons meeting Condition 9', \
     '' using ($1 == 0 ? 0.5 : $1):9 with lines lw 2 title 'clean training points right', \
     '' using ($1 == 0 ? 0.5 : $1):10 with lines lw 2 dt 2 title 'flipped points agreeing with their (wrong) label'
unset multiplot)",
                                       fmt::arg("title", st.title), fmt::arg("n", N), fmt::arg("d", D), fmt::arg("m", M),
                                       fmt::arg("alpha", spec.alpha), fmt::arg("T", T),
                                       fmt::arg("count", positive + negative));
  const bool drawn = plot(dir, "amplification", plot_both("amplification", 1200, 900, body));
  section += fmt::format(
      "### {title}\n\n![amplification, {key}](amplification/{key}/amplification.png)\n\n"
      "n = {n}, d = {d}, m = {m}, sigma^2 = {s2:.3g}, eta = {eta} (exact flips), omega_init^2 = {om:.3g}, alpha = {alpha}, "
      "T = 1 + 1/(4 alpha) -> {T}, seed {seed}, c = {c}.\n\n"
      "| step | median alignment over J | min | J neurons meeting Condition 9 | clean train right | flipped misclassified |\n"
      "|---|---|---|---|---|---|\n",
      fmt::arg("title", st.title), fmt::arg("key", st.key), fmt::arg("n", N), fmt::arg("d", D), fmt::arg("m", M),
      fmt::arg("s2", spec.sigma2), fmt::arg("eta", spec.eta), fmt::arg("om", spec.omega2), fmt::arg("alpha", spec.alpha),
      fmt::arg("T", T), fmt::arg("seed", spec.seed), fmt::arg("c", o.c));
  for (const auto& r : table)
    if (r.t <= 5 || r.t == T || &r == &table.back())
      section += fmt::format("| {} | {:.4f} | {:.4f} | {:.1f}% | {:.1f}% | {:.1f}% |\n", r.t, r.align_median, r.align_min,
                             100 * r.cond9_share, 100 * r.m.train_clean_acc, 100 * (1 - r.m.train_flipped_acc));
  section += "\n";
  fmt::print("rfa-amplification: {}: {} steps in {}; alignment median {:.4f} -> {:.3f} after one step; Condition 9 at t = 1: {}\n",
             st.key, spec.steps, format_duration(wall), a0, a1, table.size() > 1 ? pct(table[1].cond9_share) : "-");
  return drawn ? 0 : EXIT_RUN_FAILED;
}

}  // namespace

int main(int argc, char** argv) {
  openblas::select_kernels(argv);
  install_stop_handlers();  // first: a Ctrl-C during the set-up stops the run before its first step
  Options o;
  cli::Args app{"rfa-amplification: measures the paper's mechanism over training (Lemmas 3, 4, 12, 14, Conditions 9 "
               "and 10, Proposition 2, Theorem 1) at Figure 2's settings and at settings closer to the theorem's "
               "assumptions. Writes, per setting in --out/<setting>/: amplification.csv (per snapshot step), "
               "alignment_t0.csv and alignment_t1_tT.csv (the distributions), amplification.png / .svg, and the run "
               "(metrics.csv, run.json, checkpoint.rfa); and summary.json, claims.tsv and section.md in --out. Stop "
               "with Ctrl-C and run the same command again to resume.",
               "rfa-amplification"};
  app.option("--profile", o.profile, "quick (small, for tests) or default; paper is the same as default");
  app.option("--out", o.out, "output directory");
  app.option("--settings", o.settings, "both, fig2 or theory");
  app.option("--steps", o.steps, "training steps to follow (default 2000; quick 40)", false);
  app.option("--seed", o.seed, "seed");
  app.option("--c", o.c, "the constant c of the sets J: <w_j/||w_j||, mu> >= c / sqrt(d) at init");
  app.option("--threads", o.threads, "threads [default: all cores]", false);
  app.option("--checkpoint-seconds", o.checkpoint_seconds, "seconds between checkpoints of each setting's run");
  app.option("--stop-at", o.stop_at,
             "stop each run at this step as Ctrl-C would (checkpoint, exit code 130); run again to continue", false);
  app.flag("--quiet", o.quiet, "no progress lines");
  if (auto rc = app.parse(argc, argv)) return *rc;
  return guarded_main("rfa-amplification", [&] {
    require_one_of("--profile", o.profile, {"quick", "default", "paper"});
    require_one_of("--settings", o.settings, {"both", "fig2", "theory"});
    require_positive("--c", o.c);
    require_positive("--checkpoint-seconds", o.checkpoint_seconds);
    cli::set_threads(o.threads);
    prepare_out_dir(o.out);
    DirLock lock(o.out);
    std::vector<Claim> claims;
    Json summary;
    summary.merge(provenance("rfa-amplification")).add("profile", o.profile);
    int rc = 0;
    std::string section =
        "## The mechanism: random feature amplification\n\n"
        "The alignment of a neuron is <w_j/||w_j||, mu> with the mean of its own set J (Lemma 4: positive neurons "
        "with mu1 or -mu1, negative ones with mu2 or -mu2, chosen at init by an alignment >= c/sqrt(d)). Condition 9: "
        "the neuron fires on every training point of its cluster and on none of the opposite cluster.\n\n";
    for (const Setting& st : settings_for(o)) rc = std::max(rc, run_setting(o, st, claims, summary, section));
    write_file_atomic(o.out + "/section.md", section);
    write_file_atomic(o.out + "/summary.json", summary.str() + "\n");
    write_claims(o.out + "/claims.tsv", claims);
    for (const Claim& c : claims) fmt::print("  {:<22} {:<9} {}\n", c.id, c.verdict, c.ours);
    return rc;
  });
}
