#include "train_flags.hpp"

#include "args.hpp"
#include "common.hpp"

namespace rfa::cli {

TrainCommand::TrainCommand() {
  RunSpec& s = spec;
  s.n = 5000, s.d = 2, s.m = 500, s.n_test = 6000, s.steps = 3000;
  s.sigma2 = 1.0 / 50, s.eta = 0.15, s.alpha = 0.05, s.omega2 = 0;  // omega2 0: 1/(32 m), once m is known
  s.flip = FlipMode::prob, s.noise = Noise::gaussian, s.random_means = false;
  s.grad = GradSource::closed, s.method = Method::automatic;
}

namespace {
// The flags that name a choice, as text until checked.
struct Choices {
  std::string flip, noise, means, grad, method, model, second_layer, init = "gaussian";
};

void add_flags(Args& app, TrainCommand& c, Choices& k) {
  RunSpec& s = c.spec;
  app.option("--n", s.n, "training samples");
  app.option("--d", s.d, "input dimension");
  app.option("--m", s.m, "hidden width (neurons); a_j = +1/sqrt(m) for the first half, -1/sqrt(m) for the second");
  app.option("--sigma2", s.sigma2, "within-cluster noise variance per coordinate");
  app.option("--eta", s.eta, "label noise rate, in [0, 0.5)");
  app.option("--flip", k.flip, "label noise: prob (each label with probability eta), exact (round(eta*size) per "
                               "cluster), adversarial (per cluster, the points nearest the other class)");
  app.option("--noise", k.noise, "within-cluster law: gaussian, laplace or uniform (all variance sigma2)");
  app.option("--means", k.means, "cluster means: axes (e1, e2) or random (a random orthonormal pair)");
  app.option("--mean-norm", s.mean_norm,
             "r: the clusters sit at +-r mu1, +-r mu2 (1 in the paper). Scaling x by 1/r gives the same predictions "
             "with sigma2 / r^2, omega2 r^2 and alpha r^2");
  app.option("--second-layer", k.second_layer,
             "balanced (a_j = +1/sqrt(m) for the first half, -1/sqrt(m) for the second, the paper's) or random "
             "(i.i.d. signs, the grokking follow-up's)");
  app.option("--alpha", s.alpha, "gradient descent step size");
  app.option("--steps", s.steps, "gradient descent steps");
  app.option("--omega2", s.omega2, "init variance omega_init^2 of W's entries [default: 1/(32 m)]", false);
  app.option("--init", k.init, INIT_HELP);
  app.option("--seed", s.seed, "seed of the data, test data and init (independent PCG streams)");
  app.option("--dtype", s.dtype, "precision: f32 or f64");
  app.option("--grad", k.grad, GRAD_HELP);
  app.option("--method", k.method,
             "how W is stepped: plain, rowspace (W = W0 + C X, exact, cheaper when n < 2d), patterns (row space with "
             "the step shared among neurons with the same activation pattern, exact), plain-patterns (the plain step "
             "with its backward product shared the same way, exact) or auto (patterns when n < 2d, plain-patterns "
             "when n >= 2d and d >= 32, plain otherwise)");
  app.flag("--train-second-layer", s.train_second_layer,
           "train the second layer a too (plain step only; the paper keeps a fixed); W.npy is then joined by a.npy");
  app.option("--model", k.model, "relu (the paper's network), linear (sgn <w,x>) or linear-bias (sgn(<w,x> + b))");
  app.option("--threads", c.threads, "worker threads; OpenBLAS runs single-threaded inside them [default: all cores]",
             false);
  app.option("--n-test", s.n_test, "test samples (generated data)");
  app.option("--dense", s.dense, "evaluate at every step up to this one ...");
  app.option("--per-decade", s.per_decade, "... then this many log-spaced steps per decade");
  app.option("--out", c.out, "output directory (created if needed)", false);
  app.option("--checkpoint-seconds", c.control.checkpoint_seconds, "seconds between checkpoints (with --out)");
  app.option("--x", s.files.x, "training inputs (N, D) from a .npy file (float32/float64)", false);
  app.option("--y", s.files.y, "training labels (N) in {-1, +1} from a .npy file", false);
  app.option("--w0", s.files.w0, "initial weights (m, d) from a .npy file", false);
  app.option("--a", s.files.a, "second layer (m) from a .npy file", false);
  app.option("--x-test", s.files.x_test, "test inputs (K, D) from a .npy file", false);
  app.option("--y-test", s.files.y_test, "test labels (K) from a .npy file", false);
  app.option("--stop-at", c.control.stop_at,
             "stop at this step (after its evaluation, if it has one) as Ctrl-C would (checkpoint, exit code 130); "
             "run again without it to continue",
             false);
  app.flag("--quiet", c.control.quiet, "print only the final summary");
  app.needs("--x", "--y").needs("--y", "--x").needs("--x-test", "--y-test").needs("--x-test", "--x");
  app.needs("--y-test", "--x-test");
  app.excludes("--second-layer", "--a");
  for (const char* generated_only :
       {"--n", "--d", "--sigma2", "--eta", "--flip", "--noise", "--means", "--mean-norm", "--n-test"})
    app.excludes(generated_only, "--x");
}

// Checks every value and sets the choices. Throws UsageError.
void check(const Args& app, TrainCommand& c, const Choices& k) {
  RunSpec& s = c.spec;
  require_size("--n", s.n, 1);
  require_size("--d", s.d, 2);
  require_size("--m", s.m, 1);
  require_size("--n-test", s.n_test, 1);
  require_nonnegative("--sigma2", s.sigma2);
  require_positive("--mean-norm", s.mean_norm);
  require_one_of("--second-layer", k.second_layer, {"balanced", "random"});
  require_eta("--eta", s.eta);
  require_positive("--alpha", s.alpha);
  if (app.given("--omega2")) require_positive("--omega2", s.omega2);
  require_positive("--checkpoint-seconds", c.control.checkpoint_seconds);
  require_threads("--threads", c.threads);
  require_schedule(s.dense, s.per_decade);
  require_one_of("--dtype", s.dtype, {"f32", "f64"});
  require_one_of("--model", k.model, {"relu", "linear", "linear-bias"});
  s.model = parse_model(k.model);
  if (s.train_second_layer && s.model != Model::relu)
    throw UsageError("--train-second-layer needs --model relu (the linear models have no second layer)");
  if (s.train_second_layer && k.method != "auto" && k.method != "plain")
    throw UsageError("--train-second-layer works with --method plain (or auto) only; " + k.method +
                     " keeps the second layer fixed");
  require_one_of("--means", k.means, {"axes", "random"});
  require_one_of("--flip", k.flip, {"prob", "exact", "adversarial"});
  require_one_of("--noise", k.noise, {"gaussian", "laplace", "uniform"});
  require_one_of("--grad", k.grad, {"tape", "closed"});
  require_one_of("--method", k.method, {"auto", "plain", "rowspace", "patterns", "plain-patterns"});
  s.flip = parse_flip_mode(k.flip), s.noise = parse_noise(k.noise), s.random_means = k.means == "random";
  s.grad = parse_grad_source(k.grad), s.method = parse_method(k.method), s.random_signs = k.second_layer == "random";
  s.init = parse_init(k.init);
  if (s.init != Init::gaussian && !s.files.w0.empty())
    throw UsageError("--init " + k.init + " makes W0, and --w0 gives it: give one of them");
  if (s.init == Init::symmetric && !s.files.a.empty())
    throw UsageError("--init symmetric mirrors the balanced second layer; it cannot be used with --a");
  if (s.init != Init::gaussian && s.init != Init::symmetric && app.given("--omega2"))
    throw UsageError("--init " + k.init + " sets the init's variance itself; --omega2 goes with gaussian or symmetric");
  if (s.init == Init::symmetric) set_init(s, s.init);  // refuses what it cannot mirror, before anything is written
}
}  // namespace

std::optional<int> parse_train_command(int argc, char** argv, TrainCommand& c) {
  Args app{
      "rfa-train: full-batch gradient descent on the two-layer ReLU network f(x) = sum_j a_j relu(<w_j, x>) of Frei, "
      "Chatterji & Bartlett (2023), on noisy XOR cluster data. Defaults are the paper's Figure 1 settings.\n"
      "Data come from flags (generated, reproducible from --seed) or from .npy files (--x, --y, ...). With --out DIR "
      "the run writes DIR/metrics.csv, DIR/manifest.json and DIR/W.npy, and checkpoints to DIR/checkpoint.rfa: "
      "stopping (Ctrl-C) and running the same command again resumes.",
      "rfa-train"};
  Choices k{to_string(c.spec.flip), to_string(c.spec.noise), c.spec.random_means ? "random" : "axes",
            to_string(c.spec.grad), to_string(c.spec.method), to_string(c.spec.model),
            c.spec.random_signs ? "random" : "balanced"};
  add_flags(app, c, k);
  if (auto rc = app.parse(argc, argv)) return rc;
  check(app, c, k);
  return std::nullopt;
}

Json train_record(const RunSpec& s) {
  Json j;
  j.add("model", to_string(s.model)).add("n", s.n).add("d", s.d).add("m", s.m).add("sigma2", s.sigma2)
      .add("eta", s.eta).add("flip", to_string(s.flip)).add("noise", to_string(s.noise))
      .add("means", s.random_means ? "random" : "axes").add("alpha", s.alpha).add("steps", s.steps)
      .add("omega2", s.omega2).add("seed", static_cast<unsigned long long>(s.seed)).add("dtype", s.dtype)
      .add("grad", to_string(s.grad)).add("method", to_string(s.method)).add("n_test", s.n_test)
      .add("dense", s.dense).add("per_decade", s.per_decade).add("x", s.files.x).add("y", s.files.y)
      .add("x_test", s.files.x_test).add("y_test", s.files.y_test).add("w0", s.files.w0).add("a", s.files.a)
      .add("train_second_layer", s.train_second_layer);
  // Absent at their defaults, so that earlier runs keep their fingerprints.
  if (s.mean_norm != 1) j.add("mean_norm", s.mean_norm);
  if (s.random_signs) j.add("second_layer", "random");
  if (s.init != Init::gaussian) j.add("init", to_string(s.init));
  return j;
}

}  // namespace rfa::cli
