// The experiment programs' quick profiles, run as a user runs them, with their outcomes asserted: Figure 1's
// fit of clean and flipped points, Figure 2's plateau at 1 - eta, the mechanism's J sets and one-step
// amplification, the linear baseline at chance; and a stopped Figure 2 run resumed gives the numbers of an
// uninterrupted one.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "cli_util.hpp"
#include "csv_util.hpp"
#include "equivalence.hpp"
#include "multirun.hpp"
#include "network.hpp"
#include "program.hpp"
#include "run_spec.hpp"

using namespace rfa;
using test::run_program;
using test::num;
using test::read_claims;
using test::read_table;
using test::row_where;
namespace fs = std::filesystem;

namespace {
// The last data row of a CSV file, as numbers (the first column may be text).
std::vector<double> last_row(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  std::vector<double> v;
  std::stringstream ss(last);
  for (std::string cell; std::getline(ss, cell, ',');) v.push_back(cell == "nan" ? NAN : std::atof(cell.c_str()));
  return v;
}

// A run's training accuracy at an evaluation step, from its metrics CSV (-1 when it has no such step).
double train_acc_at(const std::string& csv, double step) {
  for (const auto& row : read_table(csv))
    if (num(row, "step") == step) return num(row, "train_acc");
  return -1.0;
}

// A number in a JSON file: the first "key": value.
double json_number(const std::string& path, const std::string& key) {
  const std::string s = read_file(path), pat = "\"" + key + "\": ";
  const std::size_t at = s.find(pat);
  REQUIRE_MESSAGE(at != std::string::npos, key);
  return std::stod(s.substr(at + pat.size()));
}

void check_verdict(const std::map<std::string, std::pair<std::string, std::string>>& claims, const std::string& id,
                   const std::string& verdict) {
  CAPTURE(id);
  REQUIRE(claims.count(id) == 1);
  INFO(claims.at(id).first);
  CHECK(claims.at(id).second == verdict);
}

// Runs `program --profile quick` (plus `extra`) on one thread into dir/<out>, and requires it to succeed.
void run_quick(const std::string& program, const test::TempDir& dir, const std::string& out,
               const std::string& extra = "") {
  const auto r = run_program(program, "--profile quick --threads 1 --quiet " + extra + " --out " + dir / out);
  INFO(r.output);
  REQUIRE(r.code == 0);
}
}  // namespace

TEST_CASE("rfa-fig1 quick: every clean training point right, every flipped one wrong, a figure drawn") {
  test::TempDir dir("fig1");
  run_quick("rfa-fig1", dir, "fig1");
  const auto claims = read_claims(dir / "fig1/claims.tsv");
  check_verdict(claims, "fig1.clean", "agree");
  check_verdict(claims, "fig1.noisy", "agree");
  CHECK(claims.at("fig1.clean").first == "100.00%");
  for (const char* f : {"grid.csv", "points.csv", "metrics.csv", "summary.json", "W.npy", "fig1.png", "fig1.svg", "section.md"})
    CHECK_MESSAGE(fs::exists(dir / ("fig1/" + std::string(f))), f);
}

TEST_CASE("rfa-fig2 quick: after the jump the test accuracy sits near 1 - eta in both panels") {
  test::TempDir dir("fig2");
  run_quick("rfa-fig2", dir, "fig2", "--seeds 2");
  for (const char* panel : {"high", "low"}) {
    CAPTURE(panel);
    // columns: step, train_mean, train_min, train_max, test_mean, test_min, test_max, test_clean_mean, loss_mean,
    // train_flipped_mean, flow_time
    const std::vector<double> end = last_row(dir / ("fig2/" + std::string(panel) + ".csv"));
    REQUIRE(end.size() == 11);
    CHECK(end[0] == 300);
    CHECK(end[10] == doctest::Approx(30));  // flow time alpha t at the paper's alpha = 0.1
    CHECK(std::abs(end[4] - 0.85) <= 0.03);
    CHECK(end[7] >= 0.97);
    CHECK(end[2] <= end[1]);
    CHECK(end[1] <= end[3]);
  }
  const auto claims = read_claims(dir / "fig2/claims.tsv");
  check_verdict(claims, "fig2.high.plateau", "agree");
  check_verdict(claims, "fig2.low.plateau", "agree");
  CHECK(fs::exists(dir / "fig2/fig2.png"));
}

TEST_CASE("rfa-fig2: a run stopped midway and started again ends with the uninterrupted run's numbers") {
  test::TempDir dir("fig2_resume");
  const std::string args = "--profile quick --panels high --steps 400 --threads 1 --quiet --out ";
  REQUIRE(run_program("rfa-fig2", args + dir / "whole").code == 0);
  const auto stopped = run_program("rfa-fig2", args + dir / "parts" + " --stop-at 170");
  INFO(stopped.output);
  CHECK(stopped.code == 130);
  CHECK_FALSE(fs::exists(dir / "parts/high.csv"));  // no result file from an unfinished run
  CHECK(fs::exists(dir / "parts/high/seed-1/checkpoint.rfa"));
  // The stopped run's evaluations so far: the uninterrupted run's rows up to step 170, and the step it reached.
  const std::string whole = read_file(dir / "whole/high/seed-1/metrics.csv");
  std::string upto;  // the header and the rows of the steps <= 170
  for (std::size_t at = 0, next; at < whole.size(); at = next) {
    next = whole.find('\n', at) + 1;
    if (at > 0 && std::stoul(whole.substr(at)) > 170) break;
    upto += whole.substr(at, next - at);
  }
  CHECK(std::count(upto.begin(), upto.end(), '\n') > 2);
  CHECK(read_file(dir / "parts/high/seed-1/metrics-so-far.csv") == upto);
  CHECK(json_number(dir / "parts/high/seed-1/run-so-far.json", "stopped_at_step") == 170);
  REQUIRE(run_program("rfa-fig2", args + dir / "parts").code == 0);
  CHECK(read_file(dir / "parts/high.csv") == read_file(dir / "whole/high.csv"));
  CHECK(read_file(dir / "parts/high/seed-1/metrics.csv") == whole);
  CHECK_FALSE(fs::exists(dir / "parts/high/seed-1/metrics-so-far.csv"));  // the finished run's files replace it
  CHECK_FALSE(fs::exists(dir / "parts/high/seed-1/run-so-far.json"));
}

TEST_CASE("rfa-amplification quick: J sets as a Gaussian init predicts, one step amplifies, Theorem 1 holds") {
  test::TempDir dir("amp");
  run_quick("rfa-amplification", dir, "amp");
  // From the measurements, not from the verdicts the program writes about itself.
  for (const char* s : {"fig2", "theory"}) {
    const std::string k = s;
    CAPTURE(k);
    const auto table = read_table(dir / ("amp/" + k + "/amplification.csv"));
    const double alpha = k == "fig2" ? 0.1 : 0.25;
    const std::size_t T = static_cast<std::size_t>(std::ceil(1 + 1 / (4 * alpha)));
    // Theorem 1 at T: every clean training point right, every flipped one wrong (by its observed label).
    const auto atT = row_where(table, "step", std::to_string(T));
    CHECK(num(atT, "train_clean_acc") == 1.0);
    CHECK(num(atT, "train_flipped_acc") == 0.0);
    // Lemma 14: ||w_j|| <= 2 |a_j| alpha t and ||W||_F <= 2 alpha t at every step measured.
    for (const auto& row : table)
      if (num(row, "step") >= 1) {
        CHECK(num(row, "lemma14_max") <= 1.0);
        CHECK(num(row, "frob_ratio") <= 1.0);
      }
    // Lemma 4: each set J holds about P(Z >= c) of its half of the neurons (within 3 binomial sd).
    const std::string summary = dir / "amp/summary.json";
    const double p = json_number(summary, "J_prediction"), half = json_number(summary, "positive_neurons");
    for (const char* J : {"J_plus_mu1", "J_minus_mu1"})
      CHECK(std::abs(json_number(summary, J) / half - p) <= 3 * std::sqrt(p * (1 - p) / half));
  }
  // Near the theorem's assumptions, one step takes the alignment from order 1/sqrt(d) to order 1 (Lemma 12) and
  // every J neuron fires on all of its cluster and none of the opposite one (Condition 9).
  const auto theory = read_table(dir / "amp/theory/amplification.csv");
  const double a0 = num(row_where(theory, "step", "0"), "align_median"), a1 = num(row_where(theory, "step", "1"), "align_median");
  CHECK(a1 >= 0.1);
  CHECK(a1 >= 10 * a0);
  CHECK(num(row_where(theory, "step", "1"), "cond9_share") >= 0.95);
  CHECK(fs::exists(dir / "amp/theory/amplification.png"));
}

