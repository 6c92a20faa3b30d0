// rfa-grokking: the follow-up paper on the same XOR clusters (Xu, Wang, Frei, Vardi, Hu, ICLR 2024; see
// experiments/PAPER.md, "The follow-up on grokking"). With a smaller signal-to-noise ratio than the amplification
// paper's, the network first
// fits every training label, flipped ones too, while its test accuracy is at chance, and generalizes only later.
// Its settings exactly: means of norm r = 2.5 sqrt(p / n), unit noise, labels flipped with probability 0.05,
// i.i.d. second-layer signs, omega_init = 1e-15 (a standard deviation), alpha = 1e-12 and 1e-16; accuracy against
// clean test labels; many runs, each with its own data, signs and init (seed, seed + 1, ...).
#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "bands.hpp"
#include "checkpoint.hpp"
#include "grokking.hpp"
#include "multirun.hpp"
#include "program.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;
using namespace rfa::cli::grokking;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-grokking: benign overfitting and grokking on XOR clusters (Xu, Wang, Frei, Vardi, Hu, ICLR 2024), at its "
    "settings: dimension p, n training points, means of norm 2.5 sqrt(p / n), unit noise, labels flipped with "
    "probability 0.05, m neurons with i.i.d. second-layer signs, init N(0, 1e-30), steps alpha = 1e-12 (50 steps) and "
    "1e-16 (5000 steps); accuracy against clean test labels. Its Figure 1 (median and 20-80% band of train and test "
    "accuracy over the runs, against t + 1), Figure 2 (the decision regions and the training points in the plane of "
    "mu1 and mu2, and the neurons projected on it), Figures 3-4 (histograms of <w_j, mu1> and <w_j, mu2> over the "
    "neurons with a_j > 0, pooled over runs), claims rows, and one float run per step size set beside the double run "
    "of the same seed (the paper's values live at 1e-15 to 1e-10). Writes grokking.csv, hist-<alpha>.csv, "
    "boundary.csv, points.csv, neurons.csv, grokking.png, boundary.png, hist-<alpha>.png (and .svg), summary.json, "
    "claims.tsv and section.md in --out, each run in --out/alpha=<alpha>/<dtype>-seed-<k>/. A multi-run program "
    "(--list-runs, --run-only, --gather, --jobs). Stop with Ctrl-C and run the same command again to resume.";

struct Options {
  CommonFlags common;
  std::size_t runs = 0, p = 0, n = 0, m = 0;  // 0: the profile's
};

struct Sizes {
  std::size_t p, n, m, runs;
};
// The paper's sizes (100 runs); default: 10 runs; quick: small enough for the tests and still in the regime
// (p / n = 50, where the paper's is 200).
Sizes sizes(const Options& o) {
  Sizes s = o.common.quick() ? Sizes{2000, 40, 100, 3} : Sizes{40000, 200, 1000, o.common.profile == "paper" ? 100u : 10u};
  if (o.p) s.p = o.p;
  if (o.n) s.n = o.n;
  if (o.m) s.m = o.m;
  if (o.runs) s.runs = o.runs;
  return s;
}

std::vector<Case> cases(const Options& o) {
  std::vector<Case> all;
  for (std::size_t k = 0; k < STEP_SIZES.size(); ++k) {
    for (std::size_t r = 0; r < sizes(o).runs; ++r) all.push_back({k, r, "f64"});
    all.push_back({k, 0, "f32"});
  }
  return all;
}

RunSpec spec_for(const Options& o, const Case& c) {
  const Sizes z = sizes(o);
  const StepSize& a = STEP_SIZES[c.step_size];
  RunSpec s = followup_spec(z.p, z.n, z.m, a.alpha, a.steps);
  s.seed = o.common.seed + c.run, s.dtype = c.dtype, s.grad = o.common.gradient();
  o.common.apply_init(s);
  return s;
}

