// rfa-sweep: where our Figure 2 differs from the paper's, which setting moves it? Starting from Figure 2's
// (300, 5000) panel, each run changes one setting the paper leaves open or that plausibly explains the
// difference (step size, init scale, noise level, flip mode, noise law, float vs double), and records when the
// accuracy jumps and where it settles. Nothing is tuned to match: every variant is reported.
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "bands.hpp"
#include "blas.hpp"
#include "openblas.hpp"
#include "run.hpp"
#include "run_lock.hpp"
#include "multirun.hpp"
#include "program.hpp"
#include "run_spec.hpp"

using namespace rfa;
using namespace rfa::cli;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-sweep: varies one setting at a time from Figure 2's (300, 5000) panel (step size, init scale, noise level, "
    "flip mode, noise law, precision) and records when the accuracy jumps to 85% and where it settles, to find out "
    "which setting moves our Figure 2 towards the paper's (a jump at 2-3 x 10^2 steps). Writes sweep.csv, "
    "summary.json, claims.tsv and section.md in --out, and each variant's run in --out/<variant>/ (metrics.csv, "
    "run.json, checkpoint.rfa). Stop with Ctrl-C and run the same command again to resume.";

struct Variant {
  std::string name, change;
  RunSpec spec;
};

struct Result {
  std::size_t jump;                   // NEVER if the rule was not learned
  double start_train, train, test, test_clean;  // at step 0 and at the end
  double seconds;
};

// A variant's run directory under --out: its name with '/' (as in "omega2=1/d") spelled '_'.
std::string variant_name(const Variant& v) {
  std::string name = v.name;
  for (char& ch : name)
    if (ch == '/') ch = '_';
  return name;
}
std::string variant_dir(const std::string& out, const Variant& v) { return out + "/" + variant_name(v); }