TEST_CASE("rfa-linear quick: the trained homogeneous linear classifier stays at chance, the 75% rule reaches 75%") {
  test::TempDir dir("linear");
  run_quick("rfa-linear", dir, "lin");
  const auto table = read_table(dir / "lin/linear.csv");
  REQUIRE(table.size() == 6);
  for (const auto& row : table) {
    CAPTURE(row.at("setting"));
    CAPTURE(row.at("model"));
    if (row.at("model") == "gd, homogeneous") CHECK(std::abs(num(row, "test_clean_acc") - 0.5) <= 0.05);
    if (row.at("model").rfind("rule", 0) == 0) CHECK(std::abs(num(row, "test_clean_acc") - 0.75) <= 0.05);
  }
  // With a bias, on Figure 1's data (n > d, so the loss has a minimiser): GD reaches the minimiser that Newton's
  // method finds, whose accuracy on one data set may be far from 50% (a fit to sampling noise) but whose mean over
  // data sets is 50%; the claim is two-sided about that mean.
  const auto bias = row_where(table, "model", "gd, with bias");
  CHECK(num(bias, "distance_to_optimum") <= 0.01 * num(bias, "optimum_w_norm"));
  CHECK(num(bias, "optimum_test_clean_acc") == doctest::Approx(num(bias, "test_clean_acc")).epsilon(0.01));
  CHECK(num(bias, "optimum_seeds") >= 20);
  CHECK(std::abs(num(bias, "optimum_seeds_mean") - 0.5) <= 0.05);
  CHECK(num(bias, "optimum_seeds_max") - num(bias, "optimum_seeds_min") > 0.1);  // one data set is no verdict
  const auto claims = read_claims(dir / "lin/claims.tsv");
  check_verdict(claims, "linear.fig1.bias", "agree");
  CHECK(claims.at("linear.fig1.bias").first.find("minimiser over") != std::string::npos);
  // It was trained: in d = 500 > n = 100 gradient descent lowers the loss from log 2 (w = 0) by fitting noise.
  const auto run = read_table(dir / "lin/fig2-homogeneous/metrics.csv");
  CHECK(num(run.front(), "loss") == doctest::Approx(std::log(2.0)).epsilon(1e-12));
  CHECK(num(run.back(), "loss") < 0.68);
}

TEST_CASE("rfa-sweep quick: every variant runs; with the paper's settings the jump comes within T = 3.5 steps") {
  test::TempDir dir("sweep");
  run_quick("rfa-sweep", dir, "sweep");
  std::istringstream in(read_file(dir / "sweep/sweep.csv"));
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  std::size_t rows = 1;
  for (std::string line; std::getline(in, line);) rows += !line.empty();
  CHECK(rows == 13);
  // variant,change,alpha,omega2,sigma2,flip,noise,dtype,steps,jump_step,...
  std::vector<std::string> f;
  std::stringstream ss(first);
  for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
  REQUIRE(f.size() >= 10);
  CHECK(f[0] == "\"paper\"");  // names are quoted: some hold commas
  CHECK(std::atoi(f[9].c_str()) <= 4);
}

TEST_CASE("every experiment program answers --help and refuses a bad profile") {
  for (const char* p : {"rfa-fig1", "rfa-fig2", "rfa-amplification", "rfa-linear", "rfa-sweep", "rfa-bench"}) {
    CAPTURE(p);
    const auto help = run_program(p, "--help");
    CHECK(help.code == 0);
    CHECK(help.output.find("Usage") != std::string::npos);
  }
  for (const char* p : {"rfa-fig1", "rfa-fig2", "rfa-amplification", "rfa-linear", "rfa-sweep"}) {
    CAPTURE(p);
    const auto bad = run_program(p, "--profile huge --out /tmp/rfa-never-written");
    CHECK(bad.code == 2);
    CHECK(bad.output.find("--profile must be one of quick, default, paper; got 'huge'") != std::string::npos);
    CHECK_FALSE(fs::exists("/tmp/rfa-never-written"));
  }
  const auto list = run_program("rfa-bench", "--shapes 10x2x5,12x3x4 --dtypes f64 --threads 1,2 --reps 3 --warmup 0");
  INFO(list.output);
  CHECK(list.code == 0);  // comma-separated values reach the program whole
  const auto bench = run_program("rfa-bench", "--shapes 10x1x5");
  CHECK(bench.code == 2);
  CHECK(bench.output.find("--shapes: '10x1x5'") != std::string::npos);
}

TEST_CASE("rfa-bench runs a tiny shape and prints its table") {
  test::TempDir dir("bench");
  const auto r = run_program("rfa-bench", "--shapes 200x50x20 --dtypes f64 --threads 1 --reps 3 --warmup 1 --all-rowspace --json " +
                                              dir / "bench.json");
  INFO(r.output);
  REQUIRE(r.code == 0);
  for (const char* m : {"gemm-rfa", "tape", "closed", "rowspace-tape", "rowspace-closed"}) CHECK(r.output.find(m) != std::string::npos);
  CHECK(read_file(dir / "bench.json").find("\"vs_closed\"") != std::string::npos);
}

TEST_CASE("a run's test set and init do not depend on the training set's size") {
  cli::RunSpec spec;
  spec.d = 30, spec.m = 6, spec.n_test = 200, spec.steps = 1, spec.sigma2 = 0.01, spec.alpha = 0.1, spec.omega2 = 0.01;
  spec.seed = 4;
  spec.n = 50;
  const cli::PreparedRun<double> small = cli::prepare_run<double>(spec);
  spec.n = 120;
  const cli::PreparedRun<double> large = cli::prepare_run<double>(spec);
  auto same = [](const Tensor<double>& a, const Tensor<double>& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
  };
  CHECK(same(small.test.X, large.test.X));
  CHECK(same(small.test.y, large.test.y));
  CHECK(same(small.W0, large.W0));
  CHECK(large.train.size() == 120);
}

