// rfa-scale: Figure 2's n >> d panel at sizes small enough to reach the paper's 10^7 steps, to answer what the
// full (5000, 300) panel cannot reach in reasonable time: does training accuracy leave the 85% plateau and climb
// towards 95% while test accuracy falls (harmful overfitting), and when? The paper's settings at every size
// (n/d = 50/3, m = 400, sigma^2 = d^-1.2, exact 15% flips, omega_init^2 = 0.01/(m d), alpha = 0.1, 6000 test
// points), several seeds each; optionally each size in float too, to see whether single precision follows.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "atomic_file.hpp"
#include "bands.hpp"
#include "equivalence.hpp"
#include "multirun.hpp"
#include "paper_claims.hpp"
#include "program.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-scale: Figure 2's n >> d panel at several sizes (n, d) with n/d = 50/3 and the paper's other settings, "
    "several seeds each, to the paper's horizon: when training accuracy leaves the 85% plateau, and train, test and "
    "clean-test accuracy at 10^5, 10^6 and 10^7 steps (or the horizon reached). With --dtypes f64,f32 every run is "
    "also made in float, and the report compares the two curves at every evaluation step. Writes scale.csv, "
    "<size>-<dtype>.csv (mean and min-max over seeds per evaluation step), onset.csv (when each size starts fitting "
    "noise), scale.png / scale.svg, summary.json, "
    "claims.tsv and section.md in --out, and each run in --out/<size>-<dtype>/seed-<k>/. A multi-run program: "
    "--list-runs, --run-only, --gather, --jobs (and tools/slurm-submit); --gather-so-far builds the outputs from runs "
    "stopped short or still under way in --run-only tasks, each size to the step its runs reached. Stop with Ctrl-C and run the same command "
    "again to resume.";

// Training accuracy has left the plateau once its mean over seeds is this far above 85%, after the jump.
constexpr double LEFT_PLATEAU = 0.875;

struct Options {
  CommonFlags common;
  StepFlags step;  // --alpha (a list: the step-size equivalence study) and --horizon-flow
  std::vector<std::size_t> ns;  // training set sizes; d = 3 n / 50
  std::vector<std::string> dtypes = {"f64"};
  std::size_t seeds = 3, steps = 0, m = 400, n_test = 6000;
  std::size_t paper_steps = 0;  // the profile's horizon, in steps at the paper's alpha (without --steps)
  bool so_far = false;  // --gather-so-far (MultiRunFlags::so_far): every run as far as it has got
};

struct Setting {
  std::size_t n;
  std::string dtype;
  double alpha = PAPER_ALPHA;
  std::string key() const { return fmt::format("{}x{}-{}{}", n, 3 * n / 50, dtype, alpha_suffix(alpha)); }
};

void defaults(Options& o) {
  const bool quick = o.common.quick();
  if (o.ns.empty()) o.ns = quick ? std::vector<std::size_t>{250, 500} : std::vector<std::size_t>{500, 1000, 2000};
  if (quick) o.m = 40, o.n_test = 1000;
  if (!o.steps) o.paper_steps = quick ? 3000 : o.common.profile == "paper" ? 10000000 : 100000;
}

// The command's horizon in flow time (every alpha's runs reach it).
double horizon_flow(const Options& o) {
  if (o.steps) return o.step.alphas[0] * double(o.steps);
  return o.step.horizon_flow != 0 ? o.step.horizon_flow : PAPER_ALPHA * double(o.paper_steps);
}

RunSpec spec_for(const Options& o, const Setting& s, std::uint64_t seed) {
  RunSpec r = figure2_sized(s.n, 3 * s.n / 50, o.m, o.n_test);
  o.step.set(r, s.alpha, o.steps, o.paper_steps);
  r.seed = seed, r.dtype = s.dtype, r.grad = o.common.gradient();
  r.dense = 100, r.per_decade = 20;
  o.common.apply_init(r);
  return r;
}

std::vector<Setting> settings_of(const Options& o) {
  std::vector<Setting> v;
  for (std::size_t n : o.ns)
    for (double a : o.step.alphas)
      for (const std::string& t : o.dtypes) v.push_back({n, t, a});
  return v;
}

// A run's directory under --out: another init family's runs live beside the paper's init's, as rfa-fig2 names its
// panels.
std::string seed_dir(const Options& o, const Setting& s, const RunSpec& spec) {
  return fmt::format("{}{}/seed-{}", s.key(), o.common.init == "gaussian" ? "" : "-init-" + o.common.init, spec.seed);
}
std::string run_dir(const Options& o, const Setting& s, const RunSpec& spec) {
  return o.common.out + "/" + seed_dir(o, s, spec);
}

