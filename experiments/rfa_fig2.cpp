// rfa-fig2: the paper's Figure 2, "training in high and low dimensions". Two panels, (n, d) = (300, 5000) and
// (5000, 300), m = 400, sigma^2 = d^-1.2, exactly 15% of labels flipped in each cluster, omega_init^2 =
// 0.01/(m d), alpha = 0.1, 6000 test points: train and test accuracy against gradient-descent steps on a log
// axis, for K seeds (mean and min-max band). Every run checkpoints; the same command resumes after a stop.
#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "openblas.hpp"
#include "parallel.hpp"
#include "bands.hpp"
#include "multirun.hpp"
#include "paper_claims.hpp"
#include "program.hpp"
#include "run.hpp"
#include "run_lock.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-fig2: the paper's Figure 2 (training in high and low dimensions). Panels (n, d) = (300, 5000) and (5000, "
    "300); m = 400, sigma^2 = d^-1.2, exactly 15% of the labels of each cluster flipped, omega_init^2 = 0.01/(m d), "
    "alpha = 0.1, 6000 test points. Writes, in --out: <panel>/seed-<k>/ (metrics.csv, run.json, checkpoint.rfa) for "
    "every run, high.csv and low.csv (mean and min-max over seeds at each evaluation step), summary.json, "
    "claims.tsv, section.md and fig2.png / fig2.svg (with the paper's values at 10^7 marked when the horizon is "
    "10^7). The (300, 5000) panel trains in row space with shared activation patterns (exact, see tools/PERFORMANCE.md). Long "
    "runs print progress with the time left; stop with Ctrl-C and run the same command again to resume, or build "
    "the outputs from the runs so far with --gather-so-far.";

struct Options {
  CommonFlags common;
  StepFlags step;  // --alpha (one value) and --horizon-flow
  std::string panels = "both";
  std::size_t seeds = 1, steps = 0, per_decade = 20;
  bool so_far = false;  // --gather-so-far (MultiRunFlags::so_far): every run as far as it has got
};

// The paper's horizon: its values at this step (at its alpha; flow time 10^6) are marked in the figure when the
// command's horizon reaches that flow time.
constexpr std::size_t PAPER_STEPS = 10000000;
constexpr double PAPER_FLOW = PAPER_ALPHA * PAPER_STEPS;

// A flow time in the paper's steps (flow / 0.1): the x axis of the figure and the unit of the claims, so that a run
// at another alpha is read against the paper's numbers.
double paper_steps(const RunSpec& s, std::size_t t) { return s.flow(t) / PAPER_ALPHA; }

// A panel over its seeds, and each seed's first flipped training label fitted (first_flipped_fit).
struct Fig2Panel : Panel {
  std::vector<std::size_t> first_flips;
};

RunSpec spec_for(const Options& o, const std::string& key, std::uint64_t seed) {
  RunSpec s = figure2(key, o.common.profile);
  o.step.set(s, o.step.alphas[0], o.steps, s.steps);
  s.seed = seed, s.dtype = o.common.dtype, s.grad = o.common.gradient();
  s.dense = 100, s.per_decade = o.per_decade;
  o.common.apply_init(s);
  return s;
}

// The panels and seeds of this command, in the order of their run indices (--list-runs).
std::vector<std::pair<std::string, std::size_t>> run_list(const Options& o) {
  std::vector<std::pair<std::string, std::size_t>> runs;
  for (const char* key : {"high", "low"})
    if (o.panels == "both" || o.panels == key)
      for (std::size_t k = 0; k < o.seeds; ++k) runs.emplace_back(key, k);
  return runs;
}

// A panel's key: "high" or "low", with -alpha<alpha> when the step is not the paper's.
std::string panel_key(const Options& o, const std::string& panel) {
  return panel + alpha_suffix(o.step.alphas[0]) + (o.common.init == "gaussian" ? "" : "-init-" + o.common.init);
}

std::string run_dir(const Options& o, const std::string& key, const RunSpec& spec) {
  return fmt::format("{}/seed-{}", panel_key(o, key), spec.seed);
}

