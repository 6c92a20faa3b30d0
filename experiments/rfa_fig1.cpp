// rfa-fig1: the paper's Figure 1. Trains the network on 2-d noisy XOR data (labels flipped with probability
// 15%) and draws the learned decision regions over [-1.75, 1.75]^2 with a subset of the training points, clean
// and flipped marked apart. Measures how close the boundary is to the diagonals |x1| = |x2|, and whether every
// clean point is fitted and every flipped one misclassified.
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "args.hpp"
#include "atomic_file.hpp"
#include "blas.hpp"
#include "openblas.hpp"
#include "network.hpp"
#include "tensor_npy.hpp"
#include "parallel.hpp"
#include "run.hpp"
#include "run_lock.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

struct Options {
  std::string profile = "default", out = "results/fig1", dtype = "f64", grad = "closed";
  std::uint64_t seed = 1;
  std::size_t steps = 0, grid = 201, points = 1200;
  int threads = cli::all_cores();
  double checkpoint_seconds = 60, extent = 1.75;
  bool quiet = false;
};

// The paper's settings (PAPER.md, Figure 1); `quick` shrinks them for tests.
RunSpec spec_for(const Options& o) {
  RunSpec s;
  s.d = 2;
  s.sigma2 = 1.0 / 50;
  s.eta = 0.15;
  s.flip = FlipMode::prob;
  s.random_means = false;  // e1, e2 as in the figure
  s.alpha = 0.05;
  s.seed = o.seed;
  s.dtype = o.dtype;
  s.grad = parse_grad_source(o.grad);
  s.method = Method::plain;
  if (o.profile == "quick") {
    s.n = 1000, s.m = 100, s.steps = 400, s.n_test = 2000;
  } else {
    s.n = 5000, s.m = 500, s.steps = 3000, s.n_test = 6000;
  }
  s.omega2 = 1.0 / (32.0 * double(s.m));
  if (o.steps) s.steps = o.steps;
  return s;
}

