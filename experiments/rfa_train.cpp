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
#include "parallel.hpp"
#include "plain.hpp"
#include "tensor_npy.hpp"
#include "run.hpp"
#include "run_lock.hpp"
#include "run_spec.hpp"
#include "train_flags.hpp"

using namespace rfa;
using cli::Model;
using cli::RunSpec;
using cli::TrainCommand;
using cli::UsageError;

namespace {

// A cheap content hash (FNV-1a) so that a checkpoint made from other input files is not resumed.
template <typename T>
std::uint64_t hash_tensor(const Tensor<T>& t) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const unsigned char*>(t.data());
  for (std::size_t k = 0; k < t.size() * sizeof(T); ++k) h = (h ^ p[k]) * 1099511628211ull;
  return h;
}

// The data, from .npy files or generated, every input read and checked before anything is written. `source` says
// where they came from, with the files' contents hashed: a checkpoint made from other data is not resumed.
template <typename T>
struct Inputs {
  Dataset<T> train, test;
  bool have_test = true;
  std::string source;
  Tensor<T> a, W0;
};

template <typename T>
Inputs<T> read_data(RunSpec& s) {
  Inputs<T> in;
  const cli::InputFiles& f = s.files;
  if (f.x.empty()) {
    cli::RunData<T> data = cli::make_data<T>(s);
    in.train = std::move(data.train), in.test = std::move(data.test);
    in.source = "generated";
    return in;
  }
  in.train = make_dataset(read_npy<T>(f.x), read_npy<T>(f.y), "--x/--y");
  s.n = in.train.size();
  s.d = in.train.X.cols();
  in.have_test = !f.x_test.empty();
  if (in.have_test) {
    in.test = make_dataset(read_npy<T>(f.x_test), read_npy<T>(f.y_test), "--x-test/--y-test");
    if (in.test.X.cols() != s.d)
      throw UsageError(fmt::format("--x-test has {} columns but --x has {}; the dimensions must agree",
                                   in.test.X.cols(), s.d));
  }
  in.source = fmt::format("files, hashes {:x}/{:x}/{:x}/{:x}", hash_tensor(in.train.X), hash_tensor(in.train.y),
                          hash_tensor(in.test.X), hash_tensor(in.test.y));
  return in;
}

// The second layer and the init, from files or made as every run makes them; fixes m and the default omega2.
template <typename T>
void read_network(RunSpec& s, Inputs<T>& in) {
  const cli::InputFiles& f = s.files;
  if (!f.a.empty()) {
    in.a = read_npy<T>(f.a);
    check_finite(in.a, "--a " + f.a);
    if (in.a.rank() != 1)
      throw UsageError(fmt::format("--a {}: must be a vector (m), got shape {}", f.a, to_string(in.a.shape())));
    s.m = in.a.size();
  }
  if (!f.w0.empty()) {
    in.W0 = read_npy<T>(f.w0);
    check_finite(in.W0, "--w0 " + f.w0);
    if (in.W0.rank() != 2 || in.W0.cols() != s.d || (!f.a.empty() && in.W0.rows() != s.m))
      throw UsageError(fmt::format("--w0 {}: has shape {}, expected ({}, {}) (m, d)", f.w0, to_string(in.W0.shape()),
                                   f.a.empty() ? std::string("m") : std::to_string(s.m), s.d));
    s.m = in.W0.rows();
  }
  cli::set_init(s, s.init);  // unit, lecun and he set omega2
  if (s.omega2 == 0) s.omega2 = 1.0 / (32.0 * double(s.m));
  if (in.a.size() == 0) in.a = cli::make_second_layer<T>(s);
  if (in.W0.size() == 0) in.W0 = cli::make_init<T>(s);
}

RunOptions run_options(const TrainCommand& c, const std::string& fingerprint) {
  RunOptions opt;
  opt.schedule = c.spec.schedule();
  opt.fingerprint = fingerprint;
  opt.checkpoint = c.out.empty() ? "" : c.out + "/checkpoint.rfa";
  opt.checkpoint_seconds = c.control.checkpoint_seconds;
  opt.stop_at = c.control.stop_at;
  if (!c.control.quiet) {
    fmt::print("{:>9} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}\n", "step", "loss", "train", "clean", "flipped",
               "test", "test_cln", "||W||_F");
    opt.on_eval = [](const Metrics& m) {
      fmt::print("{:>9} {:>11.5g} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>10.4g}\n", m.step, m.loss,
                 m.train_acc, m.train_clean_acc, m.train_flipped_acc, m.test_acc, m.test_clean_acc, m.w_norm);
      std::fflush(stdout);
    };
    opt.on_progress = [](const Progress& p) { cli::print_progress("rfa-train", "", p); };
  }
  return opt;
}