TEST_CASE("every setting of a generated run is part of its fingerprint") {
  // The experiment programs resume a run only when the fingerprint matches, so a setting left out of it would let a
  // checkpoint made with another value be continued as if it were this run. (A new field of RunSpec belongs here.)
  cli::RunSpec base;
  base.n = 50, base.d = 30, base.m = 6, base.n_test = 200, base.steps = 10;
  base.sigma2 = 0.01, base.alpha = 0.1, base.omega2 = 0.01;
  std::vector<std::pair<const char*, void (*)(cli::RunSpec&)>> changes = {
      {"n", [](cli::RunSpec& s) { s.n = 51; }},
      {"d", [](cli::RunSpec& s) { s.d = 31; }},
      {"m", [](cli::RunSpec& s) { s.m = 7; }},
      {"n_test", [](cli::RunSpec& s) { s.n_test = 201; }},
      {"steps", [](cli::RunSpec& s) { s.steps = 11; }},
      {"sigma2", [](cli::RunSpec& s) { s.sigma2 = 0.02; }},
      {"eta", [](cli::RunSpec& s) { s.eta = 0.1; }},
      {"alpha", [](cli::RunSpec& s) { s.alpha = 0.2; }},
      {"omega2", [](cli::RunSpec& s) { s.omega2 = 0.02; }},
      {"flip", [](cli::RunSpec& s) { s.flip = FlipMode::prob; }},
      {"noise", [](cli::RunSpec& s) { s.noise = Noise::laplace; }},
      {"random_means", [](cli::RunSpec& s) { s.random_means = false; }},
      {"seed", [](cli::RunSpec& s) { s.seed = 2; }},
      {"dtype", [](cli::RunSpec& s) { s.dtype = "f32"; }},
      {"grad", [](cli::RunSpec& s) { s.grad = GradSource::closed; }},
      {"method", [](cli::RunSpec& s) { s.method = Method::plain; }},
      {"dense", [](cli::RunSpec& s) { s.dense = 101; }},
      {"per_decade", [](cli::RunSpec& s) { s.per_decade = 21; }},
      {"train_second_layer", [](cli::RunSpec& s) { s.train_second_layer = true; }},
      {"mean_norm", [](cli::RunSpec& s) { s.mean_norm = 2; }},
      {"random_signs", [](cli::RunSpec& s) { s.random_signs = true; }},
      {"schedule_alpha", [](cli::RunSpec& s) { s.schedule_alpha = 0.05; }},
      {"init", [](cli::RunSpec& s) { s.init = cli::Init::symmetric; }},
  };
  std::set<std::string> seen = {base.fingerprint()};
  for (const auto& [name, change] : changes) {
    CAPTURE(name);
    cli::RunSpec s = base;
    change(s);
    CHECK(seen.insert(s.fingerprint()).second);
  }
}

TEST_CASE("the means' norm r maps onto unit means: sigma2 / r^2, omega2 r^2, alpha r^2 give the same predictions") {
  // ReLU without bias is positively homogeneous: scaling x by 1/r and W by r leaves every <w_j, x_i> unchanged, and
  // then the gradient in W scales by 1/r, so the step must scale by r^2 for W to stay r times the other run's.
  const double r = 6;
  cli::RunSpec big;
  big.n = 40, big.d = 300, big.m = 30, big.n_test = 200, big.steps = 40, big.eta = 0.05, big.flip = FlipMode::prob;
  big.sigma2 = 1, big.mean_norm = r, big.omega2 = 1e-24, big.alpha = 1e-4, big.random_signs = true;
  big.method = Method::plain, big.grad = GradSource::closed, big.dense = 40;
  cli::RunSpec unit = big;
  unit.mean_norm = 1, unit.sigma2 = big.sigma2 / (r * r), unit.omega2 = big.omega2 * r * r, unit.alpha = big.alpha * r * r;
  auto train = [](const cli::RunSpec& s) {
    cli::PreparedRun<double> p = cli::prepare_run<double>(s);
    RunOptions opt;
    opt.schedule = s.schedule();
    std::vector<Metrics> rows = run_training(*p.trainer, p.train, &p.test, opt);
    return std::pair{rows, p.trainer->weights()};
  };
  const auto [rows_big, W_big] = train(big);
  const auto [rows_unit, W_unit] = train(unit);
  REQUIRE(rows_big.size() == rows_unit.size());
  bool learned = false;
  for (std::size_t k = 0; k < rows_big.size(); ++k) {
    CAPTURE(rows_big[k].step);
    CHECK(rows_big[k].train_acc == rows_unit[k].train_acc);
    CHECK(rows_big[k].test_clean_acc == rows_unit[k].test_clean_acc);
    learned |= rows_big[k].train_acc != rows_big[0].train_acc;
  }
  CHECK(learned);  // the runs move: the comparison is not between two frozen networks
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < W_big.size(); ++i)
    diff = std::max(diff, std::abs(W_unit.data()[i] - r * W_big.data()[i])), norm = std::max(norm, std::abs(W_unit.data()[i]));
  CHECK(diff <= 1e-9 * norm);
}

TEST_CASE("rfa-jump quick: every grid point run; within a step size the jump comes later for a larger init; a law") {
  test::TempDir dir("jump");
  run_quick("rfa-jump", dir, "jump");
  const auto table = read_table(dir / "jump/jump.csv");
  REQUIRE(table.size() == 6);  // 3 init variances x 2 steps
  // Per step size, in increasing omega^2: the jump step does not come earlier (a run that never jumped counts as
  // later than any that did).
  for (const char* alpha : {"0.01", "0.1"}) {
    CAPTURE(alpha);
    double last = 0;
    for (const auto& row : table) {
      if (row.at("alpha") != alpha) continue;
      const double jump = row.at("jumped") == "1" ? num(row, "jump_step") : 1e300;
      CHECK(jump >= last);
      last = jump;
    }
  }
  // The fit in summary.json: an exponent near 1, the law of the first-step estimate.
  const std::string summary = read_file(dir / "jump/summary.json");
  const auto k_at = summary.find("\"fit_k\": ");
  REQUIRE(k_at != std::string::npos);
  const double k = std::atof(summary.c_str() + k_at + 9);
  CHECK(k > 0.7);
  CHECK(k < 1.4);
  CHECK(fs::exists(dir / "jump/jump.png"));
  CHECK(fs::exists(dir / "jump/0.0005,0.1/metrics.csv"));
  // The shape before the jump. At step 0 every run predicts alike: one Gaussian draw scaled by omega, and the sign
  // of f does not depend on the scale. A run that jumps within the dense evaluations (every step to 100) has one
  // evaluation per step before it; distances are read off those, and none of these runs is flat (the quick panel
  // starts at 51.7% / 58.0%, and its noisy accuracy climbs before the clean-label jump).
  for (const auto& row : table) {
    CAPTURE(row.at("omega2"));
    CHECK(row.at("train_at_0") == table.front().at("train_at_0"));
    CHECK(row.at("test_at_0") == table.front().at("test_at_0"));
    if (row.at("jumped") == "1" && num(row, "jump_step") <= 100)
      CHECK(num(row, "evaluations_before_jump") == num(row, "jump_step"));
    CHECK(num(row, "max_distance_from_half") >= num(row, "mean_distance_from_half"));
    CHECK(num(row, "max_distance_from_half") >= std::abs(num(row, "test_at_0") - 0.5) - 1e-12);
    CHECK(row.at("flat") == "0");
  }
  CHECK(read_file(dir / "jump/section.md").find("| flat |") != std::string::npos);
}

TEST_CASE("rfa-onestep quick: one step's alignment over J follows the first-step estimate and a law linear in alpha/omega") {
  test::TempDir dir("onestep");
  run_quick("rfa-onestep", dir, "onestep");
  const auto table = read_table(dir / "onestep/onestep.csv");
  REQUIRE(table.size() == 24);  // 2 dimensions x 3 init scales x 2 steps x 2 seeds
  std::vector<double> rel;
  for (const auto& row : table) {
    CAPTURE(row.at("d"));
    CAPTURE(row.at("omega2_scale"));
    CAPTURE(row.at("alpha"));
    CHECK(num(row, "J_members") > 0);
    CHECK(num(row, "a0") > 0);
    CHECK(num(row, "a1") > num(row, "a0"));  // the step amplifies every grid point's alignment
    rel.push_back(std::abs(num(row, "a1") / num(row, "a1_estimate") - 1));
  }
  // The estimate, from the init alone, is close to the measured step at every point (it takes no step itself):
  // 5.5% at the median and 12.6% at worst on this small network (m = 40, n = 60); 0.8% and 8.9% by default.
  std::sort(rel.begin(), rel.end());
  CHECK(rel[rel.size() / 2] < 0.08);
  CHECK(rel.back() < 0.2);
  // The fitted law in the linear regime: the gain is linear in alpha and in 1/omega, and falls with d.
  const std::string summary = read_file(dir / "onestep/summary.json");
  auto field = [&](const std::string& key) {
    const auto at = summary.find("\"" + key + "\": ");
    REQUIRE(at != std::string::npos);
    return std::atof(summary.c_str() + at + key.size() + 4);
  };
  CHECK(field("fit_p_alpha") == doctest::Approx(1).epsilon(0.1));
  CHECK(field("fit_q_omega") == doctest::Approx(-1).epsilon(0.1));
  CHECK(field("fit_s_d") < -0.3);
  CHECK(field("fit_s_d") > -0.6);
  CHECK(field("fit_r2") > 0.98);
  CHECK(fs::exists(dir / "onestep/onestep.png"));
  const auto claims = read_claims(dir / "onestep/claims.tsv");
  REQUIRE(claims.count("onestep.law") == 1);
}

