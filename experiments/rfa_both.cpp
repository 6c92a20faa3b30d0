// rfa-both: the paper trains the first layer only, with the second fixed at +-1/sqrt(m). Does its mechanism survive
// training both layers? Figure 1 (d = 2) and Figure 2's d >> n panel, each with a fixed and with a trained second
// layer from the same data and init: the accuracy curves side by side, whether the XOR rule is learned by
// Theorem 1's T = 1 + 1/(4 alpha) steps, whether the neurons align with their class's cluster directions (the
// feature the mechanism amplifies), and whether the overfitting stays benign.
#include <cmath>
#include <optional>
#include <type_traits>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "checkpoint.hpp"
#include "mechanism.hpp"
#include "multirun.hpp"
#include "program.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-both: the paper's network with its second layer trained too (beyond the paper, which keeps a fixed). "
    "Figure 1 (d = 2) and Figure 2's (300, 5000) panel, each with a fixed and a trained second layer from the same "
    "data and init (the trained one by the plain step, the only one that trains a): accuracy over training, the "
    "clean test accuracy at Theorem 1's T = 1 + 1/(4 alpha), and the share of neurons aligned with their class's "
    "cluster directions (|cos(w_j, mu)| >= 0.5 for one of +-mu1 when a_j > 0 at init, +-mu2 when a_j < 0). Writes "
    "both.csv, both.png / both.svg, summary.json, claims.tsv and section.md in --out, and each run in "
    "--out/<setting>-<fixed|both>/. A multi-run program (--list-runs, --run-only, --gather, --jobs). Stop with "
    "Ctrl-C and run the same command again to resume.";

// A neuron counts as aligned with its class's features when |cos(w_j, mu)| reaches this for one of its means.
constexpr double ALIGNED = 0.5;

struct Options {
  CommonFlags common;
  std::size_t steps = 0;
};

struct Case {
  std::string setting;  // "fig1" or "fig2"
  bool both;
  std::string dir() const { return setting + (both ? "-both" : "-fixed"); }
};

const std::vector<Case> CASES = {{"fig1", false}, {"fig1", true}, {"fig2", false}, {"fig2", true}};

RunSpec spec_for(const Options& o, const Case& c) {
  RunSpec s = c.setting == "fig1" ? figure1(o.common.profile) : figure2("high", o.common.profile);
  if (c.setting == "fig2") s.steps = o.common.quick() ? 300 : o.common.profile == "paper" ? 200000 : 20000;
  if (o.steps) s.steps = o.steps;
  s.seed = o.common.seed, s.dtype = o.common.dtype, s.grad = o.common.gradient();
  s.train_second_layer = c.both;
  o.common.apply_init(s);
  return s;
}

std::size_t theorem_T(const RunSpec& s) { return static_cast<std::size_t>(std::ceil(1 + 1 / (4 * s.alpha))); }

// The share of neurons aligned with their class's cluster directions (the sign of a_j at init picks the class).
template <typename T>
double aligned_share(const Tensor<T>& W, const Tensor<T>& a0, const Means& means) {
  std::size_t aligned = 0, counted = 0;
  for (std::size_t j = 0; j < W.rows(); ++j) {
    if (a0[j] == T(0)) continue;
    const Tensor<double>& mu = a0[j] > T(0) ? means.mu1 : means.mu2;
    double dot = 0, norm = 0;
    for (std::size_t k = 0; k < W.cols(); ++k) dot += double(W(j, k)) * mu[k], norm += double(W(j, k)) * W(j, k);
    ++counted;
    aligned += norm > 0 && std::abs(dot) / std::sqrt(norm) >= ALIGNED;
  }
  return counted ? double(aligned) / double(counted) : 0.0;
}

struct Outcome {
  Case c;
  RunSpec spec;
  std::vector<Metrics> rows;
  double aligned_T = NAN, aligned_end = NAN;
  // The paper's mechanism at T (rfa-amplification's measurements; in double runs only): the median alignment
  // <w_j/||w_j||, +-mu> over the sets J of init, and the share of J neurons meeting Condition 9.
  double j_align_T = NAN, cond9_T = NAN;
};

// The sets J's threshold c / sqrt(d), as rfa-amplification's default.
constexpr double J_C = 0.1;

