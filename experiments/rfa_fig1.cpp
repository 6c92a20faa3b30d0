// rfa-fig1: the paper's Figure 1. Trains the network on 2-d noisy XOR data (labels flipped with probability
// 15%) and draws the learned decision regions over [-1.75, 1.75]^2 with a subset of the training points, clean
// and flipped marked apart. Measures how close the boundary is to the diagonals |x1| = |x2|, and whether every
// clean point is fitted and every flipped one misclassified.
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "network.hpp"
#include "openblas.hpp"
#include "parallel.hpp"
#include "program.hpp"
#include "run.hpp"
#include "tensor_npy.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-fig1: the paper's Figure 1. Trains the network (d = 2, sigma^2 = 1/50, 15% of labels flipped with "
    "probability, n = 5000, m = 500, alpha = 0.05, omega_init^2 = 1/(32 m), T = 3000) and writes, in --out: "
    "metrics.csv (training over time), grid.csv (the decision function f on a grid over [-1.75, 1.75]^2), "
    "points.csv (a subset of the training points, clean and flipped), W.npy, summary.json, claims.tsv, section.md "
    "and the figure fig1.png / fig1.svg. Stop with Ctrl-C and run the same command again to resume.";

struct Options {
  CommonFlags common;
  std::size_t steps = 0, grid = 201, points = 1200;
  double extent = 1.75;
};

// What the run measured, for the report.
struct Outcome {
  RunSpec spec;
  std::string trainer;
  Metrics last;
  std::size_t flipped = 0, stride = 1;
  double diagonal_share = 0, wall = 0;
};

// The decision function on a G x G grid over [-e, e]^2 (grid.csv), and the share of it classified as
// sgn(|x1| - |x2|): the pair of diagonals.
template <typename T>
double decision_grid(const Options& o, const Tensor<T>& W, const Tensor<T>& a) {
  const std::size_t G = o.grid;
  Tensor<T> grid(G * G, 2), f, work;
  for (std::size_t i = 0; i < G; ++i)
    for (std::size_t j = 0; j < G; ++j) {
      grid(i * G + j, 0) = T(-o.extent + 2 * o.extent * double(j) / double(G - 1));
      grid(i * G + j, 1) = T(-o.extent + 2 * o.extent * double(i) / double(G - 1));
    }
  network_outputs(f, grid, W, a, work);
  std::size_t agree = 0, counted = 0;
  std::string csv = "x1,x2,f\n";
  for (std::size_t k = 0; k < G * G; ++k) {
    const double x1 = grid(k, 0), x2 = grid(k, 1);
    csv += fmt::format("{},{},{}\n", x1, x2, double(f[k]));
    if (std::abs(x1) == std::abs(x2)) continue;  // on the diagonals themselves either side is right
    ++counted;
    agree += (f[k] > 0) == (std::abs(x1) > std::abs(x2));
  }
  write_file_atomic(o.common.out + "/grid.csv", csv);
  return double(agree) / double(counted);
}

// Every stride-th training point (points.csv), with its observed and clean labels; returns the stride.
template <typename T>
std::size_t training_points(const Options& o, const Dataset<T>& train) {
  std::string csv = "x1,x2,observed_label,clean_label,flipped\n";
  const std::size_t stride = std::max<std::size_t>(1, train.size() / o.points);
  for (std::size_t i = 0; i < train.size(); i += stride)
    csv += fmt::format("{},{},{},{},{}\n", double(train.X(i, 0)), double(train.X(i, 1)), double(train.y[i]),
                       double(train.y_clean[i]), int(train.flipped[i]));
  write_file_atomic(o.common.out + "/points.csv", csv);
  return stride;
}

template <typename T>
Outcome run(const Options& o) {
  Outcome out;
  out.spec = figure1(o.common.profile);
  out.spec.seed = o.common.seed, out.spec.dtype = o.common.dtype, out.spec.grad = o.common.gradient();
  if (o.steps) out.spec.steps = o.steps;
  o.common.apply_init(out.spec);
  PreparedRun<T> r = prepare_run<T>(out.spec);
  // The run's own directory is --out itself (locked by Program::run): its checkpoint, metrics.csv and run.json sit
  // beside the figure.
  RunControl control = o.common.control;
  control.label = "Figure 1", control.lock = false;
  const auto t0 = std::chrono::steady_clock::now();
  out.last = train_in<T>("rfa-fig1", out.spec, r, o.common.out, control).back();
  out.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.trainer = r.trainer->name();
  out.diagonal_share = decision_grid(o, r.trainer->weights(), r.a);
  out.stride = training_points(o, r.train);
  for (auto v : r.train.flipped) out.flipped += v;
  write_npy(o.common.out + "/W.npy", r.trainer->weights());
  return out;
}

std::vector<Claim> claims(const Options& o, const Outcome& r) {
  const double clean_fit = r.last.train_clean_acc, flipped_wrong = 1 - r.last.train_flipped_acc;
  return {
      paper_claim("fig1.clean", {}, fmt::format("{:.2f}%", 100 * clean_fit),
                  verdict(paper_value("fig1.clean"), clean_fit),
                  fmt::format("{} clean training points, after {} steps", r.spec.n - r.flipped, r.spec.steps)),
      paper_claim("fig1.noisy", {}, fmt::format("{:.2f}%", 100 * flipped_wrong),
                  verdict(paper_value("fig1.noisy"), flipped_wrong),
                  fmt::format("{} flipped training points (misclassified = predicted by their clean label)", r.flipped)),
      paper_claim("fig1.boundary", {},
                  fmt::format("{:.2f}% of a {}x{} grid over [-{:.2f}, {:.2f}]^2 classified as sgn(|x1| - |x2|)",
                              100 * r.diagonal_share, o.grid, o.grid, o.extent, o.extent),
                  r.diagonal_share >= 0.95 ? "agree" : (r.diagonal_share >= 0.8 ? "partly" : "disagree"),
                  "agree when >= 95% of the grid matches"),
      paper_claim("fig1.test", {},
                  fmt::format("{:.2f}% (clean labels: {:.2f}%)", 100 * r.last.test_acc, 100 * r.last.test_clean_acc),
                  verdict(paper_value("fig1.test"), r.last.test_acc),
                  fmt::format("{} fresh test points with noisy labels; agree within 2 points", r.spec.n_test)),
  };
}