// Trains (or, gathering, reads) the k-th seed of a panel in <out>/<panel>/seed-<seed>.
template <typename T>
std::vector<Metrics> run_seed(const Options& o, const std::string& key, std::size_t k) {
  const RunSpec spec = spec_for(o, key, o.common.seed + k);
  RunControl control = o.common.control;
  control.label = fmt::format("panel (n, d) = ({}, {}), seed {} ({}/{})", spec.n, spec.d, spec.seed, k + 1, o.seeds);
  PreparedRun<T> r = prepare_run<T>(spec);
  std::vector<Metrics> rows = train_in<T>("rfa-fig2", spec, r, o.common.out + "/" + run_dir(o, key, spec), control);
  if (!control.quiet && !control.gather)
    fmt::print(stderr, "rfa-fig2: {}: done ({}), train {:.4f}, test {:.4f}\n", control.label, r.trainer->name(),
               rows.back().train_acc, rows.back().test_acc);
  return rows;
}

// The panel's runs over the seeds (read from their directories), aggregated, and <out>/<panel>.csv. Gathering so
// far, each seed counts as far as it has got, cut to the step every counted seed reached (the panel's horizon), and
// seeds not started are left out (nothing when none has started).
template <typename T>
std::optional<Fig2Panel> run_panel(const Options& o, const std::string& key) {
  std::vector<std::vector<Metrics>> runs;
  for (std::size_t k = 0; k < o.seeds; ++k) {
    if (!o.so_far) {
      runs.push_back(run_seed<T>(o, key, k));
      continue;
    }
    const RunSpec spec = spec_for(o, key, o.common.seed + k);
    std::vector<Metrics> rows = metrics_reached(o.common.out + "/" + run_dir(o, key, spec), spec);
    if (!rows.empty()) runs.push_back(std::move(rows));
  }
  if (runs.empty()) return std::nullopt;
  Fig2Panel p{aggregate_reached(key, spec_for(o, key, o.common.seed + o.seeds - 1), runs), {}};
  for (const auto& r : runs) p.first_flips.push_back(first_flipped_fit(r));
  write_file_atomic(fmt::format("{}/{}.csv", o.common.out, panel_key(o, key)), bands_csv(p));
  // From here on, steps are the paper's (flow time / 0.1): the claims and tables speak of its step counts.
  static_cast<Panel&>(p) = in_paper_steps(p, PAPER_ALPHA);
  for (std::size_t& f : p.first_flips)
    if (f != NEVER) f = static_cast<std::size_t>(std::round(paper_steps(p.spec, f)));
  return p;
}

// The horizon the command sets, the longest of its panels' in the paper's steps (a panel gathered so far may stop
// short of it).
std::size_t planned_horizon(const Options& o, const std::vector<Fig2Panel>& panels) {
  std::size_t steps = 1;
  for (const Panel& p : panels) {
    const RunSpec s = spec_for(o, p.key, o.common.seed);
    steps = std::max(steps, static_cast<std::size_t>(std::round(paper_steps(s, s.steps))));
  }
  return steps;
}

// Said beside every number of a run at another step than the paper's: it stands in by step-size equivalence.
std::string equivalence_note(const RunSpec& s) {
  return s.alpha == PAPER_ALPHA
             ? std::string()
             : fmt::format("by step-size equivalence: trained at alpha = {}, steps counted as the paper's (flow time / "
                           "0.1); valid as far as the step-size equivalence study validates alpha = {}",
                           s.alpha, s.alpha);
}