template <typename T>
Outcome run_case(const Options& o, const Case& c) {
  Outcome out{c, spec_for(o, c), {}};
  PreparedRun<T> r = prepare_run<T>(out.spec);
  const Tensor<T> a0 = r.a;
  const std::size_t Tstep = theorem_T(out.spec);
  // The mechanism's measurements follow the run in double (the tracker reads double data and weights).
  std::optional<AtInit> init;
  std::optional<Tracker> tracker;
  if constexpr (std::is_same_v<T, double>) {
    init.emplace(at_init(r.W0, a0, r.means, std::sqrt(out.spec.omega2), J_C));
    tracker.emplace(out.spec, r.train, a0, r.means, r.W0, *init);
  }
  RunOptions hooks;
  hooks.on_eval = [&](const Metrics& m) {
    if (m.step == Tstep) out.aligned_T = aligned_share(r.trainer->weights(), a0, r.means);
    if constexpr (std::is_same_v<T, double>) tracker->observe(r.trainer->weights(), m);
  };
  // The measurements are kept with the checkpoint, so that a resumed run (or --gather) still has them.
  hooks.save_extra = [&](Checkpoint& ck) {
    ck.put("aligned_at_T", Tensor<double>{out.aligned_T});
    if (tracker) tracker->save(ck);
  };
  hooks.load_extra = [&](const Checkpoint& ck) {
    Tensor<double> t;
    ck.get("aligned_at_T", t);
    out.aligned_T = t.item();
    if (tracker) tracker->load(ck);
  };
  RunControl control = o.common.control;
  control.label = c.dir();
  out.rows = train_in<T>("rfa-both", out.spec, r, o.common.out + "/" + c.dir(), control, std::move(hooks));
  out.aligned_end = aligned_share(r.trainer->weights(), a0, r.means);
  if (tracker)
    for (const StepRow& row : tracker->rows())
      if (row.t == Tstep) out.j_align_T = row.align_median, out.cond9_T = row.cond9_share;
  return out;
}

const Metrics& at(const std::vector<Metrics>& rows, std::size_t step) {
  std::size_t k = 0;
  while (k + 1 < rows.size() && rows[k + 1].step <= step) ++k;
  return rows[k];
}

void write_table(const Options& o, const std::vector<Outcome>& outs) {
  std::string csv = "setting,second_layer,steps,T,test_clean_at_T,aligned_at_T,j_alignment_at_T,condition9_at_T,"
                    "train_end,test_end,test_clean_end,aligned_end\n";
  for (const Outcome& r : outs) {
    const std::size_t T = theorem_T(r.spec);
    const Metrics &mt = at(r.rows, T), &me = r.rows.back();
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", r.c.setting, r.c.both ? "trained" : "fixed", r.spec.steps,
                       T, mt.test_clean_acc, r.aligned_T, r.j_align_T, r.cond9_T, me.train_acc, me.test_acc,
                       me.test_clean_acc, r.aligned_end);
    write_file_atomic(o.common.out + "/" + r.c.dir() + ".csv", metrics_csv(r.rows, r.spec.alpha));
  }
  write_file_atomic(o.common.out + "/both.csv", csv);
}

bool figure(const Options& o, const std::vector<Outcome>& outs) {
  std::string cmds;
  for (const char* setting : {"fig1", "fig2"}) {
    const RunSpec s = spec_for(o, {setting, false});
    cmds += fmt::format(
        "set title '{t} (n, d) = ({n}, {dd})'\nplot '{k}-fixed.csv' using (x0($1)):4 with lines lw 2 lc rgb '#1f4e9c' "
        "title 'train, a fixed', '{k}-fixed.csv' using (x0($1)):7 with lines lw 2 dt 2 lc rgb '#1f4e9c' title "
        "'test, a fixed', '{k}-both.csv' using (x0($1)):4 with lines lw 2 lc rgb '#c0392b' title 'train, a trained', "
        "'{k}-both.csv' using (x0($1)):7 with lines lw 2 dt 2 lc rgb '#c0392b' title 'test, a trained'\n",
        fmt::arg("t", std::string(setting) == "fig1" ? "Figure 1" : "Figure 2"), fmt::arg("n", s.n),
        fmt::arg("dd", s.d), fmt::arg("k", setting));
  }
  std::size_t steps = 1;
  for (const Outcome& r : outs) steps = std::max(steps, r.spec.steps);
  // The gnuplot script, a template whose {fields} are filled here: figures/both.gp.in.
  constexpr const char* BOTH_GP =
#include "figures/both.gp.in"
      ;
  const std::string body = fmt::format(BOTH_GP,
                                       fmt::arg("steps", steps), fmt::arg("cmds", cmds));
  return plot(o.common.out, "both", plot_both("both", 1200, 520, body));
}