template <typename T>
std::vector<Metrics> run_seed(const Options& o, const Setting& s, std::size_t k) {
  const RunSpec spec = spec_for(o, s, o.common.seed + k);
  RunControl control = o.common.control;
  control.label = fmt::format("{} seed {}", s.key(), spec.seed);
  PreparedRun<T> r = prepare_run<T>(spec);
  return train_in<T>("rfa-scale", spec, r, run_dir(o, s, spec), control);
}

// A size in one precision: its seeds aggregated, and the median over them of first_flipped_fit (the later of the
// two middle ones for an even count; NEVER if that one has not).
// Its steps are the paper's (flow time / 0.1; in_paper_steps), so that sizes trained at different alpha read
// alike; `seeds` and `rows` keep each counted seed's evaluations as they were made (its own steps), uncut.
struct Size : Panel {
  std::size_t first_flip = NEVER;
  std::vector<std::uint64_t> seeds;
  std::vector<std::vector<Metrics>> rows;
};

// One size in one precision over its seeds; its spec's steps are the horizon reached. Gathering so far, each seed
// counts as far as it has got, cut to the step every counted seed reached, and seeds not started are left out
// (nothing when none has started).
std::optional<Size> run_setting(const Options& o, const Setting& s) {
  std::vector<std::vector<Metrics>> runs;
  std::vector<std::uint64_t> seeds;
  for (std::size_t k = 0; k < o.seeds; ++k) {
    if (!o.so_far) {
      runs.push_back(with_dtype(s.dtype, [&]<class T> { return run_seed<T>(o, s, k); }));
      seeds.push_back(o.common.seed + k);
      continue;
    }
    const RunSpec spec = spec_for(o, s, o.common.seed + k);
    std::vector<Metrics> rows = metrics_reached(run_dir(o, s, spec), spec);
    if (!rows.empty()) runs.push_back(std::move(rows)), seeds.push_back(spec.seed);
  }
  if (runs.empty()) return std::nullopt;
  std::vector<std::vector<Metrics>> uncut = runs;
  Size size{aggregate_reached(s.key(), spec_for(o, s, o.common.seed), runs), NEVER, seeds, std::move(uncut)};
  std::vector<std::size_t> flips;
  for (const auto& r : runs) flips.push_back(first_flipped_fit(r));
  std::sort(flips.begin(), flips.end());
  write_file_atomic(fmt::format("{}/{}.csv", o.common.out, s.key()), bands_csv(size));
  const std::size_t flip = flips[flips.size() / 2];
  static_cast<Panel&>(size) = in_paper_steps(size, PAPER_ALPHA);
  size.first_flip = flip == NEVER ? NEVER : static_cast<std::size_t>(std::round(size.spec.flow(flip) / PAPER_ALPHA));
  return size;
}

// The step where training accuracy leaves the plateau: the first evaluation after the jump with its mean above
// LEFT_PLATEAU (NEVER within the horizon).
std::size_t leaves_plateau(const Panel& p) {
  const std::size_t jump = jump_step(p);
  if (jump == NEVER) return NEVER;
  for (std::size_t k = 0; k < p.steps.size(); ++k)
    if (p.steps[k] > jump && p.bands[k].train_mean > LEFT_PLATEAU) return p.steps[k];
  return NEVER;
}

std::string step_text(std::size_t s) {
  return s == NEVER ? std::string("not within the horizon") : "step " + std::to_string(s);
}

constexpr std::size_t MARKS[] = {100000, 1000000, 10000000};  // the steps the paper's claims speak of

// The steps a size's row reports: 10^5, 10^6 and 10^7 as far as its horizon, and the horizon.
std::vector<std::size_t> marks_of(const Panel& p) {
  std::vector<std::size_t> v;
  for (std::size_t t : MARKS)
    if (t <= p.spec.steps) v.push_back(t);
  if (v.empty() || v.back() != p.spec.steps) v.push_back(p.spec.steps);
  return v;
}

// scale.csv: per setting, its seeds, the horizon reached, the plateau's end and the accuracies at marks_of(), all
// in the paper's steps (at_flow_time: the flow time of at_step).
void write_table(const Options& o, const std::vector<Size>& panels) {
  std::string csv =
      "setting,n,d,dtype,alpha,seeds,horizon,first_flipped_fit_at,leaves_plateau_at,at_step,train_mean,test_mean,"
      "test_clean_mean,at_flow_time\n";
  auto cell = [](std::size_t s) { return s == NEVER ? std::string() : std::to_string(s); };
  for (const Size& p : panels)
    for (std::size_t s : marks_of(p)) {
      const Band& b = at(p, s);
      csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", p.key, p.spec.n, p.spec.d, p.spec.dtype,
                         p.spec.alpha, p.runs, p.spec.steps, cell(p.first_flip), cell(leaves_plateau(p)), s,
                         b.train_mean, b.test_mean, b.clean_mean, flow_text(PAPER_ALPHA, s));
    }
  write_file_atomic(o.common.out + "/scale.csv", csv);
}