// The evaluation steps: the spec's schedule and the snapshot steps.
std::vector<std::size_t> schedule(const RunSpec& s, const StepSize& a) {
  std::vector<std::size_t> steps = s.schedule();
  for (std::size_t t : a.snapshots)
    if (t <= s.steps) steps.push_back(t);
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return steps;
}

template <typename T>
Outcome run_case(const Options& o, const Case& c) {
  const StepSize& size = STEP_SIZES[c.step_size];
  Outcome out{c, spec_for(o, c), {}, {}, Tensor<double>(size.snapshots.size() * 2 * sizes(o).m), {}, {}, {}};
  out.proj.fill(NAN);
  PreparedRun<T> r = prepare_run<T>(out.spec);
  out.a = Tensor<double>(r.a.size());
  for (std::size_t j = 0; j < r.a.size(); ++j) out.a[j] = double(r.a[j]);
  const std::size_t m = out.spec.m, d = out.spec.d;
  RunOptions hooks;
  hooks.on_eval = [&](const Metrics& met) {
    const auto at = std::find(size.snapshots.begin(), size.snapshots.end(), met.step);
    if (at == size.snapshots.end()) return;
    const Tensor<T>& W = r.trainer->weights();
    double* p = out.proj.data() + std::size_t(at - size.snapshots.begin()) * 2 * m;
    for (std::size_t j = 0; j < m; ++j) {
      double d1 = 0, d2 = 0;
      for (std::size_t k = 0; k < d; ++k) d1 += double(W(j, k)) * r.means.mu1[k], d2 += double(W(j, k)) * r.means.mu2[k];
      p[j] = d1, p[m + j] = d2;
    }
  };
  // The projections are kept with the checkpoint, so that a resumed run (or --gather) still has the earlier ones.
  hooks.save_extra = [&](Checkpoint& ck) { ck.put("projections", out.proj); };
  hooks.load_extra = [&](const Checkpoint& ck) { ck.get("projections", out.proj); };
  RunControl control = o.common.control;
  control.label = c.dir();
  control.alpha = out.spec.alpha;
  Json settings = out.spec.json();
  settings.add("snapshots", std::vector<double>(size.snapshots.begin(), size.snapshots.end()));
  out.rows = train_in<T>("rfa-grokking", settings, *r.trainer, r.train, &r.test, schedule(out.spec, size),
                         o.common.out + "/" + c.dir(), control, std::move(hooks));
  Tensor<T> f;
  r.trainer->train_outputs(f);
  out.max_output = 0;
  for (std::size_t i = 0; i < f.size(); ++i) out.max_output = std::max(out.max_output, std::abs(double(f[i])));
  if (c.run == 0 && c.dtype == "f64")
    for (std::size_t i = 0; i < out.spec.n; ++i) {
      double d1 = 0, d2 = 0;
      for (std::size_t k = 0; k < d; ++k) d1 += double(r.train.X(i, k)) * r.means.mu1[k], d2 += double(r.train.X(i, k)) * r.means.mu2[k];
      out.x_mu1.push_back(d1), out.x_mu2.push_back(d2), out.y.push_back(double(r.train.y[i]));
    }
  return out;
}

std::string step_text(std::size_t t) { return t == NEVER ? std::string("never") : fmt::format("t = {}", t); }

double at_step(const Curve& c, std::size_t t, std::size_t column) {
  std::size_t k = 0;
  while (k + 1 < c.steps.size() && c.steps[k + 1] <= t) ++k;
  return c.q[k][column];
}

// The float run against the double run of the same seed: the largest gap in train and clean test accuracy.
std::pair<double, double> precision_gap(const std::vector<Outcome>& outs, std::size_t step_size) {
  const Outcome *f64 = nullptr, *f32 = nullptr;
  for (const Outcome& o : outs)
    if (o.c.step_size == step_size && o.c.run == 0) (o.c.dtype == "f64" ? f64 : f32) = &o;
  double train = 0, test = 0;
  for (std::size_t k = 0; k < f64->rows.size(); ++k) {
    train = std::max(train, std::abs(f64->rows[k].train_acc - f32->rows[k].train_acc));
    test = std::max(test, std::abs(f64->rows[k].test_clean_acc - f32->rows[k].test_clean_acc));
  }
  return {train, test};
}