// metrics.csv, W.npy (w.npy for the linear models: w then b) and manifest.json.
template <typename T>
void write_results(const TrainCommand& c, const Inputs<T>& in, Trainer<T>& trainer, const std::vector<Metrics>& rows,
                   double wall) {
  const RunSpec& s = c.spec;
  write_file_atomic(c.out + "/metrics.csv", cli::metrics_csv(rows, s.alpha));
  if (s.model == Model::relu) {
    write_npy(c.out + "/W.npy", trainer.weights());
    if (s.train_second_layer) write_npy(c.out + "/a.npy", static_cast<PlainDescent<T>&>(trainer).second_layer());
  } else {
    const Tensor<T>& w = trainer.weights();
    Tensor<T> wb(w.size() + 1);
    std::copy(w.begin(), w.end(), wb.begin());
    wb[w.size()] = static_cast<LinearDescent<T>&>(trainer).bias();
    write_npy(c.out + "/w.npy", wb);
  }
  cli::Json manifest = cli::provenance("rfa-train");
  manifest.add("settings", cli::train_record(s)).add("threads", c.threads)
      .add("test_points", in.have_test ? in.test.size() : std::size_t(0)).add("trainer", trainer.name())
      .add("wall_seconds_this_session", wall).add("peak_rss_mb", cli::peak_rss_mb())
      .add("final", cli::metrics_json(rows.back()))
      .add("files", "metrics.csv (metrics at the evaluation steps), W.npy (final weights, m x d; w.npy for linear "
                    "models: w then b; a.npy, the trained second layer, with --train-second-layer), checkpoint.rfa "
                    "(for resuming)");
  write_file_atomic(c.out + "/manifest.json", manifest.str() + "\n");
}

template <typename T>
int train(TrainCommand c) {
  RunSpec& s = c.spec;
  Inputs<T> in = read_data<T>(s);
  read_network(s, in);
  std::unique_ptr<Trainer<T>> trainer;
  if (s.model == Model::relu)
    trainer = make_trainer<T>(s.method, s.grad, in.train.X, in.train.y, in.a, in.W0, T(s.alpha), s.train_second_layer);
  else
    trainer = std::make_unique<LinearDescent<T>>(in.train.X, in.train.y, s.model == Model::linear_bias, T(s.alpha));
  // The files' contents too: a checkpoint made from other data or another init is not resumed.
  cli::Json identity = cli::train_record(s);
  identity.add("trainer", trainer->name()).add("data", in.source)
      .add("w0_hash", fmt::format("{:x}", hash_tensor(in.W0))).add("a_hash", fmt::format("{:x}", hash_tensor(in.a)));

  std::optional<DirLock> lock;
  if (!c.out.empty()) {
    cli::prepare_out_dir(c.out);
    lock.emplace(c.out);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Metrics> rows = run_training(*trainer, in.train, in.have_test ? &in.test : nullptr,
                                                 run_options(c, "rfa-train " + identity.compact()));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!c.out.empty()) write_results(c, in, *trainer, rows, wall);
  const Metrics& last = rows.back();
  const std::string test = !in.have_test ? "no test set"
                           : std::isnan(last.test_clean_acc) ? fmt::format("test {:.4f}", last.test_acc)
                                                              : fmt::format("test {:.4f} (clean {:.4f})", last.test_acc,
                                                                            last.test_clean_acc);
  fmt::print(stderr, "rfa-train: {} ({}) {} steps in {}; final train {:.4f}, {}; peak memory {:.0f} MiB\n",
             trainer->name(), s.dtype, s.steps, cli::format_duration(wall), last.train_acc, test, cli::peak_rss_mb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv, cli::Trains::yes);
  TrainCommand c;
  return cli::guarded_main("rfa-train", [&] {
    if (auto rc = cli::parse_train_command(argc, argv, c)) return *rc;
    rfa::set_threads(c.threads);
    return c.spec.dtype == "f32" ? train<float>(c) : train<double>(c);
  });
}