TEST_CASE("rfa-grouping quick: once the network has learned, its neurons' patterns share a few references") {
  test::TempDir dir("grouping");
  run_quick("rfa-grouping", dir, "grouping");
  const auto table = read_table(dir / "grouping/grouping.csv");
  REQUIRE(table.size() > 10);
  for (const auto& row : table) {
    CAPTURE(row.at("step"));
    CHECK(num(row, "references") >= 1);
    CHECK(num(row, "references") <= 40);  // at most one per neuron (m = 40 in quick)
    CHECK(num(row, "differing_share") >= 0);
    CHECK(num(row, "differing_share") <= 0.5);  // a reference is its group's majority pattern
  }
  // At the end (300 steps, test accuracy near 1 - eta): a few references, a step's product at under half its cost.
  const auto& last = table.back();
  CHECK(num(last, "step") == 300);
  CHECK(num(last, "references") <= 8);
  CHECK(num(last, "shared_cost_over_whole") < 0.5);
  CHECK(num(last, "test_acc") > 0.8);
}

TEST_CASE("a multi-run program in parts: --list-runs, --run-only, --gather and --jobs give the whole run's outputs") {
  test::TempDir dir("multirun");
  const std::string args = "--profile quick --seeds 2 --quiet ";
  const auto list = run_program("rfa-fig2", args + "--list-runs --out " + dir / "never");
  REQUIRE(list.code == 0);
  CHECK(list.output.find("0\thigh/seed-1\t{") == 0);
  CHECK(list.output.find("\n3\tlow/seed-2\t{") != std::string::npos);
  CHECK(std::count(list.output.begin(), list.output.end(), '\n') == 4);
  CHECK_FALSE(fs::exists(dir / "never"));
  // Whole, on one thread; in parts, each run alone and then gathered; in two processes of one thread each.
  REQUIRE(run_program("rfa-fig2", args + "--threads 1 --out " + dir / "whole").code == 0);
  for (int i = 0; i < 4; ++i)
    REQUIRE(run_program("rfa-fig2", args + "--threads 1 --run-only " + std::to_string(i) + " --out " + dir / "parts")
                .code == 0);
  CHECK_FALSE(fs::exists(dir / "parts/high.csv"));  // --run-only trains its run and writes nothing else
  REQUIRE(run_program("rfa-fig2", args + "--gather --out " + dir / "parts").code == 0);
  REQUIRE(run_program("rfa-fig2", args + "--threads 2 --jobs 2 --out " + dir / "jobs").code == 0);
  for (const char* f : {"high.csv", "low.csv", "high/seed-2/metrics.csv"}) {
    CAPTURE(f);
    CHECK(read_file(dir / "parts/" + f) == read_file(dir / "whole/" + f));
    CHECK(read_file(dir / "jobs/" + f) == read_file(dir / "whole/" + f));
  }
  // Gathering with runs missing names each of them, and builds nothing.
  REQUIRE(run_program("rfa-fig2", args + "--threads 1 --run-only 2 --out " + dir / "some").code == 0);
  const auto gather = run_program("rfa-fig2", args + "--gather --out " + dir / "some");
  CHECK(gather.code == 1);
  CHECK(gather.output.find("3 of 4 runs are missing or unfinished: 0 (high/seed-1), 1 (high/seed-2), 3 (low/seed-2)") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "some/high.csv"));
  const auto bad = run_program("rfa-fig2", args + "--run-only 4 --out " + dir / "some");
  CHECK(bad.code == 2);
  CHECK(bad.output.find("--run-only must be below 4") != std::string::npos);
  const auto both = run_program("rfa-fig2", args + "--gather --list-runs --out " + dir / "some");
  CHECK(both.code == 2);
  // The sweep and the jump grid have the same shape.
  const std::string sweep = run_program("rfa-sweep", "--profile quick --list-runs").output;
  CHECK(std::count(sweep.begin(), sweep.end(), '\n') == 13);
  const std::string jump = run_program("rfa-jump", "--profile quick --list-runs").output;
  CHECK(std::count(jump.begin(), jump.end(), '\n') == 6);
}

TEST_CASE("--init: each family's variance, the symmetric init's f = 0, and the refusals") {
  cli::RunSpec s = cli::figure2("high", "quick");  // (60, 1000), m = 40
  const double paper = s.omega2;
  // The Gaussians: the variance each sets, and the entries' sample variance (m d = 40000 entries: a relative standard
  // error of sqrt(2 / 40000) = 0.7%, so 5% is seven of them).
  for (auto [init, want] : {std::pair{cli::Init::gaussian, paper}, std::pair{cli::Init::unit, 1.0},
                            std::pair{cli::Init::lecun, 1.0 / double(s.d)}, std::pair{cli::Init::he, 2.0 / double(s.d)}}) {
    CAPTURE(cli::to_string(init));
    cli::RunSpec t = s;
    cli::set_init(t, init);
    CHECK(t.omega2 == doctest::Approx(want).epsilon(1e-12));
    const Tensor<double> W = cli::make_init<double>(t);
    double sum2 = 0;
    for (double w : W) sum2 += w * w;
    CHECK(sum2 / double(W.size()) == doctest::Approx(want).epsilon(0.05));
  }
  // Symmetric: the paper's variance, rows in mirrored pairs, and f(x; W0) = 0 exactly on the data (even m and odd m).
  for (std::size_t m : {40, 41}) {
    CAPTURE(m);
    cli::RunSpec t = s;
    t.m = m;
    cli::set_init(t, cli::Init::symmetric);
    CHECK(t.omega2 == paper);
    const Tensor<double> W = cli::make_init<double>(t), a = cli::make_second_layer<double>(t);
    const Tensor<double> drawn = init_weights<double>(m / 2, t.d, t.omega2, t.seed);
    for (std::size_t k = 0; k < t.d; ++k) {
      CHECK(W(0, k) == drawn(0, k));  // the first half as the Gaussian init draws it
      CHECK(W(m / 2, k) == W(0, k));
      CHECK(W(m / 2 - 1, k) == W(2 * (m / 2) - 1, k));
    }
    for (std::size_t j = 0; j < m / 2; ++j) CHECK(a[j] == -a[j + m / 2]);
    if (m % 2) CHECK(a[m - 1] == 0.0);
    // Each pair's contribution a_j relu(<w_j, x>) + a_j' relu(<w_j', x>) is exactly 0 (the same dot product, signs
    // opposite), so f = 0 exactly; network_outputs' fused sums, whose order depends on the kernels' lanes, give 0 to
    // rounding (terms about 1e-3, sums within 1e-15).
    const cli::RunData<double> data = cli::make_data<double>(t);
    for (std::size_t i = 0; i < data.train.X.rows(); ++i) {
      double fi = 0;
      for (std::size_t j = 0; j < m / 2; ++j) {
        double z1 = 0, z2 = 0;
        for (std::size_t k = 0; k < t.d; ++k) z1 += W(j, k) * data.train.X(i, k), z2 += W(j + m / 2, k) * data.train.X(i, k);
        fi += a[j] * std::max(z1, 0.0) + a[j + m / 2] * std::max(z2, 0.0);
      }
      CHECK(fi == 0.0);
    }
    Tensor<double> f, work;
    network_outputs(f, data.train.X, W, a, work);
    for (double v : f) CHECK(std::abs(v) <= 1e-15);
  }
  cli::RunSpec random = s;
  random.random_signs = true;
  CHECK_THROWS_AS(cli::set_init(random, cli::Init::symmetric), cli::UsageError);
  CHECK_THROWS_AS(cli::parse_init("xavier"), cli::UsageError);
  // On the command line: refused where a program cannot honour it, with a message and exit code 2.
  test::TempDir dir("init");
  const auto jump = run_program("rfa-jump", "--profile quick --init unit --out " + dir / "jump");
  CHECK(jump.code == 2);
  CHECK(jump.output.find("--init must be gaussian or symmetric") != std::string::npos);
  CHECK(run_program("rfa-grokking", "--profile quick --init symmetric --list-runs").code == 2);
  CHECK(run_program("rfa-fig2", "--profile quick --init xavier --list-runs").code == 2);
  const auto train = run_program("rfa-train", "--n 60 --d 8 --m 6 --n-test 50 --steps 5 --init unit --omega2 0.5");
  CHECK(train.code == 2);
  CHECK(train.output.find("--omega2 goes with gaussian or symmetric") != std::string::npos);
  // A Figure 2 run with the symmetric init: its own directory and CSV names, its init in run.json, and f = 0 at
  // step 0 (every prediction the same, so one class's share of accuracy).
  REQUIRE(run_program("rfa-fig2", "--profile quick --panels high --init symmetric --threads 1 --quiet --out " +
                                       dir / "sym").code == 0);
  CHECK(read_file(dir / "sym/high-init-symmetric/seed-1/run.json").find("\"init\": \"symmetric\"") !=
        std::string::npos);
  CHECK(fs::exists(dir / "sym/high-init-symmetric.csv"));
  // rfa-scale names another family's runs apart and records it; rfa-sweep changes its base, leaving out the
  // variants that set a variance unit, lecun and he fix.
  const auto scale = run_program("rfa-scale", "--profile quick --n 250 --seeds 1 --init lecun --list-runs");
  CHECK(scale.code == 0);
  CHECK(scale.output.find("250x15-f64-init-lecun/seed-1") != std::string::npos);
  CHECK(scale.output.find("\"init\": \"lecun\"") != std::string::npos);
  const auto sweep = run_program("rfa-sweep", "--profile quick --init unit --list-runs");
  CHECK(sweep.code == 0);
  CHECK(sweep.output.find("\"init\": \"unit\"") != std::string::npos);
  CHECK(sweep.output.find("omega2=") == std::string::npos);
  CHECK(run_program("rfa-sweep", "--profile quick --init symmetric --list-runs").output.find("omega2=1_d") !=
        std::string::npos);
}

