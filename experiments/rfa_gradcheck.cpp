// rfa-gradcheck: the tape's gradient of the paper's loss against the paper's closed-form gradient and against
// central differences, in double, over a set of instances (the paper's shapes scaled down, some with points
// near ReLU kinks). Prints a table and exits non-zero when any comparison fails.
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "args.hpp"
#include "atomic_file.hpp"
#include "closed_form.hpp"
#include "blas.hpp"
#include "openblas.hpp"
#include "common.hpp"
#include "gradcheck.hpp"
#include "network.hpp"
#include "tensor_npy.hpp"
#include "rng.hpp"
#include "logistic.hpp"
#include "tape_model.hpp"
#include "xor_data.hpp"

using namespace rfa;

namespace {

// What the program does and writes, as --help shows it.
constexpr const char* ABOUT =
    "rfa-gradcheck: checks the tape's gradient of the paper's mean logistic loss L(W) = (1/n) sum_i log(1 + "
    "exp(-y_i f(x_i; W))) against the paper's closed-form gradient (to 1e-12 of the largest entry) and against "
    "central differences (eps 1e-6, atol 1e-5, rtol 1e-3, PyTorch's defaults), in double, on instances with the "
    "paper's shapes scaled down, including points within 1e-4 of a ReLU kink. Exits 1 if any comparison fails.";

struct Instance {
  const char* name;
  std::size_t n, d, m;
  std::uint64_t seed;
  bool near_kinks;
};

// The paper's two regimes (n < d and n > d, and Figure 1's d = 2) scaled down to sizes where central
// differences over every weight are cheap; odd widths (a zero a_j); and points placed right next to kinks.
const std::vector<Instance> DEFAULT_INSTANCES = {
    {"fig1-like d=2", 40, 2, 10, 1, false},
    {"high-dim n<d", 30, 60, 8, 2, false},
    {"low-dim n>d", 60, 12, 8, 3, false},
    {"odd width m=7", 25, 9, 7, 4, false},
    {"near kinks, n<d", 24, 40, 10, 5, true},
    {"near kinks, d=2", 50, 2, 12, 6, true},
};

constexpr double KINK_GAP = 1e-4;  // |<w_j, x_i>| for the placed points: >> eps * |x|, so no difference crosses it

struct Problem {
  Tensor<double> X, y, W, a;
};

Problem make_problem(const Instance& in) {
  // Data as in Figure 2 scaled down (sigma^2 = d^-1.2, exactly 15% flips per cluster); weights at a larger
  // scale than the paper's init (omega^2 = 1/d) so that the gradient is O(1) and the tolerances bite.
  const DataSpec spec{in.d, std::pow(double(in.d), -1.2), 0.15, FlipMode::exact, Noise::gaussian};
  const XorSample s = sample_xor(spec, random_means(in.d, in.seed), in.n, in.seed, Stream::train_data);
  Problem p{s.X, s.y, init_weights<double>(in.m, in.d, 1.0 / double(in.d), in.seed), second_layer<double>(in.m)};
  if (in.near_kinks) {
    // Move x_i along w_j (j = i mod m) so that <w_j, x_i> = +-KINK_GAP exactly enough: one point per pair.
    for (std::size_t i = 0; i < in.n; ++i) {
      const std::size_t j = i % in.m;
      double* x = p.X.data() + i * in.d;
      const double* w = p.W.data() + j * in.d;
      double wx = 0, ww = 0;
      for (std::size_t k = 0; k < in.d; ++k) wx += w[k] * x[k], ww += w[k] * w[k];
      const double target = (i % 2 ? -1 : 1) * KINK_GAP;
      for (std::size_t k = 0; k < in.d; ++k) x[k] += (target - wx) / ww * w[k];
    }
  }
  return p;
}

double loss_at(const Problem& p, const Tensor<double>& W, const Tensor<double>& a) {
  Tensor<double> f, work;
  network_outputs(f, p.X, W, a, work);
  return logistic_head(f.data(), p.y.data(), f.size());
}

double min_abs_preactivation(const Problem& p) {
  double lo = INFINITY;
  for (std::size_t i = 0; i < p.X.rows(); ++i)
    for (std::size_t j = 0; j < p.W.rows(); ++j) {
      double z = 0;
      for (std::size_t k = 0; k < p.X.cols(); ++k) z += p.X(i, k) * p.W(j, k);
      lo = std::min(lo, std::abs(z));
    }
  return lo;
}

// One gradient (of W, or of a) three ways: prints its table row and, when it fails, the comparisons' reports.
bool check_row(const std::string& name, const Instance& in, const Problem& p, const Tensor<double>& g_tape,
               const Tensor<double>& g_cf, const Tensor<double>& g_num, double loss_tape, double loss_cf) {
  double gmax = 0;
  for (double v : g_cf) gmax = std::max(gmax, std::abs(v));
  const Comparison tc = compare("tape vs closed form", g_tape, g_cf, Tolerance{1e-12 * gmax, 0});
  const Comparison tn = compare("tape vs central differences", g_tape, g_num);
  const Comparison cn = compare("closed form vs central differences", g_cf, g_num);
  const bool loss_ok = std::abs(loss_tape - loss_cf) <= 1e-14 * std::max(1.0, loss_cf);
  const bool ok = tc.ok() && tn.ok() && cn.ok() && loss_ok;
  fmt::print("{:<20} {:>4} {:>4} {:>4} {:>9.2e} {:>9.2e} | {:>9.2e} {:>9.2e} | {:>9.2e} {:>9.2e} | {:>9.2e} | {}\n",
             name, in.n, in.d, in.m, min_abs_preactivation(p), gmax, tc.max_abs, tc.max_abs / gmax, tn.max_abs,
             tn.max_abs / gmax, cn.max_abs, ok ? "OK" : "NOT OK");
  if (!ok) {
    for (const Comparison* c : {&tc, &tn, &cn})
      if (!c->ok()) fmt::print("{}\n", c->report());
    if (!loss_ok) fmt::print("  losses differ: tape {:.17g}, closed form {:.17g}\n", loss_tape, loss_cf);
  }
  return ok;
}

// The gradients of L(W, a) in W (the paper's) and in a (when the second layer is trained), on the tape, by the
// closed form and by central differences. `sabotage` corrupts one entry of each closed-form gradient.
bool check_instance(const Instance& in, const Problem& p, bool sabotage, Tensor<double>& g_cf, double& loss_cf) {
  Tape<double> tape;
  const TapeNetwork<double> net = record_network_loss(tape, p.X, p.y, p.W, p.a, true);
  tape.backward(net.loss);
  Tensor<double> da_cf;
  ClosedFormWork<double> work;
  loss_cf = closed_form_gradient(g_cf, p.X, p.y, p.W, p.a, work, &da_cf);
  if (sabotage) g_cf[g_cf.size() / 2] *= 1.001, da_cf[da_cf.size() / 2] *= 1.001;
  const double loss_tape = net.loss.value().item();
  const Tensor<double> gW = numeric_gradient([&](const Tensor<double>& W) { return loss_at(p, W, p.a); }, p.W);
  const Tensor<double> ga = numeric_gradient([&](const Tensor<double>& a) { return loss_at(p, p.W, a); }, p.a);
  const bool w_ok = check_row(in.name, in, p, tape.grad(net.W), g_cf, gW, loss_tape, loss_cf);
  const bool a_ok = check_row(std::string(in.name) + " (a)", in, p, tape.grad(net.a), da_cf, ga, loss_tape, loss_cf);
  return w_ok && a_ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dump;
  std::size_t dump_instance = 0;
  bool sabotage = false;
  cli::start_program(argv, cli::Trains::no);
  cli::Args app{ABOUT, "rfa-gradcheck"};
  app.option("--dump", dump,
                 "write X.npy, y.npy, W.npy, a.npy, grad.npy (the closed-form gradient, m x d) and loss.txt of one "
                 "instance to this directory, for checking with numpy or PyTorch", false);
  app.option("--dump-instance", dump_instance, "which instance to dump (0-based)");
  app.flag("--sabotage", sabotage,
               "corrupt the closed-form gradients (one entry of each scaled by 1.001) to see the checker fail");
  if (auto rc = app.parse(argc, argv)) return *rc;

  return cli::guarded_main("rfa-gradcheck", [&] {
    if (dump_instance >= DEFAULT_INSTANCES.size())
      throw cli::UsageError(fmt::format("--dump-instance must be < {}, got {}", DEFAULT_INSTANCES.size(), dump_instance));
    fmt::print("{:<20} {:>4} {:>4} {:>4} {:>9} {:>9} | {:>9} {:>9} | {:>9} {:>9} | {:>9} | {}\n", "instance", "n",
               "d", "m", "min|z|", "max|g|", "tape-cf", "rel", "tape-num", "rel", "cf-num", "result");
    bool all_ok = true;
    for (std::size_t k = 0; k < DEFAULT_INSTANCES.size(); ++k) {
      const Instance& in = DEFAULT_INSTANCES[k];
      const Problem p = make_problem(in);
      Tensor<double> g_cf;
      double loss_cf = 0;
      all_ok = check_instance(in, p, sabotage, g_cf, loss_cf) && all_ok;
      if (!dump.empty() && k == dump_instance) {
        cli::prepare_out_dir(dump);
        write_npy(dump + "/X.npy", p.X);
        write_npy(dump + "/y.npy", p.y);
        write_npy(dump + "/W.npy", p.W);
        write_npy(dump + "/a.npy", p.a);
        write_npy(dump + "/grad.npy", g_cf);
        write_file_atomic(dump + "/loss.txt", fmt::format("{:.17g}\n", loss_cf));
      }
    }
    fmt::print("columns: max |difference| over the m x d gradient in W (rows '(a)': the m gradient in the second "
               "layer a, for training both layers), and that over max|g| (rel); tolerances: tape-cf 1e-12 * max|g|, "
               "against central differences atol 1e-5 + rtol 1e-3 |g| per entry\n");
    fmt::print("{}\n", all_ok ? "all instances OK" : "SOME INSTANCES NOT OK");
    return all_ok ? 0 : cli::EXIT_RUN_FAILED;
  });
}