Report report(const std::vector<Outcome>& outs, double wall) {
  Report rep("rfa-both");
  std::string table = "| setting | second layer | steps | clean test at T | aligned at T | J alignment at T (median) | "
                      "Condition 9 at T | train / test / clean test at the end | aligned at the end |\n"
                      "|---|---|---|---|---|---|---|---|---|\n";
  for (const Outcome& r : outs) {
    const std::size_t T = theorem_T(r.spec);
    const Metrics &mt = at(r.rows, T), &me = r.rows.back();
    table += fmt::format("| {} | {} | {} | {:.1f}% (T = {}) | {:.0f}% | {:.3f} | {:.0f}% | {:.1f}% / {:.1f}% / {:.1f}% | "
                         "{:.0f}% |\n",
                         r.c.setting == "fig1" ? "Figure 1" : "Figure 2 (300, 5000)", r.c.both ? "trained" : "fixed",
                         r.spec.steps, 100 * mt.test_clean_acc, T, 100 * r.aligned_T, r.j_align_T, 100 * r.cond9_T,
                         100 * me.train_acc, 100 * me.test_acc, 100 * me.test_clean_acc, 100 * r.aligned_end);
  }
  rep.section = fmt::format(
      "## Beyond the paper: both layers trained\n\nThe same data and init, with the second layer fixed at +-1/sqrt(m) "
      "(the paper) and trained by the same gradient descent. 'Aligned' is the share of neurons with |cos(w_j, mu)| "
      ">= {:.1f} for one of their class's cluster means (+-mu1 when a_j > 0 at init, +-mu2 when a_j < 0); T = 1 + "
      "1/(4 alpha) is Theorem 1's horizon. 'J alignment' and 'Condition 9' are rfa-amplification's measurements of the "
      "paper's mechanism on the sets J of init (c = {}): the median <w_j/||w_j||, +-mu> over their neurons, and the "
      "share of them active on all of their own cluster's training points and none of the opposite one's (double "
      "runs only).\n\n{}\n![both layers trained](both.png)\n\n",
      ALIGNED, J_C, table);
  // The trained runs' claims (ours, not the paper's: it keeps a fixed), each beside the fixed run of its setting.
  for (std::size_t k = 0; k + 1 < outs.size(); k += 2) {
    const Outcome &fixed = outs[k], &r = outs[k + 1];
    const std::size_t T = theorem_T(r.spec);
    const Metrics &mt = at(r.rows, T), &me = r.rows.back(), &ft = at(fixed.rows, T), &fe = fixed.rows.back();
    const std::string name = r.c.setting == "fig1" ? "Figure 1" : "Figure 2 (300, 5000)";
    rep.claims.push_back(paper_claim(
        "both.mechanism", {r.c.setting, name},
         fmt::format("{:.1f}% at step {} (a fixed: {:.1f}%); {:.0f}% of neurons aligned (a fixed: {:.0f}%); J "
                     "alignment {:.3f} (a fixed: {:.3f}); Condition 9 for {:.0f}% of J (a fixed: {:.0f}%)",
                     100 * mt.test_clean_acc, T, 100 * ft.test_clean_acc, 100 * r.aligned_T, 100 * fixed.aligned_T,
                     r.j_align_T, fixed.j_align_T, 100 * r.cond9_T, 100 * fixed.cond9_T),
         mt.test_clean_acc >= 0.95 ? "agree" : "disagree", "beyond the paper: a is trained"));
    rep.claims.push_back(paper_claim(
        "both.benign", {r.c.setting, name},
         fmt::format("train {:.1f}%, test {:.1f}% at step {} (a fixed: {:.1f}%, {:.1f}%)", 100 * me.train_acc,
                     100 * me.test_acc, r.spec.steps, 100 * fe.train_acc, 100 * fe.test_acc),
         verdict(paper_value("both.benign"), me.test_acc), "beyond the paper: a is trained; within 3 points"));
  }
  rep.summary.add("wall_seconds_this_session", wall);
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  MultiRunProgram prog(argv, "rfa-both", ABOUT, o.common, "results/both",
                       "quick (small, for tests), default (Figure 1 to 3000 steps, Figure 2 to 20000; the trained "
                       "Figure 2 run takes the plain step) or paper (Figure 2 to 2 x 10^5); measured times: "
                       "tools/PERFORMANCE.md",
                       CommonFlags::DTYPE | CommonFlags::GRAD | CommonFlags::INIT);
  prog.app().option("--steps", o.steps, "steps of every run (overrides the profile)", false);
  return prog.run(argc, argv, [&] {
    std::vector<RunEntry> entries;
    for (const Case& c : CASES) entries.push_back({c.dir(), spec_for(o, c).fingerprint()});
    auto run = [&o](const Case& c) { return with_dtype(o.common.dtype, [&]<class T> { return run_case<T>(o, c); }); };
    auto gather = [&o, run](double seconds) {
      std::vector<Outcome> outs;
      for (const Case& c : CASES) outs.push_back(run(c));
      write_table(o, outs);
      const bool drawn = figure(o, outs);
      report(outs, seconds).write(o.common.out, "rfa-both");
      return drawn;
    };
    return RunPlan{entries, [run](std::size_t i) { run(CASES[i]); }, gather};
  });
}