TEST_CASE("the driver's helpers: with_dtype picks the type by name; read_started names the groups not started") {
  CHECK(cli::with_dtype("f32", []<class T> { return sizeof(T); }) == sizeof(float));
  CHECK(cli::with_dtype("f64", []<class T> { return sizeof(T); }) == sizeof(double));
  CHECK_THROWS_AS(cli::with_dtype("f16", []<class T> { return sizeof(T); }), cli::UsageError);
  // Groups 1 and 3 have started (read gives a value), 2 has not: it is named, in order, and left out.
  const std::vector<int> keys = {1, 2, 3};
  auto read = [](int k) { return k == 2 ? std::optional<int>() : std::optional<int>(10 * k); };
  auto name = [](int k) { return fmt::format("g{}", k); };
  const auto s = cli::read_started(keys, read, name, "out");
  CHECK(s.groups == std::vector<int>{10, 30});
  CHECK(s.not_started == "g2");
  const auto two = cli::read_started(std::vector<int>{2, 1, 2}, read, name, "out");
  CHECK(two.not_started == "g2, g2");
  CHECK_THROWS_AS(cli::read_started(std::vector<int>{2}, read, name, "out"), RunIncomplete);
}

TEST_CASE("rfa-scale quick: every size in double and float, a table at the horizon, and the precision compared") {
  test::TempDir dir("scale");
  run_quick("rfa-scale", dir, "scale", "--dtypes f64,f32 --seeds 1");
  const auto table = read_table(dir / "scale/scale.csv");
  REQUIRE(table.size() == 4);  // sizes 250 and 500, each in f64 and f32
  for (const auto& row : table) {
    CAPTURE(row.at("setting"));
    CHECK(num(row, "at_step") == 3000);
    CHECK(num(row, "test_clean_mean") > 0.95);  // the XOR rule learned
    CHECK(std::abs(num(row, "train_mean") - 0.85) < 0.03);  // on the plateau: the noisy labels not fitted yet
  }
  const std::string section = read_file(dir / "scale/section.md");
  CHECK(section.find("At n = 500 the f32 and f64 curves") != std::string::npos);
  CHECK(fs::exists(dir / "scale/scale.png"));
  CHECK(fs::exists(dir / "scale/500x30-f32/seed-1/metrics.csv"));
}

TEST_CASE("rfa-scale's test trend against n: fitted on the smaller sizes, carried to the largest, set beside it") {
  test::TempDir dir("trend");
  run_quick("rfa-scale", dir, "s", "--n 250,500,1000 --seeds 1 --dtypes f64");
  std::map<double, double> test_at;  // n -> test accuracy at the horizon (3000 steps, every size's)
  for (const auto& row : read_table(dir / "s/scale.csv")) test_at[num(row, "n")] = num(row, "test_mean");
  REQUIRE(test_at.size() == 3);
  const std::string summary = read_file(dir / "s/summary.json");
  auto field = [&](const std::string& key) {
    const auto at = summary.find("\"" + key + "\": ");
    REQUIRE(at != std::string::npos);
    return std::atof(summary.c_str() + at + key.size() + 4);
  };
  CHECK(field("test_trend_at_step") == 3000);
  CHECK(field("test_trend_sizes") == 2);  // n = 250 and 500; the largest, 1000, is what the law is checked on
  CHECK(field("test_trend_n") == 1000);
  // Two sizes: the law goes through both; its value at 1000 is the prediction; the measurement is n = 1000's.
  const double c = field("test_trend_c"), k = field("test_trend_k");
  CHECK(1 - c * std::pow(250.0, k) == doctest::Approx(test_at[250]).epsilon(1e-9));
  CHECK(1 - c * std::pow(500.0, k) == doctest::Approx(test_at[500]).epsilon(1e-9));
  CHECK(field("test_trend_predicted") == doctest::Approx(1 - c * std::pow(1000.0, k)).epsilon(1e-12));
  CHECK(field("test_trend_measured") == doctest::Approx(test_at[1000]).epsilon(1e-12));
  CHECK(read_file(dir / "s/section.md").find("which predicts") != std::string::npos);
}

TEST_CASE("rfa-scale's onset: each seed's first flipped label fitted after its jump, the median over the seeds") {
  test::TempDir dir("scale-onset");
  REQUIRE(run_program("rfa-scale", "--profile quick --n 200 --seeds 3 --steps 10000 --threads 1 --quiet --out " +
                                       dir / "s").code == 0);
  // Read off each run's metrics: after test_clean_acc >= 0.95 and an evaluation with no flipped label fitted, the
  // first with one.
  std::vector<double> firsts;
  for (int seed = 1; seed <= 3; ++seed) {
    bool jumped = false, none = false;
    double first = INFINITY;
    for (const auto& row : read_table(dir / ("s/200x12-f64/seed-" + std::to_string(seed) + "/metrics.csv"))) {
      jumped = jumped || num(row, "test_clean_acc") >= 0.95;
      if (!jumped) continue;
      if (num(row, "train_flipped_acc") == 0) none = true;
      else if (none) { first = num(row, "step"); break; }
    }
    firsts.push_back(first);
  }
  std::sort(firsts.begin(), firsts.end());
  REQUIRE(std::isfinite(firsts[1]));  // at this size and horizon at least two seeds fit one (else the test says less)
  CHECK(firsts[0] < firsts[1]);        // and not at the same step, so the median is not the earliest
  const auto table = read_table(dir / "s/scale.csv");
  REQUIRE(table.size() == 1);
  CHECK(num(table[0], "first_flipped_fit_at") == firsts[1]);
}