template <typename T>
int run(const Options& o) {
  const RunSpec spec = spec_for(o);
  PreparedRun<T> r = prepare_run<T>(spec);
  // The run's own directory is --out itself: its checkpoint, metrics.csv and run.json sit beside the figure.
  prepare_out_dir(o.out);
  DirLock lock(o.out);
  const RunControl control{o.checkpoint_seconds, 0, o.quiet, "Figure 1", false};
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Metrics> rows = train_in<T>("rfa-fig1", spec, r, o.out, control);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Metrics& last = rows.back();
  const Tensor<T>& W = r.trainer->weights();

  // The decision function on a regular grid, and how often its sign is that of |x1| - |x2| (the diagonals).
  const std::size_t G = o.grid;
  Tensor<T> grid(G * G, 2), f, work;
  for (std::size_t i = 0; i < G; ++i)
    for (std::size_t j = 0; j < G; ++j) {
      grid(i * G + j, 0) = T(-o.extent + 2 * o.extent * double(j) / double(G - 1));
      grid(i * G + j, 1) = T(-o.extent + 2 * o.extent * double(i) / double(G - 1));
    }
  network_outputs(f, grid, W, r.a, work);
  std::size_t diagonal_agree = 0, counted = 0;
  std::string grid_csv = "x1,x2,f\n";
  for (std::size_t k = 0; k < G * G; ++k) {
    const double x1 = grid(k, 0), x2 = grid(k, 1);
    grid_csv += fmt::format("{},{},{}\n", x1, x2, double(f[k]));
    if (std::abs(x1) == std::abs(x2)) continue;  // on the diagonals themselves either side is right
    ++counted;
    diagonal_agree += (f[k] > 0) == (std::abs(x1) > std::abs(x2));
  }
  const double diagonal_share = double(diagonal_agree) / double(counted);

  // A subset of the training points (every k-th), with their clean and observed labels.
  std::string points_csv = "x1,x2,observed_label,clean_label,flipped\n";
  const std::size_t stride = std::max<std::size_t>(1, r.train.size() / o.points);
  for (std::size_t i = 0; i < r.train.size(); i += stride)
    points_csv += fmt::format("{},{},{},{},{}\n", double(r.train.X(i, 0)), double(r.train.X(i, 1)),
                              double(r.train.y[i]), double(r.train.y_clean[i]), int(r.train.flipped[i]));

  std::size_t flipped = 0;
  for (auto v : r.train.flipped) flipped += v;
  const double clean_fit = last.train_clean_acc, flipped_wrong = 1 - last.train_flipped_acc;

  write_file_atomic(o.out + "/grid.csv", grid_csv);
  write_file_atomic(o.out + "/points.csv", points_csv);
  write_npy(o.out + "/W.npy", W);
  Json summary;
  summary.merge(provenance("rfa-fig1")).add("profile", o.profile)
      .add("settings", spec.json()).add("trainer", r.trainer->name()).add("threads", rfa::threads())
      .add("flipped_training_points", flipped).add("clean_training_accuracy", clean_fit)
      .add("flipped_training_misclassified", flipped_wrong).add("train_accuracy_observed", last.train_acc)
      .add("test_accuracy", last.test_acc).add("test_accuracy_clean", last.test_clean_acc)
      .add("diagonal_agreement", diagonal_share).add("grid", G).add("extent", o.extent)
      .add("wall_seconds_this_session", wall).add("final", metrics_json(last));
  write_file_atomic(o.out + "/summary.json", summary.str() + "\n");

  std::vector<Claim> claims = {
      {"fig1.clean", "Figure 1: every clean training point is classified correctly", "100%",
       fmt::format("{:.2f}%", 100 * clean_fit), clean_fit == 1 ? "agree" : "disagree",
       fmt::format("{} clean training points, after {} steps", r.train.size() - flipped, spec.steps)},
      {"fig1.noisy", "Figure 1: every noisy (flipped) training point is misclassified", "100%",
       fmt::format("{:.2f}%", 100 * flipped_wrong), flipped_wrong == 1 ? "agree" : "disagree",
       fmt::format("{} flipped training points (misclassified = predicted by their clean label)", flipped)},
      {"fig1.boundary", "Figure 1: the decision boundary is the pair of diagonals |x1| = |x2|", "the diagonals",
       fmt::format("{:.2f}% of a {}x{} grid over [-{:.2f}, {:.2f}]^2 classified as sgn(|x1| - |x2|)", 100 * diagonal_share,
                   G, G, o.extent, o.extent),
       diagonal_share >= 0.95 ? "agree" : (diagonal_share >= 0.8 ? "partly" : "disagree"),
       "agree when >= 95% of the grid matches"},
      {"fig1.test", "Figure 1 setting: test accuracy near the optimum 1 - eta", "85% (implied)",
       fmt::format("{:.2f}% (clean labels: {:.2f}%)", 100 * last.test_acc, 100 * last.test_clean_acc),
       std::abs(last.test_acc - 0.85) <= 0.02 ? "agree" : "disagree",
       fmt::format("{} fresh test points with noisy labels; agree within 2 points", spec.n_test)},
  };
  write_claims(o.out + "/claims.tsv", claims);

  // The figure: the two decision regions (sign of f), the diagonals for reference, and the points.
  const std::string body = fmt::format(R"(set datafile separator ','
set size ratio -1
set xrange [-{e}:{e}]
set yrange [-{e}:{e}]
set xlabel 'x_1'
set ylabel 'x_2'
set title 'Figure 1: decision regions after {steps} steps (d = 2, n = {n}, m = {m}, 15% labels flipped)'
set palette defined (-1 '#f4c7a1', 1 '#a9c8ec')
unset colorbox
set key outside right top box opaque
set cbrange [-1:1]
plot 'grid.csv' using 1:2:($3 > 0 ? 1 : -1) with image notitle, \
     x with lines dt 2 lc rgb '#555555' title '|x_1| = |x_2|', -x with lines dt 2 lc rgb '#555555' notitle, \
     'points.csv' using ($5 == 0 && $3 > 0 ? $1 : 1/0):2 with points pt 7 ps 0.45 lc rgb '#1f4e9c' title 'clean, y = +1', \
     'points.csv' using ($5 == 0 && $3 < 0 ? $1 : 1/0):2 with points pt 7 ps 0.45 lc rgb '#c0392b' title 'clean, y = -1', \
     'points.csv' using ($5 == 1 ? $1 : 1/0):2 with points pt 2 ps 0.9 lw 1.5 lc rgb 'black' title 'flipped label'
)",
                                       fmt::arg("e", o.extent), fmt::arg("steps", spec.steps), fmt::arg("n", spec.n),
                                       fmt::arg("m", spec.m));
  const bool drawn = plot(o.out, "fig1", plot_both("fig1", 900, 760, body));
  write_file_atomic(o.out + "/section.md", fmt::format(
      "## Figure 1: the decision boundary in two dimensions\n\n"
      "![Figure 1](fig1/fig1.png)\n\n"
      "Settings: d = 2, means e1 and e2, sigma^2 = 1/50, labels flipped independently with probability 0.15, n = {n}, "
      "m = {m}, alpha = {alpha}, omega_init^2 = 1/(32 m), {steps} steps, {ntest} test points, seed {seed}, {dtype}, "
      "{grad} gradient (trainer {trainer}). The figure shows the sign of f on a {G}x{G} grid and {which}.\n\n"
      "| quantity | value |\n|---|---|\n"
      "| clean training points classified correctly | {clean:.2f}% |\n"
      "| flipped training points misclassified (i.e. classified by their clean label) | {flip:.2f}% of {nflip} |\n"
      "| test accuracy (noisy labels; best possible 1 - eta = 85%) | {test:.2f}% |\n"
      "| test accuracy against clean labels | {testc:.2f}% |\n"
      "| grid points classified as sgn(abs(x1) - abs(x2)) | {diag:.2f}% |\n\n",
      fmt::arg("n", spec.n), fmt::arg("m", spec.m), fmt::arg("alpha", spec.alpha), fmt::arg("steps", spec.steps),
      fmt::arg("ntest", spec.n_test), fmt::arg("seed", spec.seed), fmt::arg("dtype", spec.dtype),
      fmt::arg("grad", spec.grad == GradSource::tape ? "tape's" : "closed-form"), fmt::arg("trainer", r.trainer->name()),
      fmt::arg("G", G),
      fmt::arg("which", stride == 1 ? std::string("every training point")
                                     : fmt::format("every {}-th training point ({} of {})", stride,
                                                   (r.train.size() + stride - 1) / stride, r.train.size())), fmt::arg("clean", 100 * clean_fit), fmt::arg("flip", 100 * flipped_wrong),
      fmt::arg("nflip", flipped), fmt::arg("test", 100 * last.test_acc), fmt::arg("testc", 100 * last.test_clean_acc),
      fmt::arg("diag", 100 * diagonal_share)));

  fmt::print("rfa-fig1: clean training points fitted {:.2f}%, flipped ones misclassified {:.2f}%, test {:.2f}% "
             "(clean {:.2f}%), grid matching the diagonals {:.2f}%; {} in {}{}\n",
             100 * clean_fit, 100 * flipped_wrong, 100 * last.test_acc, 100 * last.test_clean_acc,
             100 * diagonal_share, spec.steps, format_duration(wall), drawn ? "" : " (no figure: gnuplot failed)");
  return drawn ? 0 : EXIT_RUN_FAILED;
}

}  // namespace