bool figure(const Options& o, const std::vector<Size>& panels) {
  std::string plots;
  std::size_t longest = 1;
  for (std::size_t k = 0; k < panels.size(); ++k) {
    plots += fmt::format(
        "'{p}.csv' using (x0($1 * {x})):2 with lines lw 2 lc {c} title '{p} train ({r} seed{s})', "
        "'{p}.csv' using (x0($1 * {x})):5 with lines lw 2 dt 2 lc {c} title '{p} test', ",
        fmt::arg("p", panels[k].key), fmt::arg("c", k + 1), fmt::arg("r", panels[k].runs),
        fmt::arg("s", panels[k].runs == 1 ? "" : "s"), fmt::arg("x", fmt::format("{:.12g}", panels[k].spec.alpha / PAPER_ALPHA)));
    longest = std::max(longest, panels[k].spec.steps);
  }
  // Where each size starts fitting noise, marked on its curves' colour (onset.csv: n, d, seeds, step, colour).
  std::string onsets = "n,d,seeds,first_flipped_fit_at,colour\n";
  for (std::size_t k = 0; k < panels.size(); ++k)
    if (panels[k].first_flip != NEVER)
      onsets += fmt::format("{},{},{},{},{}\n", panels[k].spec.n, panels[k].spec.d, panels[k].runs,
                            panels[k].first_flip, k + 1);
  write_file_atomic(o.common.out + "/onset.csv", onsets);
  plots += "'onset.csv' using 4:(0.83):5 with points pt 9 ps 2 lc variable title 'first flipped label fitted (median)'";
  // The gnuplot script, a template whose {fields} are filled here: figures/scale.gp.in.
  constexpr const char* SCALE_GP =
#include "figures/scale.gp.in"
      ;
  const std::string body =
      fmt::format(SCALE_GP,
                  fmt::arg("m", o.m), fmt::arg("steps", longest), fmt::arg("plots", plots));
  return plot(o.common.out, "scale", plot_both("scale", 1100, 700, body));
}

// Where the f32 and f64 curves of one size part (mean train and test accuracy, every evaluation step): the largest
// difference and its step, the first step where they differ at all, and how many evaluations differ by more than
// half a point; gap is NaN when the size was not run in both.
struct PrecisionGap {
  double gap = NAN;
  std::size_t at = NEVER, first = NEVER, over_half = 0, evaluations = 0;
};
PrecisionGap precision_gap(const std::vector<Size>& panels, std::size_t n) {
  const Panel *d = nullptr, *f = nullptr;
  for (const Size& p : panels)
    if (p.spec.n == n && p.spec.alpha == PAPER_ALPHA) (p.spec.dtype == "f32" ? f : d) = &p;
  PrecisionGap g;
  if (!d || !f) return g;
  g.gap = 0, g.evaluations = std::min(d->steps.size(), f->steps.size());  // gathered so far, one may be shorter
  for (std::size_t k = 0; k < g.evaluations; ++k) {
    const double here = std::max(std::abs(d->bands[k].train_mean - f->bands[k].train_mean),
                                 std::abs(d->bands[k].test_mean - f->bands[k].test_mean));
    if (here > 0 && g.first == NEVER) g.first = d->steps[k];
    if (here > 0.005) ++g.over_half;
    if (here > g.gap) g.gap = here, g.at = d->steps[k];
  }
  return g;
}

// "(n, d) = (500, 30), 2 seed(s), at step 10000000": where a number was measured.
std::string where(const Panel& p) {
  return fmt::format("(n, d) = ({}, {}), {} seed(s), at step {}", p.spec.n, p.spec.d, p.runs, p.spec.steps);
}