// The paper's claims about one panel (PAPER.md, as read off the figure).
void panel_claims(const Panel& p, std::vector<Claim>& claims) {
  const std::size_t first = claims.size();
  const std::string name = fmt::format("(n, d) = ({}, {})", p.spec.n, p.spec.d), k = p.key;
  const std::size_t jump = jump_step(p), horizon = p.spec.steps;
  const Band& end = p.bands.back();
  // The plateau is read ten times later than the jump (and not before step 100).
  const std::size_t plateau_step =
      std::min<std::size_t>(horizon, std::max<std::size_t>(100, jump == NEVER ? horizon : 10 * std::max<std::size_t>(jump, 1)));
  const Band& after = at(p, plateau_step);
  claims.push_back(paper_claim("fig2.jump", {k, name},
                    jump != NEVER ? fmt::format("at step {} (>= 95% of test points by their clean label)", jump) : "no jump",
                    jump != NEVER && jump >= 100 && jump <= 1000 ? "agree" : "disagree",
                    jump != NEVER && jump >= 100 && jump <= 1000
                        ? "agree at 100-1000 steps"
                        : "explained by rfa-jump (row jump.law): the jump's step grows as omega/alpha, and the stated "
                          "omega/alpha puts it at once (the theorem's T = 1 + 1/(4 alpha) = 3.5 steps)"));
  const PaperValue& plateau = paper_value("fig2.plateau");
  const bool on_plateau = within(plateau, after.test_mean) && within(plateau, after.train_mean);
  claims.push_back(paper_claim("fig2.plateau", {k, name},
                    fmt::format("train {:.1f}%, test {:.1f}% at step {}", 100 * after.train_mean, 100 * after.test_mean, plateau_step),
                    on_plateau ? "agree" : "disagree", "agree within 3 points"));
  if (k == "high") {
    const std::size_t full = first_step(p, 0.9999, [](const Band& b) { return b.train_mean; });
    claims.push_back(paper_claim("fig2.high.memorize", {name},
                      full != NEVER ? fmt::format("100% at step {}", full)
                                    : fmt::format("{:.1f}% at step {} (end of this run)", 100 * end.train_mean, horizon),
                      full != NEVER ? (full <= 1000000 && full >= 20000 ? "agree" : "partly")
                                    : (horizon < 200000 ? "untested" : "disagree"),
                      fmt::format("horizon {} steps", horizon)));
    // Within the tolerance but short of the paper's step: "partly" (the plateau holds as far as the run went).
    const PaperValue& benign = paper_value("fig2.high.benign");
    claims.push_back(paper_claim("fig2.high.benign", {name}, fmt::format("{:.1f}% at step {}", 100 * end.test_mean, horizon),
                      within(benign, end.test_mean) ? (horizon >= benign.at_step ? "agree" : "partly") : "disagree",
                      horizon >= 10000000 ? "within 3 points" : fmt::format("within 3 points, but only to step {}", horizon)));
  } else {
    claims.push_back(paper_claim("fig2.low.train", {name}, fmt::format("{:.1f}% at step {}", 100 * end.train_mean, horizon),
                      verdict(paper_value("fig2.low.train"), end.train_mean, horizon),
                      fmt::format("horizon {} steps", horizon)));
    claims.push_back(paper_claim("fig2.low.harmful", {name}, fmt::format("{:.1f}% at step {}", 100 * end.test_mean, horizon),
                      verdict(paper_value("fig2.low.harmful"), end.test_mean, horizon),
                      fmt::format("horizon {} steps", horizon)));
  }
  if (p.spec.alpha == PAPER_ALPHA) return;
  // A rescaled run's first evaluations come at whole steps of its alpha, far apart in the paper's steps: it cannot
  // say where the jump comes.
  claims[first].verdict = "untested";
  claims[first].note = fmt::format("a run at alpha = {} takes its first step at the paper's step {:.0f}: too coarse "
                                   "for the jump", p.spec.alpha, p.spec.alpha / PAPER_ALPHA);
  for (std::size_t c = first; c < claims.size(); ++c) claims[c].note += "; " + equivalence_note(p.spec);
}

