#include "program.hpp"

#include <cmath>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "parallel.hpp"
#include "run_lock.hpp"

namespace rfa::cli {

void CommonFlags::add_to(Args& app, const std::string& default_out, const std::string& profiles, unsigned optional) {
  out = default_out;
  app.option("--profile", profile, profiles);
  app.option("--out", out, "output directory");
  app.option("--seed", seed, "seed of the data, the test data and the init");
  if (optional & DTYPE) app.option("--dtype", dtype, "f32 or f64");
  if (optional & GRAD) app.option("--grad", grad, GRAD_HELP);
  if (optional & INIT) app.option("--init", init, INIT_HELP);
  app.option("--threads", threads, "worker threads; OpenBLAS runs single-threaded inside them [default: all cores]",
             false);
  app.option("--checkpoint-seconds", control.checkpoint_seconds, "seconds between checkpoints of each run");
  app.option("--stop-at", control.stop_at,
             "stop each run at this step (after its evaluation, if it has one) as Ctrl-C would (checkpoint, exit "
             "code 130); run again to continue",
             false);
  app.flag("--quiet", control.quiet, "no progress lines");
}

void CommonFlags::apply() const {
  require_one_of("--profile", profile, {"quick", "default", "paper"});
  require_one_of("--dtype", dtype, {"f32", "f64"});
  require_one_of("--grad", grad, {"tape", "closed"});
  parse_init(init);
  require_positive("--checkpoint-seconds", control.checkpoint_seconds);
  require_threads("--threads", threads);
  rfa::set_threads(threads);
}

Program::Program(char** argv, const char* name, const char* about, CommonFlags& common,
                 const std::string& default_out, const std::string& profiles, unsigned optional)
    : name_(name), common_(common), app_(about, name) {
  start_program(argv, Trains::yes);
  common_.add_to(app_, default_out, profiles, optional);
}

int Program::parse_and_guard(int argc, char** argv, const std::function<int()>& body) {
  if (auto rc = app_.parse(argc, argv)) return *rc;
  return guarded_main(name_, [&] {
    common_.apply();
    return body();
  });
}

int Program::run(int argc, char** argv, const std::function<void()>& check, const std::function<int()>& body) {
  return parse_and_guard(argc, argv, [&] {
    check();
    prepare_out_dir(common_.out);
    DirLock lock(common_.out);
    return body();
  });
}

void StepFlags::add_to(Args& app, bool list, const char* steps_flag) {
  const std::string help =
      "gradient descent step size (the paper's: 0.1); evaluations are scheduled in flow time alpha * t, at the flow "
      "times of the paper's schedule, and a run at another alpha is named -alpha<alpha> and stands in for the "
      "paper's only as the step-size equivalence study validates (see experiments/README.md)";
  if (list) app.option("--alpha", alphas, help + "; a list (0.1,10) runs each and compares them to the first");
  else app.option("--alpha", alphas[0], help);
  app.option("--horizon-flow", horizon_flow,
             "the horizon in flow time alpha * t (10^6: the paper's 10^7 steps at 0.1) instead of in steps", false);
  app.excludes("--horizon-flow", steps_flag).excludes(steps_flag, "--horizon-flow");
}

void StepFlags::apply() const {
  if (alphas.empty()) throw UsageError("--alpha needs at least one value");
  for (double a : alphas) require_positive("--alpha", a);
  if (horizon_flow != 0) require_positive("--horizon-flow", horizon_flow);
}

void StepFlags::set(RunSpec& spec, double alpha, std::size_t steps, std::size_t paper_steps) const {
  spec.alpha = alpha;
  spec.schedule_alpha = PAPER_ALPHA;
  if (steps) {
    spec.steps = steps;
    return;
  }
  const double flow = horizon_flow != 0 ? horizon_flow : PAPER_ALPHA * double(paper_steps);
  const double t = std::round(flow / alpha);
  if (!(t >= 1) || t > 1e15)
    throw UsageError(fmt::format("a horizon of flow time {} at --alpha {} is {} steps; it must be 1 to 10^15", flow,
                                 alpha, t));
  spec.steps = static_cast<std::size_t>(t);
}

std::string alpha_suffix(double alpha) { return alpha == PAPER_ALPHA ? "" : fmt::format("-alpha{}", alpha); }

void Report::write(const std::string& dir, const std::string& program) const {
  write_file_atomic(dir + "/section.md", section);
  write_file_atomic(dir + "/summary.json", summary.str() + "\n");
  write_claims(dir + "/claims.tsv", claims);
  for (const Claim& c : claims) fmt::print("{}:   {:<22} {:<9} {}\n", program, c.id, c.verdict, c.ours);
}

RunSpec figure1(const std::string& profile) {
  RunSpec s;
  const bool quick = profile == "quick";
  s.n = quick ? 1000 : 5000, s.d = 2, s.m = quick ? 100 : 500, s.n_test = quick ? 2000 : 6000;
  s.steps = quick ? 400 : 3000;
  s.sigma2 = 1.0 / 50, s.eta = 0.15, s.flip = FlipMode::prob;
  s.random_means = false;  // e1, e2 as in the figure
  s.alpha = 0.05, s.omega2 = 1.0 / (32.0 * double(s.m));
  s.method = Method::plain;
  return s;
}

RunSpec figure2(const std::string& panel, const std::string& profile) {
  const bool high = panel == "high", quick = profile == "quick";
  RunSpec s = quick ? figure2_sized(high ? 60 : 1000, high ? 1000 : 60, 40, 1000)
                    : figure2_sized(high ? 300 : 5000, high ? 5000 : 300, 400, 6000);
  s.steps = quick ? 300 : profile == "paper" ? 10000000 : (high ? 200000 : 20000);
  return s;
}

RunSpec figure2_sized(std::size_t n, std::size_t d, std::size_t m, std::size_t n_test) {
  RunSpec s;
  s.n = n, s.d = d, s.m = m, s.n_test = n_test;
  s.sigma2 = std::pow(double(s.d), -1.2), s.eta = 0.15, s.flip = FlipMode::exact;
  s.random_means = true;  // the paper does not say which orthonormal pair; any is equivalent for isotropic noise
  s.alpha = 0.1, s.omega2 = 0.01 / (double(s.m) * double(s.d));
  s.method = Method::automatic;  // shared patterns in row space for (300, 5000), plain for (5000, 300)
  return s;
}

}  // namespace rfa::cli