// The paper's three n >> d claims, each from the largest double-precision size that can decide it (nothing when no
// size ran in double): trained at the paper's alpha, or at one the equivalence study validates at every size it
// compared (the exact run preferred at the same size; the claim then says so).
void claims(Report& rep, const std::vector<Size>& panels, const std::vector<EquivalenceRow>& study) {
  auto counts = [&](const Panel& p) {
    return p.spec.dtype == "f64" && (p.spec.alpha == PAPER_ALPHA || validated(study, p.spec.alpha));
  };
  auto largest = [&](auto decides) {
    const Size* b = nullptr;
    for (const Size& p : panels)
      if (counts(p) && decides(p) &&
          (!b || p.spec.n > b->spec.n || (p.spec.n == b->spec.n && p.spec.alpha == PAPER_ALPHA)))
        b = &p;
    return b;
  };
  const std::size_t first = rep.claims.size();
  std::vector<const Panel*> from;  // the size each claim is answered from
  const Panel* any = largest([](const Panel&) { return true; });
  if (!any) return;
  const Panel* full = largest([](const Panel& p) { return p.spec.steps >= MARKS[2]; });
  auto at_horizon = [&](const char* key, auto pick) {
    const PaperValue& value = paper_value(key);
    const Panel& p = full ? *full : *any;
    const std::string ours = fmt::format("{:.1f}% {}", 100 * pick(p.bands.back()), where(p));
    from.push_back(&p);
    if (full)
      rep.claims.push_back(paper_claim(key, {}, ours, verdict(value, pick(p.bands.back()), p.spec.steps),
                                       p.spec.n < 5000 ? "agree means within 2 points; measured at a smaller size than "
                                                         "the paper's"
                                                       : "agree means within 2 points; at the paper's size"));
    else
      rep.claims.push_back(paper_claim(key, {}, ours, "untested", "every size's horizon is short of 10^7"));
  };
  at_horizon("scale.train", [](const Band& b) { return b.train_mean; });
  at_horizon("scale.test", [](const Band& b) { return b.test_mean; });
  // The onset is decided once training accuracy has left the plateau, or has not by the window's end.
  const Size* onset = largest([](const Panel& p) { return leaves_plateau(p) != NEVER || p.spec.steps >= MARKS[1]; });
  if (onset) {
    const std::size_t left = leaves_plateau(*onset);
    rep.claims.push_back(paper_claim("scale.onset", {},
                          fmt::format("training accuracy leaves the plateau: {}, {}; its first flipped label fitted "
                                      "(median over seeds): {}",
                                      step_text(left), where(*onset), step_text(onset->first_flip)),
                          left >= 50000 && left <= MARKS[1] ? "agree" : "disagree",
                          left >= 50000 && left <= MARKS[1]
                              ? "agree: leaves (mean training accuracy above 87.5%) between 5 x 10^4 and 10^6 steps"
                              : fmt::format("agree would be: leaves (mean training accuracy above 87.5%) between 5 x "
                                            "10^4 and 10^6 steps; the fitting of noise starts, by its first flipped "
                                            "label, at {} (the paper's onset: about 2 x 10^5; rfa-phase reads the "
                                            "same over (n, d)); why training accuracy then climbs more slowly than "
                                            "the paper's figure shows is unexplained",
                                            step_text(onset->first_flip))));
    from.push_back(onset);
  } else {
    from.push_back(any);
    rep.claims.push_back(paper_claim("scale.onset", {}, "training accuracy still on the plateau, " + where(*any),
                                     "untested", "no size has left the plateau or reached 10^6 steps"));
  }
  // A claim answered from a rescaled run says so, and where the study validated its alpha.
  for (std::size_t c = first; c < rep.claims.size(); ++c)
    if (from[c - first]->spec.alpha != PAPER_ALPHA) {
      std::string sizes;
      validated(study, from[c - first]->spec.alpha, &sizes);
      rep.claims[c].note += fmt::format("; by step-size equivalence: trained at alpha = {} (steps are the paper's at "
                                        "the same flow time), validated at {}",
                                        from[c - first]->spec.alpha, sizes);
    }
}

// Where the equivalence study's window starts: a decade after the later jump of the exact and the rescaled runs (as
// Figure 2's plateau is read), in flow time; a rescaled run jumps one of its steps late at the least.
double window_start(const Size& exact, const Size& rescaled) {
  double start = 1;
  for (const Size* s : {&exact, &rescaled}) {
    const std::size_t jump = jump_step(*s);  // the paper's steps
    if (jump != NEVER) start = std::max(start, 10 * PAPER_ALPHA * double(std::max<std::size_t>(jump, 1)));
  }
  return start;
}