// The figure: one log-axis plot per panel, to the horizon the command sets (a panel gathered so far stops where its
// runs have got); the log axis has no 0, so step 0 (the init) is drawn at 0.5, its left edge, and marked by a
// point. With a horizon of 10^7, the paper's: its values at 10^7 as open circles (PAPER.md: train 100% and test
// about 85% for (300, 5000); about 95% and 79% for (5000, 300)) and, on the n >> d panel, its onset of overfitting
// at about 2 x 10^5 steps.
bool figure(const Options& o, const std::vector<Fig2Panel>& panels) {
  std::string cmds;
  const std::size_t max_steps = planned_horizon(o, panels);
  const bool paper = max_steps >= PAPER_STEPS;
  std::size_t seeds = 1;
  for (const Panel& p : panels) seeds = std::max(seeds, p.runs);
  // The CSVs count this run's steps; the x axis counts the paper's (flow time / 0.1): x = step * r.
  const double r = o.step.alphas[0] / PAPER_ALPHA;
  const std::string x = r == 1 ? "$1" : fmt::format("($1 * {:.12g})", r);
  for (const Panel& p : panels) {
    const bool low = p.key == "low";
    const std::string file = panel_key(o, p.key);
    const std::string marks =
        !paper ? "" : fmt::format(", '$paper_{k}' using 1:2 with points pt 6 ps 1.6 lc rgb '#1f4e9c' title 'paper at 10^7', "
                                  "'$paper_{k}' using 1:3 with points pt 6 ps 1.6 lc rgb '#c0392b' notitle",
                                  fmt::arg("k", p.key));
    if (paper)
      cmds += fmt::format("$paper_{} << EOD\n{},{},{}\nEOD\n", p.key, PAPER_STEPS, paper_value(low ? "fig2.low.train" : "fig2.high.memorize").value,
                          paper_value(low ? "fig2.low.harmful" : "fig2.high.benign").value);
    cmds += "unset arrow\nunset label\n";
    if (paper && low)
      cmds += "set arrow from 2e5, graph 0 to 2e5, graph 1 nohead dt 3 lc rgb 'gray40'\n"
              "set label \"paper's onset\" at 2.3e5, graph 0.6 tc rgb 'gray40'\n";
    const std::string band = p.runs > 1
        ? fmt::format("'{f}.csv' using (x0({x})):3:4 with filledcurves lc rgb '#1f4e9c' fs transparent solid 0.2 notitle, "
                      "'{f}.csv' using (x0({x})):6:7 with filledcurves lc rgb '#c0392b' fs transparent solid 0.2 notitle, ",
                      fmt::arg("f", file), fmt::arg("x", x))
        : "";
    cmds += fmt::format(
        "set title '(n, d) = ({n}, {d}){eq}'\nplot {b}'{f}.csv' using (x0({x})):2 with lines lw 2 lc rgb '#1f4e9c' title 'train', "
        "'{f}.csv' using (x0({x})):5 with lines lw 2 dt 2 lc rgb '#c0392b' title 'test', "
        "'{f}.csv' using (x0({x})):8 with lines lw 1 dt 3 lc rgb '#c0392b' title 'test, clean labels', "
        "'{f}.csv' using ($1 == 0 ? 0.5 : 1/0):2 with points pt 7 ps 0.8 lc rgb '#1f4e9c' notitle, "
        "'{f}.csv' using ($1 == 0 ? 0.5 : 1/0):5 with points pt 7 ps 0.8 lc rgb '#c0392b' notitle{marks}\n",
        fmt::arg("n", p.spec.n), fmt::arg("d", p.spec.d), fmt::arg("b", band), fmt::arg("f", file), fmt::arg("x", x),
        fmt::arg("marks", marks),
        fmt::arg("eq", r == 1 ? "" : fmt::format(", by step-size equivalence: trained at alpha = {}", p.spec.alpha)));
  }
  // The gnuplot script, a template whose {fields} are filled here: figures/fig2.gp.in.
  constexpr const char* FIG2_GP =
#include "figures/fig2.gp.in"
      ;
  const std::string body = fmt::format(FIG2_GP,
                                       fmt::arg("np", panels.size()), fmt::arg("m", panels.back().spec.m),
                                       fmt::arg("seeds", (seeds > 1 ? fmt::format(", {} seeds: mean and min-max band", seeds) : "") +
                                                             (o.common.init == "gaussian" ? "" : ", init " + o.common.init + ", not as in the paper")),
                                       fmt::arg("maxs", max_steps), fmt::arg("cmds", cmds), fmt::arg("alpha", o.step.alphas[0]),
                  fmt::arg("xlabel", r == 1 ? "gradient descent steps (step 0, the init, drawn at the left edge)"
                                            : "steps at the paper''s alpha = 0.1 with the same flow time alpha t (0 drawn at the left edge)"));
  return plot(o.common.out, "fig2", plot_both("fig2", 1200, 520, body));
}

// Each seed's first flipped training label fitted, "a / b / c" ("none" for a seed that fits none by the horizon).
std::string flips_text(const Fig2Panel& p) {
  std::string t;
  for (std::size_t f : p.first_flips)
    t += (t.empty() ? "" : " / ") + (f == NEVER ? std::string("none") : std::to_string(f));
  return t;
}