Report report(const Options& o, const std::vector<Outcome>& outs, double wall) {
  Report rep("rfa-grokking");
  const Sizes z = sizes(o);
  const Curve fast = curve(outs, 0), slow = curve(outs, 1);
  const double t1_train = at_step(fast, 1, 1), t1_test = at_step(fast, 1, 4);
  rep.claims.push_back(paper_claim("grok.t1", {}, fmt::format("train {:.3f}, test {:.3f} (medians)", t1_train, t1_test),
                        t1_train >= 0.99 && t1_test <= 0.6 ? "agree" : "disagree", "medians over the double runs"));
  double low = 1;
  for (std::size_t k = 0; k < fast.steps.size(); ++k)
    if (fast.steps[k] >= 1 && double(fast.steps[k]) <= std::sqrt(double(z.n))) low = std::min(low, fast.q[k][1]);
  rep.claims.push_back(paper_claim("grok.persists", {}, fmt::format("lowest median train accuracy {:.3f}", low),
                        low >= 0.99 ? "agree" : "disagree", fmt::format("t = 1 to {}", std::size_t(std::sqrt(double(z.n))))));
  const std::size_t fast90 = first(fast, 4, 0.9);
  rep.claims.push_back(paper_claim("grok.fast", {},
                        fmt::format("{:.2f} at t = 2, {:.2f} at t = 5, {:.2f} at t = 10; >= 90% from {}", at_step(fast, 2, 4),
                                    at_step(fast, 5, 4), at_step(fast, 10, 4), step_text(fast90)),
                        fast90 <= 10 ? "agree" : fast90 <= 50 ? "partly" : "disagree", "median clean test accuracy"));
  const std::size_t slow_train = first(slow, 1, 1.0), slow90 = first(slow, 4, 0.9), slow99 = first(slow, 4, 0.99);
  rep.claims.push_back(paper_claim("grok.slow", {},
                        fmt::format("train 1.00 from {}; test >= 0.9 from {}, >= 0.99 from {}", step_text(slow_train),
                                    step_text(slow90), step_text(slow99)),
                        slow90 != NEVER && slow90 >= 775 && slow90 <= 3100 ? "agree" : "disagree",
                        "medians; agree when test >= 0.9 comes within a factor 2 of t = 1550; what would move it: "
                        "rfa-grokking-timing (row grok.timing)"));
  const double split1 = split_ratio(outs, 0, 1), split10 = split_ratio(outs, 0, 4);
  rep.claims.push_back(paper_claim("grok.split", {},
                        fmt::format("median |<w_j, mu1>| / median |<w_j, mu2>|: {:.1f} at t = 1, {:.1f} at t = 10", split1, split10),
                        split10 >= 5 && split1 < 2 ? "agree" : "disagree", "pooled over the double runs"));

  std::string table = "| alpha | t | train (median, 20-80%) | clean test (median, 20-80%) |\n|---|---|---|---|\n";
  for (std::size_t k = 0; k < STEP_SIZES.size(); ++k) {
    const Curve& c = k == 0 ? fast : slow;
    const std::vector<std::size_t> show = k == 0 ? std::vector<std::size_t>{0, 1, 2, 5, 10, 50}
                                                 : std::vector<std::size_t>{0, 1, 40, 100, 1000, 1550, 2350, 5000};
    for (std::size_t t : show)
      table += fmt::format("| {} | {} | {:.3f} ({:.3f}-{:.3f}) | {:.3f} ({:.3f}-{:.3f}) |\n", STEP_SIZES[k].key, t,
                           at_step(c, t, 1), at_step(c, t, 0), at_step(c, t, 2), at_step(c, t, 4), at_step(c, t, 3),
                           at_step(c, t, 5));
  }
  double largest = 0;
  for (const Outcome& r : outs) largest = std::max(largest, r.max_output);
  const std::string outputs = fmt::format("At the end of every run |f(x_i)| <= {:.2g} on the training points. ", largest);
  std::string precision;
  rep.summary.add("max_abs_output", largest);
  for (std::size_t k = 0; k < STEP_SIZES.size(); ++k) {
    const auto [train, test] = precision_gap(outs, k);
    precision += fmt::format("alpha = {}: the float run differs from the double run of the same seed by at most {:.3f} "
                             "in train and {:.3f} in clean test accuracy over every evaluation step. ",
                             STEP_SIZES[k].key, train, test);
    rep.summary.add(fmt::format("precision_gap_train_{}", STEP_SIZES[k].key), train);
    rep.summary.add(fmt::format("precision_gap_test_{}", STEP_SIZES[k].key), test);
  }
  rep.section = fmt::format(
      "## Follow-up: benign overfitting and grokking (Xu, Wang, Frei, Vardi, Hu, ICLR 2024)\n\n"
      "p = {}, n = {}, m = {}, 200 test points (accuracy against their clean labels), {} runs per step size (seeds "
      "{} to {}; each draws its own means, data, signs and init), means of norm 2.5 sqrt(p / n) = {:.2f}, unit noise, "
      "labels flipped with probability 0.05, omega_init = 1e-15. The median and the 20-80% band over the runs:\n\n{}\n"
      "![Figure 1](grokking.png)\n\n![Figure 2](boundary.png)\n\n"
      "![Figure 3](hist-1e-12.png)\n\n![Figure 4](hist-1e-16.png)\n\n"
      "**Precision.** {}So sigmoid(-y f) = 1/2 - y f / 4 + ... differs from 1/2 by less than float's resolution "
      "there (6e-8) wherever |f| < 2e-7: in float the loss derivative is then exactly -y/2 and the dynamics run on the "
      "activation patterns alone, while double keeps f's effect wherever |f| > 4e-16. Whether that changes anything "
      "shows in the float runs: {}\n\n",
      z.p, z.n, z.m, z.runs, o.common.seed, o.common.seed + z.runs - 1, 2.5 * std::sqrt(double(z.p) / double(z.n)),
      table, outputs, precision);
  rep.summary.add("wall_seconds_this_session", wall);
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  MultiRunProgram prog(argv, "rfa-grokking", ABOUT, o.common, "results/grokking",
                       "quick (p = 2000, n = 40, m = 100, 3 runs: for the tests, both phases still show), default "
                       "(the paper's p = 40000, n = 200, m = 1000, 10 runs per step size) or paper (100 runs per "
                       "step size)",
                       CommonFlags::GRAD | CommonFlags::INIT);
  Args& app = prog.app();
  app.option("--runs", o.runs, "double runs per step size (overrides the profile)", false);
  app.option("--p", o.p, "dimension (overrides the profile)", false);
  app.option("--n", o.n, "training points (overrides the profile)", false);
  app.option("--m", o.m, "neurons (overrides the profile)", false);
  return prog.run(argc, argv, [&] {
    if (app.given("--runs")) require_size("--runs", o.runs, 1);
    if (app.given("--p")) require_size("--p", o.p, 2);
    if (app.given("--n")) require_size("--n", o.n, 1);
    if (app.given("--m")) require_size("--m", o.m, 1);
    const std::vector<Case> all = cases(o);
    std::vector<RunEntry> entries;
    for (const Case& c : all) entries.push_back({c.dir(), spec_for(o, c).fingerprint()});
    auto run = [&o](const Case& c) { return with_dtype(c.dtype, [&]<class T> { return run_case<T>(o, c); }); };
    auto gather = [&o, run, all](double seconds) {
      std::vector<Outcome> outs;
      for (const Case& c : all) outs.push_back(run(c));
      write_tables(o.common.out, outs);
      const bool drawn = figures(o.common.out);
      report(o, outs, seconds).write(o.common.out, "rfa-grokking");
      return drawn;
    };
    return RunPlan{entries, [run, all](std::size_t i) { run(all[i]); }, gather};
  });
}
