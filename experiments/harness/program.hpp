// What the experiment programs (those with --profile) share on top of common.hpp, so that each main reads parse,
// run, report: their common flags and step-size flags, the report part each writes, and the paper's settings for
// Figures 1 and 2, defined here once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "args.hpp"
#include "common.hpp"
#include "paper_claims.hpp"
#include "run_spec.hpp"

namespace rfa::cli {

// The flags of every experiment program: --profile, --out, --seed, --threads, --checkpoint-seconds, --stop-at,
// --quiet, and where the program has them, --dtype, --grad and --init.
struct CommonFlags {
  enum Optional : unsigned { NONE = 0, DTYPE = 1, GRAD = 2, INIT = 4 };
  std::string profile = "default", out, dtype = "f64", grad = "closed", init = "gaussian";
  std::uint64_t seed = 1;
  int threads = all_cores();
  RunControl control;

  // `profiles` says what quick, default and paper mean for this program.
  void add_to(Args& app, const std::string& default_out, const std::string& profiles, unsigned optional = NONE);
  // Checks the values and sets the thread count (Program::run creates --out once the program's checks pass).
  // Throws UsageError.
  void apply() const;
  GradSource gradient() const { return parse_grad_source(grad); }
  // Sets a spec's init as --init says (set_init: after its d, omega2 and second layer are set).
  void apply_init(RunSpec& spec) const { set_init(spec, parse_init(init)); }
  bool quick() const { return profile == "quick"; }
};

// The life of an experiment program, so that its main() reads: declare the flags, check them, run, report.
//   Program prog(argv, "rfa-x", ABOUT, o.common, "results/x", "quick (...) or default (...)");
//   prog.app().option("--steps", o.steps, "...");          // the program's own flags
//   return prog.run(argc, argv, [&] { check(o); }, [&] { ...; return 0; });
// The constructor checks OpenBLAS's kernels and installs the stop handlers (start_program) and adds the common
// flags. run() parses; then, with exceptions mapped to exit codes (guarded_main), checks the common flags and the
// program's own (`check`, which throws UsageError: a refusal writes nothing), creates --out, locks it for the
// program's lifetime (two programs writing one directory would mix their files) and runs `body`. Programs made of
// independent runs use MultiRunProgram (multirun.hpp), built on this one.
class Program {
 public:
  Program(char** argv, const char* name, const char* about, CommonFlags& common, const std::string& default_out,
          const std::string& profiles, unsigned optional = CommonFlags::NONE);
  Args& app() { return app_; }
  int run(int argc, char** argv, const std::function<void()>& check, const std::function<int()>& body);

 protected:
  // Parses, then runs `body` under guarded_main once the common flags are checked (--out not created).
  int parse_and_guard(int argc, char** argv, const std::function<int()>& body);
  const char* name_;
  CommonFlags& common_;
  Args app_;
};

// The step size of the programs that train Figure 2's panels (rfa-fig2, rfa-scale) and their horizon in flow time
// alpha * t. Their evaluations are scheduled in flow time on the schedule of the paper's step (RunSpec::
// schedule_alpha = PAPER_ALPHA), so that a run at alpha = 10 is evaluated at the flow times of the paper's run and
// the two compare row by row; at the paper's alpha nothing changes. A run at another alpha stands in for the
// paper's only as far as the step-size equivalence study (rfa-scale with several --alpha) shows.
constexpr double PAPER_ALPHA = 0.1;
struct StepFlags {
  std::vector<double> alphas = {PAPER_ALPHA};  // one value for rfa-fig2; a list for rfa-scale
  double horizon_flow = 0;                     // 0: the --steps or the profile's
  // Adds --alpha (a list when `list`) and --horizon-flow, which excludes `steps_flag`.
  void add_to(Args& app, bool list, const char* steps_flag);
  // Refuses non-positive, NaN or infinite values. Throws UsageError.
  void apply() const;
  // Sets spec's alpha, its flow-time schedule and its steps: `steps` (steps at alpha) when given, else
  // horizon_flow / alpha, else the profile's `paper_steps` (steps at PAPER_ALPHA) at the same flow time.
  void set(RunSpec& spec, double alpha, std::size_t steps, std::size_t paper_steps) const;
};
// "" at the paper's alpha, else "-alpha<alpha>" ("-alpha10"): what a directory or key adds for a rescaled run.
std::string alpha_suffix(double alpha);

// A program's part of the report (tools/reproduce assembles REPORT.md from them): section.md, summary.json (which
// starts with the program's provenance: version, commit, OpenBLAS, kernels) and claims.tsv, written in its --out.
struct Report {
  explicit Report(const std::string& program) : summary(provenance(program)) {}
  std::string section;
  Json summary;
  std::vector<Claim> claims;
  // Writes the three files into `dir` (atomically) and prints the claims, one line each.
  void write(const std::string& dir, const std::string& program) const;
};

// The paper's settings (experiments/PAPER.md), with `quick` profiles scaled down for tests.
// Figure 1: d = 2, means e1 and e2, sigma^2 = 1/50, labels flipped with probability 0.15, n = 5000, m = 500,
// alpha = 0.05, omega_init^2 = 1/(32 m), 3000 steps, 6000 test points (quick: n = 1000, m = 100, 400 steps).
RunSpec figure1(const std::string& profile);
// Figure 2's panels "high" (n, d) = (300, 5000) and "low" (5000, 300): m = 400, sigma^2 = d^-1.2, exactly 15% of
// each cluster's labels flipped, omega_init^2 = 0.01/(m d), alpha = 0.1, 6000 test points, a random orthonormal pair
// of means (quick: (60, 1000) and (1000, 60), m = 40, 1000 test points). Steps: 10^7 in the paper profile,
// 2x10^5 (high) and 2x10^4 (low) by default, 300 in quick.
RunSpec figure2(const std::string& panel, const std::string& profile);
// Figure 2's settings at other sizes, with the sigma^2 = d^-1.2 and omega_init^2 = 0.01/(m d) they imply (steps: 0).
RunSpec figure2_sized(std::size_t n, std::size_t d, std::size_t m, std::size_t n_test);

}  // namespace rfa::cli