// The figure: the two decision regions (sign of f), the diagonals for reference, and the points.
bool figure(const Options& o, const Outcome& r) {
  // The gnuplot script, a template whose {fields} are filled here: figures/fig1.gp.in.
  constexpr const char* FIG1_GP =
#include "figures/fig1.gp.in"
      ;
  const std::string body = fmt::format(FIG1_GP,
                                       fmt::arg("e", o.extent), fmt::arg("steps", r.spec.steps), fmt::arg("n", r.spec.n),
                                       fmt::arg("m", r.spec.m));
  return plot(o.common.out, "fig1", plot_both("fig1", 900, 760, body));
}

Report report(const Options& o, const Outcome& r) {
  Report rep("rfa-fig1");
  rep.claims = claims(o, r);
  const double clean_fit = r.last.train_clean_acc, flipped_wrong = 1 - r.last.train_flipped_acc;
  rep.summary.add("profile", o.common.profile).add("settings", r.spec.json()).add("trainer", r.trainer)
      .add("threads", rfa::threads()).add("flipped_training_points", r.flipped).add("clean_training_accuracy", clean_fit)
      .add("flipped_training_misclassified", flipped_wrong).add("train_accuracy_observed", r.last.train_acc)
      .add("test_accuracy", r.last.test_acc).add("test_accuracy_clean", r.last.test_clean_acc)
      .add("diagonal_agreement", r.diagonal_share).add("grid", o.grid).add("extent", o.extent)
      .add("wall_seconds_this_session", r.wall).add("final", metrics_json(r.last));
  rep.section = fmt::format(
      "## Figure 1: the decision boundary in two dimensions\n\n"
      "![Figure 1](fig1.png)\n\n"
      "Settings: d = 2, means e1 and e2, sigma^2 = 1/50, labels flipped independently with probability 0.15, n = {n}, "
      "m = {m}, alpha = {alpha}, omega_init^2 = 1/(32 m), {steps} steps, {ntest} test points, seed {seed}, {dtype}, "
      "{grad} gradient (trainer {trainer}). The figure shows the sign of f on a {G}x{G} grid and {which}.\n\n"
      "| quantity | value |\n|---|---|\n"
      "| clean training points classified correctly | {clean:.2f}% |\n"
      "| flipped training points misclassified (i.e. classified by their clean label) | {flip:.2f}% of {nflip} |\n"
      "| test accuracy (noisy labels; best possible 1 - eta = 85%) | {test:.2f}% |\n"
      "| test accuracy against clean labels | {testc:.2f}% |\n"
      "| grid points classified as sgn(abs(x1) - abs(x2)) | {diag:.2f}% |\n\n",
      fmt::arg("n", r.spec.n), fmt::arg("m", r.spec.m), fmt::arg("alpha", r.spec.alpha),
      fmt::arg("steps", r.spec.steps), fmt::arg("ntest", r.spec.n_test), fmt::arg("seed", r.spec.seed),
      fmt::arg("dtype", r.spec.dtype), fmt::arg("grad", r.spec.grad == GradSource::tape ? "tape's" : "closed-form"),
      fmt::arg("trainer", r.trainer), fmt::arg("G", o.grid),
      fmt::arg("which", r.stride == 1 ? std::string("every training point")
                                      : fmt::format("every {}-th training point ({} of {})", r.stride,
                                                    (r.spec.n + r.stride - 1) / r.stride, r.spec.n)),
      fmt::arg("clean", 100 * clean_fit), fmt::arg("flip", 100 * flipped_wrong), fmt::arg("nflip", r.flipped),
      fmt::arg("test", 100 * r.last.test_acc), fmt::arg("testc", 100 * r.last.test_clean_acc),
      fmt::arg("diag", 100 * r.diagonal_share));
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  Program prog(argv, "rfa-fig1", ABOUT, o.common, "results/fig1",
               "quick (small, for tests), default or paper (both the paper's settings)",
               CommonFlags::DTYPE | CommonFlags::GRAD | CommonFlags::INIT);
  Args& app = prog.app();
  app.option("--steps", o.steps, "override the number of steps", false);
  app.option("--grid", o.grid, "grid points per axis");
  app.option("--points", o.points, "training points to draw (about)");
  auto check = [&] {
    require_at_least("--grid", static_cast<long long>(o.grid), 2);
    require_at_least("--points", static_cast<long long>(o.points), 1);
  };
  return prog.run(argc, argv, check, [&] {
    const Outcome r = with_dtype(o.common.dtype, [&]<class T> { return run<T>(o); });
    const bool drawn = figure(o, r);
    report(o, r).write(o.common.out, "rfa-fig1");
    fmt::print("rfa-fig1: {} steps in {}{}\n", r.spec.steps, format_duration(r.wall),
               drawn ? "" : " (no figure: gnuplot failed)");
    return drawn ? 0 : EXIT_RUN_FAILED;
  });
}