TEST_CASE("rfa-scale --gather-so-far: stopped runs count to their step, runs not started are named, rfa-fig2's counts") {
  test::TempDir dir("scale-so-far");
  const std::string args = "--profile quick --n 250,500 --seeds 2 --threads 1 --quiet --out " + dir / "s" + " ";
  // Run 0 (250, seed 1) finishes; run 1 (250, seed 2) stops at step 1000; run 2 (500, seed 1) at 2000; run 3 never
  // starts.
  REQUIRE(run_program("rfa-scale", args + "--run-only 0").code == 0);
  REQUIRE(run_program("rfa-scale", args + "--run-only 1 --stop-at 1000").code == 130);
  REQUIRE(run_program("rfa-scale", args + "--run-only 2 --stop-at 2000").code == 130);
  CHECK(run_program("rfa-scale", args + "--gather").code == 1);  // --gather still wants every run finished
  const auto so_far = run_program("rfa-scale", args + "--gather-so-far");
  REQUIRE_MESSAGE(so_far.code == 0, so_far.output);
  const auto table = read_table(dir / "s/scale.csv");
  REQUIRE(table.size() == 2);  // each size at its horizon only (short of 10^5)
  // A size's horizon is the last evaluation all its counted seeds reached (a stopped run's last one at or before
  // its stop), and its mean there is theirs.
  const double h250 = last_row(dir / "s/250x15-f64/seed-2/metrics-so-far.csv").at(0);
  const double h500 = last_row(dir / "s/500x30-f64/seed-1/metrics-so-far.csv").at(0);
  CHECK(h250 == 1000);  // --stop-at 1000 keeps the evaluation at step 1000
  CHECK(h500 > 1000);
  CHECK(h500 <= 2000);
  CHECK(table[0].at("setting") == "250x15-f64");
  CHECK(num(table[0], "seeds") == 2);
  CHECK(num(table[0], "horizon") == h250);
  CHECK(num(table[1], "seeds") == 1);
  CHECK(num(table[1], "horizon") == h500);
  const double one = train_acc_at(dir / "s/250x15-f64/seed-1/metrics.csv", h250),
               two = train_acc_at(dir / "s/250x15-f64/seed-2/metrics-so-far.csv", h250);
  REQUIRE(one > 0);
  REQUIRE(two > 0);
  CHECK(num(table[0], "train_mean") == doctest::Approx((one + two) / 2).epsilon(1e-12));
  const std::string section = read_file(dir / "s/section.md");
  CHECK(section.find("as far as it has got") != std::string::npos);
  CHECK(section.find("not started") == std::string::npos);  // every size has a run
  // A size none of whose runs started is left out and named; with none at all there is nothing to gather.
  REQUIRE(run_program("rfa-scale", "--profile quick --n 250,1000 --seeds 2 --threads 1 --quiet --gather-so-far --out " +
                                       dir / "s").code == 0);
  CHECK(read_file(dir / "s/section.md").find("not started: 1000x60-f64") != std::string::npos);
  const auto none = run_program("rfa-scale", "--profile quick --gather-so-far --out " + dir / "empty");
  CHECK(none.code == 1);
  CHECK(none.output.find("nothing to gather") != std::string::npos);
  CHECK(run_program("rfa-scale", args + "--gather-so-far --gather").code == 2);
  // rfa-fig2's quick low panel is rfa-scale's n = 1000 at the same settings: its checkpoint counts, with its numbers;
  // a checkpoint of other settings is refused, naming both.
  REQUIRE(run_program("rfa-fig2", "--profile quick --panels low --threads 1 --quiet --out " + dir / "fig2").code == 0);
  const std::string scale = "--profile quick --n 1000 --seeds 1 --threads 1 --out " + dir / "from-fig2" + " ";
  fs::create_directories(dir / "from-fig2/1000x60-f64/seed-1");
  fs::copy_file(dir / "fig2/low/seed-1/checkpoint.rfa", dir / "from-fig2/1000x60-f64/seed-1/checkpoint.rfa");
  REQUIRE(run_program("rfa-scale", scale + "--steps 300 --gather-so-far").code == 0);
  CHECK(last_row(dir / "from-fig2/1000x60-f64.csv") == last_row(dir / "fig2/low.csv"));
  const auto other = run_program("rfa-scale", scale + "--steps 400 --gather-so-far");
  CHECK(other.code != 0);
  CHECK(other.output.find("made with other settings") != std::string::npos);
}

TEST_CASE("rfa-fig2 --gather-so-far: a panel to the step all its seeds reached, a panel not started named") {
  test::TempDir dir("fig2-so-far");
  const std::string args = "--profile quick --seeds 2 --threads 1 --quiet --out " + dir / "f" + " ";
  // Runs: 0 high/seed-1, 1 high/seed-2, 2 low/seed-1, 3 low/seed-2. Run 0 finishes, run 1 stops at step 100, the
  // low panel never starts.
  REQUIRE(run_program("rfa-fig2", args + "--run-only 0").code == 0);
  REQUIRE(run_program("rfa-fig2", args + "--run-only 1 --stop-at 100").code == 130);
  CHECK(run_program("rfa-fig2", args + "--gather").code == 1);  // --gather still wants every run finished
  const auto so_far = run_program("rfa-fig2", args + "--gather-so-far");
  REQUIRE_MESSAGE(so_far.code == 0, so_far.output);
  const auto high = read_table(dir / "f/high.csv");
  REQUIRE_FALSE(high.empty());
  CHECK(num(high.back(), "step") == 100);  // the step both seeds reached
  const double one = train_acc_at(dir / "f/high/seed-1/metrics.csv", 100),
               two = train_acc_at(dir / "f/high/seed-2/metrics-so-far.csv", 100);
  REQUIRE(one > 0);
  REQUIRE(two > 0);
  CHECK(num(high.back(), "train_mean") == doctest::Approx((one + two) / 2).epsilon(1e-12));
  CHECK_FALSE(fs::exists(dir / "f/low.csv"));
  const std::string section = read_file(dir / "f/section.md");
  CHECK(section.find("Gathered so far") != std::string::npos);
  CHECK(section.find("not started: low") != std::string::npos);
  CHECK(read_file(dir / "f/summary.json").find("\"gathered_so_far\": true") != std::string::npos);
  CHECK(fs::exists(dir / "f/fig2.png"));
  // Over finished runs it builds what --gather builds.
  const std::string one_seed = "--profile quick --seeds 1 --panels high --threads 1 --quiet --out " + dir / "f" + " ";
  REQUIRE(run_program("rfa-fig2", one_seed + "--gather-so-far").code == 0);
  const std::string gathered_so_far = read_file(dir / "f/high.csv");
  REQUIRE(run_program("rfa-fig2", one_seed + "--gather").code == 0);
  CHECK(read_file(dir / "f/high.csv") == gathered_so_far);
  const auto none = run_program("rfa-fig2", "--profile quick --gather-so-far --out " + dir / "empty");
  CHECK(none.code == 1);
  CHECK(none.output.find("nothing to gather") != std::string::npos);
  CHECK(run_program("rfa-fig2", args + "--gather-so-far --run-only 0").code == 2);
}

