// rfa-fig2: the paper's Figure 2, "training in high and low dimensions". Two panels, (n, d) = (300, 5000) and
// (5000, 300), m = 400, sigma^2 = d^-1.2, exactly 15% of labels flipped in each cluster, omega_init^2 =
// 0.01/(m d), alpha = 0.1, 6000 test points: train and test accuracy against gradient-descent steps on a log
// axis, for K seeds (mean and min-max band). Every run checkpoints; the same command resumes after a stop.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "args.hpp"
#include "atomic_file.hpp"
#include "blas.hpp"
#include "openblas.hpp"
#include "parallel.hpp"
#include "run.hpp"
#include "run_lock.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

struct Panel {
  std::string key;  // "high" or "low"
  std::size_t n, d;
};

struct Options {
  std::string profile = "default", out = "results/fig2", dtype = "f64", grad = "closed", panels = "both";
  std::size_t seeds = 1, steps = 0, per_decade = 20, stop_at = 0;
  std::uint64_t seed = 1;
  int threads = cli::all_cores();
  double checkpoint_seconds = 60;
  bool quiet = false;
};

// Steps per panel for a profile: quick for tests; default about 7 minutes for both panels on 2 cores (the
// (300, 5000) panel trains in row space with shared patterns at about 0.3 ms a step, the (5000, 300) one at about
// 20 ms); paper is the figure's 10^7.
std::size_t steps_for(const Options& o, const Panel& p) {
  if (o.steps) return o.steps;
  if (o.profile == "quick") return 300;
  if (o.profile == "paper") return 10000000;
  return p.key == "high" ? 200000 : 20000;
}

RunSpec spec_for(const Options& o, const Panel& p, std::uint64_t seed) {
  RunSpec s;
  s.n = p.n, s.d = p.d, s.m = 400, s.n_test = 6000;
  if (o.profile == "quick") s.n = p.key == "high" ? 60 : 1000, s.d = p.key == "high" ? 1000 : 60, s.m = 40, s.n_test = 1000;
  s.sigma2 = std::pow(double(s.d), -1.2);
  s.eta = 0.15;
  s.flip = FlipMode::exact;
  s.random_means = true;  // the paper does not say which orthonormal pair; any is equivalent for isotropic noise
  s.alpha = 0.1;
  s.omega2 = 0.01 / (double(s.m) * double(s.d));
  s.steps = steps_for(o, p);
  s.seed = seed;
  s.dtype = o.dtype;
  s.grad = parse_grad_source(o.grad);
  s.method = Method::automatic;  // row space with shared patterns for (300, 5000), plain for (5000, 300)
  s.dense = 100;
  s.per_decade = o.per_decade;
  return s;
}

// Per evaluation step: mean, min and max over seeds of train and test accuracy, and the mean clean test accuracy.
struct Band {
  double train_mean = 0, train_min = 1, train_max = 0, test_mean = 0, test_min = 1, test_max = 0, clean_mean = 0,
         loss_mean = 0;
};

constexpr std::size_t NEVER = static_cast<std::size_t>(-1);

// The first evaluation step where the mean training accuracy reaches `level` (NEVER if it does not).
std::size_t first_step(const std::vector<std::size_t>& steps, const std::vector<Band>& b, double level) {
  for (std::size_t k = 0; k < steps.size(); ++k)
    if (b[k].train_mean >= level) return steps[k];
  return NEVER;
}

// The jump: the first step at which >= 95% of the test points are classified by their clean label (the XOR rule
// is learned; the accuracies on noisy labels then sit near 1 - eta). NEVER if it does not happen.
std::size_t jump_step(const std::vector<std::size_t>& steps, const std::vector<Band>& b) {
  for (std::size_t k = 0; k < steps.size(); ++k)
    if (b[k].clean_mean >= 0.95) return steps[k];
  return NEVER;
}