// The step-size equivalence study: every rescaled size in double against the exact one of the same n.
std::vector<EquivalenceRow> equivalence_study(const std::vector<Size>& panels) {
  std::vector<EquivalenceRow> rows;
  auto trajectories = [](const Size& s) {
    std::vector<Trajectory> t;
    for (std::size_t k = 0; k < s.rows.size(); ++k) t.push_back({s.spec.alpha, s.seeds[k], s.rows[k]});
    return t;
  };
  for (const Size& exact : panels) {
    if (exact.spec.alpha != PAPER_ALPHA || exact.spec.dtype != "f64") continue;
    for (const Size& r : panels)
      if (r.spec.n == exact.spec.n && r.spec.dtype == "f64" && r.spec.alpha != PAPER_ALPHA)
        rows.push_back({r.spec.n, r.spec.d, r.spec.alpha,
                        compare_runs(trajectories(exact), trajectories(r), window_start(exact, r))});
  }
  return rows;
}

// The study's figure: per size, the exact and the rescaled mean curves on a flow-time axis.
bool equivalence_figure(const Options& o, const std::vector<Size>& panels) {
  std::string plots;
  std::size_t shown = 0;
  for (std::size_t n : o.ns) {
    std::string curves;
    std::size_t shown_here = 0, d = 0;
    for (const Size& p : panels)
      if (p.spec.n == n && p.spec.dtype == "f64") {
        ++shown_here, d = p.spec.d;
        // One colour per alpha in every panel: its place in --alpha.
        const std::size_t colour =
            1 + std::size_t(std::find(o.step.alphas.begin(), o.step.alphas.end(), p.spec.alpha) - o.step.alphas.begin());
        curves += fmt::format("{}'{k}.csv' using (x0($11)):2 with lines lw 2 lc {c} title 'alpha = {a} train ({r} seed{s})', "
                              "'{k}.csv' using (x0($11)):5 with lines lw 1 dt 2 lc {c} title 'test'",
                              curves.empty() ? "" : ", ", fmt::arg("k", p.key), fmt::arg("c", colour),
                              fmt::arg("a", p.spec.alpha), fmt::arg("r", p.runs), fmt::arg("s", p.runs == 1 ? "" : "s"));
      }
    if (shown_here < 2) continue;
    ++shown;
    plots += fmt::format("set title '(n, d) = ({}, {})'\nplot {}\n", n, d, curves);
  }
  if (!shown) return true;
  // The gnuplot script, a template whose {fields} are filled here: figures/equivalence.gp.in.
  constexpr const char* EQUIVALENCE_GP =
#include "figures/equivalence.gp.in"
      ;
  const std::string body = fmt::format(EQUIVALENCE_GP,
                                       fmt::arg("rows", (shown + 2) / 3), fmt::arg("cols", std::min<std::size_t>(shown, 3)),
                                       fmt::arg("plots", plots));
  return plot(o.common.out, "equivalence", plot_both("equivalence", 500 * std::min<std::size_t>(shown, 3),
                                                     450 * ((shown + 2) / 3), body));
}

// Whether a size counts towards the laws against n: double precision, and the exact runs, or without them at that
// size the rescaled ones of the smallest alpha the study validates.
bool counted(const Size& p, const std::vector<Size>& panels, const std::vector<EquivalenceRow>& study) {
  if (p.spec.dtype != "f64") return false;
  if (p.spec.alpha == PAPER_ALPHA) return true;
  if (!validated(study, p.spec.alpha)) return false;
  for (const Size& q : panels)
    if (q.spec.n == p.spec.n && q.spec.dtype == "f64" && q.first_flip != NEVER &&
        (q.spec.alpha == PAPER_ALPHA || (validated(study, q.spec.alpha) && q.spec.alpha < p.spec.alpha)))
      return false;
  return true;
}