TEST_CASE("rfa-grokking quick: overfitting first, grokking later, later for the smaller step, float beside double") {
  test::TempDir dir("grokking");
  run_quick("rfa-grokking", dir, "grokking");
  const auto claims = read_claims(dir / "grokking/claims.tsv");
  // The scaled-down runs show both phases (the point of the quick profile): every training label fitted after one
  // step with the test accuracy at chance, then the clean rule; the neurons split along their own mean only.
  check_verdict(claims, "grok.t1", "agree");
  check_verdict(claims, "grok.persists", "agree");
  check_verdict(claims, "grok.fast", "agree");
  check_verdict(claims, "grok.split", "agree");
  // The smaller step delays both phases.
  auto first_at = [&](const std::string& file, const std::string& column, double level) {
    for (const auto& row : read_table(dir / ("grokking/" + file)))
      if (num(row, column) >= level) return num(row, "step");
    return -1.0;
  };
  const double fast = first_at("curve-1e-12.csv", "test_median", 0.9), slow = first_at("curve-1e-16.csv", "test_median", 0.9);
  CHECK(fast >= 1);
  CHECK(slow > 10 * fast);
  CHECK(first_at("curve-1e-16.csv", "train_median", 1.0) > first_at("curve-1e-12.csv", "train_median", 1.0));
  // The runs use i.i.d. second-layer signs, and their records say so.
  const std::string summary = read_file(dir / "grokking/summary.json");
  CHECK(summary.find("precision_gap_test_1e-16") != std::string::npos);
  for (const char* f : {"grokking.png", "boundary.png", "hist-1e-12.png", "hist-1e-16.png", "boundary.csv", "neurons.csv",
                        "points.csv", "section.md", "alpha=1e-16/f32-seed-1/metrics.csv", "alpha=1e-12/f64-seed-3/run.json"})
    CHECK_MESSAGE(fs::exists(dir / ("grokking/" + std::string(f))), f);
  CHECK(read_file(dir / "grokking/alpha=1e-12/f64-seed-1/run.json").find("\"second_layer\": \"random\"") != std::string::npos);
}

TEST_CASE("rfa-grokking-timing quick: the step and the init's scale count only as their ratio; the means' norm moves "
          "the second phase alone") {
  test::TempDir dir("grokking-timing");
  run_quick("rfa-grokking-timing", dir, "timing");
  std::map<std::string, std::map<std::string, std::string>> v;
  for (const auto& row : read_table(dir / "timing/timing.csv")) v[row.at("variant")] = row;
  REQUIRE(v.size() == 14);
  for (const char* key : {"stated", "step-x1.8", "init-div-1.8", "loss-sum", "a-unit", "mean-x0.8", "mean-x1.25"}) {
    CAPTURE(key);
    REQUIRE(v.count(key) == 1);
    REQUIRE(!v[key].at("t_train").empty());  // every one of these reaches both phases in the quick horizon
    REQUIRE(!v[key].at("t_test").empty());
  }
  // While |f| is far below sigmoid's curvature the dynamics depend on alpha / omega alone: the init's standard
  // deviation / 1.8 gives step x1.8's times exactly, and both phases come 1.8 times sooner, seed by seed.
  CHECK(v["init-div-1.8"].at("t_train") == v["step-x1.8"].at("t_train"));
  CHECK(v["init-div-1.8"].at("t_test") == v["step-x1.8"].at("t_test"));
  CHECK(num(v["step-x1.8"], "train_ratio_to_stated") == doctest::Approx(1 / 1.8).epsilon(0.15));
  CHECK(num(v["step-x1.8"], "test_ratio_to_stated") == doctest::Approx(1 / 1.8).epsilon(0.15));
  // A summed loss is a step n = 40 times larger; a second layer of +-1, alpha / omega sqrt(m) = 10 times larger.
  CHECK(num(v["loss-sum"], "test_ratio_to_stated") < 0.06);
  CHECK(num(v["a-unit"], "test_ratio_to_stated") == doctest::Approx(0.1).epsilon(0.3));
  // The means' norm moves the second phase and leaves the first (fitting noise, of norm sqrt(p)) where it was.
  CHECK(num(v["mean-x1.25"], "test_ratio_to_stated") < 0.8);
  CHECK(num(v["mean-x0.8"], "test_ratio_to_stated") > 1.25);
  for (const char* key : {"mean-x0.8", "mean-x1.25"})
    CHECK(num(v[key], "train_ratio_to_stated") == doctest::Approx(1).epsilon(0.2));
  CHECK(read_table(dir / "timing/definitions.csv").size() == 5);
  const auto claims = read_claims(dir / "timing/claims.tsv");
  REQUIRE(claims.count("grok.timing") == 1);
  check_verdict(claims, "grok.timing", "untested");  // not the paper's sizes
  CHECK(claims.at("grok.timing").first.find(v["stated"].at("t_test")) != std::string::npos);
  CHECK(fs::exists(dir / "timing/timing.png"));
  // --variants runs those named and the stated settings beside them; an unknown name is refused.
  const auto r = run_program("rfa-grokking-timing", "--profile quick --variants eta-0 --list-runs --out " + dir / "l");
  CHECK(r.code == 0);
  CHECK(r.output.find("stated/seed-2") != std::string::npos);
  CHECK(r.output.find("eta-0/seed-1") != std::string::npos);
  CHECK(r.output.find("m-half") == std::string::npos);
  CHECK(run_program("rfa-grokking-timing", "--profile quick --variants nope --list-runs").code == 2);
}

TEST_CASE("rfa-both quick: each setting with the second layer fixed and trained; the trained a moved") {
  test::TempDir dir("both");
  run_quick("rfa-both", dir, "both");
  const auto table = read_table(dir / "both/both.csv");
  REQUIRE(table.size() == 4);
  for (const auto& row : table) {
    CAPTURE(row.at("setting"));
    CAPTURE(row.at("second_layer"));
    CHECK(num(row, "test_clean_end") > 0.95);
    CHECK(num(row, "aligned_end") >= 0);
    // The paper's mechanism measured at T on the sets J (double runs): an alignment of order 1, not the 1/sqrt(d)
    // of init, and Condition 9 for most of J.
    CHECK(num(row, "j_alignment_at_T") > 0.2);
    CHECK(num(row, "j_alignment_at_T") <= 1);
    CHECK(num(row, "condition9_at_T") > 0.5);
    CHECK(num(row, "condition9_at_T") <= 1);
  }
  // The trained runs are the plain step with a trained: their run.json names that trainer, and their a moved, so
  // their curves are not the fixed runs' (to the last digit).
  CHECK(read_file(dir / "both/fig1-both/run.json").find("gd-closed-both") != std::string::npos);
  CHECK(read_file(dir / "both/fig1-fixed/run.json").find("gd-closed\"") != std::string::npos);
  CHECK(read_file(dir / "both/fig1-both/metrics.csv") != read_file(dir / "both/fig1-fixed/metrics.csv"));
  CHECK(fs::exists(dir / "both/both.png"));
}

TEST_CASE("evaluations in flow time: runs at different alpha are evaluated at the same flow times") {
  // Figure 2's programs schedule evaluations at the flow times (alpha t) of the paper's schedule at alpha = 0.1, so
  // that a run at alpha = 10 compares with the paper's row by row. At the paper's alpha nothing changes.
  cli::RunSpec exact = cli::figure2_sized(500, 30, 40, 100);
  exact.schedule_alpha = cli::PAPER_ALPHA, exact.steps = 1000000;
  CHECK(exact.schedule() == eval_schedule(exact.steps, exact.dense, exact.per_decade));
  auto flows = [](const cli::RunSpec& s) {
    std::vector<double> f;
    for (std::size_t t : s.schedule()) f.push_back(s.flow(t));
    return f;
  };
  const std::vector<double> reference = flows(exact);
  for (double alpha : {1.0, 10.0, 20.0}) {
    CAPTURE(alpha);
    cli::RunSpec r = exact;
    r.alpha = alpha, r.steps = static_cast<std::size_t>(std::llround(exact.flow(exact.steps) / alpha));
    const std::vector<double> f = flows(r);
    CHECK(f.back() == doctest::Approx(reference.back()));  // the same horizon
    CHECK(r.fingerprint() != exact.fingerprint());
    // Every evaluation from flow time 50 alpha on is at one of the paper's flow times (within 1%: a whole step),
    // and the paper's evaluations from there on all have their rescaled row.
    std::size_t matched = 0, due = 0;
    for (double F : f) {
      if (F < 50 * alpha) continue;
      const auto near = std::min_element(reference.begin(), reference.end(),
                                         [&](double a, double b) { return std::abs(a - F) < std::abs(b - F); });
      CHECK(std::abs(*near - F) <= 0.01 * F);
      ++matched;
    }
    for (double F : reference) due += F >= 50 * alpha;
    CHECK(matched == due);
  }
}