// The band at the last evaluation step at or before `step`.
const Band& at(const std::vector<std::size_t>& steps, const std::vector<Band>& b, std::size_t step) {
  std::size_t k = 0;
  while (k + 1 < steps.size() && steps[k + 1] <= step) ++k;
  return b[k];
}

template <typename T>
int run(const Options& o) {
  std::vector<Panel> panels;
  if (o.panels != "low") panels.push_back({"high", 300, 5000});
  if (o.panels != "high") panels.push_back({"low", 5000, 300});
  prepare_out_dir(o.out);
  DirLock lock(o.out);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Claim> claims;
  Json summary;
  summary.merge(provenance("rfa-fig2")).add("profile", o.profile).add("seeds", o.seeds)
      .add("threads", rfa::threads());
  std::string plot_cmds;
  std::size_t max_steps = 1, width = 0, n_test = 0;
  std::string section =
      "| panel | method | steps | jump (95% of test points by clean label) | train / test at step 0 | "
      "train / test / clean test at the end |\n|---|---|---|---|---|---|\n";

  for (const Panel& p : panels) {
    std::vector<std::vector<Metrics>> runs;
    RunSpec spec;
    for (std::size_t k = 0; k < o.seeds; ++k) {
      spec = spec_for(o, p, o.seed + k);
      const std::string label = fmt::format("panel (n, d) = ({}, {}), seed {} ({}/{})", spec.n, spec.d, spec.seed,
                                            k + 1, o.seeds);
      PreparedRun<T> r = prepare_run<T>(spec);
      const RunControl control{o.checkpoint_seconds, o.stop_at, o.quiet, label};
      runs.push_back(train_in<T>("rfa-fig2", spec, r, fmt::format("{}/{}/seed-{}", o.out, p.key, spec.seed), control));
      if (!o.quiet)
        fmt::print(stderr, "rfa-fig2: {}: done ({}), train {:.4f}, test {:.4f}\n", label, r.trainer->name(),
                   runs.back().back().train_acc, runs.back().back().test_acc);
    }
    max_steps = std::max(max_steps, spec.steps);
    width = spec.m, n_test = spec.n_test;
    // Aggregate over seeds; all runs share the evaluation steps.
    std::vector<std::size_t> steps;
    std::vector<Band> bands;
    for (std::size_t e = 0; e < runs[0].size(); ++e) {
      Band b;
      for (const auto& r : runs) {
        const Metrics& m = r[e];
        b.train_mean += m.train_acc / double(runs.size());
        b.test_mean += m.test_acc / double(runs.size());
        b.clean_mean += m.test_clean_acc / double(runs.size());
        b.loss_mean += m.loss / double(runs.size());
        b.train_min = std::min(b.train_min, m.train_acc), b.train_max = std::max(b.train_max, m.train_acc);
        b.test_min = std::min(b.test_min, m.test_acc), b.test_max = std::max(b.test_max, m.test_acc);
      }
      steps.push_back(runs[0][e].step);
      bands.push_back(b);
    }
    std::string csv = "step,train_mean,train_min,train_max,test_mean,test_min,test_max,test_clean_mean,loss_mean\n";
    for (std::size_t e = 0; e < steps.size(); ++e) {
      const Band& b = bands[e];
      csv += fmt::format("{},{},{},{},{},{},{},{},{}\n", steps[e], b.train_mean, b.train_min, b.train_max, b.test_mean,
                         b.test_min, b.test_max, b.clean_mean, b.loss_mean);
    }
    write_file_atomic(fmt::format("{}/{}.csv", o.out, p.key), csv);

    // Claims of the paper about this panel (PAPER.md, as read off the figure).
    const std::string name = fmt::format("(n, d) = ({}, {})", spec.n, spec.d);
    const std::size_t jump = jump_step(steps, bands);
    const std::size_t horizon = spec.steps;
    const Band& end = bands.back();
    // The plateau is read ten times later than the jump (and not before step 100).
    const std::size_t plateau_step =
        std::min<std::size_t>(horizon, std::max<std::size_t>(100, jump == NEVER ? horizon : 10 * std::max<std::size_t>(jump, 1)));
    const Band& after = at(steps, bands, plateau_step);
    claims.push_back({"fig2." + p.key + ".jump",
                      fmt::format("Figure 2 {}: accuracy sits at 50% until about 2-3 x 10^2 steps, then jumps", name),
                      "jump at 200-300 steps",
                      jump != NEVER ? fmt::format("at step {} (>= 95% of test points by their clean label)", jump) : "no jump",
                      jump != NEVER && jump >= 100 && jump <= 1000 ? "agree" : "disagree",
                      "our jump comes at the theorem's T = 1 + 1/(4 alpha) = 3.5 steps; see the fidelity sweep"});
    claims.push_back({"fig2." + p.key + ".plateau", fmt::format("Figure 2 {}: after the jump, accuracy about 85%", name),
                      "about 85%",
                      fmt::format("train {:.1f}%, test {:.1f}% at step {}", 100 * after.train_mean,
                                  100 * after.test_mean, plateau_step),
                      std::abs(after.test_mean - 0.85) <= 0.03 && std::abs(after.train_mean - 0.85) <= 0.03 ? "agree" : "disagree",
                      "agree within 3 points"});
    if (p.key == "high") {
      const std::size_t full = first_step(steps, bands, 0.9999);
      const bool reached = full != NEVER;
      claims.push_back({"fig2.high.memorize", fmt::format("Figure 2 {}: training accuracy climbs to 100% by about 2 x 10^5 steps", name),
                        "100% by ~2 x 10^5",
                        reached ? fmt::format("100% at step {}", full)
                                : fmt::format("{:.1f}% at step {} (end of this run)", 100 * end.train_mean, horizon),
                        reached ? (full <= 1000000 && full >= 20000 ? "agree" : "partly")
                                : (horizon < 200000 ? "untested" : "disagree"),
                        fmt::format("horizon {} steps", horizon)});
      claims.push_back({"fig2.high.benign", fmt::format("Figure 2 {}: test accuracy stays about 85% to 10^7 steps (benign overfitting)", name),
                        "about 85% at 10^7",
                        fmt::format("{:.1f}% at step {}", 100 * end.test_mean, horizon),
                        std::abs(end.test_mean - 0.85) <= 0.03 ? (horizon >= 10000000 ? "agree" : "partly") : "disagree",
                        horizon >= 10000000 ? "within 3 points" : fmt::format("within 3 points, but only to step {}", horizon)});
    } else {
      claims.push_back({"fig2.low.train", fmt::format("Figure 2 {}: training accuracy climbs to about 95% at 10^7 steps", name),
                        "about 95% at 10^7", fmt::format("{:.1f}% at step {}", 100 * end.train_mean, horizon),
                        horizon >= 10000000 ? (std::abs(end.train_mean - 0.95) <= 0.02 ? "agree" : "disagree") : "untested",
                        fmt::format("horizon {} steps", horizon)});
      claims.push_back({"fig2.low.harmful", fmt::format("Figure 2 {}: test accuracy falls to about 79% at 10^7 steps (harmful overfitting)", name),
                        "about 79% at 10^7", fmt::format("{:.1f}% at step {}", 100 * end.test_mean, horizon),
                        horizon >= 10000000 ? (std::abs(end.test_mean - 0.79) <= 0.02 ? "agree" : "disagree") : "untested",
                        fmt::format("horizon {} steps", horizon)});
    }
    section += fmt::format(
        "| {name} | {trainer} | {steps} | {jump} | {tr0:.1f}% / {te0:.1f}% | {tr:.1f}% / {te:.1f}% / {tc:.1f}% |\n",
        fmt::arg("name", name), fmt::arg("trainer", to_string(resolve_method(spec.method, spec.n, spec.d))),
        fmt::arg("steps", horizon), fmt::arg("jump", jump == NEVER ? std::string("never") : std::to_string(jump)),
        fmt::arg("tr0", 100 * bands.front().train_mean), fmt::arg("te0", 100 * bands.front().test_mean),
        fmt::arg("tr", 100 * end.train_mean), fmt::arg("te", 100 * end.test_mean), fmt::arg("tc", 100 * end.clean_mean));
    Json pj;
    pj.add("settings", spec.json()).add("jump_step", jump == NEVER ? -1LL : static_cast<long long>(jump)).add("final_train_mean", end.train_mean)
        .add("final_test_mean", end.test_mean).add("final_test_clean_mean", end.clean_mean);
    summary.add(p.key, pj);

    const std::string title = fmt::format("(n, d) = ({}, {})", spec.n, spec.d);
    const std::string band = o.seeds > 1
        ? fmt::format("'{k}.csv' using (x0($1)):3:4 with filledcurves lc rgb '#1f4e9c' fs transparent solid 0.2 notitle, "
                      "'{k}.csv' using (x0($1)):6:7 with filledcurves lc rgb '#c0392b' fs transparent solid 0.2 notitle, ",
                      fmt::arg("k", p.key))
        : "";
    // The log axis has no 0: step 0 (the init) is drawn at 0.5, the axis's left edge, and marked by a point.
    plot_cmds += fmt::format(
        "set title '{t}'\nplot {b}'{k}.csv' using (x0($1)):2 with lines lw 2 lc rgb '#1f4e9c' title 'train', "
        "'{k}.csv' using (x0($1)):5 with lines lw 2 dt 2 lc rgb '#c0392b' title 'test', "
        "'{k}.csv' using ($1 == 0 ? 0.5 : 1/0):2 with points pt 7 ps 0.8 lc rgb '#1f4e9c' notitle, "
        "'{k}.csv' using ($1 == 0 ? 0.5 : 1/0):5 with points pt 7 ps 0.8 lc rgb '#c0392b' notitle\n",
        fmt::arg("t", title), fmt::arg("b", band), fmt::arg("k", p.key));
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.add("wall_seconds_this_session", wall);
  write_file_atomic(o.out + "/summary.json", summary.str() + "\n");
  write_claims(o.out + "/claims.tsv", claims);

  const std::string body = fmt::format(R"(set datafile separator ','
set multiplot layout 1,{np} title 'Figure 2: training in high and low dimensions (m = {m}, 15% flips, alpha = 0.1{seeds})'
set logscale x
set xrange [0.5:{maxs}]
x0(t) = t == 0 ? 0.5 : t
set yrange [0.35:1.02]
set format x '10^{{%T}}'
set xlabel 'gradient descent steps (step 0, the init, drawn at the left edge)'
set ylabel 'accuracy'
set key bottom right
set grid
{cmds}unset multiplot)",
                                       fmt::arg("np", panels.size()),
                                       fmt::arg("seeds", o.seeds > 1 ? fmt::format(", {} seeds: mean and min-max band", o.seeds) : ""),
                                       fmt::arg("maxs", max_steps), fmt::arg("cmds", plot_cmds), fmt::arg("m", width));
  const bool drawn = plot(o.out, "fig2", plot_both("fig2", 1200, 520, body));
  write_file_atomic(o.out + "/section.md", fmt::format(
      "## Figure 2: training in high and low dimensions\n\n![Figure 2](fig2/fig2.png)\n\n"
      "Settings: m = {m}, sigma^2 = d^-1.2, exactly 15% of the labels of each cluster flipped, omega_init^2 = "
      "0.01/(m d), alpha = 0.1, {ntest} test points, a random orthonormal pair of means, {seeds} seed(s) from {seed}, "
      "{dtype}, the {grad} gradient; profile '{profile}'. The (300, 5000) panel trains in row space with shared "
      "activation patterns (exact; see the README).\n\n{table}\n",
      fmt::arg("seeds", o.seeds), fmt::arg("seed", o.seed), fmt::arg("dtype", o.dtype),
      fmt::arg("grad", o.grad == "tape" ? "tape's" : "closed-form"),
      fmt::arg("profile", o.profile), fmt::arg("table", section), fmt::arg("m", width),
      fmt::arg("ntest", n_test)));
  fmt::print("rfa-fig2: {} panel(s) x {} seed(s) in {}{}\n", panels.size(), o.seeds, format_duration(wall),
             drawn ? "" : " (no figure: gnuplot failed)");
  for (const Claim& c : claims) fmt::print("  {:<22} {:<9} {}\n", c.id, c.verdict, c.ours);
  return drawn ? 0 : EXIT_RUN_FAILED;
}

}  // namespace

