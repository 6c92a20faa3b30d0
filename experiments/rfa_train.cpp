// rfa-train: trains the paper's two-layer ReLU network (or a linear baseline) by full-batch gradient descent on
// noisy XOR cluster data, generated from flags or read from .npy files, and writes the metrics over time
// (CSV), a manifest of every setting (JSON) and the final weights (W.npy).
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "args.hpp"
#include "atomic_file.hpp"
#include "blas.hpp"
#include "openblas.hpp"
#include "common.hpp"
#include "linear.hpp"
#include "network.hpp"
#include "tensor_npy.hpp"
#include "run.hpp"
#include "run_lock.hpp"
#include "run_spec.hpp"

using namespace rfa;
using cli::UsageError;

namespace {

struct Settings {
  std::size_t n = 5000, d = 2, m = 500, n_test = 6000, steps = 3000, dense = 100, per_decade = 20;
  double sigma2 = 1.0 / 50, eta = 0.15, alpha = 0.05, omega2 = 0;  // omega2 0: 1/(32 m)
  std::string flip = "prob", noise = "gaussian", means = "axes", dtype = "f64", grad = "closed", model = "relu",
              method = "auto";
  std::uint64_t seed = 1;
  int threads = cli::all_cores();
  std::string out, x, y, w0, a, x_test, y_test;
  double checkpoint_seconds = 60;
  std::size_t stop_at = 0;
  bool quiet = false;

  // Every setting that changes the run's numbers or outputs, as the manifest records them; on one line, the same
  // is the checkpoint's fingerprint. Left out, because they change neither: where the results go (--out), how
  // often the checkpoint is written, where to stop this session, --quiet, and --threads (results agree across
  // thread counts to rounding, so a run may be resumed with another; the manifest records this session's).
  cli::Json json() const {
    cli::Json j;
    j.add("model", model).add("n", n).add("d", d).add("m", m).add("sigma2", sigma2).add("eta", eta).add("flip", flip)
        .add("noise", noise).add("means", means).add("alpha", alpha).add("steps", steps).add("omega2", omega2)
        .add("seed", static_cast<unsigned long long>(seed)).add("dtype", dtype).add("grad", grad).add("method", method)
        .add("n_test", n_test).add("dense", dense).add("per_decade", per_decade).add("x", x).add("y", y)
        .add("x_test", x_test).add("y_test", y_test).add("w0", w0).add("a", a);
    return j;
  }
};

// A cheap content hash (FNV-1a) so that a checkpoint made from other input files is not resumed.
template <typename T>
std::uint64_t hash_tensor(const Tensor<T>& t) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const unsigned char*>(t.data());
  for (std::size_t k = 0; k < t.size() * sizeof(T); ++k) h = (h ^ p[k]) * 1099511628211ull;
  return h;
}