TEST_CASE("step-size equivalence: deviations from the exact run against the seed spread, at matched flow times") {
  // Three exact seeds at alpha = 0.1 whose accuracies differ by 2 points; rescaled runs at alpha = 10 evaluated at
  // the same flow times (every 100th exact step).
  auto run = [](double alpha, std::uint64_t seed, std::size_t every, double offset) {
    cli::Trajectory t{alpha, seed, {}};
    for (std::size_t k = 0; k <= 100; ++k) {
      Metrics m;
      m.step = k * every;
      const double F = alpha * double(m.step);
      m.train_acc = 0.85 + 0.0001 * F + offset, m.test_acc = 0.85 - 0.0001 * F + offset, m.test_clean_acc = 0.99;
      t.rows.push_back(m);
    }
    return t;
  };
  std::vector<cli::Trajectory> exact;
  for (std::uint64_t s = 1; s <= 3; ++s) exact.push_back(run(0.1, s, 100, 0.01 * double(s - 1)));
  std::vector<cli::Trajectory> same;
  for (std::uint64_t s = 1; s <= 3; ++s) same.push_back(run(10, s, 1, 0.01 * double(s - 1)));
  const cli::Equivalence e = cli::compare_runs(exact, same, 10);
  CHECK(e.seeds == 3);
  CHECK(e.compared == 3 * 100);  // flow times 10 .. 1000 at alpha = 10, from the window's start at 10
  CHECK(e.deviation.max() == doctest::Approx(0).epsilon(1e-12));
  CHECK(e.spread.train == doctest::Approx(0.02));
  CHECK(e.stands_in());
  CHECK(std::isnan(e.exceeds_at));
  // One seed drifting off by 3 points from flow time 500 on: beyond the 2-point spread from there.
  std::vector<cli::Trajectory> drift = same;
  for (Metrics& m : drift[1].rows)
    if (10.0 * double(m.step) >= 500) m.test_acc += 0.03;
  const cli::Equivalence d = cli::compare_runs(exact, drift, 10);
  CHECK(d.deviation.test == doctest::Approx(0.03));
  CHECK_FALSE(d.stands_in());
  CHECK(d.exceeds_at == doctest::Approx(500));
  // Matched by flow time, not by step: read as if at alpha = 0.1, nothing lines up with the exact runs' flow times.
  std::vector<cli::Trajectory> by_step = same;
  for (cli::Trajectory& t : by_step) t.alpha = 0.1;
  CHECK(cli::compare_runs(exact, by_step, 10).compared < e.compared / 5);
  // With one exact seed the spread is the rescaled runs'.
  const cli::Equivalence one = cli::compare_runs({exact[0]}, same, 10);
  CHECK_FALSE(one.spread_from_exact);
  CHECK(one.spread.train == doctest::Approx(0.02));
}

TEST_CASE("rfa-fig2 --alpha: a rescaled run is named, evaluated in flow time, resumed to the same bytes, gathered") {
  test::TempDir dir("fig2_alpha");
  const std::string args = "--profile quick --panels low --alpha 1 --horizon-flow 40 --threads 1 --quiet --out ";
  REQUIRE(run_program("rfa-fig2", args + dir / "whole").code == 0);
  const std::string csv = read_file(dir / "whole/low-alpha1/seed-1/metrics.csv");
  CHECK(csv.rfind("step,", 0) == 0);
  CHECK(csv.substr(0, csv.find('\n')).find(",flow_time") != std::string::npos);
  CHECK(last_row(dir / "whole/low-alpha1/seed-1/metrics.csv").back() == 40);  // flow time 40 at step 40
  CHECK(read_file(dir / "whole/low-alpha1/seed-1/run.json").find("\"alpha\": 1,") != std::string::npos);
  CHECK(read_file(dir / "whole/section.md").find("step-size equivalence") != std::string::npos);
  const auto claims = read_claims(dir / "whole/claims.tsv");
  check_verdict(claims, "fig2.low.jump", "untested");  // too coarse a step to see the jump
  const auto stopped = run_program("rfa-fig2", args + dir / "parts --stop-at 17");
  CHECK(stopped.code == 130);
  REQUIRE(run_program("rfa-fig2", args + dir / "parts").code == 0);
  CHECK(read_file(dir / "parts/low-alpha1/seed-1/metrics.csv") == csv);
  CHECK(read_file(dir / "parts/low-alpha1.csv") == read_file(dir / "whole/low-alpha1.csv"));
  REQUIRE(run_program("rfa-fig2", args + dir / "parts --gather").code == 0);
  CHECK(read_file(dir / "parts/low-alpha1.csv") == read_file(dir / "whole/low-alpha1.csv"));
  // The paper's alpha keeps its names; another alpha never resumes the paper's run.
  for (const char* bad : {"0", "-1", "nan", "inf", "1e-300"}) {
    CAPTURE(bad);
    const auto r = run_program("rfa-fig2", "--profile quick --alpha " + std::string(bad) + " --out " + dir / "bad");
    CHECK(r.code == 2);
    CHECK(r.output.rfind("rfa-fig2: error: ", 0) == 0);
  }
  CHECK(run_program("rfa-fig2", "--profile quick --steps 10 --horizon-flow 5 --out " + dir / "bad").code == 2);
  CHECK_FALSE(fs::exists(dir / "bad"));
}

TEST_CASE("rfa-scale with several --alpha: the equivalence study's table, verdicts and figure, the same on gather") {
  test::TempDir dir("scale_alpha");
  const std::string args =
      "--profile quick --n 250 --seeds 2 --alpha 0.1,1,20 --horizon-flow 3000 --threads 1 --quiet --out ";
  REQUIRE(run_program("rfa-scale", args + dir / "s").code == 0);
  const auto rows = read_table(dir / "s/equivalence.csv");
  REQUIRE(rows.size() == 2);
  const auto one = row_where(rows, "alpha", "1"), twenty = row_where(rows, "alpha", "20");
  CHECK(num(one, "seeds") == 2);
  CHECK(num(one, "compared") > 20);
  // alpha = 1 follows the exact run after its jump. Each verdict is the comparison of the deviations with the
  // spread, over a window that starts a decade after the later jump (alpha = 20 jumps at flow time 40 at least).
  CHECK(num(one, "stands_in") == 1);
  CHECK(num(twenty, "window_from_flow") >= 400);
  CHECK(num(twenty, "first_flow") >= num(twenty, "window_from_flow"));
  CHECK(num(twenty, "compared") > 10);
  for (const auto& row : rows) {
    const bool within = num(row, "dev_train") <= num(row, "spread_train") &&
                        num(row, "dev_test") <= num(row, "spread_test") && num(row, "dev_clean") <= num(row, "spread_clean");
    CHECK(num(row, "stands_in") == (within ? 1 : 0));
  }
  const std::string section = read_file(dir / "s/section.md");
  CHECK(section.find("### Step-size equivalence") != std::string::npos);
  CHECK(section.find("alpha = 1: **stands in**") != std::string::npos);
  CHECK(fs::exists(dir / "s/equivalence.png"));
  const std::string table = read_file(dir / "s/equivalence.csv");
  REQUIRE(run_program("rfa-scale", args + dir / "s --gather").code == 0);
  CHECK(read_file(dir / "s/equivalence.csv") == table);
  CHECK(run_program("rfa-scale", "--profile quick --alpha 0.1,1 --steps 100 --out " + dir / "bad").code == 2);
  CHECK(run_program("rfa-scale", "--profile quick --alpha 0.1,0 --out " + dir / "bad").code == 2);
  CHECK_FALSE(fs::exists(dir / "bad"));
}