int main(int argc, char** argv) {
  openblas::select_kernels(argv);
  install_stop_handlers();  // first: a Ctrl-C during the set-up stops the run before its first step
  Options o;
  cli::Args app{"rfa-fig2: the paper's Figure 2 (training in high and low dimensions). Panels (n, d) = (300, 5000) and "
               "(5000, 300); m = 400, sigma^2 = d^-1.2, exactly 15% of the labels of each cluster flipped, "
               "omega_init^2 = 0.01/(m d), alpha = 0.1, 6000 test points. Writes, in --out: <panel>/seed-<k>/ "
               "(metrics.csv, run.json, checkpoint.rfa) for every run, high.csv and low.csv (mean and min-max over "
               "seeds at each evaluation step), summary.json, claims.tsv and fig2.png / fig2.svg. The (300, 5000) "
               "panel trains in row space with shared activation patterns (exact, see README). Long runs print progress with the time left; stop "
               "with Ctrl-C and run the same command again to resume.",
               "rfa-fig2"};
  app.option("--profile", o.profile,
                 "quick (seconds, small panels, for tests), default (2x10^5 and 2x10^4 steps, about 7 minutes on 2 "
                 "cores) or paper (10^7 steps per panel: under an hour for (300, 5000), days for (5000, 300); resumable)");
  app.option("--out", o.out, "output directory");
  app.option("--seeds", o.seeds, "runs per panel (seeds --seed, --seed + 1, ...)");
  app.option("--seed", o.seed, "first seed");
  app.option("--steps", o.steps, "steps per panel (overrides the profile)", false);
  app.option("--panels", o.panels, "both, high (300, 5000) or low (5000, 300)");
  app.option("--per-decade", o.per_decade, "evaluations per decade of steps (every step up to 100)");
  app.option("--dtype", o.dtype, "f32 or f64");
  app.option("--grad", o.grad, "tape or closed");
  app.option("--threads", o.threads, "threads [default: all cores]", false);
  app.option("--checkpoint-seconds", o.checkpoint_seconds, "seconds between checkpoints");
  app.option("--stop-at", o.stop_at,
                 "stop every run at this step as Ctrl-C would (checkpoint, exit code 130); run again to continue", false);
  app.flag("--quiet", o.quiet, "no progress lines");
  if (auto rc = app.parse(argc, argv)) return *rc;
  return guarded_main("rfa-fig2", [&] {
    require_one_of("--profile", o.profile, {"quick", "default", "paper"});
    require_one_of("--panels", o.panels, {"both", "high", "low"});
    require_one_of("--dtype", o.dtype, {"f32", "f64"});
    require_one_of("--grad", o.grad, {"tape", "closed"});
    require_at_least("--seeds", static_cast<long long>(o.seeds), 1);
    require_at_least("--per-decade", static_cast<long long>(o.per_decade), 1);
    require_positive("--checkpoint-seconds", o.checkpoint_seconds);
    cli::set_threads(o.threads);
    return o.dtype == "f32" ? run<float>(o) : run<double>(o);
  });
}
