// The paper's mechanism, "random feature amplification", as quantities measured on a training run.
//
// Sizes: n training points, d dimensions, m neurons; W_t (m, d) after t steps; mu1, mu2 the cluster means.
// At init most neurons are weak random features of their own class's means (Lemmas 3, 4): the normalized
// correlation <w_j/||w_j||, mu> is of order 1/sqrt(d). One gradient step amplifies it to order 1 for every neuron
// of the sets J_mu (Lemma 12), which then fire on all of their own cluster and none of the opposite one
// (Condition 9), while staying nearly orthogonal to the other class's means (Condition 10), with ||w_j|| growing
// at most linearly (Lemma 14). After T = 1 + 1/(4 alpha) steps every clean training point is right and every
// flipped one wrong (Theorem 1), and the features have moved far from init (Proposition 2).
#pragma once

#include <string>
#include <vector>

#include "checkpoint.hpp"
#include "dataset.hpp"
#include "run_spec.hpp"

namespace rfa::cli {

double normal_tail(double c);  // P(Z >= c), Z ~ N(0, 1)
double median(std::vector<double> v);

// One neuron's view at one step.
struct NeuronStats {
  double norm, cos1, cos2, dot1, dot2;  // ||w_j||, <w_j/||w_j||, mu1>, ... , <w_j, mu1>, <w_j, mu2>
};
std::vector<NeuronStats> neuron_stats(const Tensor<double>& W, const Means& mu);

struct JSet {
  std::string name;
  int cluster;  // the cluster index of its own mean (0 = +mu1, 1 = -mu1, 2 = +mu2, 3 = -mu2)
  std::vector<std::size_t> members;
};

// What the paper says of the network at init: the norms (Lemma 3) and the sets J (Lemma 4), with c the constant of
// the sets' threshold <w_j/||w_j||, mu> >= c / sqrt(d).
struct AtInit {
  std::size_t in_band = 0;             // neurons with ||w_j|| in [1/2, 3/2] omega sqrt(d)
  double dot_over_omega_median = NAN;  // median |<w_j, mu1>| / omega
  std::vector<JSet> J;
  std::size_t positive = 0, negative = 0;
  std::string hist0;                   // sqrt(d) <w_j/||w_j||, own class mean>, one neuron per line
};
AtInit at_init(const Tensor<double>& W0, const Tensor<double>& a, const Means& mu, double omega, double c);
// Each J member's alignment <w_j/||w_j||, own mean> (-mu for J_{-mu}), the sets in order, from its statistics s.
std::vector<double> own_alignments(const AtInit& init, const std::vector<NeuronStats>& s);

// The mechanism at one evaluation step.
struct StepRow {
  std::size_t t;
  double align_median, align_min;  // own-mean alignment <w_j/||w_j||, +-mu> over the J sets
  double cond9_share;              // J neurons active on all of their cluster, none of the opposite one
  double cond10_max;               // max |<w_j, other mean>| / (alpha |a_j|) over the J sets
  double lemma14_max;              // max ||w_j|| / (2 |a_j| alpha t)
  double frob_ratio;               // ||W||_F / (2 alpha t)
  Metrics m;
};

// The mechanism measured at each evaluation step of a run. What it has measured goes into the run's checkpoints
// (save/load), so that a resumed run reports the steps measured before the stop too.
class Tracker {
 public:
  Tracker(const RunSpec& spec, const Dataset<double>& train, const Tensor<double>& a, const Means& mu,
          const Tensor<double>& W0, const AtInit& init);
  static std::size_t theorem_T(double alpha);  // 1 + 1/(4 alpha), rounded up
  std::size_t T() const { return T_; }

  void observe(const Tensor<double>& W, const Metrics& m);
  void save(Checkpoint& c) const;
  void load(const Checkpoint& c);

  const std::vector<StepRow>& rows() const { return rows_; }
  const std::vector<double>& align1() const { return align1_; }  // alignments over J at t = 1
  const std::vector<double>& alignT() const { return alignT_; }  // ... and at t = T
  // Proposition 2 at T: ||relu(W_T x_i) - relu(W_0 x_i)|| / ||relu(W_0 x_i)|| over the training points.
  double rel_change_min() const { return rel_change_min_; }
  double rel_change_median() const { return rel_change_median_; }

 private:
  void features(const Tensor<double>& W, Tensor<double>& Z) const;  // Z (N,M) = X W^T

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

}  // namespace rfa::cli