template <typename T>
Result run_variant(const Variant& v, const std::string& out, const RunControl& base_control) {
  const auto t0 = std::chrono::steady_clock::now();
  PreparedRun<T> r = prepare_run<T>(v.spec);
  RunControl control = base_control;
  control.label = v.name;
  const std::vector<Metrics> rows = train_in<T>("rfa-sweep", v.spec, r, variant_dir(out, v), control);
  Result res{NEVER, rows.front().train_acc, rows.back().train_acc, rows.back().test_acc, rows.back().test_clean_acc, 0};
  for (const Metrics& m : rows)
    if (m.test_clean_acc >= LEARNED) {
      res.jump = m.step;
      break;
    }
  res.seconds = control.gather ? run_seconds(variant_dir(out, v))
                               : std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

std::vector<Variant> variants_from(const RunSpec& base) {
  std::vector<Variant> variants;
  auto add = [&](std::string name, std::string change, auto edit) {
    // unit, lecun and he fix the init's variance: the variants that set it are left out under them.
    const bool fixed = base.init == Init::unit || base.init == Init::lecun || base.init == Init::he;
    if (fixed && name.find("omega2=") != std::string::npos) return;
    RunSpec s = base;
    edit(s);
    variants.push_back({std::move(name), std::move(change), s});
  };
  add("paper", "Figure 2 as stated", [](RunSpec&) {});
  add("alpha=0.01", "step size 0.01", [](RunSpec& s) { s.alpha = 0.01; });
  add("alpha=0.001", "step size 0.001", [](RunSpec& s) { s.alpha = 0.001; });
  add("omega2=0.01/m", "init variance 0.01/m (no 1/d)", [&](RunSpec& s) { s.omega2 = 0.01 / double(s.m); });
  add("omega2=1/d", "init variance 1/d", [&](RunSpec& s) { s.omega2 = 1 / double(s.d); });
  add("omega2=0.01", "init variance 0.01", [](RunSpec& s) { s.omega2 = 0.01; });
  add("alpha=0.001,omega2=1/d", "step 0.001 and init variance 1/d", [&](RunSpec& s) { s.alpha = 0.001, s.omega2 = 1 / double(s.d); });
  add("sigma2=1/d", "noise variance d^-1", [](RunSpec& s) { s.sigma2 = 1 / double(s.d); });
  add("sigma2=d^-1.4", "noise variance d^-1.4", [](RunSpec& s) { s.sigma2 = std::pow(double(s.d), -1.4); });
  add("flip=prob", "labels flipped with probability 15%", [](RunSpec& s) { s.flip = FlipMode::prob; });
  add("flip=adversarial", "the 15% nearest the other class flipped", [](RunSpec& s) { s.flip = FlipMode::adversarial; });
  add("noise=laplace", "Laplace noise of the same variance", [](RunSpec& s) { s.noise = Noise::laplace; });
  add("dtype=f32", "single precision", [](RunSpec& s) { s.dtype = "f32"; });
  return variants;
}

std::string jump_text(std::size_t jump) { return jump == NEVER ? std::string("never") : std::to_string(jump); }

// Runs every variant and writes sweep.csv.
std::vector<Result> run_all(const std::vector<Variant>& variants, const CommonFlags& common) {
  std::string csv = "variant,change,alpha,omega2,sigma2,flip,noise,dtype,steps,jump_step,train_at_0,train_end,test_end,"
                    "test_clean_end,training_seconds\n";
  std::vector<Result> results;
  for (const Variant& v : variants) {
    const Result r = with_dtype(v.spec.dtype, [&]<class T> { return run_variant<T>(v, common.out, common.control); });
    results.push_back(r);
    // The names are quoted: some hold commas.
    csv += fmt::format("\"{}\",\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{}\n", v.name, v.change, v.spec.alpha,
                       v.spec.omega2, v.spec.sigma2, to_string(v.spec.flip), to_string(v.spec.noise), v.spec.dtype,
                       v.spec.steps, jump_text(r.jump), r.start_train, r.train, r.test, r.test_clean, r.seconds);
    fmt::print("rfa-sweep: {:<24} jump at step {:>5}  train {:.3f} -> {:.3f}  test {:.3f} (clean {:.3f})  [{}]\n", v.name,
               jump_text(r.jump), r.start_train, r.train, r.test, r.test_clean, format_duration(r.seconds));
  }
  write_file_atomic(common.out + "/sweep.csv", csv);
  return results;
}

Report report(const std::vector<Variant>& variants, const std::vector<Result>& results, const RunSpec& base,
              const std::string& profile) {
  Report rep("rfa-sweep");
  // Which variants put the jump where the paper's figure has it?
  std::string moved;
  for (std::size_t k = 0; k < variants.size(); ++k)
    if (results[k].jump != NEVER && results[k].jump >= 100 && results[k].jump <= 1000) moved += (moved.empty() ? "" : ", ") + variants[k].name;

  std::string section = fmt::format(
      "## Fidelity: what moves Figure 2's jump\n\nFrom Figure 2's (n, d) = ({}, {}) panel, one setting changed at a "
      "time, {} steps each{}; the jump is the first step with >= 95% of the test points classified by their clean "
      "label.\n\n| variant | change | jump at step | train at step 0 | train / test / clean test at the end |\n"
      "|---|---|---|---|---|\n",
      base.n, base.d, base.steps,
      base.init == Init::gaussian ? std::string()
                                  : fmt::format(" (**not the paper's init**: every variant under --init {}, {})",
                                                to_string(base.init), init_formula(to_string(base.init))));
  for (std::size_t k = 0; k < variants.size(); ++k) {
    const Result& r = results[k];
    section += fmt::format("| {} | {} | {} | {:.1f}% | {:.1f}% / {:.1f}% / {:.1f}% |\n", variants[k].name,
                           variants[k].change, jump_text(r.jump),
                           100 * r.start_train, 100 * r.train, 100 * r.test, 100 * r.test_clean);
  }
  // What moved the jump, in words, from this run's numbers.
  std::string movers, others;
  for (std::size_t k = 1; k < variants.size(); ++k) {
    const bool moved_far = results[k].jump == NEVER || results[0].jump == NEVER ||
                           results[k].jump > 4 * std::max<std::size_t>(results[0].jump, 1);
    (moved_far ? movers : others) += fmt::format("{}{} ({})", (moved_far ? movers : others).empty() ? "" : ", ",
                                                 variants[k].name,
                                                 jump_text(results[k].jump));
  }
  section += fmt::format(
      "\nWith the settings the paper states the jump comes at step {}, close to Theorem 1's T = 1 + 1/(4 alpha) = "
      "{:.1f} steps; the paper's figure shows it at 2-3 x 10^2 steps. Variants that put the jump more than four "
      "times later: {}. Variants that leave it within a factor of four: {}. Within [100, 1000] steps, where the "
      "paper's figure has it: {}. Which settings the paper actually used we cannot tell; every variant is "
      "reported and nothing was tuned to match.\n",
      jump_text(results[0].jump), 1 + 1 / (4 * base.alpha),
      movers.empty() ? "none" : movers, others.empty() ? "none" : others, moved.empty() ? "none" : moved);
  rep.section = section + "\n";

  rep.claims.push_back(paper_claim("sweep.jump", {}, moved.empty() ? "none of the variants" : moved,
                        moved.empty() ? "disagree" : "partly",
                        fmt::format("jump = first step with >= 95% of test points classified by their clean label; "
                                "with the paper's settings at step {} (all variants in sweep.csv); explained by "
                                "rfa-jump (row jump.law): the jump's step grows as omega/alpha",
                                jump_text(results[0].jump))));
  rep.summary.add("profile", profile).add("base", base.json());
  return rep;
}

}  // namespace

int main(int argc, char** argv) {
  CommonFlags common;
  std::size_t steps = 0;
  MultiRunProgram prog(argv, "rfa-sweep", ABOUT, common, "results/sweep", "quick (small, for tests) or default (= paper)",
                       CommonFlags::INIT);
  prog.app().option("--steps", steps, "steps per run (default 3000; quick 200)", false);
  return prog.run(argc, argv, [&] {
    RunSpec base = figure2("high", common.profile);
    base.steps = steps ? steps : (common.quick() ? 200 : 3000);
    base.seed = common.seed, base.grad = GradSource::closed;
    common.apply_init(base);  // every variant changes one thing from this base
    const std::vector<Variant> variants = variants_from(base);
    std::vector<RunEntry> entries;
    for (const Variant& v : variants) entries.push_back({variant_name(v), v.spec.fingerprint()});
    auto train = [&common, variants](std::size_t i) {
      const Variant& v = variants[i];
      with_dtype(v.spec.dtype, [&]<class T> { run_variant<T>(v, common.out, common.control); });
    };
    auto gather = [&common, variants, base](double) {
      report(variants, run_all(variants, common), base, common.profile).write(common.out, "rfa-sweep");
      return true;
    };
    return RunPlan{entries, train, gather};
  });
}