template <typename T>
int train(Settings s) {
  // ---- data: every input is read and checked before anything is written
  Dataset<T> train_set, test_set;
  bool have_test = true;
  std::string data_source;
  if (!s.x.empty()) {
    train_set = make_dataset(read_npy<T>(s.x), read_npy<T>(s.y), "--x/--y");
    s.n = train_set.size();
    s.d = train_set.X.cols();
    if (!s.x_test.empty()) {
      test_set = make_dataset(read_npy<T>(s.x_test), read_npy<T>(s.y_test), "--x-test/--y-test");
      if (test_set.X.cols() != s.d)
        throw UsageError(fmt::format("--x-test has {} columns but --x has {}; the dimensions must agree",
                                     test_set.X.cols(), s.d));
    } else {
      have_test = false;
    }
    data_source = fmt::format("files, hashes {:x}/{:x}/{:x}/{:x}", hash_tensor(train_set.X), hash_tensor(train_set.y),
                              hash_tensor(test_set.X), hash_tensor(test_set.y));
  } else {
    const DataSpec spec{s.d, s.sigma2, s.eta, parse_flip_mode(s.flip), parse_noise(s.noise)};
    const Means means = s.means == "axes" ? axis_means(s.d) : random_means(s.d, s.seed);
    train_set = make_dataset<T>(sample_xor(spec, means, s.n, s.seed, Stream::train_data));
    test_set = make_dataset<T>(sample_xor(spec, means, s.n_test, s.seed, Stream::test_data));
    data_source = "generated";
  }

  Tensor<T> a;
  if (!s.a.empty()) {
    a = read_npy<T>(s.a);
    check_finite(a, "--a " + s.a);
    if (a.rank() != 1) throw UsageError(fmt::format("--a {}: must be a vector (m), got shape {}", s.a, to_string(a.shape())));
    s.m = a.size();
  }
  Tensor<T> W0;
  if (!s.w0.empty()) {
    W0 = read_npy<T>(s.w0);
    check_finite(W0, "--w0 " + s.w0);
    if (W0.rank() != 2 || W0.cols() != s.d || (!s.a.empty() && W0.rows() != s.m))
      throw UsageError(fmt::format("--w0 {}: has shape {}, expected ({}, {}) (m, d)", s.w0, to_string(W0.shape()),
                                   s.a.empty() ? std::string("m") : std::to_string(s.m), s.d));
    s.m = W0.rows();
  }
  if (s.omega2 == 0) s.omega2 = 1.0 / (32.0 * double(s.m));
  if (a.size() == 0) a = second_layer<T>(s.m);
  if (W0.size() == 0) W0 = init_weights<T>(s.m, s.d, s.omega2, s.seed);

  // ---- the trainer
  std::unique_ptr<Trainer<T>> trainer;
  if (s.model == "relu")
    trainer = make_trainer<T>(parse_method(s.method), parse_grad_source(s.grad), train_set.X, train_set.y, a, W0,
                              T(s.alpha));
  else
    trainer = std::make_unique<LinearDescent<T>>(train_set.X, train_set.y, s.model == "linear-bias", T(s.alpha));

  // The files' contents too: a checkpoint made from other data or another init is not resumed.
  cli::Json identity = s.json();
  identity.add("trainer", trainer->name()).add("data", data_source)
      .add("w0_hash", fmt::format("{:x}", hash_tensor(W0))).add("a_hash", fmt::format("{:x}", hash_tensor(a)));
  const std::string fingerprint = "rfa-train " + identity.compact();

  // ---- the run
  std::optional<DirLock> lock;
  if (!s.out.empty()) {
    cli::prepare_out_dir(s.out);
    lock.emplace(s.out);
  }
  RunOptions opt;
  opt.schedule = eval_schedule(s.steps, s.dense, s.per_decade);
  opt.fingerprint = fingerprint;
  opt.checkpoint = s.out.empty() ? "" : s.out + "/checkpoint.rfa";
  opt.checkpoint_seconds = s.checkpoint_seconds;
  opt.stop_at = s.stop_at;
  if (!s.quiet) {
    fmt::print("{:>9} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}\n", "step", "loss", "train", "clean", "flipped",
               "test", "test_cln", "||W||_F");
    opt.on_eval = [](const Metrics& m) {
      fmt::print("{:>9} {:>11.5g} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>10.4g}\n", m.step, m.loss,
                 m.train_acc, m.train_clean_acc, m.train_flipped_acc, m.test_acc, m.test_clean_acc, m.w_norm);
      std::fflush(stdout);
    };
    opt.on_progress = [](const Progress& p) { cli::print_progress("rfa-train", "", p); };
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Metrics> rows = run_training(*trainer, train_set, have_test ? &test_set : nullptr, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (!s.out.empty()) {
    write_file_atomic(s.out + "/metrics.csv", cli::metrics_csv(rows));
    if (s.model == "relu") {
      write_npy(s.out + "/W.npy", trainer->weights());
    } else {
      // w (D) then b: the linear model's parameters in one vector
      const Tensor<T>& w = trainer->weights();
      Tensor<T> wb(w.size() + 1);
      std::copy(w.begin(), w.end(), wb.begin());
      wb[w.size()] = static_cast<LinearDescent<T>&>(*trainer).bias();
      write_npy(s.out + "/w.npy", wb);
    }
    cli::Json manifest;
    manifest.add("program", "rfa-train").add("version", cli::version()).add("settings", s.json())
        .add("threads", s.threads).add("test_points", have_test ? test_set.size() : std::size_t(0))
        .add("trainer", trainer->name()).add("openblas", openblas::config())
        .add("wall_seconds_this_session", wall).add("peak_rss_mb", cli::peak_rss_mb()).add("final", cli::metrics_json(rows.back()))
        .add("files", "metrics.csv (metrics at the evaluation steps), W.npy (final weights, m x d; w.npy for linear "
                      "models: w then b), checkpoint.rfa (for resuming)");
    write_file_atomic(s.out + "/manifest.json", manifest.str() + "\n");
  }
  const Metrics& last = rows.back();
  const std::string test = !have_test ? "no test set"
                           : std::isnan(last.test_clean_acc) ? fmt::format("test {:.4f}", last.test_acc)
                                                              : fmt::format("test {:.4f} (clean {:.4f})", last.test_acc,
                                                                            last.test_clean_acc);
  fmt::print(stderr, "rfa-train: {} ({}) {} steps in {}; final train {:.4f}, {}; peak memory {:.0f} MiB\n",
             trainer->name(), s.dtype, s.steps, cli::format_duration(wall), last.train_acc, test, cli::peak_rss_mb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  openblas::select_kernels(argv);
  cli::Args app{
      "rfa-train: full-batch gradient descent on the two-layer ReLU network f(x) = sum_j a_j relu(<w_j, x>) of Frei, "
      "Chatterji & Bartlett (2023), on noisy XOR cluster data. Defaults are the paper's Figure 1 settings.\n"
      "Data come from flags (generated, reproducible from --seed) or from .npy files (--x, --y, ...). With --out DIR "
      "the run writes DIR/metrics.csv, DIR/manifest.json and DIR/W.npy, and checkpoints to DIR/checkpoint.rfa: "
      "stopping (Ctrl-C) and running the same command again resumes.",
      "rfa-train"};
  app.option("--n", s.n, "training samples");
  app.option("--d", s.d, "input dimension");
  app.option("--m", s.m, "hidden width (neurons); a_j = +1/sqrt(m) for the first half, -1/sqrt(m) for the second");
  app.option("--sigma2", s.sigma2, "within-cluster noise variance per coordinate");
  app.option("--eta", s.eta, "label noise rate, in [0, 0.5)");
  app.option("--flip", s.flip, "label noise: prob (each label with probability eta), exact (round(eta*size) per "
                                   "cluster), adversarial (per cluster, the points nearest the other class)");
  app.option("--noise", s.noise, "within-cluster law: gaussian, laplace or uniform (all variance sigma2)");
  app.option("--means", s.means, "cluster means: axes (e1, e2) or random (a random orthonormal pair)");
  app.option("--alpha", s.alpha, "gradient descent step size");
  app.option("--steps", s.steps, "gradient descent steps");
  app.option("--omega2", s.omega2, "init variance omega_init^2 of W's entries [default: 1/(32 m)]", false);
  app.option("--seed", s.seed, "seed of the data, test data and init (independent PCG streams)");
  app.option("--dtype", s.dtype, "precision: f32 or f64");
  app.option("--grad", s.grad,
             "gradient from the tape or from the paper's closed form (the same trajectory; closed is as fast or faster)");
  app.option("--method", s.method,
                 "how W is stepped: plain, rowspace (W = W0 + C X, exact, cheaper when n < 2d), patterns (row space "
                 "with the step shared among neurons with the same activation pattern, exact) or auto (patterns when "
                 "n < 2d, plain otherwise)");
  app.option("--model", s.model, "relu (the paper's network), linear (sgn <w,x>) or linear-bias (sgn(<w,x> + b))");
  app.option("--threads", s.threads, "threads for OpenBLAS and rfa [default: all cores]", false);
  app.option("--n-test", s.n_test, "test samples (generated data)");
  app.option("--dense", s.dense, "evaluate at every step up to this one ...");
  app.option("--per-decade", s.per_decade, "... then this many log-spaced steps per decade");
  app.option("--out", s.out, "output directory (created if needed)", false);
  app.option("--checkpoint-seconds", s.checkpoint_seconds, "seconds between checkpoints (with --out)");
  app.option("--x", s.x, "training inputs (N, D) from a .npy file (float32/float64)", false);
  app.option("--y", s.y, "training labels (N) in {-1, +1} from a .npy file", false);
  app.option("--w0", s.w0, "initial weights (m, d) from a .npy file", false);
  app.option("--a", s.a, "second layer (m) from a .npy file", false);
  app.option("--x-test", s.x_test, "test inputs (K, D) from a .npy file", false);
  app.option("--y-test", s.y_test, "test labels (K) from a .npy file", false);
  app.option("--stop-at", s.stop_at,
                 "stop at this step as Ctrl-C would (checkpoint, exit code 130); run again without it to continue", false);
  app.flag("--quiet", s.quiet, "print only the final summary");
  app.needs("--x", "--y").needs("--y", "--x").needs("--x-test", "--y-test").needs("--x-test", "--x");
  app.needs("--y-test", "--x-test");
  for (const char* generated_only : {"--n", "--d", "--sigma2", "--eta", "--flip", "--noise", "--means", "--n-test"})
    app.excludes(generated_only, "--x");
  if (auto rc = app.parse(argc, argv)) return *rc;

  return cli::guarded_main("rfa-train", [&] {
    cli::require_at_least("--n", static_cast<long long>(s.n), 1);
    cli::require_at_least("--d", static_cast<long long>(s.d), 2);
    cli::require_at_least("--m", static_cast<long long>(s.m), 1);
    cli::require_at_least("--n-test", static_cast<long long>(s.n_test), 1);
    cli::require_nonnegative("--sigma2", s.sigma2);
    cli::require_eta("--eta", s.eta);
    cli::require_positive("--alpha", s.alpha);
    if (app.given("--omega2")) cli::require_positive("--omega2", s.omega2);
    cli::require_positive("--checkpoint-seconds", s.checkpoint_seconds);
    cli::require_one_of("--dtype", s.dtype, {"f32", "f64"});
    cli::require_one_of("--model", s.model, {"relu", "linear", "linear-bias"});
    cli::require_one_of("--means", s.means, {"axes", "random"});
    cli::require_one_of("--flip", s.flip, {"prob", "exact", "adversarial"});
    cli::require_one_of("--noise", s.noise, {"gaussian", "laplace", "uniform"});
    cli::require_one_of("--grad", s.grad, {"tape", "closed"});
    cli::require_one_of("--method", s.method, {"auto", "plain", "rowspace", "patterns"});
    cli::set_threads(s.threads);
    return s.dtype == "f32" ? train<float>(s) : train<double>(s);
  });
}
