// rfa-linear: the linear-classifier baseline on the paper's data. A homogeneous rule sgn(<w, x>) cannot beat 50%
// on XOR clusters (the +mu and -mu clusters of a label cancel); a rule with a bias can reach 75% by giving up one
// cluster of four. Trains both by gradient descent on the same logistic loss and evaluates the 75% rule
// sgn(<x, mu1> - 1/2) for reference.
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "args.hpp"
#include "atomic_file.hpp"
#include "blas.hpp"
#include "openblas.hpp"
#include "linear.hpp"
#include "metrics.hpp"
#include "run.hpp"
#include "run_lock.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

struct Options {
  std::string profile = "default", out = "results/linear";
  std::uint64_t seed = 1;
  std::size_t steps = 0;
  double alpha = 0.1;
  int threads = cli::all_cores();
  RunControl control;
};

struct Row {
  std::string setting, model;
  double train, test, test_clean, bias;
};

}  // namespace

int main(int argc, char** argv) {
  openblas::select_kernels(argv);
  install_stop_handlers();  // first: a Ctrl-C during the set-up stops the run before its first step
  Options o;
  cli::Args app{"rfa-linear: linear classifiers on the paper's data, trained by gradient descent on the mean logistic "
               "loss from zero: homogeneous sgn(<w, x>) and with a bias sgn(<w, x> + b), at Figure 1's and Figure 2's "
               "(300, 5000) settings; plus the rule sgn(<x, mu1> - 1/2), which a bias makes possible and which is "
               "right on three clusters of four. Writes linear.csv, summary.json, claims.tsv and section.md in --out, and "
               "each training run in --out/<setting>-<model>/ (metrics.csv, run.json, checkpoint.rfa). Stop with "
               "Ctrl-C and run the same command again to resume.",
               "rfa-linear"};
  app.option("--profile", o.profile, "quick (small, for tests) or default (= paper)");
  app.option("--out", o.out, "output directory");
  app.option("--seed", o.seed, "seed");
  app.option("--steps", o.steps, "gradient steps (default 5000; quick 300)", false);
  app.option("--alpha", o.alpha, "step size");
  app.option("--threads", o.threads, "threads [default: all cores]", false);
  app.option("--checkpoint-seconds", o.control.checkpoint_seconds, "seconds between checkpoints of each run");
  app.option("--stop-at", o.control.stop_at,
             "stop each run at this step as Ctrl-C would (checkpoint, exit code 130); run again to continue", false);
  app.flag("--quiet", o.control.quiet, "no progress lines");
  if (auto rc = app.parse(argc, argv)) return *rc;
  return guarded_main("rfa-linear", [&] {
    require_one_of("--profile", o.profile, {"quick", "default", "paper"});
    require_positive("--alpha", o.alpha);
    require_positive("--checkpoint-seconds", o.control.checkpoint_seconds);
    cli::set_threads(o.threads);
    prepare_out_dir(o.out);
    DirLock lock(o.out);
    const bool quick = o.profile == "quick";
    const std::size_t steps = o.steps ? o.steps : (quick ? 300 : 5000);
    const auto t0 = std::chrono::steady_clock::now();

    struct Setting {
      std::string name, key;
      DataSpec spec;
      std::size_t n, n_test;
      bool random;
    };
    const std::size_t dh = quick ? 500 : 5000;
    const std::vector<Setting> settings = {
        {"fig1 (d = 2)", "fig1", {2, 1.0 / 50, 0.15, FlipMode::prob, Noise::gaussian}, quick ? 1000u : 5000u,
         quick ? 2000u : 6000u, false},
        {fmt::format("fig2 (n, d) = ({}, {})", quick ? 100 : 300, dh), "fig2",
         {dh, std::pow(double(dh), -1.2), 0.15, FlipMode::exact, Noise::gaussian}, quick ? 100u : 300u,
         quick ? 2000u : 6000u, true},
    };
    std::vector<Row> rows;
    for (const Setting& s : settings) {
      const Means mu = s.random ? random_means(s.spec.D, o.seed) : axis_means(s.spec.D);
      const Dataset<double> train = make_dataset<double>(sample_xor(s.spec, mu, s.n, o.seed, Stream::train_data));
      const Dataset<double> test = make_dataset<double>(sample_xor(s.spec, mu, s.n_test, o.seed, Stream::test_data));
      for (bool bias : {false, true}) {
        LinearDescent<double> lin(train.X, train.y, bias, o.alpha);
        const std::string key = s.key + (bias ? "-bias" : "-homogeneous");
        Json settings;
        settings.add("setting", s.key).add("d", s.spec.D).add("sigma2", s.spec.sigma2).add("eta", s.spec.eta)
            .add("flip", to_string(s.spec.flip)).add("noise", to_string(s.spec.noise)).add("n", s.n)
            .add("n_test", s.n_test).add("means", s.random ? "random" : "axes")
            .add("seed", static_cast<unsigned long long>(o.seed)).add("steps", steps).add("alpha", o.alpha)
            .add("bias", bias);
        RunControl control = o.control;
        control.label = key;
        const Metrics m =
            train_in<double>("rfa-linear", settings, lin, train, &test, {0, steps}, o.out + "/" + key, control).back();
        rows.push_back({s.name, bias ? "gd, with bias" : "gd, homogeneous", m.train_acc, m.test_acc, m.test_clean_acc,
                        lin.bias()});
      }
      // The 75% rule: +1 exactly on the +mu1 cluster's side of the hyperplane <x, mu1> = 1/2.
      Tensor<double> f(test.size());
      blas::gemv(blas::Trans::N, test.size(), s.spec.D, 1.0, test.X.data(), s.spec.D, mu.mu1.data(), 0.0, f.data());
      for (double& v : f) v -= 0.5;
      Tensor<double> ft(train.size());
      blas::gemv(blas::Trans::N, train.size(), s.spec.D, 1.0, train.X.data(), s.spec.D, mu.mu1.data(), 0.0, ft.data());
      for (double& v : ft) v -= 0.5;
      rows.push_back({s.name, "rule sgn(<x, mu1> - 1/2)", accuracy(ft, train.y), accuracy(f, test.y),
                      accuracy(f, test.y_clean), -0.5});
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::string csv = "setting,model,train_acc,test_acc,test_clean_acc,bias\n";
    // The names hold commas, so they are quoted.
    for (const Row& r : rows)
      csv += fmt::format("\"{}\",\"{}\",{},{},{},{}\n", r.setting, r.model, r.train, r.test, r.test_clean, r.bias);
    write_file_atomic(o.out + "/linear.csv", csv);

    std::vector<Claim> claims;
    for (const Row& r : rows) {
      const bool homogeneous = r.model == "gd, homogeneous", rule = r.model.rfind("rule", 0) == 0;
      const std::string id = fmt::format("linear.{}.{}", r.setting.substr(0, 4), homogeneous ? "homogeneous" : (rule ? "rule" : "bias"));
      if (homogeneous)
        claims.push_back({id, "Linear classifiers are no better than random guessing (" + r.setting + ", homogeneous, GD)",
                          "50%", fmt::format("{:.1f}% on clean test labels", 100 * r.test_clean),
                          std::abs(r.test_clean - 0.5) <= 0.05 ? "agree" : "disagree", "agree within 5 points of 50%"});
      else if (rule)
        claims.push_back({id, "A linear rule with a bias can reach 75% (" + r.setting + ")", "75%",
                          fmt::format("{:.1f}% on clean test labels", 100 * r.test_clean),
                          std::abs(r.test_clean - 0.75) <= 0.03 ? "agree" : "disagree", "the rule sgn(<x, mu1> - 1/2)"});
      else
        claims.push_back({id, "A linear classifier with a bias trained by GD (" + r.setting + ")", "at most about 75%",
                          fmt::format("{:.1f}% on clean test labels (b = {:.3g})", 100 * r.test_clean, r.bias),
                          r.test_clean <= 0.78 ? "agree" : "disagree",
                          "GD on the logistic loss does not find the 75% rule: by symmetry it stays near chance"});
    }
    write_claims(o.out + "/claims.tsv", claims);
    std::string section = fmt::format(
        "## The linear baseline\n\nGradient descent on the same mean logistic loss from zero ({} steps, alpha = {}), "
        "and the rule sgn(<x, mu1> - 1/2), which a bias makes possible.\n\n"
        "| data | model | train | test | clean test |\n|---|---|---|---|---|\n", steps, o.alpha);
    for (const Row& r : rows)
      section += fmt::format("| {} | {} | {:.1f}% | {:.1f}% | {:.1f}% |\n", r.setting, r.model, 100 * r.train, 100 * r.test,
                             100 * r.test_clean);
    write_file_atomic(o.out + "/section.md", section + "\n");
    Json j;
    j.merge(provenance("rfa-linear")).add("profile", o.profile).add("steps", steps)
        .add("alpha", o.alpha).add("seed", static_cast<unsigned long long>(o.seed)).add("wall_seconds", wall);
    write_file_atomic(o.out + "/summary.json", j.str() + "\n");
    for (const Row& r : rows)
      fmt::print("rfa-linear: {:<26} {:<26} train {:.3f}  test {:.3f}  clean test {:.3f}\n", r.setting, r.model, r.train,
                 r.test, r.test_clean);
    return 0;
  });
}