// Test accuracy at the paper's horizon against n: the test error 1 - test = c n^k fitted (least squares on log-log
// axes) over the double-precision sizes below the largest one (each from its exact or validated rescaled runs,
// whichever got further), at the last of 10^7 and their shortest horizon (`mark`, in
// the paper's steps), and carried out to the largest size, where it is set beside what that size measured (the mean
// and the range over its seeds), so that a reader sees whether the paper's (5000, 300) sits on the smaller sizes'
// trend. Empty (law.used < 2) with fewer than two sizes to fit.
struct Trend {
  PowerLaw law;
  std::size_t mark = 0, n = 0;  // the step compared, and the largest size's n
  double predicted = NAN;       // test accuracy at n by the law
  double measured = NAN, lo = NAN, hi = NAN;  // the largest size's test accuracy at mark (NaN: not reached yet)
  std::size_t seeds = 0;
  std::string points;           // "71.8% at n = 250, ..."
};
Trend test_trend(const std::vector<Size>& panels, const std::vector<EquivalenceRow>& study) {
  Trend t;
  // Per size, of its exact runs and the rescaled ones the study validates, those that got furthest (the exact ones,
  // then the smaller alpha, at the same horizon).
  std::vector<const Size*> sizes;
  for (const Size& p : panels) {
    if (p.spec.dtype != "f64" || (p.spec.alpha != PAPER_ALPHA && !validated(study, p.spec.alpha))) continue;
    auto same = std::find_if(sizes.begin(), sizes.end(), [&](const Size* q) { return q->spec.n == p.spec.n; });
    if (same == sizes.end()) {
      sizes.push_back(&p), t.n = std::max(t.n, p.spec.n);
    } else if (p.spec.steps > (*same)->spec.steps ||
               (p.spec.steps == (*same)->spec.steps && p.spec.alpha < (*same)->spec.alpha)) {
      *same = &p;
    }
  }
  t.mark = MARKS[2];
  for (const Size* p : sizes)
    if (p->spec.n < t.n) t.mark = std::min(t.mark, p->spec.steps);
  std::vector<std::pair<double, double>> err;
  for (const Size* p : sizes) {
    const Band& b = at(*p, t.mark);
    if (p->spec.n < t.n) {
      if (b.test_mean < 1) err.emplace_back(double(p->spec.n), 1 - b.test_mean);
      t.points += fmt::format("{}{:.1f}% at n = {}", t.points.empty() ? "" : ", ", 100 * b.test_mean, p->spec.n);
    } else if (p->spec.steps >= t.mark) {
      t.measured = b.test_mean, t.lo = b.test_min, t.hi = b.test_max, t.seeds = p->runs;
    }
  }
  t.law = power_law(err);
  if (std::isfinite(t.law.k)) t.predicted = 1 - t.law.c * std::pow(double(t.n), t.law.k);
  return t;
}

std::string trend_text(const Trend& t) {
  if (!std::isfinite(t.predicted)) return "";
  const std::string measured =
      std::isfinite(t.measured)
          ? fmt::format("it measured {:.1f}% (seeds from {:.1f}% to {:.1f}%, {} seed(s)): {} the smaller sizes' trend "
                        "(on: within half the seeds' range, or half a point)",
                        100 * t.measured, 100 * t.lo, 100 * t.hi, t.seeds,
                        std::abs(t.measured - t.predicted) <= std::max(0.005, (t.hi - t.lo) / 2) ? "on" : "off")
          : fmt::format("it has not reached step {} yet", t.mark);
  return fmt::format(
      "Test accuracy at step {} (the paper's steps; rescaled runs at the same flow time): {}. By least squares on "
      "log-log axes the test error is {:.3g} n^{:.3f} (r^2 = {:.3f}, {} sizes), which predicts {:.1f}% at n = {}; "
      "{}.\n",
      t.mark, t.points, t.law.c, t.law.k, t.law.r2, t.law.used, 100 * t.predicted, t.n, measured);
}

// The sizes table: one row per size, dtype and alpha.
std::string sizes_table(const std::vector<Size>& panels, const std::vector<EquivalenceRow>& study) {
  std::string table =
      "| size (n, d) | dtype | alpha | seeds | horizon | first fits a flipped label | leaves the plateau | train / test / "
      "clean test at 10^5 | at 10^6 | at 10^7 | at the horizon |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Size& p : panels) {
    auto cell = [&](std::size_t t) {
      if (t > p.spec.steps) return std::string("not reached");
      const Band& b = at(p, t);
      return fmt::format("{:.1f}% / {:.1f}% / {:.1f}%", 100 * b.train_mean, 100 * b.test_mean, 100 * b.clean_mean);
    };
    table += fmt::format("| ({}, {}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", p.spec.n, p.spec.d,
                         p.spec.dtype,
                         p.spec.alpha == PAPER_ALPHA ? fmt::format("{}", p.spec.alpha)
                                                     : fmt::format("{} (equivalence{})", p.spec.alpha,
                                                                   validated(study, p.spec.alpha) ? ", validated" : ", not validated"),
                         p.runs, p.spec.steps, step_text(p.first_flip),
                         step_text(leaves_plateau(p)), cell(MARKS[0]), cell(MARKS[1]), cell(MARKS[2]),
                         cell(p.spec.steps));
  }
  return table;
}