Report report(const Options& o, const std::vector<Fig2Panel>& panels, const std::string& not_started, double wall) {
  Report rep("rfa-fig2");
  rep.summary.add("profile", o.common.profile).add("seeds", o.seeds).add("threads", rfa::threads())
      .add("gathered_so_far", o.so_far);
  std::string table = "| panel | method | seeds | steps | jump (95% of test points by clean label) | first fits a "
                      "flipped training label (each seed) | train / test at step 0 | train / test / clean test at the "
                      "end |\n|---|---|---|---|---|---|---|---|\n";
  // The accuracies at every power of 10 up to the command's horizon, beside the paper's figure.
  const std::size_t max_steps = planned_horizon(o, panels);
  std::vector<std::size_t> decades;
  std::string by_decade = "| panel |", rule = "|---|";
  for (std::size_t t = 100, e = 2; t <= max_steps; t *= 10, ++e)
    decades.push_back(t), by_decade += fmt::format(" step 10^{} |", e), rule += "---|";
  by_decade += "\n" + rule + "\n";
  for (const Fig2Panel& p : panels) {
    panel_claims(p, rep.claims);
    const std::size_t jump = jump_step(p);
    const Band &start = p.bands.front(), &end = p.bands.back();
    table += fmt::format("| (n, d) = ({}, {}) | {} | {} | {} | {} | {} | {:.1f}% / {:.1f}% | {:.1f}% / {:.1f}% / {:.1f}% |\n",
                         p.spec.n, p.spec.d, to_string(resolve_method(p.spec.method, p.spec.n, p.spec.d)), p.runs,
                         p.spec.steps, jump == NEVER ? std::string("never") : std::to_string(jump), flips_text(p),
                         100 * start.train_mean, 100 * start.test_mean, 100 * end.train_mean, 100 * end.test_mean,
                         100 * end.clean_mean);
    by_decade += fmt::format("| ({}, {}) |", p.spec.n, p.spec.d);
    for (std::size_t t : decades) {
      const Band& b = at(p, t);
      by_decade += t > p.spec.steps ? std::string(" not reached |")
                                    : fmt::format(" {:.1f}% / {:.1f}% / {:.1f}% |", 100 * b.train_mean,
                                                  100 * b.test_mean, 100 * b.clean_mean);
    }
    by_decade += "\n";
    Json pj;
    pj.add("settings", p.spec.json()).add("seeds_counted", p.runs)
        .add("jump_step", jump == NEVER ? -1LL : static_cast<long long>(jump))
        .add("final_train_mean", end.train_mean).add("final_test_mean", end.test_mean)
        .add("final_test_clean_mean", end.clean_mean);
    std::vector<double> flips;
    for (std::size_t f : p.first_flips) flips.push_back(f == NEVER ? NAN : double(f));
    pj.add("first_flipped_fit", flips);  // per seed; null: none by the horizon
    rep.summary.add(p.key, pj);
  }
  rep.summary.add("wall_seconds_this_session", wall);
  const RunSpec& s = panels.back().spec;
  const std::string so_far =
      !o.so_far ? std::string()
                : fmt::format(" Gathered so far (`--gather-so-far`): each panel to the last evaluation all its counted "
                              "seeds reached (its steps in the table), of {} seed(s) asked for{}.",
                              o.seeds, not_started.empty() ? "" : "; not started: " + not_started);
  rep.section = fmt::format(
      "## Figure 2: training in high and low dimensions\n\n![Figure 2](fig2.png)\n\n"
      "Settings: m = {m}, sigma^2 = d^-1.2, exactly 15% of the labels of each cluster flipped, {init}, alpha = {alpha}, {ntest} test points, a random orthonormal pair of means, {seeds} seed(s) from {seed}, "
      "{dtype}, the {grad} gradient; profile '{profile}'.{equivalence}{rowspace}{so_far} 'First fits a flipped training label': the first "
      "evaluation that does, once the run has jumped and then fitted none.{paper}\n\n{table}\n"
      "Mean train / test / clean test accuracy:\n\n{by_decade}\n",
      fmt::arg("m", s.m), fmt::arg("ntest", s.n_test), fmt::arg("alpha", s.alpha),
      fmt::arg("init", o.common.init == "gaussian"
                           ? std::string("omega_init^2 = 0.01/(m d)")
                           : "**not the paper's init**: --init " + o.common.init + " (" + init_formula(o.common.init) +
                                 "; the paper's is N(0, 0.01/(m d)))"),
      fmt::arg("equivalence", s.alpha == PAPER_ALPHA ? std::string()
                                                     : " **Not the paper's step**: " + equivalence_note(s) +
                                                           ". Every step below is the paper's step at the same flow time."), fmt::arg("seeds", o.seeds), fmt::arg("seed", o.common.seed),
      fmt::arg("dtype", o.common.dtype), fmt::arg("grad", o.common.grad == "tape" ? "tape's" : "closed-form"),
      fmt::arg("profile", o.common.profile), fmt::arg("so_far", so_far),
      fmt::arg("rowspace", o.panels == "low" ? "" : " The (300, 5000) panel trains in row space with shared activation "
                                                    "patterns (exact; see tools/PERFORMANCE.md)."),
      fmt::arg("paper", max_steps >= PAPER_STEPS ? " The figure marks the paper's values at 10^7 with open circles (train "
                                                "100% and test about 85% for (300, 5000); about 95% and 79% for "
                                                "(5000, 300)) and, on the (5000, 300) panel, its onset of overfitting "
                                                "(about 2 x 10^5 steps)."
                                              : ""),
      fmt::arg("table", table), fmt::arg("by_decade", by_decade));
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  MultiRunProgram prog(argv, "rfa-fig2", ABOUT, o.common, "results/fig2",
                       "quick (seconds, small panels, for tests), default (2x10^5 and 2x10^4 steps) or paper (10^7 "
                       "steps per panel, flow time 10^6: days for (5000, 300) at alpha = 0.1; resumable); measured "
                       "times: tools/PERFORMANCE.md",
                       CommonFlags::DTYPE | CommonFlags::GRAD | CommonFlags::INIT);
  Args& app = prog.app();
  app.option("--seeds", o.seeds, "runs per panel (seeds --seed, --seed + 1, ...)");
  app.option("--steps", o.steps, "steps per panel at --alpha (overrides the profile)", false);
  o.step.add_to(app, false, "--steps");
  app.option("--panels", o.panels, "both, high (300, 5000) or low (5000, 300)");
  app.option("--per-decade", o.per_decade, "evaluations per decade of steps (every step up to 100)");
  prog.offer_so_far("a stopped run counts to its step (a panel to the step all its seeds reached), and runs not "
                    "started are left out and named");
  return prog.run(argc, argv, [&] {
    require_one_of("--panels", o.panels, {"both", "high", "low"});
    require_at_least("--seeds", static_cast<long long>(o.seeds), 1);
    require_at_least("--per-decade", static_cast<long long>(o.per_decade), 1);
    require_schedule(100, o.per_decade);
    o.step.apply();
    o.so_far = prog.so_far();
    const auto runs = run_list(o);
    std::vector<RunEntry> entries;
    for (const auto& [key, k] : runs) {
      const RunSpec spec = spec_for(o, key, o.common.seed + k);
      entries.push_back({run_dir(o, key, spec), spec.fingerprint()});
    }
    auto train = [&o, runs](std::size_t i) {
      with_dtype(o.common.dtype, [&]<class T> { run_seed<T>(o, runs[i].first, runs[i].second); });
    };
    auto gather = [&o](double seconds) {
      std::vector<std::string> keys;
      for (const char* key : {"high", "low"})
        if (o.panels == "both" || o.panels == key) keys.push_back(key);
      auto read = [&](const std::string& key) {
        return with_dtype(o.common.dtype, [&]<class T> { return run_panel<T>(o, key); });
      };
      auto [panels, not_started] = read_started(keys, read, [](const std::string& k) { return k; }, o.common.out);
      const bool drawn = figure(o, panels);
      report(o, panels, not_started, seconds).write(o.common.out, "rfa-fig2");
      fmt::print("rfa-fig2: {} panel(s) x {} seed(s) in {}{}\n", panels.size(), o.seeds, format_duration(seconds),
                 drawn ? "" : " (no figure: gnuplot failed)");
      return drawn;
    };
    return RunPlan{entries, train, gather};
  });
}