int main(int argc, char** argv) {
  openblas::select_kernels(argv);
  install_stop_handlers();  // first: a Ctrl-C during the set-up stops the run before its first step
  Options o;
  cli::Args app{"rfa-fig1: the paper's Figure 1. Trains the network (d = 2, sigma^2 = 1/50, 15% of labels flipped with "
               "probability, n = 5000, m = 500, alpha = 0.05, omega_init^2 = 1/(32 m), T = 3000) and writes, in --out: "
               "metrics.csv (training over time), grid.csv (the decision function f on a grid over "
               "[-1.75, 1.75]^2), points.csv (a subset of the training points, clean and flipped), W.npy, "
               "summary.json, claims.tsv and the figure fig1.png / fig1.svg. Stop with Ctrl-C and run the same "
               "command again to resume.",
               "rfa-fig1"};
  app.option("--profile", o.profile, "quick (small, for tests), default or paper (both the paper's settings)");
  app.option("--out", o.out, "output directory");
  app.option("--seed", o.seed, "seed of data, test data and init");
  app.option("--steps", o.steps, "override the number of steps", false);
  app.option("--grid", o.grid, "grid points per axis");
  app.option("--points", o.points, "training points to draw (about)");
  app.option("--dtype", o.dtype, "f32 or f64");
  app.option("--grad", o.grad, "tape or closed (the same trajectory; closed is the faster here)");
  app.option("--threads", o.threads, "threads [default: all cores]", false);
  app.option("--checkpoint-seconds", o.checkpoint_seconds, "seconds between checkpoints");
  app.flag("--quiet", o.quiet, "no progress lines");
  if (auto rc = app.parse(argc, argv)) return *rc;
  return guarded_main("rfa-fig1", [&] {
    require_one_of("--profile", o.profile, {"quick", "default", "paper"});
    require_one_of("--dtype", o.dtype, {"f32", "f64"});
    require_one_of("--grad", o.grad, {"tape", "closed"});
    require_at_least("--grid", static_cast<long long>(o.grid), 2);
    require_at_least("--points", static_cast<long long>(o.points), 1);
    require_positive("--checkpoint-seconds", o.checkpoint_seconds);
    cli::set_threads(o.threads);
    return o.dtype == "f32" ? run<float>(o) : run<double>(o);
  });
}