// f32 against f64 at each size that has both: the sentences, and the largest gap over the sizes (NaN: none).
std::pair<std::string, double> precision_text(const Options& o, const std::vector<Size>& panels) {
  std::string precision;
  double largest = NAN;
  for (std::size_t n : o.ns) {
    const PrecisionGap g = precision_gap(panels, n);
    if (!std::isfinite(g.gap)) continue;
    largest = std::isfinite(largest) ? std::max(largest, g.gap) : g.gap;
    precision += fmt::format(
        "At n = {} the f32 and f64 curves (mean train and test accuracy) differ by at most {:.2f} "
        "points over every evaluation step: {}. They are identical at every evaluation{}; the largest difference is at "
        "step {}, "
        "and {} of the {} evaluations differ by more than half a point (one training point is {:.2f} points).\n",
        n, 100 * g.gap,
        g.gap <= 0.005 ? "within half a point, so f32 may stand in for f64 here"
                       : "more than half a point, so f32 does not follow f64 here",
        g.first == NEVER ? std::string("") : fmt::format(" before step {}", g.first),
        g.at == NEVER ? std::string("none") : std::to_string(g.at), g.over_half, g.evaluations, 100.0 / double(n));
  }
  return {precision, largest};
}

// How the onset moves with the size: the first flipped label's step against n, over the double-precision sizes
// that reached it (n/d fixed, so n stands for the size). The sentence ("" with fewer than 3 sizes) and the law.
std::pair<std::string, PowerLaw> onset_text(const std::vector<Size>& panels, const std::vector<EquivalenceRow>& study) {
  std::vector<std::pair<double, double>> onsets;
  std::string onset_list;
  for (const Size& p : panels)
    if (counted(p, panels, study) && p.first_flip != NEVER) {
      onsets.emplace_back(double(p.spec.n), double(p.first_flip));
      onset_list += fmt::format("{}{} at n = {}{}", onset_list.empty() ? "" : ", ", p.first_flip, p.spec.n,
                                p.spec.alpha == PAPER_ALPHA ? "" : fmt::format(" (alpha = {}, by equivalence)", p.spec.alpha));
    }
  const PowerLaw law = power_law(onsets);
  if (onsets.size() < 3 || !std::isfinite(law.k)) return {"", law};
  return {fmt::format("The network first fits a flipped label (median over seeds) at step {}: by least squares on "
                      "log-log axes, step = {:.3g} n^{:.2f} (r^2 = {:.3f}, {} sizes).\n",
                      onset_list, law.c, law.k, law.r2, law.used),
          law};
}

// The step-size equivalence subsection ("" without rescaled runs); writes equivalence.csv.
std::string equivalence_section(const Options& o, const std::vector<EquivalenceRow>& study) {
  if (study.empty()) return "";
  write_file_atomic(o.common.out + "/equivalence.csv", equivalence_csv(study));
  return fmt::format(
      "### Step-size equivalence\n\nAt alpha = 0.1 gradient descent should track gradient flow, so a run at a "
      "larger alpha should follow the paper's at the same flow time alpha t. Each rescaled run is compared with the "
      "exact run (alpha = 0.1) of the same seed at every flow time both evaluated (within {:.0f}%; from 50 alpha "
      "on), and its largest deviation set against the spread over the exact runs' seeds over the same flow times "
      "(the largest max - min: the noise a comparison of two trajectories must beat; with one exact seed, the "
      "rescaled runs' spread). The verdict is taken from a decade after the later of the two runs' jumps on (the "
      "window): the jump takes the paper's run a few steps and a rescaled run one step at the least, which it cannot resolve, and the deviation before the "
      "window is shown beside it. A rescaled alpha stands in where no deviation in the window exceeds the spread. Rows of a rescaled "
      "run in the tables above count the paper's steps at the same flow time.\n\n{}\n"
      "![step-size equivalence](equivalence.png)\n\n",
      100 * SAME_FLOW, equivalence_table(study));
}

Report report(const Options& o, const std::vector<Size>& panels, const std::string& not_started, double wall) {
  Report rep("rfa-scale");
  const std::vector<EquivalenceRow> study = equivalence_study(panels);
  const std::string table = sizes_table(panels, study);
  const auto [precision, precision_gap_largest] = precision_text(o, panels);
  const auto [onset_law, law] = onset_text(panels, study);
  const Trend trend = test_trend(panels, study);
  const std::string runs =
      o.so_far ? fmt::format("every run as far as it has got (`--gather-so-far`: a size's horizon is the step all of "
                             "its counted seeds reached; up to {} seed(s) per size){}",
                             o.seeds, not_started.empty() ? "" : "; not started: " + not_started)
               : fmt::format("{} seed(s) per size, to flow time {:.6g} (the paper's {:.6g} steps)", o.seeds,
                             horizon_flow(o), horizon_flow(o) / PAPER_ALPHA);
  const std::string equivalence = equivalence_section(o, study);
  rep.section = fmt::format(
      "## Figure 2's n >> d panel at smaller sizes\n\nn/d = 50/3 as in the paper's (5000, 300), m = {}, the paper's "
      "other settings{}, {}; 'first fits a flipped label' is the median over seeds of each run's first evaluation "
      "that fits one once it has jumped and then fitted none, 'leaves the plateau' the first evaluation step after the jump with mean training "
      "accuracy above {:.1f}%.\n\n{}\n{}{}\n![the n >> d panel at several sizes](scale.png)\n\n{}",
      o.m,
      o.common.init == "gaussian"
          ? std::string()
          : fmt::format(" but **not the paper's init**: --init {}, {}", o.common.init, init_formula(o.common.init)),
      runs, 100 * LEFT_PLATEAU, table, onset_law + trend_text(trend), precision, equivalence);
  claims(rep, panels, study);
  rep.summary.add("profile", o.common.profile)
      .add("seeds", o.seeds)
      .add("steps", o.steps)
      .add("alphas", o.step.alphas)
      .add("gathered_so_far", o.so_far)
      .add("onset_law_c", law.c)
      .add("onset_law_k", law.k)
      .add("onset_law_r2", law.r2)
      .add("onset_law_sizes", law.used)
      .add("test_trend_at_step", trend.mark)
      .add("test_trend_c", trend.law.c)
      .add("test_trend_k", trend.law.k)
      .add("test_trend_r2", trend.law.r2)
      .add("test_trend_sizes", trend.law.used)
      .add("test_trend_n", trend.n)
      .add("test_trend_predicted", trend.predicted)
      .add("test_trend_measured", trend.measured)
      .add("f32_f64_largest_gap", precision_gap_largest)
      .add("wall_seconds_this_session", wall);
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  MultiRunProgram prog(argv, "rfa-scale", ABOUT, o.common, "results/scale",
                       "quick (tiny sizes, m = 40, 3000 steps, for tests), default (sizes 500, 1000, 2000, 10^5 steps) "
                       "or paper (the same to 10^7 steps, flow time 10^6: hours per run at n >= 1000; spread the runs "
                       "with --jobs or tools/slurm-submit; measured times: experiments/reference/README.md)",
                       CommonFlags::GRAD | CommonFlags::INIT);
  Args& app = prog.app();
  app.option("--n", o.ns, "training set sizes (d = 3 n / 50) [default: 500,1000,2000; quick 250,500]", false);
  app.option("--dtypes", o.dtypes, "precisions to run each size in: f64, f32 or both (f64,f32)");
  app.option("--seeds", o.seeds, "runs per size (seeds --seed, --seed + 1, ...)");
  app.option("--steps", o.steps, "steps per run at --alpha (one value only) [default: by profile]", false);
  o.step.add_to(app, true, "--steps");
  prog.offer_so_far("a stopped run counts to its step (a size to the step all its seeds reached), runs not started "
                    "are left out and named, and a checkpoint of the same settings from rfa-fig2 counts (its "
                    "(5000, 300) panel is --n 5000)");
  return prog.run(argc, argv, [&] {
    for (const std::string& t : o.dtypes) require_one_of("--dtypes", t, {"f32", "f64"});
    for (std::size_t n : o.ns) require_size("--n", n, 50);
    require_at_least("--seeds", static_cast<long long>(o.seeds), 1);
    o.step.apply();
    if (o.steps && o.step.alphas.size() > 1)
      throw UsageError("--steps counts steps of one alpha; with several --alpha give the horizon as --horizon-flow");
    o.so_far = prog.so_far();
    defaults(o);
    const std::vector<Setting> settings = settings_of(o);
    std::vector<std::pair<Setting, std::size_t>> runs;
    std::vector<RunEntry> entries;
    for (const Setting& s : settings)
      for (std::size_t k = 0; k < o.seeds; ++k) {
        const RunSpec spec = spec_for(o, s, o.common.seed + k);
        runs.emplace_back(s, k);
        entries.push_back({seed_dir(o, s, spec), spec.fingerprint()});
      }
    auto train = [&o, runs](std::size_t i) {
      with_dtype(runs[i].first.dtype, [&]<class T> { run_seed<T>(o, runs[i].first, runs[i].second); });
    };
    auto gather = [&o, settings](double seconds) {
      auto [panels, not_started] = read_started(
          settings, [&](const Setting& s) { return run_setting(o, s); }, [](const Setting& s) { return s.key(); },
          o.common.out);
      write_table(o, panels);
      const bool drawn = figure(o, panels) && equivalence_figure(o, panels);
      report(o, panels, not_started, seconds).write(o.common.out, "rfa-scale");
      return drawn;
    };
    return RunPlan{entries, train, gather};
  });
}
